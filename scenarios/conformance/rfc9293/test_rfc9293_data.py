"""RFC 9293 3.1 (header, checksum, options), 3.8.6 (window management) and
3.10.7.4 (segment text), the dut as receiver: overlap and window trimming,
a window closed by an application that does not read, window updates with
receiver-side SWS avoidance, no shrinking, urgent data, bad checksums and
malformed options; with RFC 4987 3.4 for the listen backlog."""
import pytest

from conformance_util import stats_delta
from tcp_util import (ACK, PSH, RST, SYN, URG, TcpPeer, opt_mss, seq_add, seq_diff)

WND = 32 * 1024  # Shoal's default receive window


def receiver(bench):
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv, opt_mss(1460))
    return peer, conn


def blob(n, salt=0):
    return bytes(((i + salt) * 31 + 7) & 0xFF for i in range(n))


def test_overlapping_retransmission_trimmed(bench):
    """RFC 9293 3.10.7.4 (first check and "seventh, process the segment
    text"): a segment that starts before RCV.NXT but reaches past it is
    acceptable; the part already received is dropped and only the new
    bytes are delivered."""
    peer, conn = receiver(bench)
    data = blob(150)
    base = peer.snd_nxt
    peer.send(ACK | PSH, data=data[:100])
    peer.send(ACK | PSH, data=data[50:150], seq=seq_add(base, 50), advance=False)
    peer.snd_nxt = seq_add(base, 150)
    segs = peer.run("100ms")
    assert conn.recv() == data
    assert segs and segs[-1].ack == peer.snd_nxt


def test_old_duplicate_acked_not_delivered(bench):
    """RFC 9293 3.10.7.4 (first check): a segment entirely below RCV.NXT is
    not acceptable: an ACK is sent (<SEQ=SND.NXT><ACK=RCV.NXT>) and the data
    is not delivered again."""
    peer, conn = receiver(bench)
    base = peer.snd_nxt
    peer.send(ACK | PSH, data=b"once")
    peer.run("100ms")
    assert conn.recv() == b"once"
    peer.send(ACK | PSH, data=b"once", seq=base, advance=False)
    segs = peer.run("10ms")
    assert len(segs) == 1 and segs[0].pure_ack and segs[0].ack == peer.snd_nxt
    assert conn.recv() is None


def test_data_beyond_window_trimmed(bench):
    """RFC 9293 3.10.7.4: "Segments with higher beginning sequence numbers
    ... the portion beyond the window is trimmed": with nothing read, exactly
    the 32 KiB window is taken, the rest must come again."""
    peer, conn = receiver(bench)
    data = blob(WND + 4000)
    for off in range(0, len(data), 1460):
        peer.send(ACK | PSH, data=data[off:off + 1460])
    segs = peer.run("200ms")
    top = max(seq_diff(s.ack, seq_add(peer.iss, 1)) for s in segs)
    assert top == WND
    assert conn.recv() == data[:WND]


def test_window_closes_and_never_shrinks(bench):
    """RFC 9293 3.8.6: the window offered is the buffer space left (an
    application that does not read closes it: window 0 when full); RFC 9293
    3.8.6 (and RFC 1122 4.2.2.16): the right edge ACK + WND never moves left."""
    peer, conn = receiver(bench)
    for off in range(0, WND, 1460):
        peer.send(ACK | PSH, data=blob(min(1460, WND - off), off))
    segs = [s for s in peer.run("200ms") if s.flags & ACK]
    edges = [seq_add(s.ack, s.wnd) for s in segs]
    assert all(seq_diff(b, a) >= 0 for a, b in zip(edges, edges[1:]))
    assert segs[-1].wnd == 0 and segs[-1].ack == peer.snd_nxt


def test_zero_window_probe_answered(bench):
    """RFC 9293 3.8.6.1 / 3.10.7.4: with a zero receive window a probe's
    octet is not accepted, but the receiver answers it with an ACK carrying
    the current RCV.NXT and window (so the sender learns when it opens)."""
    peer, conn = receiver(bench)
    for off in range(0, WND, 1460):
        peer.send(ACK | PSH, data=blob(min(1460, WND - off), off))
    peer.run("200ms")
    peer.send(ACK, data=b"?", advance=False)
    segs = peer.run("10ms")
    assert len(segs) == 1 and segs[0].pure_ack
    assert segs[0].ack == peer.snd_nxt and segs[0].wnd == 0


