"""RFC 3828 (UDP-Lite, IP protocol 136) on the wire: the checksum coverage
field, the checksum over the pseudo header and the covered bytes only,
delivery of datagrams damaged outside their coverage, and the datagrams a
receiver must discard. Socket side: UdpSocket.set_lite(coverage, min_coverage)."""
import struct

import pytest

from conformance_util import (DUT_IP, IP, TESTER_IP, checksum_ok, inet_checksum, ip4, ip_aton, raw_ip, stats_delta)

PROTO_LITE = 136
DPORT, SPORT = 4242, 4243


def letters(n, salt=0):
    return bytes(65 + (i * 5 + salt) % 26 for i in range(n))


def lite_checksum(src, dst, seg, coverage):
    """RFC 3828 3.1: the pseudo header of RFC 768 with protocol 136 and the
    UDP-Lite length taken from the IP payload length, then the first
    `coverage` bytes of header and data (0: all of them)."""
    cov = len(seg) if coverage == 0 else coverage
    pseudo = ip_aton(src) + ip_aton(dst) + struct.pack("!BBH", 0, PROTO_LITE, len(seg))
    c = inet_checksum(pseudo + seg[:cov])
    return c if c else 0xFFFF


def lite_seg(src, dst, sport, dport, data, coverage, chksum=None):
    seg = struct.pack("!HHHH", sport, dport, coverage, 0) + data
    if chksum is None:
        chksum = lite_checksum(src, dst, seg, coverage)
    return seg[:6] + struct.pack("!H", chksum) + seg[8:]


def lite_frame(bench, data, coverage, chksum=None, damage_at=None):
    seg = bytearray(lite_seg(TESTER_IP, DUT_IP, SPORT, DPORT, data, coverage, chksum))
    if damage_at is not None:
        seg[damage_at] ^= 0x20  # a bit error after the checksum was computed
    return bench.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_LITE, bytes(seg)))


@pytest.fixture
def lite(bench):
    bench.prime_arp()
    sock = bench.dut.udp(port=DPORT)
    sock.set_lite()
    return sock


@pytest.mark.parametrize("coverage,size", [(0, 40), (8, 40), (20, 40), (47, 40), (48, 40), (200, 40), (20, 1)])
def test_send_coverage(bench, coverage, size):
    """RFC 3828 3.1: a UDP-Lite datagram goes out as IP protocol 136; its
    length field is the checksum coverage (0 for the whole datagram, also
    when the coverage asked for reaches the end); the checksum covers the
    pseudo header (length = IP payload length) and the covered bytes, and is
    never 0 (3.1: a computed 0 is sent as 0xffff)."""
    bench.prime_arp()
    s = bench.dut.udp(port=SPORT)
    s.set_lite(coverage=coverage)
    data = letters(size)
    s.sendto(data, (TESTER_IP, DPORT))
    frames = [f for f in bench.run() if IP in f]
    assert len(frames) == 1
    ip = raw_ip(frames[0])
    assert ip[9] == PROTO_LITE and checksum_ok(ip[:20])
    seg = ip[20:]
    assert len(seg) == 8 + size and seg[8:] == data
    sport, dport, cov, chk = struct.unpack("!HHHH", seg[:8])
    assert (sport, dport) == (SPORT, DPORT)
    want_cov = 0 if coverage == 0 or coverage >= len(seg) else coverage
    assert cov == want_cov
    assert chk != 0
    assert chk == lite_checksum(DUT_IP, TESTER_IP, seg[:6] + b"\0\0" + seg[8:], want_cov)


def test_plain_udp_socket_unchanged(bench):
    """set_lite(on=False) turns a socket back into plain UDP (protocol 17)."""
    bench.prime_arp()
    s = bench.dut.udp(port=SPORT)
    s.set_lite(coverage=12)
    s.set_lite(on=False)
    s.sendto(b"plain", (TESTER_IP, DPORT))
    frames = [f for f in bench.run() if IP in f]
    assert len(frames) == 1 and frames[0][IP].proto == 17


@pytest.mark.parametrize("coverage", [0, 8, 20, 58])
def test_receive(bench, lite, coverage):
    """RFC 3828 3.1: a datagram whose checksum verifies over its coverage is
    delivered whole (udplite.recv)."""
    data = letters(50, 3)
    before = bench.stats()
    bench.exchange(lite_frame(bench, data, coverage))
    assert lite.recvfrom() == (data, (TESTER_IP, SPORT))
    assert stats_delta(before, bench.stats(), prefixes=["udplite."]) == {"udplite.recv": 1}


def test_damage_outside_coverage_delivered(bench, lite):
    """RFC 3828 1 / 3.1: damage to bytes past the coverage does not stop
    delivery: the application gets them as they arrived."""
    data = letters(50, 4)
    bench.exchange(lite_frame(bench, data, 20, damage_at=40))
    got = lite.recv()
    assert got is not None and len(got) == 50
    assert got[:32] == data[:32] and got[32] == data[32] ^ 0x20 and got[33:] == data[33:]


@pytest.mark.parametrize("where", [2, 12, 19])
def test_damage_inside_coverage_dropped(bench, lite, where):
    """RFC 3828 3.1: damage inside the coverage (header or covered data)
    fails the checksum: dropped, udplite.chkerr, nothing delivered."""
    before = bench.stats()
    assert [f for f in bench.exchange(lite_frame(bench, letters(50), 20, damage_at=where)) if IP in f] == []
    assert lite.recv() is None
    d = stats_delta(before, bench.stats(), prefixes=["udplite."])
    assert d == {"udplite.chkerr": 1, "udplite.drop": 1}


