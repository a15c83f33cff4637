"""RFC 791 (IPv4) with RFC 1122 3.2.1 (host requirements for IP), checked on
the wire: the header of what the dut sends, and what it does with each kind of
malformed datagram."""
import struct

import pytest

from conformance_util import (BCAST_MAC, DUT_IP, ICMP, IP, LIMITED_BCAST, NET_BCAST, OTHER_IP, PROTO_ICMP,
                              PROTO_UDP, TESTER_IP, Ether, checksum_ok, echo_request, icmp_frames, ip4,
                              pattern, raw_ip, scapy_ip_chksum, stats_delta, udp, udp_frames)


def check_ip_header(f, bench, proto, payload_len):
    """RFC 791 3.1 and RFC 1122 3.2.1: the header of a datagram the dut sent."""
    assert f[Ether].type == 0x0800
    assert f[Ether].dst == bench.mac and f[Ether].src == bench.dut_mac
    hdr = raw_ip(f)[:20]
    ip = f[IP]
    assert ip.version == 4
    assert ip.ihl == 5  # no options
    assert ip.tos == 0
    assert ip.len == 20 + payload_len
    assert int(ip.flags) & 0b100 == 0, "reserved flag must be zero"
    assert not ip.flags.DF, "DF clear: nothing asked for it"
    assert not ip.flags.MF and ip.frag == 0, "a whole datagram"
    assert ip.ttl == 64  # RFC 1700 / RFC 1122 3.2.1.7: default TTL 64
    assert ip.proto == proto
    assert ip.src == DUT_IP and ip.dst == TESTER_IP
    assert checksum_ok(hdr), "header checksum"
    assert ip.chksum == scapy_ip_chksum(f)
    # Padding to the Ethernet minimum is outside the datagram.
    assert len(bytes(f)) == max(60, 14 + ip.len)


def test_echo_reply_ip_header(bench):
    """RFC 791 3.1, RFC 1122 3.2.1: version 4, IHL 5, total length, TTL,
    protocol, addresses and header checksum of an echo reply."""
    bench.prime_arp()
    data = pattern(56)
    frames = icmp_frames(bench.exchange(bench.echo_to_dut(data)), 0)
    assert len(frames) == 1
    check_ip_header(frames[0], bench, PROTO_ICMP, 8 + len(data))


def test_udp_ip_header(bench):
    """RFC 791 3.1, RFC 1122 3.2.1: the header of a UDP datagram the dut sends."""
    bench.prime_arp()
    u = bench.dut.udp(port=5000)
    u.sendto(b"abc", (TESTER_IP, 9))
    frames = udp_frames(bench.run())
    assert len(frames) == 1
    check_ip_header(frames[0], bench, PROTO_UDP, 8 + 3)


def test_identification_differs(bench):
    """RFC 791 3.2 (Identification: unique for the sender, destination and
    protocol while the datagram may be alive; RFC 6864 asks the same of
    fragmentable datagrams): consecutive datagrams carry different ids. Shoal
    increments the id by one per datagram."""
    bench.prime_arp()
    ids = []
    for seq in range(3):
        r = icmp_frames(bench.exchange(bench.echo_to_dut(b"x", seq=seq)), 0)
        assert len(r) == 1
        ids.append(r[0][IP].id)
    u = bench.dut.udp(port=5000)
    u.sendto(b"abc", (TESTER_IP, 9))
    ids.append(udp_frames(bench.run())[0][IP].id)
    assert len(set(ids)) == 4
    assert [(b - a) & 0xFFFF for a, b in zip(ids, ids[1:])] == [1, 1, 1]


def counted(bench, before, **expected):
    """The ip4/ip4_frag/icmp/udp counters that changed are exactly these."""
    delta = stats_delta(before, bench.stats(), prefixes=["ip4.", "ip4_frag.", "icmp.", "udp."])
    want = {k.replace("__", "."): v for k, v in expected.items()}
    assert delta == want


def echo(bench, data=b"ping"):
    return echo_request(0x1234, 1, data)


def base(bench, **kw):
    """An echo request to the dut as an IPv4 datagram, fields overridable."""
    return ip4(TESTER_IP, DUT_IP, PROTO_ICMP, echo(bench), **kw)