def test_window_update_after_read_with_sws_avoidance(bench):
    """RFC 9293 3.8.6.2.2 (receiver SWS avoidance): after a zero window, the
    window reopens only once it can grow by min(RCV.BUFF / 2, Eff.snd.MSS):
    reading 100 bytes announces nothing; reading the rest sends a window
    update at once."""
    peer, conn = receiver(bench)
    for off in range(0, WND, 1460):
        peer.send(ACK | PSH, data=blob(min(1460, WND - off), off))
    peer.run("200ms")
    assert conn.recv(100) is not None
    segs = peer.run("100ms")
    assert all(s.wnd == 0 for s in segs), segs
    conn.recv()
    segs = peer.run("10ms")
    assert segs and segs[-1].wnd >= min(WND // 2, 1460) and segs[-1].ack == peer.snd_nxt


def test_urgent_data_delivered_inline(bench):
    """RFC 9293 3.8.5 / RFC 6093 4: urgent data is delivered in the normal
    data stream (inline); a segment with URG and an urgent pointer past its
    end is accepted and does not disturb the stream."""
    peer, conn = receiver(bench)
    peer.send(ACK | PSH | URG, data=b"!urgent", urg=5)
    peer.send(ACK | PSH | URG, data=b"tail", urg=60000)
    peer.run("100ms")
    assert conn.recv() == b"!urgenttail"
    assert conn.state == "ESTABLISHED"


def test_bad_checksum_dropped(bench):
    """RFC 9293 3.1 / 3.10.7.4: a segment whose checksum fails is discarded
    silently (tcp.chkerr): no ACK, no data, the connection unaffected."""
    peer, conn = receiver(bench)
    before = bench.stats()
    good = peer.frame(ACK | PSH, data=b"corrupted")
    chk = int.from_bytes(good[14 + 20 + 16:14 + 20 + 18], "big")
    peer.send(ACK | PSH, data=b"corrupted", chksum=chk ^ 0x5A5A, advance=False)
    assert peer.run("100ms") == []
    assert conn.recv() is None
    d = stats_delta(before, bench.stats(), prefixes=["tcp."])
    assert d.get("tcp.chkerr") == 1 and "tcp.recv" not in d
    peer.send(ACK | PSH, data=b"fine")
    peer.run("100ms")
    assert conn.recv() == b"fine"


def test_bad_checksum_syn_to_closed_port_no_rst(bench):
    """RFC 9293 3.10.7.1 applies to segments that passed the checksum: a
    corrupted SYN to a closed port gets no RST."""
    peer = TcpPeer(bench)
    peer.dut_port = 9999
    peer.send(SYN, options=opt_mss(1460), chksum=0x1234)
    assert peer.run("10ms") == []


@pytest.mark.parametrize("opts", [bytes([0x42, 4, 1, 2]), bytes([1, 1, 1, 0]), bytes([0xFE, 2, 0, 0])],
                         ids=["unknown_kind", "nops_eol", "unknown_len2"])
def test_unknown_options_ignored(bench, opts):
    """RFC 9293 3.1: "A TCP implementation MUST ignore without error any TCP
    option it does not implement, assuming that the option has a length
    field": the segment's data is taken."""
    peer, conn = receiver(bench)
    peer.send(ACK | PSH, data=b"opts ok", options=opts)
    peer.run("100ms")
    assert conn.recv() == b"opts ok"


@pytest.mark.parametrize("opts", [bytes([0x42, 0, 0, 0]), bytes([0x42, 1, 0, 0]), bytes([2, 40, 5, 180]),
                                  bytes([1, 1, 1, 2])], ids=["len0", "len1", "len_past_header", "no_len_byte"])
def test_illegal_option_length_handled(bench, opts):
    """RFC 9293 3.1: "TCP implementations MUST be prepared to handle an
    illegal option length (e.g., zero)". Shoal drops such a segment
    (tcp.opterr) and the connection carries on (the RFC suggests a reset; a
    drop is the conservative choice against blind injection)."""
    peer, conn = receiver(bench)
    before = bench.stats()
    peer.send(ACK | PSH, data=b"lying", options=opts, advance=False)
    segs = peer.run("100ms")
    assert not any(s.flags & RST for s in segs)
    assert conn.recv() is None
    assert stats_delta(before, bench.stats(), prefixes=["tcp.opterr"]) == {"tcp.opterr": 1}
    peer.send(ACK | PSH, data=b"fine")
    peer.run("100ms")
    assert conn.recv() == b"fine"


def test_backlog_evicts_oldest_half_open(bench):
    """RFC 4987 3.4 (recycling the oldest half-open TCB): with the backlog
    full of SYN-RECEIVED connections, a new SYN still gets its SYN-ACK and
    the oldest half-open one goes (tcp.syn_evicted); its late ACK then finds
    no connection and is reset."""
    srv = bench.dut.tcp_listen(80, backlog=2)
    peers = [TcpPeer(bench, port=42000 + i, iss=0x3000_0000 + i * 0x10000) for i in range(3)]
    before = bench.stats()
    synacks = []
    for p in peers:
        p.dut_port = 80
        p.send(SYN, options=opt_mss(1460))
        sa, _ = p.wait_for(lambda s: s.has(SYN, ACK) and s.dport == p.port, "50ms")
        assert sa is not None, f"no SYN-ACK for port {p.port}"
        synacks.append(sa)
    assert stats_delta(before, bench.stats(), prefixes=["tcp.syn_evicted"]) == {"tcp.syn_evicted": 1}
    old = peers[0]
    old.irs, old.rcv_nxt = synacks[0].seq, seq_add(synacks[0].seq, 1)
    old.send(ACK)
    segs = [s for s in old.run("10ms") if s.dport == old.port]
    assert [(s.flags, s.seq) for s in segs] == [(RST, old.rcv_nxt)]
    newest = peers[2]
    newest.irs, newest.rcv_nxt = synacks[2].seq, seq_add(synacks[2].seq, 1)
    newest.send(ACK)
    newest.run("10ms")
    conn = srv.accept()
    assert conn is not None and conn.remote[1] == newest.port
