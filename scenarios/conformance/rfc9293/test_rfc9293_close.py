"""RFC 9293 3.6 (closing a connection) and 3.10.4 / 3.10.7.4 (CLOSE and the
FIN bit), checked on the wire: active close through FIN-WAIT-1/2 and
TIME-WAIT (2*MSL on the virtual clock), passive close through CLOSE-WAIT and
LAST-ACK, simultaneous close through CLOSING, and the abortive closes of
RFC 1122 4.2.2.13 (unread data, data after close)."""
from conformance_util import SECOND_NS
from tcp_util import ACK, FIN, PSH, RST, TcpPeer, seq_add

MSL_NS = 30 * SECOND_NS  # Shoal's default tcp_msl_ms (RFC 9293 3.4.2 leaves MSL to the implementation)
ERR_RST = -14


def established(bench):
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv)
    return peer, conn


def wait_fin(peer, timeout="100ms"):
    fin, got = peer.wait_for(lambda s: s.flags & FIN, timeout)
    assert fin is not None, f"no FIN: {got}"
    return fin


def test_active_close_to_time_wait(bench):
    """RFC 9293 3.6 case 1 / figure 13 and 3.10.7.4: CLOSE in ESTABLISHED
    sends <SEQ=SND.NXT><CTL=FIN,ACK> -> FIN-WAIT-1; the ACK of our FIN ->
    FIN-WAIT-2; the peer's FIN is acknowledged (ACK = its seq + 1) at once ->
    TIME-WAIT, which lasts 2 MSL and then deletes the TCB (CLOSED)."""
    peer, conn = established(bench)
    conn.close()
    fin = wait_fin(peer)
    assert fin.flags == FIN | ACK
    assert fin.seq == seq_add(peer.irs, 1) and fin.ack == peer.snd_nxt and fin.data == b""
    assert conn.state == "FIN_WAIT_1"
    peer.rcv_nxt = seq_add(fin.seq, 1)
    peer.send(ACK)
    assert peer.run("10ms") == []
    assert conn.state == "FIN_WAIT_2"
    peer.send(FIN | ACK)
    t_fin_sent = peer.now
    segs = peer.run("10ms")
    assert [(s.flags, s.seq, s.ack) for s in segs] == [(ACK, fin.end, peer.snd_nxt)]
    assert conn.state == "TIME_WAIT"
    # The FIN arrived 1 ms + its transmission time after we sent it; TIME-WAIT
    # started then. Sample the state on either side of 2 MSL.
    t_enter = segs[0].time_ns - (segs[0].time_ns - t_fin_sent) // 2  # arrival instant at the dut
    peer.sim.run(until=(t_enter + 2 * MSL_NS - 5_000_000) / 1e9)
    assert conn.state == "TIME_WAIT"
    peer.sim.run(until=(t_enter + 2 * MSL_NS + 5_000_000) / 1e9)
    assert conn.state == "CLOSED"
    assert conn.error == 0


def test_time_wait_reacks_retransmitted_fin_and_restarts_timer(bench):
    """RFC 9293 3.10.7.4 (TIME-WAIT, eighth check): "The only thing that can
    arrive in this state is a retransmission of the remote FIN. Acknowledge
    it, and restart the 2 MSL timeout." """
    peer, conn = established(bench)
    conn.close()
    fin = wait_fin(peer)
    peer.rcv_nxt = fin.end
    peer.send(FIN | ACK)
    peer.run("10ms")
    assert conn.state == "TIME_WAIT"
    peer.sim.run(duration=40)  # 40 s of the 60 s
    peer.send(FIN | ACK, seq=seq_add(peer.snd_nxt, -1))  # the same FIN again
    segs = peer.run("10ms")
    assert [(s.flags, s.seq, s.ack) for s in segs] == [(ACK, fin.end, peer.snd_nxt)]
    peer.sim.run(duration=2 * MSL_NS / 1e9 - 1)  # past the first deadline, not the restarted one
    assert conn.state == "TIME_WAIT"
    peer.sim.run(duration=2)
    assert conn.state == "CLOSED"


