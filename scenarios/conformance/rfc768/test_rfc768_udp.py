"""RFC 768 (UDP) with RFC 1122 4.1 (host requirements for UDP), checked on the
wire and through the socket API."""
import struct

import pytest

import shoal
from conformance_util import (BCAST_MAC, DUT_IP, ICMP, IP, LIMITED_BCAST, NET_BCAST, PROTO_UDP, TESTER_IP, UDP, Ether,
                              checksum_ok, icmp_frames, ip4, ones_sum, pattern, raw_ip, scapy_l4_chksum,
                              stats_delta, udp, udp_checksum, udp_frames, udp_pseudo_header)


def check_udp_datagram(f, src, dst, sport, dport, data):
    """RFC 768 Format: ports, length = 8 + data, and a checksum over the
    pseudo header (source, destination, zero, protocol 17, UDP length), the
    header and the data, computed here independently and by Scapy."""
    seg = raw_ip(f)[20:]
    assert f[IP].proto == PROTO_UDP and f[IP].src == src and f[IP].dst == dst
    sp, dp, length, chk = struct.unpack("!HHHH", seg[:8])
    assert (sp, dp) == (sport, dport)
    assert length == 8 + len(data) == len(seg)
    assert seg[8:] == data
    assert chk != 0, "RFC 1122 4.1.3.4: checksums MUST be generated (on by default)"
    assert ones_sum(udp_pseudo_header(src, dst, length) + seg) == 0xFFFF
    assert chk == udp_checksum(src, dst, seg[:6] + b"\0\0" + seg[8:])
    assert chk == scapy_l4_chksum(f, UDP)


@pytest.mark.parametrize("size", [0, 1, 2, 33, 512, 1472])
def test_sent_checksum_valid(bench, size):
    """RFC 768 Fields (Checksum, pseudo header) / RFC 1122 4.1.3.4: every
    datagram the dut sends has a correct checksum, odd lengths included."""
    bench.prime_arp()
    u = bench.dut.udp(port=5000)
    data = pattern(size, salt=3)
    assert u.sendto(data, (TESTER_IP, 9)) == size
    frames = udp_frames(bench.run())
    assert len(frames) == 1
    assert frames[0][Ether].dst == bench.mac
    check_udp_datagram(frames[0], DUT_IP, TESTER_IP, 5000, 9, data)


def test_computed_zero_checksum_sent_as_ones(bench):
    """RFC 768 Fields: "If the computed checksum is zero, it is transmitted as
    all ones". The data's last two bytes are chosen so that the checksum
    computes to zero."""
    bench.prime_arp()
    sport, dport = 5000, 9
    data = b"zero-sum" + b"\0\0"
    length = 8 + len(data)
    seg = struct.pack("!HHHH", sport, dport, length, 0) + data
    s = ones_sum(udp_pseudo_header(DUT_IP, TESTER_IP, length) + seg)
    fix = (~s) & 0xFFFF  # adding it makes the one's complement sum 0xffff
    data = data[:-2] + struct.pack("!H", fix)
    seg = struct.pack("!HHHH", sport, dport, length, 0) + data
    assert ones_sum(udp_pseudo_header(DUT_IP, TESTER_IP, length) + seg) == 0xFFFF  # computed checksum 0
    u = bench.dut.udp(port=sport)
    u.sendto(data, (TESTER_IP, dport))
    frames = udp_frames(bench.run())
    assert len(frames) == 1
    assert frames[0][UDP].chksum == 0xFFFF


def deliver(bench, seg, port=7000, dst=DUT_IP, **ipkw):
    bench.tester.recv()
    bench.send(bench.to_dut(ip4(TESTER_IP, dst, PROTO_UDP, seg, **ipkw)))
    return bench.run()


