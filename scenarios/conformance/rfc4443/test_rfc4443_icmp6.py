"""RFC 4443 (ICMPv6), checked on the wire: echo to unicast and multicast
addresses, checksum over the pseudo-header, the message processing rules of
2.4 (unknown informational types dropped, errors never about errors, never
to multicast or for bad sources, as much of the invoking packet as fits in
1280 bytes, rate limiting) and the source address rules of 2.2. The IPv6
Ready Phase-2 core area "Section 5: RFC 4443"."""
import struct

from conformance6_util import (ALL_NODES, DEST_UNREACH, DUT_IP6, H_A, H_B, NH_DST, NH_FRAG, NH_ICMP6,
                               NH_ROUTING, NH_UDP, OPT_BY_ACTION, PACKET_TOO_BIG, PARAM_PROBLEM, REASS_TIMEOUT_NS,
                               SECOND_NS, TESTER_IP6, TESTER_LL, TIME_EXCEEDED, UNSPEC, Bench6, RouterBench6,
                               check_icmp6_error, check_ip6_header, checksum6, corrupt, dstopts, each, echo6,
                               echo_replies6, errors6, frag_hdr, icmp6, icmp6_burst_config, icmp6_error, icmp6_of,
                               inet_checksum, ip6, l4_checksum_ok, mcast_mac, opt, pad1, pattern, routing,
                               solicited_node, udp6)
import pytest

UNKNOWN_NH = 253
CLOSED_PORT = 9999


@pytest.fixture
def bench(sim):
    b = Bench6(sim)
    b.prime_nd()
    return b


def error_from_dut(bench, frames, *, icmp_type, code, param, invoking, src=DUT_IP6, dst=TESTER_IP6):
    assert len(frames) == 1, f"expected one ICMPv6 error, got {frames!r}"
    return check_icmp6_error(frames[0], src=src, dst=dst, src_mac=bench.dut_mac, dst_mac=bench.mac,
                             icmp_type=icmp_type, code=code, param=param, invoking=invoking)


# --------------------------------------------------------------------- echo

def test_echo_reply(bench):
    """RFC 4443 4.2: the Echo Reply has type 129 code 0, the request's
    identifier, sequence number and data (odd sizes included), and a valid
    checksum over the pseudo-header and the message (2.3), equal to the one
    computed here for the reply built from scratch. Sizes 0, 1, 17, 56, 999,
    1452."""

    def check(size):
        data = pattern(size, salt=size)
        mark = bench.mark()
        frames = bench.exchange(bench.echo_to_dut(data, 0xA1B2, size))
        assert len(frames) == 1, frames
        pkt = check_ip6_header(frames[0], src=DUT_IP6, dst=TESTER_IP6, nh=NH_ICMP6, src_mac=bench.dut_mac,
                               dst_mac=bench.mac)
        msg = pkt[40:]
        assert msg == echo6(DUT_IP6, TESTER_IP6, 0xA1B2, size, data, reply=True)
        assert l4_checksum_ok(frames[0])
        d = bench.delta(mark, prefixes=["icmp6.recv"])
        assert d == {"icmp6.recv": 1}, d

    each([0, 1, 17, 56, 999, 1452], check)


def test_echo_to_multicast(bench):
    """RFC 4443 4.2: an Echo Request to a multicast address the dut listens
    to (all-nodes ff02::1, and its solicited-node group) is answered
    (SHOULD), from a unicast address of the interface it came in on (MUST):
    the global address for a global source, the link-local address for a
    link-local source (RFC 6724 scope rule)."""
    bench.prime_nd(src=TESTER_LL, target=bench.dut_ll)

    def check(case):
        group, src = case
        frames = bench.exchange(bench.echo_to_dut(b"mc", 0x99, 1, src=src, dst=group))
        assert len(frames) == 1, frames
        want_src = DUT_IP6 if src == TESTER_IP6 else bench.dut_ll
        pkt = check_ip6_header(frames[0], src=want_src, dst=src, nh=NH_ICMP6, src_mac=bench.dut_mac,
                               dst_mac=bench.mac)
        assert pkt[40:] == echo6(want_src, src, 0x99, 1, b"mc", reply=True)

    each([(ALL_NODES, TESTER_IP6), (ALL_NODES, TESTER_LL), (solicited_node(DUT_IP6), TESTER_IP6)], check)


