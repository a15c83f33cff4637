"""RFC 5681 4.2 and RFC 1122 4.2.3.2 / RFC 9293 3.8.6.3 (generating
acknowledgments), the dut as receiver: delayed ACK (Shoal: 40 ms, RFC: under
500 ms), an ACK at least every second full-sized segment, an immediate
duplicate ACK for out-of-order data and an immediate ACK when a gap fills.

Times are exact: a frame the tester sends at t reaches the dut at t + delay
+ its serialisation (frames queue for the wire one after another), and an ACK
the tester receives at u left the dut at u - delay - its serialisation."""
from tcp_util import ACK, PSH, TcpPeer, opt_mss, seq_add, tx_time_ns

DELACK_MAX_NS = 40_000_000  # Shoal's tcp_delack_ms; RFC 5681 4.2 MUST be < 500 ms
FULL = 1460  # the dut announced 1460 on a 1500-byte link, the tester uses no options


def receiver(bench):
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv, opt_mss(1460))
    return peer, conn


def send_back_to_back(peer, sizes, skip=()):
    """Send data segments back to back (the k-th of `sizes`, unless in skip);
    returns their arrival instants at the dut."""
    t = peer.now
    wire_free = t
    arrivals = []
    seq = peer.snd_nxt
    for k, n in enumerate(sizes):
        data = bytes((k + i) & 0xFF for i in range(n))
        if k in skip:
            seq = seq_add(seq, n)
            continue
        frame = peer.frame(ACK | PSH, seq=seq, data=data)
        peer.b.send(frame)
        wire_free += tx_time_ns(len(frame))
        arrivals.append(wire_free + peer.b.link.delay_ns)
        seq = seq_add(seq, n)
    peer.snd_nxt = seq
    return arrivals


def left_dut(peer, seg):
    return seg.time_ns - peer.b.link.delay_ns - tx_time_ns(seg.frame_len)


def test_single_segment_ack_delayed(bench):
    """RFC 1122 4.2.3.2 / RFC 5681 4.2: a lone segment's ACK MAY be delayed,
    but by less than 0.5 s (Shoal: at most 40 ms); it acknowledges the data."""
    peer, conn = receiver(bench)
    (arr,) = send_back_to_back(peer, [100])
    segs = peer.run("600ms")
    assert len(segs) == 1 and segs[0].pure_ack and segs[0].ack == peer.snd_nxt
    delay = left_dut(peer, segs[0]) - arr
    assert 0 < delay <= DELACK_MAX_NS


def test_ack_every_second_full_segment(bench):
    """RFC 5681 4.2: "an ACK SHOULD be generated for at least every second
    full-sized segment" (RFC 1122 4.2.3.2): two full segments -> an ACK for
    both the instant the second arrives; four -> two such ACKs."""
    peer, conn = receiver(bench)
    arr = send_back_to_back(peer, [FULL] * 4)
    segs = peer.run("100ms")
    acks = [s for s in segs if s.flags & ACK]
    base = seq_add(peer.snd_nxt, -4 * FULL)
    assert [(s.ack, left_dut(peer, s)) for s in acks[:2]] == [(seq_add(base, 2 * FULL), arr[1]),
                                                            (seq_add(base, 4 * FULL), arr[3])]
    assert len(acks) == 2


def test_out_of_order_segment_immediate_dupack(bench):
    """RFC 5681 4.2: "A TCP receiver SHOULD send an immediate duplicate ACK
    when an out-of-order segment arrives" (ACK = the expected sequence
    number); RFC 9293 3.10.7.4 keeps the segment for later."""
    peer, conn = receiver(bench)
    base = peer.snd_nxt
    arr = send_back_to_back(peer, [FULL, FULL, FULL], skip={1})
    segs = peer.run("100ms")
    # the first (in order) is ACKed late or with the next; the third at once
    dup = [s for s in segs if s.ack == seq_add(base, FULL) and left_dut(peer, s) == arr[1]]
    assert dup, f"no immediate duplicate ACK: {segs}"
    assert conn.recv() == bytes(i & 0xFF for i in range(FULL))


def test_gap_fill_immediate_ack(bench):
    """RFC 5681 4.2: "A TCP receiver SHOULD send an immediate ACK when the
    incoming segment fills in all or part of a gap"; the ACK covers the data
    held out of order, and the application gets every byte in order."""
    peer, conn = receiver(bench)
    base = peer.snd_nxt
    send_back_to_back(peer, [FULL, FULL, FULL], skip={1})
    peer.run("100ms")
    data = bytes((1 + i) & 0xFF for i in range(FULL))
    t = peer.now
    frame = peer.frame(ACK | PSH, seq=seq_add(base, FULL), data=data)
    peer.b.send(frame)
    arr = t + tx_time_ns(len(frame)) + bench.link.delay_ns
    segs = peer.run("100ms")
    assert segs and segs[0].ack == seq_add(base, 3 * FULL) and left_dut(peer, segs[0]) == arr
    want = b"".join(bytes((k + i) & 0xFF for i in range(FULL)) for k in range(3))
    assert conn.recv() == want
    assert conn.info["bytes_received"] == 3 * FULL
