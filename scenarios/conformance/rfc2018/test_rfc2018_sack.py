"""RFC 2018 (TCP selective acknowledgment options), both roles: the SACK
blocks the dut sends for out-of-order data (sections 3 and 4), and the dut
as a sender using the peer's SACK information to retransmit only the holes
(section 5, with the loss recovery of RFC 6675)."""
import pytest

from tcp_util import (ACK, PSH, ModelReceiver, TcpPeer, opt_mss, opt_sack_perm, opt_ts, seq_add, seq_diff,
                      tx_time_ns)

SEG = 1000


def receiver(bench, ts=False, sack=True):
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    opts = opt_mss(1460) + (opt_sack_perm() if sack else b"") + (opt_ts(100, 0) if ts else b"")
    synack, conn = peer.passive_open(srv, opts)
    return peer, conn, synack


def send_rel(peer, rel, n=SEG):
    """Our data at relative offset rel (0 = first byte after our SYN)."""
    base = seq_add(peer.iss, 1)
    data = bytes(((rel + i) * 7 + 1) & 0xFF for i in range(n))
    peer.b.send(peer.frame(ACK | PSH, seq=seq_add(base, rel), data=data))
    segs = peer.run("10ms")
    return [s for s in segs if s.flags & ACK]


def rel_blocks(peer, seg):
    base = seq_add(peer.iss, 1)
    return [(seq_diff(l, base), seq_diff(r, base)) for l, r in seg.opts.get("sack", [])]


def rel_ack(peer, seg):
    return seq_diff(seg.ack, seq_add(peer.iss, 1))


def test_synack_sack_permitted(bench):
    """RFC 2018 2: SACK-Permitted (kind 4, length 2) is sent only in a SYN;
    the dut's SYN-ACK carries it when our SYN did."""
    peer, conn, synack = receiver(bench)
    assert synack.opts.get("sack_perm") is True
    assert conn.info["sack_ok"] == 1


def test_sack_blocks_first_is_latest(bench):
    """RFC 2018 4: an ACK for out-of-order data carries SACK blocks; "the
    first SACK block ... MUST specify the contiguous block of data containing
    the segment which triggered this ACK, unless that segment advanced the
    Acknowledgment Number"; the rest report other held blocks; the left and
    right edges are the first and the one-past-last sequence numbers held
    (section 3). Once every gap is filled no SACK option is sent."""
    peer, conn, _ = receiver(bench)
    send_rel(peer, 0)  # in order (its ACK may be delayed)
    peer.run("100ms")
    acks = send_rel(peer, 2000)
    assert [(rel_ack(peer, a), rel_blocks(peer, a)) for a in acks] == [(1000, [(2000, 3000)])]
    acks = send_rel(peer, 4000)
    assert [(rel_ack(peer, a), rel_blocks(peer, a)) for a in acks] == [(1000, [(4000, 5000), (2000, 3000)])]
    acks = send_rel(peer, 3000)  # joins the two blocks
    assert [(rel_ack(peer, a), rel_blocks(peer, a)) for a in acks] == [(1000, [(2000, 5000)])]
    acks = send_rel(peer, 6000)
    assert [(rel_ack(peer, a), rel_blocks(peer, a)) for a in acks] == [(1000, [(6000, 7000), (2000, 5000)])]
    acks = send_rel(peer, 1000)  # advances the ACK: the remaining block is still reported
    assert [(rel_ack(peer, a), rel_blocks(peer, a)) for a in acks] == [(5000, [(6000, 7000)])]
    acks = send_rel(peer, 5000)
    assert [(rel_ack(peer, a), "sack" in a.opts) for a in acks] == [(7000, False)]
    assert conn.recv() == b"".join(bytes(((r + i) * 7 + 1) & 0xFF for i in range(SEG)) for r in range(0, 7000, SEG))


def test_sack_repeats_most_recent_blocks(bench):
    """RFC 2018 4: "The SACK option SHOULD be filled out by repeating the most
    recently reported SACK blocks ... that are not subsets of a SACK block
    already included": with five separate blocks held and room for four (no
    timestamps: 4 blocks fit in 40 bytes), the four most recent go, newest
    first."""
    peer, conn, _ = receiver(bench)
    arrivals = [2000, 4000, 6000, 8000, 10000]
    acks = []
    for rel in arrivals:
        acks = send_rel(peer, rel)
    assert len(acks) == 1
    want = [(r, r + SEG) for r in reversed(arrivals)][:4]
    assert rel_blocks(peer, acks[0]) == want


