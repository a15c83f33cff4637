"""RFC 5961 (improving TCP's robustness to blind in-window attacks), checked
on the wire: challenge ACKs for an in-window RST (3.2), for a SYN in a
synchronized state (4.2), the ACK acceptability test (5.2), and the
challenge ACK rate limit (7, Shoal: 10 per second per instance)."""
import pytest

from conformance_util import stats_delta
from tcp_util import ACK, PSH, RST, SYN, TcpPeer, opt_mss, seq_add

LIMIT = 10  # Shoal's challenge ACKs per second (RFC 5961 7 leaves the number to the implementation)
ERR_RST = -14


def established(bench, data_from_dut=b""):
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv)
    if data_from_dut:
        conn.set_nodelay()
        conn.send(data_from_dut)
        segs = peer.run("50ms")
        assert b"".join(s.data for s in segs) == data_from_dut
    return peer, conn


def challenge_ack_ok(segs, peer, snd_nxt_rel=0):
    """RFC 5961 3.2: <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, no data."""
    assert len(segs) == 1, f"want exactly one challenge ACK: {segs}"
    s = segs[0]
    assert s.flags == ACK and s.data == b""
    assert s.seq == seq_add(peer.irs, 1 + snd_nxt_rel) and s.ack == peer.snd_nxt


@pytest.mark.parametrize("off", [1, 1000, 32767], ids=["next_plus_1", "inside", "last_in_window"])
def test_rst_in_window_gets_challenge_ack(bench, off):
    """RFC 5961 3.2 (2)/(3): a RST whose sequence number is in the window but
    not exactly RCV.NXT is answered with a challenge ACK and otherwise
    dropped; the connection stays; counted in tcp.challenge_acks. The dut's
    window is 32 KiB, so RCV.NXT + 32767 is the last in-window number."""
    peer, conn = established(bench)
    before = bench.stats()
    peer.send(RST, seq=seq_add(peer.snd_nxt, off))
    challenge_ack_ok(peer.run("10ms"), peer)
    assert conn.state == "ESTABLISHED"
    d = stats_delta(before, bench.stats(), prefixes=["tcp.challenge"])
    assert d == {"tcp.challenge_acks": 1}
    # The RST a real peer sends after the challenge (exact sequence) works.
    peer.send(RST)
    assert peer.run("10ms") == []
    assert conn.state == "CLOSED" and conn.error == ERR_RST


@pytest.mark.parametrize("off", [0, 500, 100000], ids=["at_rcv_nxt", "in_window", "out_of_window"])
def test_syn_in_synchronized_state_gets_challenge_ack(bench, off):
    """RFC 5961 4.2: a SYN in a synchronized state, whatever its sequence
    number, gets a challenge ACK (<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>) and is
    dropped; the connection is not reset. (RFC 9293 3.10.7.4 fourth check says
    the same.) An out-of-window SYN fails the first check and is answered with
    the plain ACK of RFC 9293, which looks the same on the wire."""
    peer, conn = established(bench)
    peer.send(SYN, seq=seq_add(peer.snd_nxt, off), options=opt_mss(1460), advance=False)
    challenge_ack_ok(peer.run("10ms"), peer)
    assert conn.state == "ESTABLISHED"
    peer.send(ACK | PSH, data=b"still here")
    peer.run("100ms")
    assert conn.recv() == b"still here"


def test_ack_beyond_snd_nxt_dropped_with_ack(bench):
    """RFC 5961 5.2 / RFC 9293 3.10.7.4 (fifth check): an ACK that
    acknowledges something not yet sent (SEG.ACK > SND.NXT) is answered with
    an ACK and the segment dropped: its data is not delivered."""
    peer, conn = established(bench, data_from_dut=b"0123456789")
    peer.send(ACK | PSH, data=b"injected", ack=seq_add(peer.irs, 1 + 10 + 5000), advance=False)
    segs = peer.run("100ms")
    assert len(segs) == 1 and segs[0].pure_ack
    assert segs[0].ack == peer.snd_nxt  # unchanged: the data was not taken
    assert conn.pending == 0
    assert conn.info["snd_una"] in (1, 11)  # relative to the ISS: nothing moved beyond what was sent


