"""RFC 7323 (TCP extensions for high performance): window scale
negotiation and use (section 2), timestamps - negotiation, TSecr echo and
the clock (3, 4.3, 5.4) - and PAWS (5.3), checked on the wire. With RFC 6691
2 for the payload size when timestamps are on."""
from conformance_util import SECOND_NS, TESTER_IP
from tcp_util import ACK, FIN, PSH, RST, SYN, TcpBench, TcpPeer, opt_mss, opt_ts, opt_ws

BIG_WND = 256 * 1024


def shift_for(wnd):
    """RFC 7323 2.3: the shift that makes the window fit 16 bits (the smallest)."""
    s = 0
    while (wnd >> s) > 0xFFFF:
        s += 1
    return s


def passive(bench, syn_opts, wnd=65535, ack_wnd=None):
    peer = TcpPeer(bench, wnd=wnd)
    srv = bench.dut.tcp_listen(80)
    synack, conn = peer.passive_open(srv, syn_opts, data_ack_wnd=ack_wnd)
    return peer, conn, synack


def sent_bytes(peer, segs):
    return sum(len(s.data) for s in segs)


# ------------------------------------------------------------ window scale

def test_peer_window_scaled_by_its_shift(bench):
    """RFC 7323 2.2 / 2.3: once both SYNs carried WS, the window field of
    every later segment from the peer is shifted left by the peer's shift:
    a field of 750 with shift 2 lets the dut send 3000 bytes, no more."""
    peer, conn, synack = passive(bench, opt_mss(1000) + opt_ws(2), ack_wnd=750)
    assert "ws" in synack.opts
    conn.send(bytes(20000))
    segs = peer.data_segs(peer.run("50ms"))
    assert sent_bytes(peer, segs) == 750 << 2


def test_no_scaling_when_peer_does_not_offer(sim):
    """RFC 7323 2.2: without WS in the SYN neither side scales: the dut's
    SYN-ACK has no WS and its window fields are its real window capped at
    65535 (here tcp_wnd = 256 KiB); the peer's field is taken as is."""
    bench = TcpBench(sim, node_config={"tcp_wnd": BIG_WND})
    peer, conn, synack = passive(bench, opt_mss(1000), ack_wnd=3000)
    assert "ws" not in synack.opts
    conn.send(bytes(20000))
    segs = peer.data_segs(peer.run("50ms"))
    assert sent_bytes(peer, segs) == 3000
    peer.send(ACK | PSH, data=b"hi")
    acks = [s for s in peer.run("100ms") if s.flags & ACK]
    assert acks and all(s.wnd == 0xFFFF for s in acks)


def test_active_open_offers_shift_for_big_window(sim):
    """RFC 7323 2.2 / 2.3: with a 256 KiB receive window the dut's SYN offers
    the shift that makes it fit 16 bits; the SYN's own window field is not
    scaled (65535); after the handshake its window fields are the window
    shifted right by that amount."""
    bench = TcpBench(sim, node_config={"tcp_wnd": BIG_WND})
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    syn, ack = peer.active_open(conn, opt_mss(1460) + opt_ws(0))
    shift = shift_for(BIG_WND)
    assert syn.opts.get("ws") == shift
    assert syn.wnd == 0xFFFF
    assert ack.wnd == BIG_WND >> shift
    # The window is really that big: 80 KB (more than 65535) sent at once are all taken.
    n = 0
    for k in range(56):
        peer.send(ACK | PSH, data=bytes(1460))
        n += 1460
    acks = [s for s in peer.run("200ms") if s.flags & ACK]
    assert acks[-1].ack == peer.snd_nxt
    assert len(conn.recv()) == n


def test_ws_not_offered_when_disabled(sim):
    """RFC 7323 2.2: WS is an option a TCP may send; with tcp_wscale=0 the
    SYN carries none."""
    bench = TcpBench(sim, node_config={"tcp_wscale": 0})
    peer = TcpPeer(bench)
    bench.dut.tcp_connect(TESTER_IP, peer.port)
    syn, _ = peer.wait_for(lambda s: s.flags & SYN, "50ms")
    assert "ws" not in syn.opts


