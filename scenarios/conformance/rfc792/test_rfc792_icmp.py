"""RFC 792 (ICMP) with RFC 1122 3.2.2 (host requirements for ICMP), checked
on the wire: echo, destination unreachable, when errors must not be sent, and
the error rate limit."""
import struct

import pytest

from conformance_util import (BCAST_MAC, DELAY_NS, DUT_IP, ICMP, IP, LIMITED_BCAST, NET_BCAST, PROTO_ICMP,
                              PROTO_UDP, RATE_BPS, SECOND_NS, TESTER_IP, ZERO_MAC, Bench, Ether, arp, checksum_ok,
                              echo_request, eth, icmp, icmp_frames, inet_checksum, ip4, is_arp, pattern, raw_ip,
                              scapy_ip_chksum, scapy_l4_chksum, stats_delta, tx_ns, udp)


SIZES = [0, 1, 17, 18, 56, 57, 999, 1472]


@pytest.mark.parametrize("size", SIZES)
def test_echo_reply(bench, size):
    """RFC 792 Echo / RFC 1122 3.2.2.6: the reply has type 0 code 0, the
    request's identifier, sequence number and data (odd lengths included),
    a valid checksum over the whole message, and the request's destination
    as its source."""
    bench.prime_arp()
    data = pattern(size, salt=size)
    req = echo_request(0xA1B2, 0xC3D4, data)
    before = bench.stats()
    frames = bench.exchange(bench.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_ICMP, req)))
    assert len(frames) == 1
    r = frames[0]
    assert r[Ether].dst == bench.mac and r[Ether].src == bench.dut_mac
    ip = r[IP]
    assert (ip.src, ip.dst, ip.proto, ip.ttl, ip.ihl) == (DUT_IP, TESTER_IP, PROTO_ICMP, 64, 5)
    assert checksum_ok(raw_ip(r)[:20]) and ip.chksum == scapy_ip_chksum(r)
    msg = raw_ip(r)[20:]
    assert len(msg) == 8 + size
    assert msg[0] == 0 and msg[1] == 0
    assert msg[4:8] == struct.pack("!HH", 0xA1B2, 0xC3D4)
    assert msg[8:] == data
    assert checksum_ok(msg)
    assert r[ICMP].chksum == scapy_l4_chksum(r, ICMP)
    # The same message built here from scratch has the same checksum.
    assert r[ICMP].chksum == struct.unpack("!H", icmp(0, 0, req[4:8], data)[2:4])[0]
    d = stats_delta(before, bench.stats(), prefixes=["icmp."])
    assert d == {"icmp.recv": 1, "icmp.xmit": 1}


@pytest.mark.parametrize("size", [0, 56, 1001])
def test_echo_rtt_on_virtual_clock(bench, size):
    """RFC 792 Echo (answered at once: processing takes no virtual time): the
    round trip seen by the tester is exactly both propagation delays plus the
    serialisation of the request and of the reply at the link rate, computed
    from the frame lengths actually on the wire (the stack pads its short
    reply to 60 bytes; the tester's request is not padded)."""
    bench.prime_arp()
    bench.tester.recv()
    frame = bench.echo_to_dut(pattern(size))
    t0 = bench.sim.now_ns
    bench.send(frame)
    frames = bench.run("50ms")
    assert len(frames) == 1
    r = frames[0]
    reply_len = len(bytes(r))
    assert reply_len == max(60, len(frame))
    assert r.time_ns - t0 == 2 * DELAY_NS + (len(frame) + reply_len) * 8 * SECOND_NS // RATE_BPS
    assert r.time_ns - t0 == 2 * DELAY_NS + tx_ns(len(frame)) + tx_ns(reply_len)
    assert abs(r.time - r.time_ns / 1e9) < 1e-9


