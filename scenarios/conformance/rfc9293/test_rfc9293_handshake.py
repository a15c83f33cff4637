"""RFC 9293 3.5 (connection establishment) and 3.7.1 (MSS option), checked on
the wire: the dut's SYN (active open), its SYN-ACK (passive open), options
and their clamping, and simultaneous open (figure 8)."""
from conformance_util import DUT_IP, TESTER_IP
from tcp_util import (ACK, FIN, PSH, RST, SYN, TcpBench, TcpPeer, opt_mss, opt_sack_perm, opt_ts, opt_ws,
                      seq_add)

SYN_WND_DEFAULT = 32 * 1024  # Shoal's default tcp_wnd; fits 16 bits unscaled
URG_ECE_CWR = 0x20 | 0x40 | 0x80


def check_common(seg, sport, dport):
    assert seg.chksum_ok, "bad IPv4 or TCP checksum"
    assert (seg.src, seg.dst, seg.sport, seg.dport) == (DUT_IP, TESTER_IP, sport, dport)
    assert seg.reserved == 0 and seg.urg == 0 and not seg.flags & URG_ECE_CWR
    assert seg.hlen % 4 == 0 and 20 <= seg.hlen <= 60
    assert not seg.opts.get("bad")


def test_passive_open_synack_fields(bench):
    """RFC 9293 3.10.7.2 (LISTEN, SYN arrives): the reply is
    <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> with RCV.NXT = SEG.SEQ + 1; 3.7.1: it
    carries an MSS option (min(1460, MTU - 40) on a 1500-byte link); RFC 7323
    2.2 / 3.2 and RFC 2018 2: window scale, timestamps and SACK-permitted may
    appear because the SYN had them; the SYN-ACK's window is never scaled
    (RFC 7323 2.2); TSecr echoes the SYN's TSval (RFC 7323 3.2). No data."""
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    syn_opts = opt_mss(1200) + opt_sack_perm() + opt_ts(777, 0) + opt_ws(3)
    synack, conn = peer.passive_open(srv, syn_opts)
    check_common(synack, 80, peer.port)
    assert synack.flags == SYN | ACK
    assert synack.ack == seq_add(peer.iss, 1)
    assert synack.data == b""
    o = synack.opts
    assert o["mss"] == 1500 - 40
    assert o.get("sack_perm") is True
    assert o["ts"][1] == 777
    assert isinstance(o.get("ws"), int) and 0 <= o["ws"] <= 14
    # RFC 7323 2.2: window field of a SYN is never scaled: it is the real
    # receive window (Shoal default 32 KiB), at most 65535.
    assert synack.wnd == min(SYN_WND_DEFAULT, 65535)
    # The handshake completed: the dut's view agrees with what went on the wire.
    assert conn.state == "ESTABLISHED"
    assert conn.remote == (TESTER_IP, peer.port) and conn.local == (DUT_IP, 80)
    # Effective send MSS: the smaller of our announced 1200 and its own 1460.
    assert conn.info["mss"] == 1200


def test_passive_open_offers_only_what_syn_offered(bench):
    """RFC 7323 2.2 (WS only in a SYN-ACK when the SYN had it), 3.2 (TSopt in
    a SYN-ACK only if the SYN had one), RFC 2018 2 (SACK-permitted is
    negotiated by the SYN): a SYN with only MSS gets a SYN-ACK with only MSS."""
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(81)
    synack, conn = peer.passive_open(srv, opt_mss(1460))
    assert set(k for k in synack.opts if k != "kinds") == {"mss"}
    info = conn.info
    assert (info["sack_ok"], info["ts_ok"], info["snd_wscale"], info["rcv_wscale"]) == (0, 0, 0, 0)


def test_synack_mss_clamped_to_mtu(sim):
    """RFC 9293 3.7.1 / RFC 6691 2: the MSS announced is the MTU of the
    interface less the fixed IPv4 and TCP headers (40 bytes): 960 on a 1000-byte
    MTU link, whatever the peer announced."""
    bench = TcpBench(sim, mtu=1000)
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    synack, conn = peer.passive_open(srv, opt_mss(1460))
    assert synack.opts["mss"] == 1000 - 40
    # And its own segments respect the path: send a lot, no datagram > 1000.
    conn.send(bytes(5000))
    segs = peer.run("50ms")
    assert segs and all(len(s.ip) <= 1000 for s in segs)