# name: (datagram builder, counters it must bump besides nothing else)
MALFORMED_IP = {
    "bad_header_checksum": (
        lambda b: base(b, chksum=struct.unpack("!H", base(b)[10:12])[0] ^ 0x5A5A),
        {"ip4__drop": 1, "ip4__chkerr": 1}),
    "truncated_header": (lambda b: base(b)[:16], {"ip4__drop": 1, "ip4__lenerr": 1}),
    "total_length_beyond_frame": (lambda b: base(b, total_len=len(base(b)) + 10), {"ip4__drop": 1, "ip4__lenerr": 1}),
    "total_length_below_ihl": (lambda b: base(b, total_len=16), {"ip4__drop": 1, "ip4__lenerr": 1}),
    "total_length_below_ihl_with_options": (
        lambda b: base(b, options=b"\x01\x01\x01\x00", total_len=22), {"ip4__drop": 1, "ip4__lenerr": 1}),
    "ihl_4": (lambda b: base(b, ihl=4), {"ip4__drop": 1, "ip4__lenerr": 1}),
    "ihl_0": (lambda b: base(b, ihl=0), {"ip4__drop": 1, "ip4__lenerr": 1}),
    "ihl_past_total_length": (lambda b: base(b, ihl=15), {"ip4__drop": 1, "ip4__lenerr": 1}),
    "version_6": (lambda b: base(b, version=6), {"ip4__drop": 1, "ip4__proterr": 1}),
    "version_0": (lambda b: base(b, version=0), {"ip4__drop": 1, "ip4__proterr": 1}),
    # Record route with length 0: the walk over options can never advance.
    "option_length_0": (lambda b: base(b, options=b"\x07\x00\x04\x00"), {"ip4__drop": 1, "ip4__opterr": 1}),
    "option_length_1": (lambda b: base(b, options=b"\x07\x01\x04\x00"), {"ip4__drop": 1, "ip4__opterr": 1}),
    # Record route claiming 12 bytes in a 4-byte option area.
    "option_past_header": (lambda b: base(b, options=b"\x07\x0c\x04\x00"), {"ip4__drop": 1, "ip4__opterr": 1}),
    # A multi-byte option whose length byte is missing (last byte of the header).
    "option_no_length_byte": (lambda b: base(b, options=b"\x01\x01\x01\x44"), {"ip4__drop": 1, "ip4__opterr": 1}),
    "source_limited_broadcast": (lambda b: ip4(LIMITED_BCAST, DUT_IP, PROTO_ICMP, echo(b)),
                                 {"ip4__drop": 1, "ip4__proterr": 1}),
    "source_directed_broadcast": (lambda b: ip4(NET_BCAST, DUT_IP, PROTO_ICMP, echo(b)),
                                  {"ip4__drop": 1, "ip4__proterr": 1}),
    "source_multicast": (lambda b: ip4("224.0.0.1", DUT_IP, PROTO_ICMP, echo(b)),
                         {"ip4__drop": 1, "ip4__proterr": 1}),
    "not_for_us": (lambda b: ip4(TESTER_IP, OTHER_IP, PROTO_ICMP, echo(b)), {"ip4__drop": 1}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_IP))
def test_malformed_dropped_and_counted(bench, case):
    """RFC 791 3.1 / RFC 1122 3.2.1.1 (version), 3.2.1.2 (checksum: silently
    discard), 3.2.1.3 (source broadcast/multicast: silently discard), 3.2.1.8
    (options), RFC 791 3.2 (total length, IHL): every malformed datagram is
    silently dropped, counted in ip4.drop and its class, and a normal ping
    right after still works; a datagram for another address counts only in
    ip4.drop. (Fragments: test_rfc791_frag.py.)"""
    build, expected = MALFORMED_IP[case]
    bench.prime_arp()
    before = bench.stats()
    assert bench.exchange(bench.to_dut(build(bench))) == [], "silently discarded"
    counted(bench, before, **expected)
    bench.ping_ok()


def test_version_6_in_ipv4_ethertype_is_not_ipv6(bench):
    """RFC 791 3.1 / RFC 1122 3.2.1.1: a well-formed IPv6 packet sent with the
    IPv4 EtherType is an IPv4 datagram with a wrong version: dropped."""
    bench.prime_arp()
    ip6 = bytes.fromhex("6000000000083a40") + bytes(16) + bytes(16) + bytes.fromhex("8000000000000000")
    before = bench.stats()
    assert bench.exchange(bench.to_dut(ip6)) == []
    counted(bench, before, ip4__drop=1, ip4__proterr=1)
    bench.ping_ok()


def test_truncated_to_ethernet_header(bench):
    """RFC 791 3.2: a frame with the IPv4 EtherType and no datagram at all is
    dropped as too short (ip4.lenerr)."""
    bench.prime_arp()
    before = bench.stats()
    assert bench.exchange(bench.to_dut(b"")) == []
    assert bench.exchange(bench.to_dut(b"\x45")) == []
    counted(bench, before, ip4__drop=2, ip4__lenerr=2)
    bench.ping_ok()


@pytest.mark.parametrize("opts", [
    pytest.param(b"\x01\x01\x01\x00", id="nop_nop_nop_eol"),
    pytest.param(b"\x00\x00\x00\x00", id="eol_only"),
    pytest.param(b"\x07\x07\x04" + bytes(4) + b"\x00", id="record_route"),
    pytest.param(b"\x44\x0c\x05\x00" + bytes(8), id="timestamp"),
    pytest.param(b"\x01\x9e\x04\x12\x34\x00\x00\x00", id="unknown_option"),
    pytest.param(b"\x01" * 40, id="forty_nops"),
])
def test_valid_options_accepted(bench, opts):
    """RFC 791 3.1 (options), RFC 1122 3.2.1.8: a host MUST accept datagrams
    with options and silently ignore options it does not implement; the
    transport payload starts at IHL*4, so the echo reply mirrors exactly the
    data after the options."""
    bench.prime_arp()
    data = pattern(20)
    before = bench.stats()
    frames = icmp_frames(bench.exchange(bench.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_ICMP,
                                                             echo_request(0x1234, 5, data), options=opts))), 0)
    assert len(frames) == 1
    r = frames[0]
    assert raw_ip(r)[r[IP].ihl * 4 + 8:] == data
    assert (r[ICMP].id, r[ICMP].seq) == (0x1234, 5)
    assert bench.stats()["ip4.drop"] == before["ip4.drop"]