def test_unsolicited_echo_reply_ignored(bench):
    """RFC 4443 4.2: an Echo Reply nobody asked for is not answered."""
    assert bench.exchange(bench.ip6_to_dut(NH_ICMP6, echo6(TESTER_IP6, DUT_IP6, 1, 1, b"r", reply=True))) == []
    bench.ping_ok()


def test_bad_checksum_dropped(bench):
    """RFC 4443 2.3 / 2.4: the checksum covers the pseudo-header and the
    message; a message whose checksum is wrong, or computed without the
    pseudo-header (the IPv4 way), or for another destination, is discarded
    (icmp6.drop and icmp6.chkerr) and never answered."""
    good = echo6(TESTER_IP6, DUT_IP6, 7, 7, pattern(31))
    chk = struct.unpack("!H", good[2:4])[0]
    no_pseudo = inet_checksum(good[:2] + b"\0\0" + good[4:])
    other_dst = checksum6(TESTER_IP6, "2001:db8::77", NH_ICMP6, good[:2] + b"\0\0" + good[4:])
    cases = {"corrupted": corrupt(chk), "zero": 0 if chk else 0x1234, "without_pseudo_header": no_pseudo,
             "other_destination": other_dst}

    def check(case):
        bad = good[:2] + struct.pack("!H", cases[case]) + good[4:]
        mark = bench.mark()
        assert bench.exchange(bench.ip6_to_dut(NH_ICMP6, bad)) == []
        d = bench.delta(mark, prefixes=["icmp6."])
        assert d == {"icmp6.drop": 1, "icmp6.chkerr": 1}, d
        bench.ping_ok()

    each(sorted(cases), check)


def test_short_messages_dropped(bench):
    """RFC 4443 2.1: every message has type, code and checksum (4 bytes), an
    echo also identifier and sequence number (8, 4.1); shorter ones are
    discarded (icmp6.drop, icmp6.lenerr), never answered. The checksum is
    right, so only the length is wrong."""

    def check(n):
        msg = bytes([ECHO_REQUEST_T, 0, 0, 0, 0, 1, 0, 1])[:n]
        if n >= 4:
            msg = msg[:2] + struct.pack("!H", checksum6(TESTER_IP6, DUT_IP6, NH_ICMP6, msg)) + msg[4:]
        mark = bench.mark()
        assert bench.exchange(bench.ip6_to_dut(NH_ICMP6, msg)) == []
        d = bench.delta(mark, prefixes=["icmp6."])
        assert d.get("icmp6.drop") == 1 and d.get("icmp6.lenerr") == 1, d
        bench.ping_ok()

    each([0, 1, 3, 4, 7], check)


ECHO_REQUEST_T = 128


def test_unknown_informational_types_dropped(bench):
    """RFC 4443 2.4 (b): an unknown informational message (types 128-255
    not implemented: 160, 200, 255 here) MUST be silently discarded."""

    def check(t):
        assert bench.exchange(bench.ip6_to_dut(NH_ICMP6, icmp6(TESTER_IP6, DUT_IP6, t, 0, pattern(12)))) == []
        bench.ping_ok()

    each([160, 200, 255], check)


