"""RFC 9293 3.7.4 (Nagle), 3.8.6.1 (zero-window probing) and 3.8.4
(keep-alives), with the RFC 1122 rules they point to (4.2.3.4, 4.2.2.17,
4.2.3.6), measured on the wire and the virtual clock."""
from conformance_util import SECOND_NS
from tcp_util import ACK, PSH, TcpPeer, opt_mss, seq_add, tx_time_ns

ERR_TIMEOUT = -3
PAYLOAD = bytes((i * 11 + 3) & 0xFF for i in range(20000))


def connection(bench, mss=1000, wnd=65535):
    peer = TcpPeer(bench, wnd=wnd)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv, opt_mss(mss))
    return peer, conn


def left_dut(peer, seg):
    return seg.time_ns - peer.b.link.delay_ns - tx_time_ns(seg.frame_len)


# ------------------------------------------------------------------ Nagle

def test_nagle_first_small_segment_goes(bench):
    """RFC 9293 3.7.4 / RFC 1122 4.2.3.4: with no unacknowledged data a short
    segment is sent at once."""
    peer, conn = connection(bench)
    t = bench.sim.now_ns
    conn.send(b"a" * 10)
    segs = peer.data_segs(peer.run("10ms"))
    assert [s.data for s in segs] == [b"a" * 10]
    assert left_dut(peer, segs[0]) == t


def test_nagle_holds_small_segments_while_unacked(bench):
    """RFC 9293 3.7.4 (Nagle): while data is unacknowledged, new data is
    held until the ACK comes or a full segment can be sent; then the small
    writes leave together in one segment."""
    peer, conn = connection(bench)
    conn.send(b"a" * 10)
    peer.run("10ms")
    conn.send(b"b" * 10)
    conn.send(b"c" * 10)
    assert peer.data_segs(peer.run("100ms")) == []
    peer.ack_to(10)
    t_ack = peer.now
    segs = peer.data_segs(peer.run("10ms"))
    assert [s.data for s in segs] == [b"b" * 10 + b"c" * 10]
    assert peer.rel(segs[0].seq) == 10
    assert left_dut(peer, segs[0]) == t_ack + bench.link.delay_ns + tx_time_ns(54)


def test_nagle_full_segment_not_held(bench):
    """RFC 9293 3.7.4: Nagle holds only less-than-full segments: with data
    outstanding, a write of a full segment's worth still goes at once."""
    peer, conn = connection(bench, mss=1000)
    conn.send(b"a" * 10)
    peer.run("10ms")
    conn.send(b"b" * 1000)
    segs = peer.data_segs(peer.run("10ms"))
    assert [len(s.data) for s in segs] == [1000]


def test_nodelay_sends_at_once(bench):
    """RFC 1122 4.2.3.4: "a TCP SHOULD implement the Nagle Algorithm ... there
    MUST be a way for an application to disable the Nagle algorithm": with
    it off, each small write goes at once."""
    peer, conn = connection(bench)
    conn.set_nodelay()
    conn.send(b"a" * 10)
    peer.run("10ms")
    conn.send(b"b" * 10)
    segs = peer.data_segs(peer.run("10ms"))
    assert [s.data for s in segs] == [b"b" * 10]


# ------------------------------------------------------ zero-window probes

def zero_window(bench):
    """The dut has 5000 bytes to send; the tester takes 2000 and closes its
    window. Returns (peer, conn, time the zero window reached the dut)."""
    peer, conn = connection(bench, mss=1000, wnd=2000)
    conn.send(PAYLOAD[:5000])
    segs = peer.data_segs(peer.run("20ms"))
    assert sum(len(s.data) for s in segs) == 2000
    peer.ack_to(2000, wnd=0)
    t_zero = peer.now + bench.link.delay_ns + tx_time_ns(54)
    return peer, conn, t_zero


def test_zero_window_probe_and_backoff(bench):
    """RFC 9293 3.8.6.1 / RFC 1122 4.2.2.17: with a zero window and data
    waiting, the sender probes: the first probe one RTO (RFC 6298, >= 1 s
    here) after the window closed, then at exponentially growing intervals;
    each probe is at SND.NXT and carries at most one octet of new data (Shoal:
    exactly one, the next byte of the stream)."""
    peer, conn, t_zero = zero_window(bench)
    probes = []
    for _ in range(5):
        p, got = peer.wait_for(lambda s: s.flags & ACK and s.time_ns > 0, "40s")
        assert p is not None, got
        probes.append(p)
        peer.ack_to(2000, wnd=0)  # still closed: the octet is not taken
    for p in probes:
        assert peer.rel(p.seq) == 2000 and p.data == PAYLOAD[2000:2001]
    assert left_dut(peer, probes[0]) - t_zero == SECOND_NS
    gaps = [b.time_ns - a.time_ns for a, b in zip(probes, probes[1:])]
    assert gaps == [2 * SECOND_NS, 4 * SECOND_NS, 8 * SECOND_NS, 16 * SECOND_NS]