def test_ping_rtt_between_stacks(sim):
    """RFC 792 Echo, between two stacks with the Shoal ping app: once the
    addresses are resolved, each RTT is exactly 2 * (delay + 98 * 8 / rate) for
    a 56-byte payload (98-byte frames each way)."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="3ms", rate="1Mbit")
    a.iface(link).set_ip4("10.0.0.1/24")
    b.iface(link).set_ip4("10.0.0.2/24")
    sim.run(duration="10ms")
    p = a.ping("10.0.0.2", count=3, interval="100ms", size=56, timeout="1s")
    sim.run(duration="1s")
    assert p.done and p.sent == 3 and p.received == 3
    want = 2 * (3_000_000 + 98 * 8 * SECOND_NS // 1_000_000)
    assert p.rtts_ns[1] == want and p.rtts_ns[2] == want
    # The first echo waited for ARP (one request and one reply of 60 bytes).
    assert p.rtts_ns[0] == want + 2 * (3_000_000 + 60 * 8 * SECOND_NS // 1_000_000)
    assert p.rtts == [x / 1e9 for x in p.rtts_ns]


@pytest.mark.parametrize("dst", [NET_BCAST, LIMITED_BCAST])
def test_no_reply_to_broadcast_echo(bench, dst):
    """RFC 1122 3.2.2.6: an echo request to a broadcast address MAY be
    silently discarded; Shoal discards it (smurf amplification)."""
    bench.prime_arp()
    frame = eth(BCAST_MAC, bench.mac, 0x0800, ip4(TESTER_IP, dst, PROTO_ICMP, echo_request(1, 1, b"all")))
    assert bench.exchange(frame) == []
    bench.ping_ok()


def test_unknown_icmp_type_ignored(bench):
    """RFC 1122 3.2.2: an ICMP message of unknown type MUST be silently
    discarded."""
    bench.prime_arp()
    before = bench.stats()
    assert bench.exchange(bench.ip_to_dut(PROTO_ICMP, icmp(42, 0, bytes(4), b"what"))) == []
    assert bench.stats()["icmp.xmit"] == before["icmp.xmit"]
    bench.ping_ok()


def test_incoming_error_consumed_silently(bench):
    """RFC 1122 3.2.2: an ICMP error received (here a port unreachable about a
    datagram the dut never sent) is passed up or dropped, never answered."""
    bench.prime_arp()
    quoted = ip4(DUT_IP, TESTER_IP, PROTO_UDP, udp(DUT_IP, TESTER_IP, 5000, 9, b"x"))
    assert bench.exchange(bench.ip_to_dut(PROTO_ICMP, icmp(3, 3, bytes(4), quoted))) == []
    bench.ping_ok()


def check_dest_unreach(r, bench, code, orig):
    """RFC 792 Destination Unreachable: type 3, the code, unused zero, the
    internet header plus at least 64 bits of the original datagram (RFC 1122
    3.2.2: at least 8 octets; Shoal quotes as much as fits in 576 bytes)."""
    assert r[Ether].dst == bench.mac and r[Ether].src == bench.dut_mac
    ip = r[IP]
    assert (ip.src, ip.dst, ip.proto, ip.ttl, ip.ihl, ip.tos) == (DUT_IP, TESTER_IP, PROTO_ICMP, 64, 5, 0)
    assert checksum_ok(raw_ip(r)[:20]) and ip.chksum == scapy_ip_chksum(r)
    assert ip.len <= 576
    msg = raw_ip(r)[20:]
    assert msg[0] == 3 and msg[1] == code
    assert msg[4:8] == bytes(4), "unused"
    assert checksum_ok(msg) and r[ICMP].chksum == scapy_l4_chksum(r, ICMP)
    quote = msg[8:]
    ihl = (orig[0] & 0x0F) * 4
    assert len(quote) >= ihl + 8
    assert quote == orig[:len(quote)]
    assert len(quote) == min(len(orig), 576 - 28)
    return quote


def test_port_unreachable(bench):
    """RFC 1122 4.1.3.1 / 3.2.2.1, RFC 792: UDP to a closed port gets
    destination unreachable code 3, quoting the original datagram."""
    bench.prime_arp()
    orig = ip4(TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 40000, 9999, pattern(11)), ttl=33, ident=777)
    before = bench.stats()
    frames = bench.exchange(bench.to_dut(orig))
    assert len(frames) == 1
    check_dest_unreach(frames[0], bench, 3, orig)
    d = stats_delta(before, bench.stats(), prefixes=["icmp.", "udp."])
    assert d.get("icmp.xmit") == 1


def test_port_unreachable_quote_capped_at_576(bench):
    """RFC 1812 4.3.2.3 (adopted by Shoal for hosts too) / RFC 1122 3.2.2: the
    error carries as much of a long original datagram as fits in 576 bytes."""
    bench.prime_arp()
    orig = ip4(TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 40000, 9999, pattern(1000)))
    frames = bench.exchange(bench.to_dut(orig))
    assert len(frames) == 1
    assert frames[0][IP].len == 576
    check_dest_unreach(frames[0], bench, 3, orig)


def test_port_unreachable_quotes_options(bench):
    """RFC 792: the quoted "internet header" is the whole header, options
    included, then 64 bits of the datagram's data."""
    bench.prime_arp()
    orig = ip4(TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 40000, 9999, b"abc"),
               options=b"\x01\x01\x01\x00")
    frames = bench.exchange(bench.to_dut(orig))
    assert len(frames) == 1
    check_dest_unreach(frames[0], bench, 3, orig)