def test_ethernet_padding_ignored(bench):
    """RFC 894 / RFC 791 3.2: bytes after the total length (Ethernet padding)
    are not part of the datagram: an echo without data is answered with an
    echo without data, whatever the padding holds."""
    bench.prime_arp()
    frame = bench.echo_to_dut(b"")
    frame = frame + b"\xaa" * (60 - len(frame))
    before = bench.stats()
    frames = icmp_frames(bench.exchange(frame), 0)
    assert len(frames) == 1
    r = frames[0]
    assert r[IP].len == 28
    assert checksum_ok(raw_ip(r)[20:])
    assert bench.stats()["ip4.drop"] == before["ip4.drop"]
    # UDP: the padding does not reach the socket either.
    u = bench.dut.udp(port=7000)
    f = bench.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 1234, 7000, b"hi")))
    bench.exchange(f + b"\x55" * (60 - len(f)))
    assert u.recvfrom() == (b"hi", (TESTER_IP, 1234))


@pytest.mark.parametrize("dst", [NET_BCAST, LIMITED_BCAST])
def test_broadcast_udp_accepted(bench, dst):
    """RFC 1122 3.2.1.3 / 3.3.6: a host accepts datagrams to the limited
    broadcast address and to its subnet's directed broadcast address; a socket
    bound to any address receives them."""
    u = bench.dut.udp(port=7000)
    f = bench.to_dut(ip4(TESTER_IP, dst, PROTO_UDP, udp(TESTER_IP, dst, 1234, 7000, b"to all")), dst_mac=BCAST_MAC)
    before = bench.stats()
    bench.exchange(f)
    assert u.recvfrom() == (b"to all", (TESTER_IP, 1234))
    assert bench.stats()["udp.recv"] - before["udp.recv"] == 1
    assert bench.stats()["ip4.recv"] - before["ip4.recv"] == 1


def test_unknown_protocol_unreachable(bench):
    """RFC 1122 3.2.2.1 / RFC 792: a datagram for an unsupported protocol gets
    ICMP destination unreachable, code 2 (protocol unreachable), quoting it;
    counted in ip4.proterr."""
    bench.prime_arp()
    orig = ip4(TESTER_IP, DUT_IP, 253, pattern(12))
    before = bench.stats()
    frames = bench.exchange(bench.to_dut(orig))
    errs = icmp_frames(frames, 3)
    assert len(errs) == 1 and len(frames) == 1
    r = errs[0]
    assert r[ICMP].code == 2
    body = raw_ip(r)[20:]
    assert checksum_ok(body)
    assert body[4:8] == bytes(4)
    assert body[8:] == orig
    assert bench.stats()["ip4.proterr"] - before["ip4.proterr"] == 1


def test_udp_to_us_with_bad_ip_checksum_never_reaches_socket(bench):
    """RFC 1122 3.2.1.2: a datagram with a bad header checksum is discarded
    before any transport sees it (no delivery, no port unreachable)."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    good = ip4(TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 1234, 7000, b"x"))
    bad = good[:10] + struct.pack("!H", struct.unpack("!H", good[10:12])[0] ^ 0x5A5A) + good[12:]
    assert bench.exchange(bench.to_dut(bad)) == []
    assert u.recvfrom() is None
    bench.exchange(bench.to_dut(good))
    assert u.recvfrom() == (b"x", (TESTER_IP, 1234))


@pytest.mark.parametrize("field", [
    pytest.param({"ttl": 1}, id="ttl_1"),
    pytest.param({"ttl": 0}, id="ttl_0"),
    pytest.param({"tos": 0x10}, id="tos_lowdelay"),
    pytest.param({"flags": 0b010}, id="df_set"),
    pytest.param({"ident": 0}, id="id_0"),
])
def test_unusual_but_valid_accepted(bench, field):
    """RFC 1122 3.2.1.7: a host MUST NOT discard a datagram just because it
    arrived with a TTL below 2; RFC 1122 3.2.1.6 / RFC 791: any TOS and the
    DF flag are legal in a datagram for us. Each is answered, and the reply
    itself still has TTL 64 (never 0: RFC 1122 3.2.1.7)."""
    bench.prime_arp()
    frames = icmp_frames(bench.exchange(bench.to_dut(
        ip4(TESTER_IP, DUT_IP, PROTO_ICMP, echo_request(9, 9, b"odd"), **field))), 0)
    assert len(frames) == 1
    assert frames[0][IP].ttl == 64