def test_receive_valid(bench):
    """RFC 768 / RFC 1122 4.1.3.5: a valid datagram reaches the socket bound to
    its port with its data, source address and source port."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    before = bench.stats()
    assert deliver(bench, udp(TESTER_IP, DUT_IP, 1234, 7000, b"payload")) == []
    assert u.recvfrom() == (b"payload", (TESTER_IP, 1234))
    assert u.recvfrom() is None
    assert stats_delta(before, bench.stats(), prefixes=["udp."]) == {"udp.recv": 1}


def test_zero_checksum_accepted(bench):
    """RFC 768 Fields: "An all zero transmitted checksum value means that the
    transmitter generated no checksum"; RFC 1122 4.1.3.4: the receiver accepts it."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    deliver(bench, udp(TESTER_IP, DUT_IP, 1234, 7000, b"no checksum", chksum=0))
    assert u.recvfrom() == (b"no checksum", (TESTER_IP, 1234))


def test_ones_checksum_accepted(bench):
    """RFC 768: 0xffff is how a computed zero travels; the receiver must take
    it as a valid checksum (one's complement negative zero)."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    length = 8 + 10
    head = struct.pack("!HHHH", 1234, 7000, length, 0)
    s = ones_sum(udp_pseudo_header(TESTER_IP, DUT_IP, length) + head + b"abcdefgh\0\0")
    data = b"abcdefgh" + struct.pack("!H", (~s) & 0xFFFF)
    deliver(bench, udp(TESTER_IP, DUT_IP, 1234, 7000, data, chksum=0xFFFF))
    assert u.recvfrom() == (data, (TESTER_IP, 1234))


@pytest.mark.parametrize("port", [7000, 7001])
def test_bad_checksum_dropped(bench, port):
    """RFC 1122 4.1.3.4: a datagram whose (non-zero) checksum is wrong MUST be
    silently discarded (udp.chkerr): not delivered, and no port unreachable
    even when the port is closed (7001)."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    good = udp(TESTER_IP, DUT_IP, 1234, port, b"bad sum")
    bad = good[:6] + struct.pack("!H", struct.unpack("!H", good[6:8])[0] ^ 0x5A5A) + good[8:]
    before = bench.stats()
    assert deliver(bench, bad) == []
    assert u.recvfrom() is None
    assert stats_delta(before, bench.stats(), prefixes=["udp."]) == {"udp.drop": 1, "udp.chkerr": 1}
    deliver(bench, udp(TESTER_IP, DUT_IP, 1234, 7000, b"fine"))
    assert u.recvfrom() == (b"fine", (TESTER_IP, 1234))


@pytest.mark.parametrize("length", [0, 7, 8 + 10 + 1, 200])
def test_lying_length_dropped(bench, length):
    """RFC 768 Fields (Length: header plus data, at least 8) / RFC 1122
    4.1.3: a length field below 8 or beyond the IP payload is dropped
    (udp.lenerr) and not delivered. (Checksum 0 so only the length is wrong.)"""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    seg = udp(TESTER_IP, DUT_IP, 1234, 7000, pattern(10), length=length, chksum=0)
    before = bench.stats()
    assert deliver(bench, seg) == []
    assert u.recvfrom() is None
    assert stats_delta(before, bench.stats(), prefixes=["udp."]) == {"udp.drop": 1, "udp.lenerr": 1}
    bench.ping_ok()


@pytest.mark.parametrize("with_checksum", [False, True])
def test_length_shorter_than_ip_payload(bench, with_checksum):
    """RFC 768 Fields (Length) / RFC 1122 4.1.3: when the UDP length is shorter
    than the IP payload, the datagram is what the length says; the extra
    bytes are ignored (the checksum, when present, covers only the datagram)."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    kw = {} if with_checksum else {"chksum": 0}
    seg = udp(TESTER_IP, DUT_IP, 1234, 7000, b"hello", extra=b"TRAILER!", **kw)
    assert struct.unpack("!H", seg[4:6])[0] == 13 and len(seg) == 21
    before = bench.stats()
    deliver(bench, seg)
    assert u.recvfrom() == (b"hello", (TESTER_IP, 1234))
    assert stats_delta(before, bench.stats(), prefixes=["udp."]) == {"udp.recv": 1}


def test_port_unreachable_for_closed_port(bench):
    """RFC 1122 4.1.3.1: a datagram to a port nobody listens on SHOULD draw an
    ICMP port unreachable; it is not delivered to another port's socket."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    frames = deliver(bench, udp(TESTER_IP, DUT_IP, 1234, 7002, b"anyone?"))
    errs = icmp_frames(frames, 3)
    assert len(errs) == 1 and errs[0][ICMP].code == 3
    assert u.recvfrom() is None