def test_ack_too_old_dropped_with_ack(bench):
    """RFC 5961 5.2: the acceptable ACK range is (SND.UNA - MAX.SND.WND) <=
    SEG.ACK <= SND.NXT; an ACK older than that (here 2^31 - 1 behind) is
    answered with an ACK and its data dropped."""
    peer, conn = established(bench, data_from_dut=b"x" * 100)
    peer.ack_to(100)
    peer.run("10ms")
    old = seq_add(peer.irs, 1 + 100 - (1 << 31) + 1)
    peer.send(ACK | PSH, data=b"blind", ack=old, advance=False)
    segs = peer.run("100ms")
    assert len(segs) == 1 and segs[0].pure_ack and segs[0].ack == peer.snd_nxt
    assert conn.pending == 0


def test_acceptable_old_ack_with_data_is_taken(bench):
    """RFC 5961 5.2: an ACK within [SND.UNA - MAX.SND.WND, SND.UNA] is
    acceptable (a duplicate): the segment's data is accepted."""
    peer, conn = established(bench, data_from_dut=b"x" * 100)
    peer.ack_to(100)
    peer.run("10ms")
    peer.send(ACK | PSH, data=b"fine", ack=seq_add(peer.irs, 1 + 50))
    peer.run("100ms")
    assert conn.recv() == b"fine"


def test_challenge_ack_rate_limit(bench):
    """RFC 5961 7: challenge ACKs are rate limited (Shoal: 10 per second per
    instance). 15 in-window RSTs at one instant -> the first 10 answered, 5
    counted in tcp.challenge_limited; a second later the budget is back."""
    peer, conn = established(bench)
    before = bench.stats()
    for i in range(15):
        peer.send(RST, seq=seq_add(peer.snd_nxt, 100 + i), advance=False)
    segs = peer.run("10ms")
    assert len(segs) == LIMIT and all(s.flags == ACK for s in segs)
    d = stats_delta(before, bench.stats(), prefixes=["tcp.challenge"])
    assert d == {"tcp.challenge_acks": LIMIT, "tcp.challenge_limited": 15 - LIMIT}
    assert conn.state == "ESTABLISHED"
    # Still limited within the same second...
    peer.sim.run(duration=0.5)
    peer.send(RST, seq=seq_add(peer.snd_nxt, 7), advance=False)
    assert peer.run("10ms") == []
    # ...and answered again once a second has passed.
    peer.sim.run(duration=0.6)
    peer.send(RST, seq=seq_add(peer.snd_nxt, 7), advance=False)
    challenge_ack_ok(peer.run("10ms"), peer)


def test_rate_limit_covers_syn_challenges(bench):
    """RFC 5961 7: the limit applies to every challenge ACK (RST and SYN
    cases share it)."""
    peer, conn = established(bench)
    for i in range(8):
        peer.send(RST, seq=seq_add(peer.snd_nxt, 100 + i), advance=False)
    for i in range(8):
        peer.send(SYN, seq=seq_add(peer.snd_nxt, 200 + i), options=opt_mss(1460), advance=False)
    segs = peer.run("10ms")
    assert len(segs) == LIMIT
    assert conn.state == "ESTABLISHED"


def test_blind_data_outside_window_not_delivered(bench):
    """RFC 5961 6 / RFC 9293 3.10.7.4 first check: data whose sequence number
    is outside the receive window is not accepted (an ACK is sent)."""
    peer, conn = established(bench)
    peer.send(ACK | PSH, data=b"blind", seq=seq_add(peer.snd_nxt, 100000), advance=False)
    segs = peer.run("100ms")
    assert len(segs) == 1 and segs[0].pure_ack and segs[0].ack == peer.snd_nxt
    assert conn.pending == 0
