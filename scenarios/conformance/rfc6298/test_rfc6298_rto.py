"""RFC 6298 (computing TCP's retransmission timer), measured on the virtual
clock: the initial RTO of 1 s and its doubling for SYNs (2.1, 5.5), the RTO
after RTT samples (2.2, 2.3, 2.4), backoff for data with a maximum of at
least 60 s (2.5, 5.5), timer restart on new ACKs (5.3), Karn's algorithm (3,
5 note), and the 3 s fallback after a lost SYN (5.7). Retransmissions are
seen at the tester; each crosses the same link as the original, so the
interval between arrivals is the interval between sends.

Expected values are computed here from the formulas and from times observed
on the wire (the link's delay and the serialisation of each frame)."""
from conformance_util import SECOND_NS, TESTER_IP
from tcp_util import ACK, SYN, TcpBench, TcpPeer, opt_mss, seq_add, tx_time_ns

G_NS = 1  # clock granularity of the virtual clock (RFC 6298 2: G)
RTO_MIN_NS = SECOND_NS  # RFC 6298 2.4 (SHOULD round up to 1 s)
ERR_TIMEOUT = -3


def rto_from_samples(samples_ns, rto_min_ns=RTO_MIN_NS):
    """RFC 6298 2.2 / 2.3 with K = 4, alpha = 1/8, beta = 1/4, then 2.4."""
    srtt = rttvar = None
    for r in samples_ns:
        if srtt is None:
            srtt, rttvar = r, r / 2
        else:
            rttvar = 0.75 * rttvar + 0.25 * abs(srtt - r)
            srtt = 0.875 * srtt + 0.125 * r
    rto = srtt + max(G_NS, 4 * rttvar)
    return max(rto, rto_min_ns), srtt, rttvar


def intervals(segs):
    return [b.time_ns - a.time_ns for a, b in zip(segs, segs[1:])]


def test_syn_initial_rto_and_backoff(bench):
    """RFC 6298 2.1: before any RTT sample RTO = 1 s; 5.5: each expiry
    doubles it. The SYN of an unanswered connect goes again after 1, 2, 4,
    8, 16 s (every copy identical: same ISS, same options)."""
    peer = TcpPeer(bench)
    bench.dut.tcp_connect(TESTER_IP, peer.port)
    ok, got = peer.run_until(lambda segs: len(segs) >= 6, "40s")
    syns = [s for s in got if s.flags & SYN]
    assert len(syns) >= 6, got
    assert intervals(syns[:6]) == [1 * SECOND_NS, 2 * SECOND_NS, 4 * SECOND_NS, 8 * SECOND_NS, 16 * SECOND_NS]
    # Same ISS, port and options (only TSval may move on, RFC 7323 5.4).
    assert len({(s.seq, s.sport, s.wnd, s.opts.get("mss"), s.opts.get("ws"), s.opts.get("sack_perm"))
                for s in syns}) == 1


def test_syn_retransmission_lasts_three_minutes(bench):
    """RFC 1122 4.2.3.5: "the value of R2 for a SYN segment MUST be set large
    enough to provide retransmission of the segment for at least 3 minutes"
    (RFC 9293 3.8.3 keeps R1/R2). The connect may give up (ERR_TIMEOUT) only
    after that."""
    peer = TcpPeer(bench)
    t0 = bench.sim.now_ns
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    ok = bench.sim.run_until(lambda: conn.state == "CLOSED", timeout="600s")
    assert ok, "never gave up"
    assert conn.error == ERR_TIMEOUT
    assert bench.sim.now_ns - t0 >= 180 * SECOND_NS, f"gave up after {(bench.sim.now_ns - t0) / 1e9} s"


def handshake_rtt_passive(peer, synack, ack_sent_ns, rate=10_000_000):
    """R of the SYN-ACK's round trip at the dut: from its sending (arrival
    here less delay and serialisation) to our ACK's arrival there. Frames: the
    SYN-ACK as captured, our ACK is 54 bytes."""
    delay = peer.b.link.delay_ns
    sent = synack.time_ns - delay - tx_time_ns(synack.frame_len, rate)
    arrived = ack_sent_ns + delay + tx_time_ns(54, rate)
    return arrived - sent