def test_segment_after_time_wait_gets_reset(bench):
    """RFC 9293 3.10.7.1: once TIME-WAIT is over the connection does not
    exist; a segment for it gets <SEQ=SEG.ACK><CTL=RST>."""
    peer, conn = established(bench)
    conn.close()
    fin = wait_fin(peer)
    peer.rcv_nxt = fin.end
    peer.send(FIN | ACK)
    peer.run("10ms")
    peer.sim.run(duration=2 * MSL_NS / 1e9 + 1)
    assert conn.state == "CLOSED"
    peer.send(ACK | PSH, data=b"late")
    segs = peer.run("10ms")
    assert [(s.flags, s.seq) for s in segs] == [(RST, peer.rcv_nxt)]


def test_fin_wait_1_fin_and_ack_together(bench):
    """RFC 9293 3.10.7.4 (FIN-WAIT-1, eighth check): a FIN that also
    acknowledges our FIN goes straight to TIME-WAIT."""
    peer, conn = established(bench)
    conn.close()
    fin = wait_fin(peer)
    peer.rcv_nxt = fin.end
    peer.send(FIN | ACK)
    segs = peer.run("10ms")
    assert [(s.flags, s.ack) for s in segs] == [(ACK, peer.snd_nxt)]
    assert conn.state == "TIME_WAIT"


def test_simultaneous_close(bench):
    """RFC 9293 3.6 case 3 / figure 14: both send FIN. The dut in FIN-WAIT-1
    gets our FIN (not acknowledging its own) -> CLOSING and acknowledges it;
    our ACK of its FIN -> TIME-WAIT."""
    peer, conn = established(bench)
    conn.close()
    fin = wait_fin(peer)
    # Our FIN crossed: it acknowledges only up to before the dut's FIN.
    peer.send(FIN | ACK, ack=fin.seq)
    segs = peer.run("10ms")
    assert conn.state == "CLOSING"
    acks = [s for s in segs if s.flags & ACK and s.ack == peer.snd_nxt]
    assert acks, f"our FIN not acknowledged: {segs}"
    peer.rcv_nxt = fin.end
    peer.send(ACK)
    peer.run("10ms")
    assert conn.state == "TIME_WAIT"


def test_passive_close(bench):
    """RFC 9293 3.6 case 2 / 3.10.7.4: the peer's FIN is acknowledged ->
    CLOSE-WAIT, the user sees end of data (recv -> b""); CLOSE sends our FIN
    -> LAST-ACK; its acknowledgment deletes the TCB (no TIME-WAIT)."""
    peer, conn = established(bench)
    peer.send(FIN | ACK)
    segs = peer.run("10ms")
    assert [(s.flags, s.ack) for s in segs] == [(ACK, peer.snd_nxt)]
    assert conn.state == "CLOSE_WAIT"
    assert conn.recv() == b""
    # CLOSE-WAIT may still send (half close).
    assert conn.send(b"last words") == 10
    conn.close()
    segs = peer.run("10ms")
    data = b"".join(s.data for s in segs)
    fin = [s for s in segs if s.flags & FIN]
    assert data == b"last words" and len(fin) == 1
    assert fin[0].seq == seq_add(peer.irs, 1 + 10)
    assert conn.state == "LAST_ACK"
    peer.rcv_nxt = fin[0].end
    peer.send(ACK)
    assert peer.run("10ms") == []
    assert conn.state == "CLOSED" and conn.error == 0


def test_fin_retransmitted_until_acked(bench):
    """RFC 9293 3.10.4 / 3.8.3: a FIN occupies sequence space and is
    retransmitted like data when not acknowledged (after the RTO, RFC 6298)."""
    peer, conn = established(bench)
    conn.close()
    fin = wait_fin(peer)
    fin2, _ = peer.wait_for(lambda s: s.flags & FIN, "3s")
    assert fin2 is not None and fin2.seq == fin.seq
    assert SECOND_NS <= fin2.time_ns - fin.time_ns <= 3 * SECOND_NS