def test_zero_window_connection_kept_while_acked(bench):
    """RFC 1122 4.2.2.17: "A TCP MUST NOT close the connection ... as long as
    the receiving TCP continues to send acknowledgments in response to the
    probe segments": 15 probes answered (past the data retransmission limit),
    then the window opens and all the data arrives in order."""
    peer, conn, _ = zero_window(bench)
    for k in range(15):
        p, got = peer.wait_for(lambda s: bool(s.data), "100s")
        assert p is not None, f"probe {k}: {got}"
        peer.ack_to(2000, wnd=0)
    assert conn.state == "ESTABLISHED"
    peer.ack_to(2000, wnd=10000)
    segs = peer.data_segs(peer.run("50ms"))
    got = {peer.rel(s.seq): s.data for s in segs}
    stream = b""
    off = 2000
    while off in got:
        stream += got[off]
        off += len(got[off])
    assert stream == PAYLOAD[2000:5000]


def test_zero_window_probe_octet_accepted(bench):
    """RFC 9293 3.8.6.1: when the window has opened the receiver keeps the
    probe's octet and acknowledges it; the sender goes on right after it."""
    peer, conn, _ = zero_window(bench)
    p, _ = peer.wait_for(lambda s: bool(s.data), "5s")
    assert p is not None
    peer.ack_to(2001, wnd=10000)
    segs = peer.data_segs(peer.run("50ms"))
    assert segs and peer.rel(segs[0].seq) == 2001
    assert b"".join(s.data for s in segs) == PAYLOAD[2001:5000]


# --------------------------------------------------------------- keepalive

def test_keepalive_probe_timing_and_format(bench):
    """RFC 9293 3.8.4 / RFC 1122 4.2.3.6: after the connection has been idle
    for the configured interval a keep-alive is sent: <SEQ=SND.NXT-1> with no
    data (or one garbage octet), ACK = RCV.NXT; an answered probe restarts
    the idle interval."""
    peer, conn = connection(bench)
    peer.run("1s")
    t_set = bench.sim.now_ns
    conn.set_keepalive(True, idle="2s", interval="1s", count=3)
    ka, got = peer.wait_for(lambda s: True, "5s")
    assert ka is not None
    assert left_dut(peer, ka) - t_set == 2 * SECOND_NS
    assert ka.flags & ACK and not ka.flags & ~(ACK | PSH)
    assert ka.seq == peer.irs  # SND.NXT - 1 = ISS + 1 - 1
    assert ka.ack == peer.snd_nxt and len(ka.data) <= 1
    # Answer it: the next probe comes a full idle interval after our reply.
    peer.send(ACK)
    t_reply = peer.now + bench.link.delay_ns + tx_time_ns(54)
    ka2, _ = peer.wait_for(lambda s: True, "5s")
    assert ka2 is not None and left_dut(peer, ka2) - t_reply == 2 * SECOND_NS
    assert conn.state == "ESTABLISHED"


def test_keepalive_unanswered_drops_connection(bench):
    """RFC 1122 4.2.3.6 / RFC 9293 3.8.4: unanswered keep-alives are repeated
    at the probe interval and, after `count` of them, the connection is
    considered broken (closed, the user told: ERR_TIMEOUT)."""
    peer, conn = connection(bench)
    t_set = bench.sim.now_ns
    conn.set_keepalive(True, idle="2s", interval="1s", count=3)
    ok = bench.sim.run_until(lambda: conn.state == "CLOSED", timeout="20s")
    t_closed = bench.sim.now_ns
    probes = [s for s in peer.run("10ms") if s.seq == peer.irs and s.flags & ACK and not s.flags & 0x04]
    assert ok and conn.error == ERR_TIMEOUT
    assert len(probes) == 3
    assert [left_dut(peer, p) - t_set for p in probes] == [2 * SECOND_NS, 3 * SECOND_NS, 4 * SECOND_NS]
    assert t_closed - t_set == 5 * SECOND_NS


def test_keepalive_idle_restarted_by_traffic(bench):
    """RFC 1122 4.2.3.6: keep-alives are sent only when no data or
    acknowledgment has been received for the interval: a segment from the
    peer restarts the idle time."""
    peer, conn = connection(bench)
    conn.set_keepalive(True, idle="2s", interval="1s", count=3)
    peer.run("1.5s")
    peer.send(ACK | PSH, data=b"ping")
    t_data = peer.now + bench.link.delay_ns + tx_time_ns(54 + 4)
    peer.run("100ms")  # (its delayed ACK)
    assert conn.recv() == b"ping"
    ka, got = peer.wait_for(lambda s: s.seq == seq_add(peer.irs, 0), "5s")
    assert ka is not None and left_dut(peer, ka) - t_data == 2 * SECOND_NS


def test_keepalive_default_idle_two_hours(bench):
    """RFC 1122 4.2.3.6: the idle threshold "MUST default to no less than two
    hours": switched on with defaults, no probe for 7200 s."""
    peer, conn = connection(bench)
    t_set = bench.sim.now_ns
    conn.set_keepalive(True)
    ka, got = peer.wait_for(lambda s: s.seq == peer.irs, "7300s")
    assert ka is not None, "no keep-alive at all"
    assert left_dut(peer, ka) - t_set >= 7200 * SECOND_NS
