"""RFC 9293 3.5.2 / 3.10.7 (reset generation and processing), checked on the
wire: RSTs for segments to closed ports (both cases of 3.10.7.1), to a
listener, in SYN-SENT and SYN-RECEIVED, and which RSTs an established
connection accepts (with RFC 5961 3.2, tested further in rfc5961/)."""
import pytest

from conformance_util import DUT_IP, TESTER_IP, stats_delta
from tcp_util import ACK, FIN, PSH, RST, SYN, TcpPeer, opt_mss, seq_add

ERR_RST = -14


def closed_port_peer(bench):
    peer = TcpPeer(bench, port=41000)
    peer.dut_port = 9999  # nothing listens there
    peer.rcv_nxt = 0x5555_0000
    return peer


@pytest.mark.parametrize("flags,data", [(SYN, b""), (SYN, b"syn-data"), (FIN, b""), (PSH, b"no ack bit"), (0, b"")],
                         ids=["syn", "syn_with_data", "fin", "data_no_ack", "no_flags"])
def test_closed_port_no_ack_bit(bench, flags, data):
    """RFC 9293 3.10.7.1 (CLOSED): "If the ACK bit is off, sequence number
    zero is used, <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>", SEG.LEN counting
    SYN and FIN. Counted in tcp.drop."""
    peer = closed_port_peer(bench)
    before = bench.stats()
    peer.send(flags, data=data, seq=0x0ABC_DEF0)
    segs = peer.run("10ms")
    assert len(segs) == 1
    r = segs[0]
    seg_len = len(data) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0)
    assert r.chksum_ok
    assert (r.src, r.dst, r.sport, r.dport) == (DUT_IP, TESTER_IP, 9999, peer.port)
    assert r.flags == RST | ACK
    assert r.seq == 0 and r.ack == seq_add(0x0ABC_DEF0, seg_len)
    assert r.data == b"" and r.hlen == 20
    d = stats_delta(before, bench.stats(), prefixes=["tcp."])
    assert d == {"tcp.recv": 1, "tcp.drop": 1, "tcp.xmit": 1}


@pytest.mark.parametrize("flags,data", [(ACK, b""), (ACK | PSH, b"data"), (SYN | ACK, b""), (FIN | ACK, b"")],
                         ids=["ack", "data", "synack", "finack"])
def test_closed_port_ack_bit(bench, flags, data):
    """RFC 9293 3.10.7.1 (CLOSED): "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>"
    (no ACK bit, acknowledgment field zero)."""
    peer = closed_port_peer(bench)
    peer.send(flags, data=data, seq=0x0101_0101, ack=0xFEDC_BA98)
    segs = peer.run("10ms")
    assert len(segs) == 1
    r = segs[0]
    assert r.chksum_ok and r.flags == RST
    assert r.seq == 0xFEDC_BA98 and r.ack == 0
    assert r.data == b""


@pytest.mark.parametrize("flags", [RST, RST | ACK])
def test_closed_port_rst_ignored(bench, flags):
    """RFC 9293 3.10.7.1: "An incoming segment containing a RST is discarded"
    (never answered, RFC 9293 3.5.2)."""
    peer = closed_port_peer(bench)
    peer.send(flags, seq=1234, ack=5678)
    assert peer.run("10ms") == []


def test_listener_rst_for_ack(bench):
    """RFC 9293 3.10.7.2 (LISTEN, second check): any acknowledgment is bad:
    <SEQ=SEG.ACK><CTL=RST>; the listener stays."""
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    peer.dut_port = 80
    peer.send(ACK, seq=777, ack=0x1234_5678)
    segs = peer.run("10ms")
    assert [(s.flags, s.seq, s.ack) for s in segs] == [(RST, 0x1234_5678, 0)]
    assert srv.state == "LISTEN"


def test_listener_ignores_rst_and_bare_segments(bench):
    """RFC 9293 3.10.7.2 (LISTEN): a RST is ignored (first check); a segment
    with neither SYN nor RST nor ACK is dropped (fourth check, "Any other
    control or text-bearing segment")."""
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    peer.dut_port = 80
    peer.send(RST, seq=1)
    peer.send(PSH, data=b"text", seq=2)
    peer.send(FIN, seq=3)
    assert peer.run("10ms") == []
    assert srv.state == "LISTEN"
    # and the listener still works
    _, conn = peer.passive_open(srv)
    assert conn.state == "ESTABLISHED"