def test_shift_over_14_taken_as_14(bench):
    """RFC 7323 2.3: a shift above 14 is used as 14 (and logged): a window
    field of 1 then means 16384 bytes."""
    peer, conn, synack = passive(bench, opt_mss(1000) + opt_ws(15), ack_wnd=1)
    info = conn.info
    assert info["snd_wscale"] == 14 and info["snd_wnd"] == 1 << 14


def test_window_in_syn_never_scaled(bench):
    """RFC 7323 2.2: "The window field in a segment where the SYN bit is set
    MUST NOT be scaled": a SYN-ACK with WS 4 and window 1000 lets the dut send
    1000 bytes (not 16000) until a later segment says more."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    peer.active_open(conn, opt_mss(1000) + opt_ws(4), wnd=1000)
    conn.send(bytes(8000))
    segs = peer.data_segs(peer.run("50ms"))
    assert sent_bytes(peer, segs) == 1000
    peer.ack_to(1000, wnd=1000)  # now scaled: 16000 (only cwnd limits what follows)
    segs = peer.data_segs(peer.run("50ms"))
    assert 1000 < sent_bytes(peer, segs) <= 16000


# -------------------------------------------------------------- timestamps

def ts_conn(bench, mss=1460):
    return passive(bench, opt_mss(mss) + opt_ts(1000, 0))


def test_ts_in_every_segment_once_negotiated(bench):
    """RFC 7323 3.2: once TSopt was in both SYNs it "MUST be sent in every
    non-<RST> segment": data, pure ACKs and the FIN."""
    peer, conn, synack = ts_conn(bench)
    assert isinstance(synack.opts.get("ts"), tuple) and synack.opts["ts"][1] == 1000
    conn.set_nodelay()  # the short last segment and the FIN go without waiting for an ACK
    conn.send(bytes(3000))
    peer.send(ACK | PSH, data=b"x" * 10)
    peer.run("100ms")
    assert conn.recv() == b"x" * 10  # (unread data would make close() a RST)
    conn.close()
    peer.run("50ms")
    segs = [s for s in peer.log if not s.flags & (RST | SYN)]
    assert segs and any(s.data for s in segs) and any(s.flags & FIN for s in segs)
    assert all(isinstance(s.opts.get("ts"), tuple) for s in segs)


def test_ts_never_sent_unless_negotiated(bench):
    """RFC 7323 3.2: without TSopt in the peer's SYN, no segment carries one."""
    peer, conn, synack = passive(bench, opt_mss(1460))
    conn.send(bytes(3000))
    peer.send(ACK | PSH, data=b"x" * 10)
    peer.run("100ms")
    assert peer.log and all("ts" not in s.opts for s in peer.log)


def test_payload_leaves_room_for_timestamps(bench):
    """RFC 6691 2 / RFC 7323 3.2: the MSS counts no TCP options; with a
    12-byte timestamp option a full segment carries MSS - 12 bytes, so that
    TCP header + options + data never exceed MSS + 20."""
    peer, conn, _ = ts_conn(bench, mss=1000)
    conn.send(bytes(5000))
    segs = peer.data_segs(peer.run("50ms"))
    assert segs and max(len(s.data) for s in segs) == 1000 - 12
    assert all(len(s.raw) <= 1000 + 20 for s in segs)


def test_tsecr_echoes_latest_in_order_tsval(bench):
    """RFC 7323 3.2 / 4.3: TSecr is the TS.Recent of the segment being
    acknowledged: a single segment with TSval X -> the ACK echoes X."""
    peer, conn, _ = ts_conn(bench)
    x = peer.tsval() + 123456  # newer than anything we sent
    peer.send(ACK | PSH, data=b"a" * 100, options=opt_ts(x, peer.ts_recent))
    acks = [s for s in peer.run("100ms") if s.flags & ACK]
    assert acks and acks[-1].opts["ts"][1] == x