def test_close_with_unread_data_resets(bench):
    """RFC 9293 3.10.4 / RFC 1122 4.2.2.13: a CLOSE while received data is
    still pending in TCP SHOULD send a RST (<SEQ=SND.NXT><CTL=RST,ACK>) and
    the connection is gone, not half-closed."""
    peer, conn = established(bench)
    peer.send(ACK | PSH, data=b"never read")
    peer.run("60ms")
    assert conn.pending == 10
    conn.close()
    segs = peer.run("10ms")
    assert len(segs) == 1 and segs[0].flags & RST and not segs[0].flags & FIN
    assert segs[0].seq == seq_add(peer.irs, 1)
    assert conn.state == "CLOSED"


def test_data_after_close_resets(bench):
    """RFC 1122 4.2.2.13: "if new data is received after CLOSE is called, its
    TCP SHOULD send a RST to show that data was lost" (here in FIN-WAIT-2)."""
    peer, conn = established(bench)
    conn.close()
    fin = wait_fin(peer)
    peer.rcv_nxt = fin.end
    peer.send(ACK)
    peer.run("10ms")
    assert conn.state == "FIN_WAIT_2"
    peer.send(ACK | PSH, data=b"too late")
    segs = peer.run("10ms")
    rst = [s for s in segs if s.flags & RST]
    assert len(rst) == 1 and rst[0].seq == fin.end
    assert conn.state == "CLOSED"


def test_abort_sends_rst(bench):
    """RFC 9293 3.10.5 (ABORT in ESTABLISHED): send <SEQ=SND.NXT><CTL=RST>,
    queued data is flushed, the TCB deleted."""
    peer, conn = established(bench)
    conn.abort()
    segs = peer.run("10ms")
    assert len(segs) == 1 and segs[0].flags & RST and segs[0].seq == seq_add(peer.irs, 1)
    assert conn.state == "CLOSED"


def test_half_close_keeps_receiving(bench):
    """RFC 9293 3.6 / RFC 1122 4.2.2.13 (half-duplex close): after our FIN
    (shutdown of the sending side) the dut still receives and acknowledges
    data in FIN-WAIT-2."""
    peer, conn = established(bench)
    conn.shutdown(rx=False, tx=True)
    fin = wait_fin(peer)
    peer.rcv_nxt = fin.end
    peer.send(ACK)
    peer.run("10ms")
    assert conn.state == "FIN_WAIT_2"
    peer.send(ACK | PSH, data=b"more for you")
    segs = peer.run("100ms")
    assert conn.recv() == b"more for you"
    assert any(s.ack == peer.snd_nxt for s in segs)
    peer.send(FIN | ACK)
    peer.run("10ms")
    assert conn.state == "TIME_WAIT"


def test_time_wait_follows_configured_msl(sim):
    """RFC 9293 3.4.2 / 3.10.7.4: TIME-WAIT lasts 2 MSL, MSL being the
    implementation's (here configured: tcp_msl_ms=1500 -> 3 s)."""
    from tcp_util import TcpBench
    bench = TcpBench(sim, node_config={"tcp_msl_ms": 1500})
    peer, conn = established(bench)
    conn.close()
    fin = wait_fin(peer)
    peer.rcv_nxt = fin.end
    peer.send(FIN | ACK)
    peer.run("2ms")
    t = peer.now
    assert conn.state == "TIME_WAIT"
    peer.sim.run(until=(t + 3 * SECOND_NS - 10_000_000) / 1e9)
    assert conn.state == "TIME_WAIT"
    peer.sim.run(until=(t + 3 * SECOND_NS + 10_000_000) / 1e9)
    assert conn.state == "CLOSED"