@pytest.mark.parametrize("coverage", [1, 7, 59, 1000])
def test_illegal_coverage_dropped(bench, lite, coverage):
    """RFC 3828 3.1: a coverage of 1..7 (less than the header) or more than
    the datagram's length is illegal: the datagram is discarded
    (udplite.lenerr), whatever its checksum. (58 bytes here: 59 is past the end.)"""
    data = letters(50)
    seg = struct.pack("!HHHH", SPORT, DPORT, coverage, 0) + data
    chk = lite_checksum(TESTER_IP, DUT_IP, seg, min(coverage, len(seg)))
    before = bench.stats()
    assert [f for f in bench.exchange(lite_frame(bench, data, coverage, chksum=chk)) if IP in f] == []
    assert lite.recv() is None
    assert stats_delta(before, bench.stats(), prefixes=["udplite."]) == {"udplite.lenerr": 1, "udplite.drop": 1}


def test_zero_checksum_dropped(bench, lite):
    """RFC 3828 3.1: the checksum is mandatory; a zero checksum field (which
    means "none" in UDP) makes a UDP-Lite datagram invalid: dropped."""
    before = bench.stats()
    bench.exchange(lite_frame(bench, letters(30), 0, chksum=0))
    assert lite.recv() is None
    d = stats_delta(before, bench.stats(), prefixes=["udplite."])
    assert d.get("udplite.drop") == 1 and "udplite.recv" not in d


def test_minimum_coverage_refused(bench):
    """RFC 3828 3.3: a receiver may require a minimum coverage; a datagram
    with less is not delivered, one with at least that much (or full
    coverage, 0) is."""
    bench.prime_arp()
    s = bench.dut.udp(port=DPORT)
    s.set_lite(min_coverage=30)
    data = letters(50, 7)
    bench.exchange(lite_frame(bench, data, 20))
    assert s.recv() is None
    bench.exchange(lite_frame(bench, data, 30))
    assert s.recv() == data
    bench.exchange(lite_frame(bench, data, 0))
    assert s.recv() == data


def test_lite_and_udp_are_separate(bench, lite):
    """RFC 3828 3.2: UDP-Lite is its own protocol (136): a plain UDP datagram
    to the UDP-Lite socket's port is not delivered to it."""
    from conformance_util import udp
    bench.exchange(bench.to_dut(ip4(TESTER_IP, DUT_IP, 17, udp(TESTER_IP, DUT_IP, SPORT, DPORT, b"udp"))))
    assert lite.recv() is None


def test_lite_between_stacks(sim):
    """End to end: two stacks exchange UDP-Lite datagrams with partial
    coverage both ways."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="1ms", rate="10Mbit")
    a.iface(link).set_ip4("10.0.0.1/24")
    b.iface(link).set_ip4("10.0.0.2/24")
    sim.run(duration="10ms")
    sa, sb = a.udp(port=SPORT), b.udp(port=DPORT)
    sa.set_lite(coverage=16)
    sb.set_lite(coverage=0, min_coverage=16)
    sa.sendto(letters(100), ("10.0.0.2", DPORT))
    sim.run(duration="20ms")
    assert sb.recvfrom() == (letters(100), ("10.0.0.1", SPORT))
    sb.sendto(letters(10, 1), ("10.0.0.1", SPORT))
    sim.run(duration="20ms")
    assert sa.recv() == letters(10, 1)


def test_lite_fragmented_between_stacks(sim):
    """RFC 3828 3.2 / RFC 791 3.2: a UDP-Lite datagram larger than the MTU
    goes in fragments; the coverage is checked on the reassembled datagram."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="1ms", rate="10Mbit", mtu=576)
    a.iface(link).set_ip4("10.0.0.1/24")
    b.iface(link).set_ip4("10.0.0.2/24")
    sim.run(duration="10ms")
    sa, sb = a.udp(port=SPORT), b.udp(port=DPORT)
    sa.set_lite(coverage=100)
    sb.set_lite()
    sa.sendto(b"x", ("10.0.0.2", DPORT))  # resolve ARP first
    sim.run(duration="20ms")
    assert sb.recv() == b"x"
    sb.set_lite(min_coverage=100)
    sa.sendto(letters(3000, 2), ("10.0.0.2", DPORT))
    sim.run(duration="50ms")
    assert sb.recv() == letters(3000, 2)
    assert a.stats["ip4_frag"]["xmit"] == 6


def test_full_coverage_always_meets_minimum(bench):
    """RFC 3828 3.1 / 3.3: coverage 0 means the whole datagram is covered,
    the most a sender can give; a receiver's minimum coverage never refuses
    it, however short the datagram."""
    bench.prime_arp()
    s = bench.dut.udp(port=DPORT)
    s.set_lite(min_coverage=100)
    bench.exchange(lite_frame(bench, letters(10), 0))
    assert s.recv() == letters(10)


def test_set_lite_argument_errors(bench):
    s = bench.dut.udp(port=DPORT)
    for bad in (dict(coverage=3), dict(coverage=-1), dict(coverage=70000), dict(min_coverage="8")):
        with pytest.raises(ValueError):
            s.set_lite(**bad)


def test_minimum_coverage_refusal_is_silent(bench):
    """RFC 3828 3.3 (the receiver discards a datagram with less than its
    minimum coverage) with RFC 1122 4.1.3.1 / RFC 792 (port unreachable means
    nobody listens on the port): the refusal sends no ICMP."""
    bench.prime_arp()
    s = bench.dut.udp(port=DPORT)
    s.set_lite(min_coverage=30)
    before = bench.stats()
    frames = [f for f in bench.exchange(lite_frame(bench, letters(50), 20)) if IP in f]
    assert s.recv() is None
    assert frames == [], "no port unreachable for a port with a listener"
    assert "icmp.xmit" not in stats_delta(before, bench.stats())