def test_tsecr_with_delayed_ack_echoes_earliest(bench):
    """RFC 7323 4.3 (2): TS.Recent is updated only when SEG.SEQ <=
    Last.ACK.sent, so one ACK for two segments echoes the TSval of the
    earlier one (the RTT then includes the ACK delay)."""
    peer, conn, _ = ts_conn(bench)
    full = 1460 - 12
    x = peer.tsval() + 200000
    peer.send(ACK | PSH, data=b"a" * full, options=opt_ts(x, peer.ts_recent))
    peer.send(ACK | PSH, data=b"b" * full, options=opt_ts(x + 5, peer.ts_recent))
    acks = [s for s in peer.run("100ms") if s.flags & ACK]
    assert len(acks) == 1 and acks[0].ack == peer.snd_nxt
    assert acks[0].opts["ts"][1] == x


def test_tsval_clock_rate(bench):
    """RFC 7323 5.4: the timestamp clock is monotonic and ticks between once
    per 1 ms and once per 1 s: over 3 s of virtual time TSval moves by
    between 3 and 3000 (+1 for phase)."""
    peer, conn, synack = ts_conn(bench)
    conn.set_nodelay()
    conn.send(b"1")
    s1 = peer.data_segs(peer.run("10ms"))[0]
    peer.ack_to(1)
    peer.run("3s")
    conn.send(b"2")
    s2 = peer.data_segs(peer.run("10ms"))[0]
    dt = s2.time_ns - s1.time_ns
    dts = (s2.opts["ts"][0] - s1.opts["ts"][0]) % (1 << 32)
    assert dt // SECOND_NS <= dts <= dt // 1_000_000 + 1
    assert (s1.opts["ts"][0] - synack.opts["ts"][0]) % (1 << 32) < 1 << 31


def test_paws_drops_old_tsval(bench):
    """RFC 7323 5.3 R1: a segment whose TSval is older than TS.Recent is not
    acceptable: an ACK is sent and the segment dropped (its data never
    reaches the application); a newer one afterwards is taken."""
    peer, conn, _ = ts_conn(bench)
    x = peer.tsval() + 900000
    peer.send(ACK | PSH, data=b"new", options=opt_ts(x, peer.ts_recent))
    peer.run("100ms")
    assert conn.recv() == b"new"
    peer.send(ACK | PSH, data=b"old", options=opt_ts(x - 5000, peer.ts_recent), advance=False)
    acks = [s for s in peer.run("100ms") if s.flags & ACK]
    assert len(acks) == 1 and acks[0].ack == peer.snd_nxt and acks[0].data == b""
    assert conn.recv() is None
    peer.send(ACK | PSH, data=b"newer", options=opt_ts(x + 10, peer.ts_recent))
    peer.run("100ms")
    assert conn.recv() == b"newer"


def test_paws_does_not_apply_to_rst(bench):
    """RFC 7323 5.3 R1 applies "if the RST bit is not set": a RST at RCV.NXT
    with an old TSval still resets the connection."""
    peer, conn, _ = ts_conn(bench)
    x = peer.tsval() + 900000
    peer.send(ACK | PSH, data=b"new", options=opt_ts(x, peer.ts_recent))
    peer.run("100ms")
    assert conn.recv() == b"new"
    peer.send(RST, options=opt_ts(x - 800000, 0))
    assert peer.run("10ms") == []
    assert conn.state == "CLOSED"


def test_segment_without_ts_dropped(bench):
    """RFC 7323 3.2: "If a non-<RST> segment is received without a TSopt, a
    TCP SHOULD silently drop the segment" (and MUST NOT abort the
    connection): its data is not delivered."""
    peer, conn, _ = ts_conn(bench)
    peer.send(ACK | PSH, data=b"no-ts", options=b"", advance=False)
    peer.run("100ms")
    assert conn.recv() is None
    assert conn.state == "ESTABLISHED"
    peer.send(ACK | PSH, data=b"with-ts")
    peer.run("100ms")
    assert conn.recv() == b"with-ts"
