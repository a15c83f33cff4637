"""RFC 5681 (TCP congestion control) with RFC 3042 (limited transmit) and
RFC 6582 (NewReno), the dut as sender: initial window, slow start growth per
ACK, the duplicate ACK definition, fast retransmit after exactly three
duplicates, fast recovery's window arithmetic, partial ACKs, and the loss
window after an RTO. The tester offers no SACK and no timestamps, so the
dut runs NewReno with full 1000-byte (or 536/1460) segments.

Expected numbers come from the RFC equations applied to what the tester saw
on the wire (FlightSize = highest sequence sent - SND.UNA)."""
import pytest

from tcp_util import ACK, PSH, TcpPeer, opt_mss, seq_add


def initial_window(smss):
    """RFC 5681 3.1 eq. 1 (and RFC 3390)."""
    if smss > 2190:
        return 2 * smss
    if smss > 1095:
        return 3 * smss
    return 4 * smss


def sender(bench, mss=1000, total=30000, wnd=65535):
    """The dut sends `total` bytes to the tester over a connection where the
    tester announced `mss` and a `wnd` window. Returns (peer, conn, first
    flight of data segments)."""
    peer = TcpPeer(bench, wnd=wnd)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv, opt_mss(mss))
    assert conn.send(bytes(i & 0xFF for i in range(total))) == total
    first = peer.data_segs(peer.run("20ms"))
    return peer, conn, first


def highest_sent(peer):
    return max(peer.rel(s.seq) + len(s.data) for s in peer.data_segs())


@pytest.mark.parametrize("mss", [536, 1000, 1460])
def test_initial_window(bench, mss):
    """RFC 5681 3.1 eq. 1 / RFC 3390: IW = 4*SMSS if SMSS <= 1095, 3*SMSS if
    <= 2190, else 2*SMSS; the first flight is exactly IW bytes in full
    segments."""
    peer, conn, first = sender(bench, mss=mss)
    assert [len(s.data) for s in first] == [mss] * (initial_window(mss) // mss)
    assert [peer.rel(s.seq) for s in first] == [mss * i for i in range(len(first))]


@pytest.mark.parametrize("mss", [536, 1460])
def test_handshake_does_not_grow_cwnd(bench, mss):
    """RFC 5681 3 (INITIAL WINDOW: cwnd after the three-way handshake) and
    3.1 (eq. 1 is an upper bound that MUST hold), RFC 3390 1 (neither the
    SYN-ACK nor its ACK may raise the initial window above eq. 1): on the
    passive side, right after the handshake, cwnd is at most IW (Shoal: IW)."""
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv, opt_mss(mss))
    assert conn.info["cwnd"] == initial_window(mss)


def test_slow_start_growth_per_ack(bench):
    """RFC 5681 3.1: in slow start cwnd grows by at most SMSS per ACK that
    acknowledges new data (eq. 2: cwnd += min(N, SMSS)), so an ACK covering
    two segments opens room for one more segment than it freed."""
    smss = 1000
    peer, conn, first = sender(bench, mss=smss)
    cwnd = initial_window(smss)
    # ACK one segment: cwnd += 1000 -> 2 new segments (1 freed + 1 growth).
    peer.ack_to(smss)
    cwnd += min(smss, smss)
    segs = peer.data_segs(peer.run("10ms"))
    in_flight = highest_sent(peer) - smss
    assert in_flight == cwnd, f"after one ACK: {segs}"
    # ACK two segments with one ACK (N = 2000): cwnd += min(2000, SMSS).
    una = 3 * smss
    peer.ack_to(una)
    cwnd += min(2 * smss, smss)
    segs = peer.data_segs(peer.run("10ms"))
    assert highest_sent(peer) - una == cwnd, f"cwnd grew by more than SMSS for one ACK: {segs}"


def setup_dupacks(bench):
    """A flight of 7 segments outstanding (IW 4, one ACK, +2): returns (peer,
    conn, una) with una = SND.UNA (relative) = 1000."""
    peer, conn, first = sender(bench, mss=1000)
    peer.ack_to(1000)
    peer.run("10ms")
    return peer, conn, 1000