def open_and_time(bench, port=80):
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(port)
    peer.dut_port = port
    peer.send(SYN, options=opt_mss(1460))
    synack, _ = peer.wait_for(lambda s: s.has(SYN, ACK), peer.rtt_wait())
    peer.irs = synack.seq
    peer.rcv_nxt = seq_add(synack.seq, 1)
    t_ack = peer.now
    peer.send(ACK)
    peer.run(bench.link.delay_ns / 1e9 + 0.005)
    conn = srv.accept()
    assert conn is not None
    conn.set_nodelay()
    return peer, conn, handshake_rtt_passive(peer, synack, t_ack)


def test_data_rto_after_handshake_and_backoff(bench):
    """RFC 6298 2.2 (first sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4
    RTTVAR), 2.4 (at least 1 s), 5.1 (timer started when the data is sent),
    5.4-5.6 (retransmit the earliest unacknowledged segment, double the RTO,
    restart), 2.5 (a maximum, if any, is at least 60 s). RFC 5681 3.1: after
    an RTO one segment goes (loss window = 1 SMSS)."""
    peer, conn, r = open_and_time(bench)
    rto, _, _ = rto_from_samples([r])
    t_send = bench.sim.now_ns
    assert conn.send(bytes(3000)) == 3000
    first = peer.run("5ms")
    assert len(peer.data_segs(first)) == 3  # 1460 + 1460 + 80 within the initial window
    ok, got = peer.run_until(lambda segs: len(segs) >= 8, "200s")
    rtx = peer.data_segs(got)
    assert len(rtx) >= 8, got
    assert all(s.seq == seq_add(peer.irs, 1) and len(s.data) == 1460 for s in rtx), "only SND.UNA's segment again"
    # The first retransmission: RTO after the original left.
    delay = bench.link.delay_ns + tx_time_ns(rtx[0].frame_len)
    assert rtx[0].time_ns - delay - t_send == round(rto)
    gaps = intervals(rtx[:8])
    want = rto * 2
    for g in gaps:
        if want < 60 * SECOND_NS:
            assert g == round(want)
        else:
            assert g >= 60 * SECOND_NS
        want *= 2


def test_rto_restarted_by_new_ack(bench):
    """RFC 6298 5.3: when an ACK acknowledges new data, restart the timer so
    that it expires after RTO (the RTO as updated by that ACK's sample, 2.3
    and 2.4) - not RTO after the first transmission."""
    peer, conn, r1 = open_and_time(bench)
    t_send = bench.sim.now_ns
    conn.send(bytes(2920))
    segs = peer.data_segs(peer.run("500ms"))
    assert len(segs) == 2
    # ACK the first segment only, 500 ms after it left.
    peer.ack_to(1460)
    t_ack = peer.now
    ack_at_dut = t_ack + bench.link.delay_ns + tx_time_ns(54)
    r2 = ack_at_dut - t_send
    rto, _, _ = rto_from_samples([r1, r2])
    rtx, got = peer.wait_for(lambda s: bool(s.data), "5s")
    assert rtx is not None and rtx.seq == seq_add(peer.irs, 1 + 1460)
    sent_at = rtx.time_ns - bench.link.delay_ns - tx_time_ns(rtx.frame_len)
    assert sent_at - ack_at_dut == round(rto)


def test_rto_formula_with_low_minimum(sim):
    """RFC 6298 2.2 and 2.3 exactly (alpha 1/8, beta 1/4, K 4), with the
    1-second floor of 2.4 lowered by configuration (tcp_rto_min_ms=1, as RFC
    6298 2.4 allows): two samples, then a withheld ACK; the retransmission
    comes RTO = SRTT + 4*RTTVAR after the segment left."""
    bench = TcpBench(sim, node_config={"tcp_rto_min_ms": 1}, delay="50ms")
    peer, conn, r1 = open_and_time(bench)
    t_send = bench.sim.now_ns
    conn.send(b"a" * 100)
    peer.run("130ms")  # hold the ACK: R2 != R1
    peer.ack_to(100)
    r2 = peer.now + bench.link.delay_ns + tx_time_ns(54) - t_send
    peer.run("60ms")
    rto, srtt, rttvar = rto_from_samples([r1, r2], rto_min_ns=1_000_000)
    info = conn.info
    assert abs(info["srtt_ns"] - srtt) <= 2 and abs(info["rttvar_ns"] - rttvar) <= 2
    t_send2 = bench.sim.now_ns
    conn.send(b"b" * 100)
    rtx, got = peer.wait_for(lambda s: s.data == b"b" * 100 and s.time_ns > t_send2 + 2 * bench.link.delay_ns,
                             "10s")
    assert rtx is not None, got
    sent_at = rtx.time_ns - bench.link.delay_ns - tx_time_ns(rtx.frame_len)
    assert abs(sent_at - t_send2 - rto) <= 4