def test_incoming_errors_never_answered(bench):
    """RFC 4443 2.4 (a) and (e.1): ICMPv6 errors that arrive (destination
    unreachable, packet too big, time exceeded, parameter problem, and an
    unknown error type, 100) are passed up or dropped, never answered."""
    quoted = ip6(DUT_IP6, TESTER_IP6, NH_UDP, udp6(DUT_IP6, TESTER_IP6, 5000, 9, b"x"))

    def check(case):
        t, code, param = case
        frames = bench.exchange(bench.ip6_to_dut(NH_ICMP6, icmp6_error(TESTER_IP6, DUT_IP6, t, code, param, quoted)))
        assert frames == []

    each([(DEST_UNREACH, 4, 0), (PACKET_TOO_BIG, 0, 1400), (TIME_EXCEEDED, 0, 0), (PARAM_PROBLEM, 1, 6),
          (100, 0, 0)], check)
    bench.ping_ok()


# ------------------------------------------------------------------- errors

def test_port_unreachable(bench):
    """RFC 4443 3.1: UDP to a port nobody listens on draws Destination
    Unreachable code 4 (port unreachable) from the address it was sent to,
    unused field zero, quoting the datagram."""
    pkt = ip6(TESTER_IP6, DUT_IP6, NH_UDP, udp6(TESTER_IP6, DUT_IP6, 40000, CLOSED_PORT, pattern(11)))
    error_from_dut(bench, bench.exchange(bench.to_dut(pkt)), icmp_type=DEST_UNREACH, code=4, param=0, invoking=pkt)


def test_error_quote_capped_at_minimum_mtu(bench):
    """RFC 4443 2.4 (c): an error carries as much of the invoking packet as
    fits without the error exceeding 1280 bytes: for a 1448-byte packet, the
    error is exactly 1280 bytes (1232 quoted). An unknown Next Header draws
    the error (Parameter Problem code 1, pointer 6)."""
    pkt = ip6(TESTER_IP6, DUT_IP6, UNKNOWN_NH, pattern(1408))
    frames = bench.exchange(bench.to_dut(pkt))
    quote = error_from_dut(bench, frames, icmp_type=PARAM_PROBLEM, code=1, param=6, invoking=pkt)
    assert len(quote) == 1232 and len(bytes(frames[0])) == 14 + 1280


def test_error_source_address(bench):
    """RFC 4443 2.2: (a) an error about a packet sent to one of the node's
    unicast addresses comes from that address: a second global address
    (2001:db8::5) and the link-local one each answer for themselves; (b) for
    a packet to a multicast group (an action-10 option to ff02::1 here), the
    source is a unicast address of the dut chosen as for any packet to the
    error's destination (RFC 6724: the global one for a global tester)."""
    second = "2001:db8::5"
    bench.dif.add_ip6(second + "/64", dad=False)
    bench.run("20ms")
    bench.prime_nd(target=second)
    bench.prime_nd(src=TESTER_LL, target=bench.dut_ll)

    def check(case):
        src, dst = case
        if dst == ALL_NODES:
            pkt = ip6(src, dst, NH_DST, dstopts(UNKNOWN_NH, pad1() + opt(OPT_BY_ACTION[2], b"zz")) + pattern(8))
            frames = bench.exchange(bench.to_dut(pkt, dst_mac=mcast_mac(dst)))
            error_from_dut(bench, frames, icmp_type=PARAM_PROBLEM, code=2, param=43, invoking=pkt, src=DUT_IP6,
                           dst=src)
        else:
            pkt = ip6(src, dst, UNKNOWN_NH, pattern(16))
            error_from_dut(bench, bench.exchange(bench.to_dut(pkt)), icmp_type=PARAM_PROBLEM, code=1, param=6,
                           invoking=pkt, src=dst, dst=src)

    each([(TESTER_IP6, second), (TESTER_IP6, DUT_IP6), (TESTER_LL, bench.dut_ll), (TESTER_IP6, ALL_NODES)], check)