# Stimuli that must never draw an ICMP error (RFC 1122 3.2.2, RFC 792):
NO_ERROR_CASES = {
    "udp_to_directed_broadcast": lambda b: eth(BCAST_MAC, b.mac, 0x0800, ip4(
        TESTER_IP, NET_BCAST, PROTO_UDP, udp(TESTER_IP, NET_BCAST, 1, 9999, b"x"))),
    "udp_to_limited_broadcast": lambda b: eth(BCAST_MAC, b.mac, 0x0800, ip4(
        TESTER_IP, LIMITED_BCAST, PROTO_UDP, udp(TESTER_IP, LIMITED_BCAST, 1, 9999, b"x"))),
    "udp_as_link_broadcast": lambda b: eth(BCAST_MAC, b.mac, 0x0800, ip4(
        TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 1, 9999, b"x"))),
    "udp_from_zero_source": lambda b: b.to_dut(ip4(
        "0.0.0.0", DUT_IP, PROTO_UDP, udp("0.0.0.0", DUT_IP, 1, 9999, b"x"))),
    "udp_first_fragment": lambda b: b.to_dut(ip4(
        TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 1, 9999, pattern(16)), flags=0b001)),
    "udp_later_fragment": lambda b: b.to_dut(ip4(
        TESTER_IP, DUT_IP, PROTO_UDP, pattern(16), frag=2)),
    "unknown_proto_to_broadcast": lambda b: eth(BCAST_MAC, b.mac, 0x0800, ip4(
        TESTER_IP, NET_BCAST, 253, pattern(8))),
    "unknown_proto_later_fragment": lambda b: b.to_dut(ip4(TESTER_IP, DUT_IP, 253, pattern(8), frag=5)),
}


@pytest.mark.parametrize("case", sorted(NO_ERROR_CASES))
def test_no_error_about(bench, case):
    """RFC 1122 3.2.2: an ICMP error MUST NOT be sent about a datagram to a
    broadcast or multicast address, sent as a link-layer broadcast, a
    non-initial fragment, or whose source is not a single host (e.g. 0.0.0.0);
    RFC 1122 4.1.3.1 / Shoal: UDP to a broadcast at a closed port is dropped
    silently (udp.drop)."""
    bench.prime_arp()
    before = bench.stats()
    frames = bench.exchange(NO_ERROR_CASES[case](bench))
    assert icmp_frames(frames) == [] and frames == []
    after = bench.stats()
    assert after["icmp.xmit"] == before["icmp.xmit"]
    if case in ("udp_to_directed_broadcast", "udp_to_limited_broadcast"):
        assert after["udp.drop"] - before["udp.drop"] == 1
    bench.ping_ok()


def test_no_error_about_icmp_error(sim):
    """RFC 1122 3.2.2 / RFC 792: no ICMP error about an ICMP error message.
    A forwarding node gets datagrams with TTL 1: a UDP datagram and an echo
    request each draw a time exceeded (RFC 1812 5.3.1, the control), an ICMP
    destination unreachable does not."""
    r = sim.node("r", forwarding=True)
    far = sim.node("far")
    tester = sim.raw_host("tester")
    l1 = sim.link(tester, r, delay="1ms", rate="10Mbit")
    l2 = sim.link(r, far, delay="1ms", rate="10Mbit")
    r.iface(l1).set_ip4("10.0.0.1/24")
    r.iface(l2).set_ip4("10.0.1.1/24")
    far.iface(l2).set_ip4("10.0.1.2/24")
    sim.run(duration="20ms")
    tester.recv()
    rmac, tmac = r.iface(l1).mac, tester.iface(l1).mac
    tester.send(eth(BCAST_MAC, tmac, 0x0806, arp(1, tmac, TESTER_IP, ZERO_MAC, "10.0.0.1")))
    sim.run(duration="20ms")
    tester.recv()

    def send_ttl1(payload_proto, payload):
        tester.send(eth(rmac, tmac, 0x0800, ip4(TESTER_IP, "10.0.1.2", payload_proto, payload, ttl=1)))
        sim.run(duration="20ms")
        return tester.recv()

    te = send_ttl1(PROTO_UDP, udp(TESTER_IP, "10.0.1.2", 1, 9, b"x"))
    assert len(te) == 1 and te[0][ICMP].type == 11 and te[0][ICMP].code == 0, te
    te = send_ttl1(PROTO_ICMP, echo_request(1, 1, b"x"))
    assert len(te) == 1 and te[0][ICMP].type == 11, "echo is not an error: time exceeded is due"
    quoted = ip4("10.0.1.2", TESTER_IP, PROTO_UDP, udp("10.0.1.2", TESTER_IP, 9, 1, b"x"))
    assert send_ttl1(PROTO_ICMP, icmp(3, 3, bytes(4), quoted)) == []
    assert send_ttl1(PROTO_ICMP, icmp(11, 0, bytes(4), quoted)) == []