def test_fast_retransmit_after_three_dupacks_and_limited_transmit(bench):
    """RFC 5681 3.2 (fast retransmit on the 3rd duplicate ACK, not before)
    and RFC 3042 2 (limited transmit: each of the first two duplicates sends
    one new, previously unsent segment, cwnd unchanged). On the 3rd: resend
    the segment at SND.UNA, ssthresh = max(FlightSize/2, 2*SMSS) (eq. 4),
    cwnd = ssthresh + 3*SMSS; each further duplicate adds SMSS (step 4)."""
    smss = 1000
    peer, conn, una = setup_dupacks(bench)
    top = highest_sent(peer)
    for k in (1, 2):
        peer.ack_to(una)  # duplicate: no data, same ACK, same window
        segs = peer.data_segs(peer.run("10ms"))
        assert [(peer.rel(s.seq), len(s.data)) for s in segs] == [(top, smss)], f"dupack {k}: {segs}"
        top += smss
    flight = top - una
    peer.ack_to(una)
    segs = peer.data_segs(peer.run("10ms"))
    assert segs and peer.rel(segs[0].seq) == una and len(segs[0].data) == smss, f"3rd dupack: {segs}"
    assert all(peer.rel(s.seq) >= top for s in segs[1:])
    ssthresh = max(flight // 2, 2 * smss)
    info = conn.info
    assert info["ssthresh"] == ssthresh
    assert info["cwnd"] == ssthresh + 3 * smss
    assert info["fast_retransmits"] == 1
    peer.ack_to(una)
    peer.run("10ms")
    assert conn.info["cwnd"] == ssthresh + 4 * smss


def test_no_fast_retransmit_after_two_dupacks(bench):
    """RFC 5681 3.2: two duplicate ACKs (maybe reordering) are not enough:
    nothing is retransmitted, even long after (short of the RTO)."""
    peer, conn, una = setup_dupacks(bench)
    top = highest_sent(peer)
    peer.ack_to(una)
    peer.ack_to(una)
    segs = peer.data_segs(peer.run("500ms"))
    assert all(peer.rel(s.seq) >= top for s in segs), segs
    assert conn.info["fast_retransmits"] == 0


def test_window_updates_are_not_dupacks(bench):
    """RFC 5681 2 (DUPLICATE ACKNOWLEDGMENT, condition e): an ACK whose
    advertised window differs from the last one is not a duplicate; three
    such ACKs trigger no fast retransmit."""
    peer, conn, una = setup_dupacks(bench)
    for w in (60000, 61000, 62000):
        peer.ack_to(una, wnd=w)
    segs = peer.data_segs(peer.run("200ms"))
    assert all(peer.rel(s.seq) != una for s in segs), segs
    assert conn.info["fast_retransmits"] == 0


def test_acks_with_data_are_not_dupacks(bench):
    """RFC 5681 2 (condition b): an ACK that carries data is not a
    duplicate ACK; three of them trigger no fast retransmit."""
    peer, conn, una = setup_dupacks(bench)
    peer.rcv_nxt = seq_add(peer.irs, 1 + una)
    for i in range(3):
        peer.send(ACK | PSH, data=b"d%d" % i)
    segs = peer.data_segs(peer.run("200ms"))
    assert all(peer.rel(s.seq) != una for s in segs), segs
    assert conn.info["fast_retransmits"] == 0


def test_newreno_partial_ack_retransmits_next_hole(bench):
    """RFC 6582 3.2 step 4: in fast recovery an ACK that acknowledges some
    but not all of the data outstanding when recovery began (a partial ACK)
    makes the sender retransmit the first unacknowledged segment at once."""
    smss = 1000
    peer, conn, una = setup_dupacks(bench)
    for _ in range(3):
        peer.ack_to(una)
    peer.run("10ms")
    # Segments 1000 and 3000 were "lost": the retransmitted 1000 fills the
    # first hole, so the receiver acknowledges up to 3000.
    peer.ack_to(3000)
    segs = peer.data_segs(peer.run("10ms"))
    assert segs and peer.rel(segs[0].seq) == 3000 and len(segs[0].data) == smss, segs
    # Full ACK of everything sent: recovery ends with cwnd deflated (RFC 6582
    # 3.2 step 5: ssthresh, or min(ssthresh, max(FlightSize, SMSS) + SMSS)).
    ssthresh = conn.info["ssthresh"]
    top = highest_sent(peer)
    peer.ack_to(top)
    peer.run("10ms")
    info = conn.info
    assert info["in_recovery"] == 0
    assert info["cwnd"] <= ssthresh


def test_rto_loss_window(bench):
    """RFC 5681 3.1: after a retransmission timeout ssthresh = max(FlightSize
    / 2, 2*SMSS) (eq. 4) and cwnd = LW = 1 SMSS: one segment goes; its ACK
    lets two go (slow start, eq. 2)."""
    smss = 1000
    peer, conn, first = sender(bench, mss=smss)
    flight = highest_sent(peer)
    rtx, got = peer.wait_for(lambda s: bool(s.data), "3s")
    assert rtx is not None and peer.rel(rtx.seq) == 0
    more = peer.data_segs(peer.run("10ms"))
    assert more == [], "more than one segment after the RTO"
    info = conn.info
    assert info["cwnd"] == smss and info["ssthresh"] == max(flight // 2, 2 * smss)
    peer.ack_to(smss)
    segs = peer.data_segs(peer.run("10ms"))
    assert [peer.rel(s.seq) for s in segs] == [smss, 2 * smss]