def _frag_error_first(ident):
    """The first fragment of a fragmented ICMPv6 error (destination
    unreachable) to the dut."""
    quoted = ip6(DUT_IP6, TESTER_IP6, NH_UDP, udp6(DUT_IP6, TESTER_IP6, 5000, 9, pattern(200)))
    msg = icmp6_error(TESTER_IP6, DUT_IP6, DEST_UNREACH, 4, 0, quoted)
    return ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 0, True, ident) + msg[:64])


def test_no_error_about_an_error(bench):
    """RFC 4443 2.4 (e.1): no ICMPv6 error is sent as a result of receiving
    an ICMPv6 error message. Controls first: an echo request with an
    action-10 option draws Parameter Problem, and an incomplete echo request
    draws Time Exceeded after 60 s; the same with an ICMPv6 error message
    (destination unreachable) draws nothing."""
    opt_hdr = dstopts(NH_ICMP6, pad1() + opt(OPT_BY_ACTION[2], b"zz"))
    echo = ip6(TESTER_IP6, DUT_IP6, NH_DST, opt_hdr + echo6(TESTER_IP6, DUT_IP6, 1, 1))
    error_from_dut(bench, bench.exchange(bench.to_dut(echo)), icmp_type=PARAM_PROBLEM, code=2, param=43,
                   invoking=echo)
    quoted = ip6(DUT_IP6, TESTER_IP6, NH_UDP, udp6(DUT_IP6, TESTER_IP6, 5000, 9, b"x"))
    err = ip6(TESTER_IP6, DUT_IP6, NH_DST, opt_hdr + icmp6_error(TESTER_IP6, DUT_IP6, DEST_UNREACH, 4, 0, quoted))
    assert bench.exchange(bench.to_dut(err)) == [], "an error about an ICMPv6 error (option action 10)"
    # reassembly time exceeded: control (echo), then an error's first fragment
    echo_first = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 0, True, 0x9101)
                     + echo6(TESTER_IP6, DUT_IP6, 1, 1, pattern(200))[:64])
    bench.send(bench.to_dut(echo_first))
    bench.send(bench.to_dut(_frag_error_first(0x9102)))
    frames = bench.run(REASS_TIMEOUT_NS / SECOND_NS + 1)
    assert len(errors6(frames)) == 1 and len(frames) == 1, frames
    check_icmp6_error(frames[0], src=DUT_IP6, dst=TESTER_IP6, src_mac=bench.dut_mac, dst_mac=bench.mac,
                      icmp_type=TIME_EXCEEDED, code=1, param=0, invoking=echo_first)


def test_router_no_error_about_an_error(sim):
    """RFC 4443 2.4 (e.1) on a router: an ICMPv6 error in transit whose hop
    limit runs out, that has no route, or that is too big for the next link
    draws no error; an echo request in the same situation does (control).
    Error types 1-4 and an unknown one (100)."""
    rb = RouterBench6(sim, mtu_b=1280)
    quoted = ip6(H_B, H_A, NH_UDP, udp6(H_B, H_A, 9, 1, b"x"))

    def situation(dst, hlim, size):
        def build(msg_of):
            return ip6(H_A, dst, NH_ICMP6, msg_of(dst, size), hlim=hlim)
        return build

    situations = {"hop_limit_1": situation(H_B, 1, 0), "no_route": situation("2001:db8:99::1", 64, 0),
                  "too_big": situation(H_B, 64, 1300)}

    def check(case):
        name, t = case
        build = situations[name]
        echo_pkt = build(lambda d, n: echo6(H_A, d, 1, 1, pattern(n)))
        got = rb.exchange("a", echo_pkt)
        assert len(errors6(got["a"])) == 1, f"control: an echo request draws an error ({got})"
        err_pkt = build(lambda d, n: icmp6_error(H_A, d, t, 0, 0, quoted + pattern(n)))
        got = rb.exchange("a", err_pkt)
        assert got["a"] == [] and got["b"] == [], got

    each([(s, t) for s in sorted(situations) for t in (DEST_UNREACH, PACKET_TOO_BIG, TIME_EXCEEDED, PARAM_PROBLEM,
                                                       100)], check)