def test_error_rate_limited(bench):
    """RFC 1122 3.2.2 / RFC 1812 4.3.2.8: ICMP errors are rate limited; Shoal's
    token bucket allows a burst of 10 and 10 more per second of virtual time.
    30 stimuli in one instant draw exactly 10 errors, icmp.ratelimited counts
    the other 20, and after a second the bucket is full again."""
    bench.prime_arp()
    bench.tester.recv()

    def burst(n, base):
        for i in range(n):
            bench.send(bench.ip_to_dut(PROTO_UDP, udp(TESTER_IP, DUT_IP, 40000, 9000 + base + i, b"z"),
                                       ident=base + i))
        return bench.run("50ms")

    before = bench.stats()
    frames = burst(30, 0)
    errs = icmp_frames(frames, 3)
    assert len(errs) == 10 and len(frames) == 10
    # The first ten stimuli were the ones answered, in order.
    assert [struct.unpack("!H", raw_ip(f)[28 + 22:28 + 24])[0] for f in errs] == list(range(9000, 9010))
    after = bench.stats()
    assert after["icmp.ratelimited"] - before["icmp.ratelimited"] == 20
    assert after["icmp.xmit"] - before["icmp.xmit"] == 10
    # Echo replies are not errors: not limited even with the bucket empty.
    bench.ping_ok()
    bench.run("1500ms")
    frames = burst(30, 100)
    assert len(icmp_frames(frames, 3)) == 10
    assert bench.stats()["icmp.ratelimited"] - before["icmp.ratelimited"] == 40


def test_error_rate_refills_with_time(bench):
    """RFC 1122 3.2.2: the limit is a rate, not a quota: with one stimulus
    every 200 ms (5 per second, below 10 per second) every one is answered
    even after the burst is used up."""
    bench.prime_arp()
    bench.tester.recv()
    for i in range(10):
        bench.send(bench.ip_to_dut(PROTO_UDP, udp(TESTER_IP, DUT_IP, 40000, 9000 + i, b"z")))
    assert len(icmp_frames(bench.run("20ms"), 3)) == 10
    bench.run("180ms")
    got = 0
    for i in range(10):
        bench.send(bench.ip_to_dut(PROTO_UDP, udp(TESTER_IP, DUT_IP, 40000, 9100 + i, b"z")))
        got += len(icmp_frames(bench.run("200ms"), 3))
    assert got == 10


def test_bad_icmp_checksum_dropped(bench):
    """RFC 1122 3.2.2 / RFC 792: an ICMP message with a bad checksum is
    discarded (icmp.chkerr), not answered, and does no harm."""
    bench.prime_arp()
    good = echo_request(7, 7, pattern(31))
    bad = good[:2] + struct.pack("!H", struct.unpack("!H", good[2:4])[0] ^ 0x5A5A) + good[4:]
    before = bench.stats()
    assert bench.exchange(bench.ip_to_dut(PROTO_ICMP, bad)) == []
    assert stats_delta(before, bench.stats(), prefixes=["icmp."]) == {"icmp.drop": 1, "icmp.chkerr": 1}
    bench.ping_ok()


@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_short_icmp_dropped(bench, n):
    """RFC 792: every ICMP message has at least type, code, checksum and 4
    more bytes; shorter ones are dropped (icmp.lenerr), not answered."""
    bench.prime_arp()
    msg = bytes.fromhex("08000000000100")[:n]
    if n >= 4:  # a right checksum, so that only the length is wrong
        msg = msg[:2] + struct.pack("!H", inet_checksum(msg)) + msg[4:]
    before = bench.stats()
    assert bench.exchange(bench.ip_to_dut(PROTO_ICMP, msg)) == []
    assert stats_delta(before, bench.stats(), prefixes=["icmp."]) == {"icmp.drop": 1, "icmp.lenerr": 1}
    bench.ping_ok()


def test_echo_reply_uses_request_destination(sim):
    """RFC 1122 3.2.2.6: the echo reply's source is the address the request
    was sent to. Checked after readdressing: the reply comes from the new
    address, and the old one is no longer answered."""
    b = Bench(sim)
    b.dif.set_ip4("10.0.0.5/24")
    b.run("20ms")
    assert any(is_arp(f, 2) for f in b.exchange(b.arp_request("10.0.0.5")))
    frames = b.exchange(b.to_dut(ip4(TESTER_IP, "10.0.0.5", PROTO_ICMP, echo_request(3, 4, b"hi"))))
    assert len(frames) == 1 and frames[0][IP].src == "10.0.0.5"
    assert b.exchange(b.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_ICMP, echo_request(3, 5, b"hi")))) == []