def test_karn_no_sample_from_retransmitted_segment(bench):
    """RFC 6298 3 (Karn): no RTT sample from a retransmitted segment; RFC
    6298 5 (after 5.7): the backed-off RTO stays until a valid sample. So the
    next new segment's timer runs the doubled RTO (2 s), not an RTO computed
    from the ambiguous ~1 s round trip."""
    peer, conn, r1 = open_and_time(bench)
    rto1, srtt1, _ = rto_from_samples([r1])
    conn.send(b"x" * 100)
    first = peer.data_segs(peer.run("10ms"))
    rtx, _ = peer.wait_for(lambda s: bool(s.data), "3s")
    assert rtx is not None and rtx.seq == first[0].seq
    peer.ack_to(100)  # acknowledges the retransmission: ambiguous
    peer.run("10ms")
    assert abs(conn.info["srtt_ns"] - srtt1) <= 1, "an RTT sample was taken from a retransmitted segment"
    t_send = bench.sim.now_ns
    conn.send(b"y" * 100)
    new = peer.data_segs(peer.run("10ms"))
    assert len(new) == 1
    again, _ = peer.wait_for(lambda s: bool(s.data), "5s")
    assert again is not None
    sent_at = again.time_ns - bench.link.delay_ns - tx_time_ns(again.frame_len)
    assert sent_at - t_send == round(2 * rto1)


def test_lost_syn_makes_rto_three_seconds(bench):
    """RFC 6298 5.7: if the timer expired awaiting the ACK of a SYN and the
    RTO is below 3 s, the RTO is re-initialised to 3 s when data
    transmission begins (the SYN's retransmission gives no sample: Karn)."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    ok, got = peer.run_until(lambda segs: len([s for s in segs if s.flags & SYN]) >= 2, "3s")
    syns = [s for s in got if s.flags & SYN]
    assert len(syns) == 2  # the first one is "lost": we answer the second
    peer.accept_syn(syns[1])
    peer.send(SYN | ACK, options=opt_mss(1460))
    peer.run("10ms")
    assert conn.state == "ESTABLISHED"
    conn.set_nodelay()
    t_send = bench.sim.now_ns
    conn.send(b"z" * 10)
    peer.run("10ms")
    rtx, _ = peer.wait_for(lambda s: bool(s.data), "5s")
    assert rtx is not None
    sent_at = rtx.time_ns - bench.link.delay_ns - tx_time_ns(rtx.frame_len)
    assert sent_at - t_send == 3 * SECOND_NS


def test_no_retransmission_when_acked(bench):
    """RFC 6298 5.2: when all outstanding data is acknowledged the timer is
    turned off: nothing is sent again."""
    peer, conn, _ = open_and_time(bench)
    conn.send(b"q" * 500)
    peer.run("10ms")
    peer.ack_to(500)
    assert peer.data_segs(peer.run("10s")) == []
    assert conn.info["retransmits"] == 0


def test_data_retransmission_gives_up_after_r2(bench):
    """RFC 1122 4.2.3.5 (kept by RFC 9293 3.8.3): retransmission of data goes
    on for at least R2 = 100 s before the connection is closed (then the
    user is told: ERR_TIMEOUT)."""
    peer, conn, _ = open_and_time(bench)
    t_send = bench.sim.now_ns
    conn.send(b"w" * 100)
    ok = bench.sim.run_until(lambda: conn.state == "CLOSED", timeout="1200s")
    assert ok, "never gave up"
    assert conn.error == ERR_TIMEOUT
    assert bench.sim.now_ns - t_send >= 100 * SECOND_NS
    rtx = [s for s in peer.run("10ms") if s.data]
    assert len(rtx) >= 3