NO_ERROR_MULTICAST = {
    # RFC 4443 2.4 (e.3): packets to a multicast destination
    "udp_closed_port_to_all_nodes": lambda: ip6(TESTER_IP6, ALL_NODES, NH_UDP,
                                                udp6(TESTER_IP6, ALL_NODES, 1, CLOSED_PORT, b"x")),
    "unknown_next_header_to_all_nodes": lambda: ip6(TESTER_IP6, ALL_NODES, UNKNOWN_NH, pattern(16)),
    "routing_type_0_to_all_nodes": lambda: ip6(TESTER_IP6, ALL_NODES, NH_ROUTING, routing(UNKNOWN_NH, 0, 1)),
    "fragment_not_multiple_of_8_to_all_nodes": lambda: ip6(TESTER_IP6, ALL_NODES, NH_FRAG,
                                                           frag_hdr(NH_ICMP6, 0, True, 0x99) + pattern(12)),
    "option_action_11_to_all_nodes": lambda: ip6(TESTER_IP6, ALL_NODES, NH_DST,
                                                 dstopts(NH_ICMP6, pad1() + opt(OPT_BY_ACTION[3], b"zz"))
                                                 + echo6(TESTER_IP6, ALL_NODES, 1, 1)),
}


def test_no_error_to_multicast_destination(bench):
    """RFC 4443 2.4 (e.3): no error about a packet sent to a multicast
    address, except Packet Too Big and Parameter Problem code 2 (the latter
    is checked in test_rfc8200_ip6::test_unknown_option_action): UDP to a
    closed port, an unknown Next Header, a type 0 Routing header, a bad
    fragment length, an option of action 11."""

    def check(case):
        pkt = NO_ERROR_MULTICAST[case]()
        assert bench.exchange(bench.to_dut(pkt, dst_mac=mcast_mac(ALL_NODES))) == []

    each(sorted(NO_ERROR_MULTICAST), check)
    bench.ping_ok()


def test_no_error_for_link_layer_multicast_or_broadcast(bench):
    """RFC 4443 2.4 (e.4, e.5): no error about a packet sent as a link-layer
    multicast (33:33:00:00:00:01) or broadcast (ff:ff:ff:ff:ff:ff), even to the
    dut's unicast address (an unknown Next Header here)."""

    def check(mac):
        pkt = ip6(TESTER_IP6, DUT_IP6, UNKNOWN_NH, pattern(16))
        assert bench.exchange(bench.to_dut(pkt, dst_mac=mac)) == []

    each(["33:33:00:00:00:01", "ff:ff:ff:ff:ff:ff"], check)
    bench.ping_ok()


def test_no_error_for_source_not_a_single_node(bench):
    """RFC 4443 2.4 (e.6): no error about a packet whose source does not
    identify a single node: the unspecified address, a multicast address
    (RFC 4291 2.7: never a source), for an unknown Next Header and for an
    action-10 option."""

    def check(case):
        src, kind = case
        if kind == "next_header":
            pkt = ip6(src, DUT_IP6, UNKNOWN_NH, pattern(16))
        else:
            pkt = ip6(src, DUT_IP6, NH_DST, dstopts(NH_ICMP6, pad1() + opt(OPT_BY_ACTION[2], b"zz"))
                      + echo6(src, DUT_IP6, 1, 1))
        assert bench.exchange(bench.to_dut(pkt)) == []

    each([(s, k) for s in (UNSPEC, ALL_NODES, "ff0e::1") for k in ("next_header", "option")], check)
    bench.ping_ok()