def test_syn_sent_rst_with_acceptable_ack_refuses(bench):
    """RFC 9293 3.10.7.3 (SYN-SENT, second check): a RST whose ACK is
    acceptable (= ISS + 1) means "connection reset": the connection goes to
    CLOSED and the user is told (ERR_RST); no reply."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    syn, _ = peer.wait_for(lambda s: s.flags & SYN, "50ms")
    peer.accept_syn(syn)
    peer.send(RST | ACK, seq=0, ack=seq_add(syn.seq, 1))
    assert peer.run("10ms") == []
    assert conn.state == "CLOSED"
    assert conn.error == ERR_RST


@pytest.mark.parametrize("ack_off", [None, 0, 2], ids=["no_ack_bit", "ack_iss", "ack_beyond"])
def test_syn_sent_rst_without_acceptable_ack_ignored(bench, ack_off):
    """RFC 9293 3.10.7.3 (SYN-SENT): a RST without ACK is dropped ("If the
    RST bit is set ... if the ACK was acceptable then ..., otherwise drop the
    segment"); with an unacceptable ACK it is dropped too (first check: "If
    the RST bit is set, discard the segment")."""
    peer = TcpPeer(bench)
    conn = bench.dut.tcp_connect(TESTER_IP, peer.port)
    syn, _ = peer.wait_for(lambda s: s.flags & SYN, "50ms")
    peer.accept_syn(syn)
    if ack_off is None:
        peer.send(RST, seq=0)
    else:
        peer.send(RST | ACK, seq=0, ack=seq_add(syn.seq, ack_off))
    assert [s for s in peer.run("10ms") if not s.flags & SYN] == []
    assert conn.state == "SYN_SENT"


def test_syn_rcvd_rst_returns_to_listen(bench):
    """RFC 9293 3.10.7.4 (SYN-RECEIVED, second check): "If this connection
    was initiated with a passive OPEN, then return this connection to the
    LISTEN state and return": the half-open connection goes, the listener
    stays, and a new SYN from the same port opens a fresh connection."""
    peer = TcpPeer(bench)
    srv = bench.dut.tcp_listen(80)
    peer.dut_port = 80
    peer.send(SYN, options=opt_mss(1460))
    synack, _ = peer.wait_for(lambda s: s.has(SYN, ACK), "50ms")
    peer.send(RST, seq=seq_add(peer.iss, 1))  # SEG.SEQ = RCV.NXT of the dut
    assert [s for s in peer.run("10ms") if not s.flags & SYN] == []
    assert srv.state == "LISTEN" and srv.accept() is None
    # The same tuple is free again: a later connection works (new ISN).
    peer2 = TcpPeer(bench, iss=0x2000_0000)
    synack2, conn = peer2.passive_open(srv)
    assert conn.state == "ESTABLISHED"


def established(bench, **kw):
    peer = TcpPeer(bench, **kw)
    srv = bench.dut.tcp_listen(80)
    _, conn = peer.passive_open(srv)
    return peer, conn


def test_established_rst_exact_seq_resets(bench):
    """RFC 9293 3.10.7.4 (second check) with RFC 5961 3.2: a RST with SEG.SEQ
    = RCV.NXT resets the connection: CLOSED, the user told "connection
    reset", nothing sent in reply."""
    peer, conn = established(bench)
    peer.send(RST)
    assert peer.run("10ms") == []
    assert conn.state == "CLOSED" and conn.error == ERR_RST


def test_established_rst_exact_seq_with_ack_resets(bench):
    """RFC 9293 3.10.7.4: the RST bit decides, an ACK bit on it does not
    change acceptability (RFC 5961 3.2 looks at SEG.SEQ only)."""
    peer, conn = established(bench)
    peer.send(RST | ACK)
    assert peer.run("10ms") == []
    assert conn.state == "CLOSED" and conn.error == ERR_RST


@pytest.mark.parametrize("off", [-1, -100000, 40000, 1 << 31], ids=["just_below", "far_below", "beyond_window",
                                                                    "half_space"])
def test_established_rst_outside_window_dropped(bench, off):
    """RFC 9293 3.10.7.4 / RFC 5961 3.2 (1): a RST whose sequence number is
    outside the window is silently discarded: no ACK, the connection lives
    (the dut's window is 32 KiB, so 40000 beyond RCV.NXT is outside)."""
    peer, conn = established(bench)
    peer.send(RST, seq=seq_add(peer.snd_nxt, off))
    assert peer.run("10ms") == []
    assert conn.state == "ESTABLISHED"
    peer.send(ACK | PSH, data=b"alive")
    peer.run("100ms")
    assert conn.recv() == b"alive"