def test_sack_at_most_three_blocks_with_timestamps(bench):
    """RFC 2018 3: with the timestamp option (10 bytes + 2 of padding) at most
    3 SACK blocks fit in the 40 bytes of option space; the dut's ACK keeps the
    timestamp and 3 blocks, the first still the latest arrival."""
    peer, conn, _ = receiver(bench, ts=True)
    assert peer.ts_on
    for rel in (2000, 4000, 6000, 8000):
        acks = send_rel(peer, rel)
    assert len(acks) == 1
    a = acks[0]
    assert "ts" in a.opts and a.hlen - 20 <= 40
    blocks = rel_blocks(peer, a)
    assert len(blocks) == 3 and blocks[0] == (8000, 9000)


def test_no_sack_without_permission(bench):
    """RFC 2018 2/3: the SACK option is not sent unless SACK-Permitted was
    received in the SYN: out-of-order data gets a plain duplicate ACK."""
    peer, conn, synack = receiver(bench, sack=False)
    assert "sack_perm" not in synack.opts
    acks = send_rel(peer, 2000)
    assert len(acks) == 1 and "sack" not in acks[0].opts and rel_ack(peer, acks[0]) == 0


def test_duplicate_segment_reported(bench):
    """RFC 2018 4 with the ACK rules of RFC 9293 3.10.7.4: a segment already
    held out of order arriving again is answered at once, its block first."""
    peer, conn, _ = receiver(bench)
    send_rel(peer, 2000)
    send_rel(peer, 4000)
    acks = send_rel(peer, 2000)
    assert len(acks) == 1 and rel_blocks(peer, acks[0])[0] == (2000, 3000)


# ------------------------------------------------------------ the dut sends

def sack_sender(bench, sack=True, total=30000):
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    opts = opt_mss(SEG) + (opt_sack_perm() if sack else b"")
    _, conn = peer.passive_open(srv, opts)
    data = bytes((i * 13 + 5) & 0xFF for i in range(total))
    assert conn.send(data) == total
    return peer, conn, data


@pytest.mark.parametrize("drop", [[5000, 8000], [4000, 6000, 9000], [7000]], ids=["two_holes", "three_holes",
                                                                                  "one_hole"])
def test_sender_retransmits_only_holes(bench, drop):
    """RFC 2018 5 / RFC 6675 5: a sender that gets SACK blocks retransmits the
    segments the receiver does not hold and never those it SACKed; all holes
    of one window are repaired in one recovery, without a timeout. The
    tester is a model receiver ACKing every segment with RFC 2018 blocks."""
    peer, conn, data = sack_sender(bench)
    rx = ModelReceiver(peer, sack=True, drop=drop)
    assert rx.serve(len(data), timeout="20s"), f"not all acknowledged: cum={rx.cum}"
    assert rx.stream() == data
    assert rx.retransmitted == sorted(drop)
    assert all(rx.seen[r] == 2 for r in drop)
    info = conn.info
    assert info["timeouts"] == 0 and info["fast_retransmits"] == 1


def test_sack_holes_repaired_before_partial_ack(bench):
    """RFC 6675 5 (NextSeg rule 1): with SACK, the second hole of a window is
    retransmitted on the strength of the SACK blocks, before the ACK for the
    first retransmission comes back (NewReno would wait one round trip per
    hole)."""
    peer, conn, data = sack_sender(bench)
    rx = ModelReceiver(peer, sack=True, drop=[5000, 8000])
    sent_rtx = {}
    t_partial = []
    orig = rx.on_seg
    delay = bench.link.delay_ns

    def on_seg(s):
        rel = peer.rel(s.seq)
        if s.data and rel in (5000, 8000) and rx.seen.get(rel):
            sent_rtx[rel] = s.time_ns - delay - tx_time_ns(s.frame_len)
        orig(s)
        if rx.cum > 5000 and not t_partial:
            t_partial.append(peer.now)  # the partial ACK leaves the tester now

    rx.on_seg = on_seg
    assert rx.serve(len(data), timeout="20s")
    assert sorted(sent_rtx) == [5000, 8000] and t_partial
    partial_at_dut = t_partial[0] + delay  # (plus its serialisation: later still)
    assert sent_rtx[8000] < partial_at_dut, "second hole waited for the ACK of the first one's repair"