def test_error_rate_limited(bench):
    """RFC 4443 2.4 (f): ICMPv6 errors MUST be rate limited; Shoal's token
    bucket (opt.h: burst and rate per second) lets exactly `burst` errors out
    of 30 stimuli in one instant, the first ones, in order; icmp6.ratelimited
    counts the rest. Echo replies are not errors: not limited. After a
    second at least `rate` more go out."""
    burst, rate = icmp6_burst_config()
    assert burst and rate and burst < 30
    bench.run(0)

    def stimuli(n, base):
        for i in range(n):
            bench.send(bench.to_dut(ip6(TESTER_IP6, DUT_IP6, UNKNOWN_NH, struct.pack("!H", base + i) + bytes(14))))
        return bench.run("50ms")

    mark = bench.mark()
    frames = stimuli(30, 0)
    errs = errors6(frames)
    assert len(errs) == burst and len(frames) == burst, frames
    assert [struct.unpack("!H", icmp6_of(f)[48:50])[0] for f in errs] == list(range(burst))
    d = bench.delta(mark)
    assert d.get("icmp6.ratelimited") == 30 - burst, d
    bench.ping_ok()
    bench.run("1s")
    frames = stimuli(30, 100)
    assert min(burst, rate) <= len(errors6(frames)) <= burst, len(errors6(frames))


def test_error_rate_refills_with_time(bench):
    """RFC 4443 2.4 (f): the limit is a rate, not a quota: after the burst is
    used up, one stimulus every 1/(rate/2) s is answered every time."""
    burst, rate = icmp6_burst_config()
    bench.run(0)
    for i in range(burst):
        bench.send(bench.to_dut(ip6(TESTER_IP6, DUT_IP6, UNKNOWN_NH, pattern(16, salt=i))))
    assert len(errors6(bench.run("20ms"))) == burst
    gap_ms = 2000 // rate
    got = 0
    for i in range(10):
        bench.run("%dms" % gap_ms)
        bench.send(bench.to_dut(ip6(TESTER_IP6, DUT_IP6, UNKNOWN_NH, pattern(16, salt=100 + i))))
        got += len(errors6(bench.run("1ms")) + errors6(bench.run("20ms")))
    assert got == 10


def test_echo_not_affected_by_errors(bench):
    """RFC 4443 2.4 (f) / 4.1: with the error bucket empty, echo requests are
    still answered, every one."""
    burst, _ = icmp6_burst_config()
    bench.run(0)
    for i in range(burst + 5):
        bench.send(bench.to_dut(ip6(TESTER_IP6, DUT_IP6, UNKNOWN_NH, pattern(16, salt=i))))
    bench.run("20ms")
    for i in range(5):
        bench.send(bench.echo_to_dut(b"e", 0x321, i))
    assert len(echo_replies6(bench.run("50ms"))) == 5


def test_rate_limit_as_configured(sim):
    """RFC 4443 2.4 (f): the limit's parameters are the node's configuration
    (icmp_err_burst, icmp_err_rate_per_s): with a burst of 4 and 2 per
    second, 10 stimuli in one instant draw exactly 4 errors, and 10 more
    1.2 s later exactly 2 (2.4 tokens earned)."""
    bench = Bench6(sim, node_kw={"icmp_err_burst": 4, "icmp_err_rate_per_s": 2})
    bench.prime_nd()
    bench.run(0)

    def stimuli(base):
        for i in range(10):
            bench.send(bench.to_dut(ip6(TESTER_IP6, DUT_IP6, UNKNOWN_NH, struct.pack("!H", base + i) + bytes(14))))

    t0 = bench.sim.now_ns
    stimuli(0)
    errs = errors6(bench.run("50ms"))
    assert [struct.unpack("!H", icmp6_of(f)[48:50])[0] for f in errs] == [0, 1, 2, 3]
    bench.run("%dns" % (t0 + 1_200_000_000 - bench.sim.now_ns))
    stimuli(100)
    errs = errors6(bench.run("50ms"))
    assert [struct.unpack("!H", icmp6_of(f)[48:50])[0] for f in errs] == [100, 101]