def test_peer_without_mss_option_gets_536(bench):
    """RFC 9293 3.7.1 (and RFC 1122 4.2.2.6): without an MSS option the send
    MSS is 536; no data segment the dut sends is larger."""
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv, b"")
    conn.set_nodelay()
    assert conn.send(bytes(3000)) == 3000
    segs = peer.data_segs(peer.run("50ms"))
    assert segs, "no data"
    assert max(len(s.data) for s in segs) == 536


def test_active_open_syn_fields(bench):
    """RFC 9293 3.10.1 (OPEN) and 3.5: the SYN is <SEQ=ISS><CTL=SYN> with no
    ACK bit, an ephemeral source port (RFC 6335 6: 49152-65535), an MSS option
    (3.7.1: 1460 on a 1500-byte link), an unscaled window (RFC 7323 2.2),
    TSecr 0 (RFC 7323 3.2: TSecr is not valid without ACK) and no data. The
    final ACK of figure 6 is <SEQ=ISS+1><ACK=SEG.SEQ+1><CTL=ACK>."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    assert conn.state == "SYN_SENT"
    syn, ack = peer.active_open(conn, opt_mss(1460))
    check_common(syn, syn.sport, peer.port)
    assert syn.flags == SYN
    assert 49152 <= syn.sport <= 65535
    assert syn.data == b""
    assert syn.opts["mss"] == 1460
    assert syn.wnd == min(SYN_WND_DEFAULT, 65535)
    if "ts" in syn.opts:
        assert syn.opts["ts"][1] == 0
    assert ack.flags == ACK
    assert ack.seq == seq_add(syn.seq, 1) and ack.ack == seq_add(peer.iss, 1)
    assert ack.data == b""
    assert conn.state == "ESTABLISHED"


def test_active_open_options_default_offer(bench):
    """RFC 7323 2.2 / 3.2 and RFC 2018 2: Shoal offers window scale,
    timestamps and SACK-permitted in its SYN by default; with a 32 KiB window
    no shift is needed, so the shift offered is 0 (RFC 7323 2.3: the smallest
    shift that makes the window fit)."""
    peer = TcpPeer(bench)
    bench.dut.tcp_connect(TESTER_IP, peer.port)
    syn, _ = peer.wait_for(lambda s: s.flags & SYN, "50ms")
    o = syn.opts
    assert o.get("sack_perm") is True and isinstance(o.get("ts"), tuple)
    shift = 0
    while (SYN_WND_DEFAULT >> shift) > 0xFFFF:
        shift += 1
    assert o.get("ws") == shift


def test_isn_differs_per_connection(bench):
    """RFC 9293 3.4.1 / RFC 6528 3: ISNs come from a clock plus a keyed hash
    of the 4-tuple, so two connections to different ports (or the same one
    later) start at unrelated sequence numbers."""
    peer = TcpPeer(bench)
    bench.dut.tcp_connect(TESTER_IP, 5001)
    bench.dut.tcp_connect(TESTER_IP, 5002)
    segs = [s for s in peer.run("30ms") if s.flags & SYN]
    assert len(segs) == 2
    assert segs[0].sport != segs[1].sport
    d = (segs[0].seq - segs[1].seq) % (1 << 32)
    assert d not in (0, 1, 64000, (1 << 32) - 64000)  # no fixed increment


def test_synack_retransmitted_on_retransmitted_syn(bench):
    """RFC 9293 3.10.7.4 (SYN-RECEIVED, first check: a duplicate SYN is not
    acceptable) / 3.8.1: a retransmitted SYN in SYN-RECEIVED gets the same
    SYN-ACK again (same ISS), not a second connection."""
    peer = TcpPeer(bench)
    bench.dut.tcp_listen(80)
    peer.dut_port = 80
    peer.send(SYN, options=opt_mss(1460))
    first = [s for s in peer.run("10ms") if s.has(SYN, ACK)]
    peer.send(SYN, options=opt_mss(1460), seq=peer.iss)
    again = [s for s in peer.run("10ms") if s.flags & (SYN | ACK)]
    assert len(first) == 1 and len(again) == 1
    assert again[0].flags == SYN | ACK and again[0].seq == first[0].seq and again[0].ack == first[0].ack


def test_simultaneous_open(bench):
    """RFC 9293 3.5 figure 8: both ends send SYN. The dut (A) gets our SYN in
    SYN-SENT -> SYN-RECEIVED and sends <SEQ=ISS><ACK=Y+1><CTL=SYN,ACK>; our
    <SEQ=Y><ACK=ISS+1><CTL=SYN,ACK> then takes it to ESTABLISHED (line 6)."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    syn, _ = peer.wait_for(lambda s: s.flags & SYN, "50ms")
    peer.dut_port = syn.sport
    peer.irs = syn.seq
    # Our SYN crosses the dut's (it does not acknowledge it).
    peer.send(SYN, options=opt_mss(1460))
    synack, got = peer.wait_for(lambda s: s.has(SYN, ACK), "50ms")
    assert synack is not None, f"no SYN-ACK in SYN-RECEIVED: {got}"
    assert synack.seq == syn.seq and synack.ack == seq_add(peer.iss, 1)
    assert conn.state == "SYN_RCVD"
    # Figure 8 line 6: our SYN,ACK (seq = our ISS, ack = its ISS + 1).
    peer.rcv_nxt = seq_add(syn.seq, 1)
    peer.send(SYN | ACK, seq=peer.iss, options=opt_mss(1460))
    peer.run("10ms")
    assert conn.state == "ESTABLISHED", "figure 8 line 6: SYN,ACK in SYN-RECEIVED must establish"