def test_socket_bound_to_address(bench):
    """RFC 1122 4.1.3.5 / the socket API: a socket bound to the dut's address
    receives unicast to it; a socket bound to any address also gets broadcasts."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000, addr=DUT_IP)
    deliver(bench, udp(TESTER_IP, DUT_IP, 1, 7000, b"mine"))
    assert u.recvfrom() == (b"mine", (TESTER_IP, 1))


def test_broadcast_send_requires_permission(bench):
    """RFC 1122 4.1.3.5 / 3.3.6 (sockets must ask to broadcast, as with
    SO_BROADCAST): sending to a broadcast address without broadcast=True is
    refused with shoal.ShoalError and nothing goes on the wire."""
    bench.prime_arp()
    u = bench.dut.udp(port=5000)
    for dst in (NET_BCAST, LIMITED_BCAST):
        with pytest.raises(shoal.ShoalError):
            u.sendto(b"no", (dst, 9))
    assert bench.run() == []


@pytest.mark.parametrize("dst", [NET_BCAST, LIMITED_BCAST])
def test_broadcast_send(bench, dst):
    """RFC 1122 3.3.6 / RFC 894: a datagram to a broadcast address goes to the
    Ethernet broadcast address (no ARP), from the dut's address, with a valid
    checksum; broadcast=True or set_broadcast(True) allows it."""
    u = bench.dut.udp(port=5000, broadcast=True)
    assert u.sendto(b"to all", (dst, 9)) == 6
    frames = bench.run()
    assert len(frames) == 1, frames
    f = frames[0]
    assert f[Ether].dst == BCAST_MAC and f[Ether].src == bench.dut_mac
    assert f[IP].dst == dst and f[IP].src == DUT_IP and f[IP].ttl == 64
    assert checksum_ok(raw_ip(f)[:20])
    check_udp_datagram(f, DUT_IP, dst, 5000, 9, b"to all")
    v = bench.dut.udp(port=5001)
    v.set_broadcast(True)
    v.sendto(b"again", (dst, 9))
    assert len(udp_frames(bench.run())) == 1


def test_node_to_node(sim):
    """RFC 768 / RFC 1122 4.1.3.5 between two stacks: an ephemeral source port
    (RFC 6335 6: 49152-65535), delivery with the sender's address and port,
    and a reply back to that port."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="2ms", rate="100Mbit")
    a.iface(link).set_ip4("10.0.0.1/24")
    b.iface(link).set_ip4("10.0.0.2/24")
    sim.run(duration="10ms")
    srv = b.udp(port=7)
    cli = a.udp(port=0)
    cli2 = a.udp()
    assert 49152 <= cli.port <= 65535 and 49152 <= cli2.port <= 65535 and cli.port != cli2.port
    assert cli.sendto(b"question", ("10.0.0.2", 7)) == 8
    sim.run(duration="100ms")
    got = srv.recvfrom()
    assert got == (b"question", ("10.0.0.1", cli.port))
    assert srv.sendto(b"answer", got[1]) == 6
    sim.run(duration="100ms")
    assert cli.recvfrom() == (b"answer", ("10.0.0.2", 7))
    assert cli2.recvfrom() is None
    # connect() fixes the peer; send() goes there.
    cli.connect(("10.0.0.2", 7))
    cli.send(b"again")
    sim.run(duration="100ms")
    assert srv.recv() == b"again"
    assert a.stats["udp"]["xmit"] == 2 and b.stats["udp"]["recv"] == 2


def test_datagram_boundaries_kept(bench):
    """RFC 768: UDP is message oriented: two datagrams are received as two,
    in order, never merged."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    bench.send(bench.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 1, 7000, b"first"))))
    bench.send(bench.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 1, 7000, b"second"))))
    bench.run()
    assert u.recv() == b"first" and u.recv() == b"second" and u.recv() is None