def test_simultaneous_open_completed_by_ack(bench):
    """RFC 9293 3.10.7.4 (SYN-RECEIVED, fifth check: SND.UNA < SEG.ACK =<
    SND.NXT -> ESTABLISHED): after crossing SYNs a plain ACK of the dut's
    SYN completes the open, and data then flows both ways."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    syn, _ = peer.wait_for(lambda s: s.flags & SYN, "50ms")
    peer.accept_syn(syn)
    peer.send(SYN, options=opt_mss(1460))
    synack, _ = peer.wait_for(lambda s: s.has(SYN, ACK), "50ms")
    assert synack is not None
    peer.send(ACK)
    peer.run("5ms")
    assert conn.state == "ESTABLISHED"
    peer.send(ACK | PSH, data=b"hello")
    segs = peer.run("100ms")
    assert conn.recv() == b"hello"
    assert any(s.ack == peer.snd_nxt for s in segs)
    assert conn.send(b"world") == 5
    segs = peer.run("50ms")
    assert [s.data for s in segs if s.data] == [b"world"]


def test_syn_ack_with_bad_ack_gets_reset(bench):
    """RFC 9293 3.10.7.3 (SYN-SENT, first check): an ACK outside (ISS,
    SND.NXT] is unacceptable; without RST it is answered with
    <SEQ=SEG.ACK><CTL=RST> and the connection stays in SYN-SENT."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    syn, _ = peer.wait_for(lambda s: s.flags & SYN, "50ms")
    peer.accept_syn(syn)
    bad_ack = seq_add(syn.seq, 1000)
    peer.send(SYN | ACK, ack=bad_ack, options=opt_mss(1460))
    segs = peer.run("10ms")
    rst = [s for s in segs if s.flags & RST]
    assert len(rst) == 1
    assert rst[0].flags == RST and rst[0].seq == bad_ack
    assert conn.state == "SYN_SENT"
    # A good SYN-ACK still completes it.
    peer.snd_nxt = peer.iss
    peer.send(SYN | ACK, options=opt_mss(1460))
    peer.run("10ms")
    assert conn.state == "ESTABLISHED"


def test_no_fin_or_data_before_established(bench):
    """RFC 9293 3.10.2 (SEND in SYN-SENT: queue the data): data written
    before the handshake completes leaves only after it, right behind the ACK."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    conn.send(b"early")
    syn, _ = peer.wait_for(lambda s: s.flags & SYN, "50ms")
    assert syn.data == b"" and not syn.flags & FIN
    peer.accept_syn(syn)
    peer.send(SYN | ACK, options=opt_mss(1460))
    segs = peer.run("10ms")
    data = [s for s in segs if s.data]
    assert [s.data for s in data] == [b"early"]
    assert data[0].seq == seq_add(syn.seq, 1)


def test_data_queued_in_syn_sent_goes_in_full_segments(bench):
    """RFC 9293 3.10.2 (SEND in SYN-SENT queues the data) with 3.7.1 (the
    send MSS is the peer's, 1460 here) and 3.8.6.2.1 (sender SWS avoidance:
    send "if a maximum-sized segment can be sent"): 10000 bytes written before
    the handshake completes leave as full 1460-byte segments, the initial
    window's worth at once (RFC 5681 3.1: 3 segments), not as small ones held
    back one per round trip by Nagle."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    assert conn.send(bytes(10000)) == 10000
    peer.active_open(conn, opt_mss(1460))
    peer.run("20ms")
    segs = peer.data_segs()  # everything seen since the SYN
    assert [len(s.data) for s in segs] == [1460, 1460, 1460]
