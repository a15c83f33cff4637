"""RFC 8200 (with RFC 4443 and RFC 4291) on a router: a stack node with
forwarding on ("r") between two raw-host testers. Forwarding with the hop
limit decremented and nothing else touched, the ICMPv6 errors a router owes
(time exceeded, no route, address unreachable, packet too big: routers
never fragment, beyond scope), and what it must never forward."""
import struct

import pytest

from conformance6_util import (ALL_NODES, DEST_UNREACH, ECHO_REPLY, H_A, H_B, LL_A, LL_B, NET_B, NH_DST, NH_FRAG,
                               NH_HOP, NH_ICMP6, NH_NONE, NH_UDP, NS, OPT_DISCARD, PACKET_TOO_BIG, R_A, R_B,
                               TIME_EXCEEDED, UNSPEC, RouterBench6, check_icmp6_error, check_ip6_header, dstopts,
                               each, echo6, frag_hdr, hbh, icmp6_of, ip6, mcast_mac, opt, padn, raw_ip6, stats_delta,
                               udp6)

SPORT, DPORT = 4243, 4242
TEXT = b"ForwardMeThroughTheRouterPlease"


def text(n):
    """n bytes of ASCII letters."""
    return bytes(65 + (i * 7) % 26 for i in range(n))


def udp_pkt(src=H_A, dst=H_B, data=TEXT, **kw):
    return ip6(src, dst, NH_UDP, udp6(src, dst, SPORT, DPORT, data), **kw)


@pytest.fixture
def rb(sim):
    return RouterBench6(sim)


def check_router_error(rb, f, *, icmp_type, code, param, invoking, src=R_A, dst=H_A):
    """An ICMPv6 error from r to tester a (RFC 4443 2.2 b: its source a
    unicast address of r, chosen by RFC 6724: r's address on link a for a
    destination there), quoting the packet as received."""
    return check_icmp6_error(f, src=src, dst=dst, src_mac=rb.rmac("a"), dst_mac=rb.mac("a"), icmp_type=icmp_type,
                             code=code, param=param, invoking=invoking)


def test_forward_decrements_hop_limit(rb):
    """RFC 8200 3: a forwarding node decrements the Hop Limit by one (64, 2
    and 255 here); every other byte of the packet is unchanged (no checksum
    in the IPv6 header); Ethernet source = r's MAC on the outgoing link,
    destination = the next hop's (found by ND). ip6.fw counts it."""

    def check(hlim):
        pkt = udp_pkt(hlim=hlim)
        before = rb.stats()
        got = rb.exchange("a", pkt)
        assert got["a"] == [] and len(got["b"]) == 1, got
        f = got["b"][0]
        assert f.src == rb.rmac("b") and f.dst == rb.mac("b")
        assert raw_ip6(f) == pkt[:7] + bytes([hlim - 1]) + pkt[8:]
        assert stats_delta(before, rb.stats(), prefixes=["ip6.fw"]) == {"ip6.fw": 1}

    each([64, 2, 255], check)


def test_forward_both_ways(rb):
    """RFC 8200 3: forwarding works in both directions and for ICMPv6 too."""
    p1 = ip6(H_A, H_B, NH_ICMP6, echo6(H_A, H_B, 1, 1, b"ab"))
    p2 = ip6(H_B, H_A, NH_ICMP6, echo6(H_B, H_A, 1, 1, b"ba", reply=True))
    got = rb.exchange("a", p1)
    assert [raw_ip6(f) for f in got["b"]] == [p1[:7] + b"\x3f" + p1[8:]]
    got = rb.exchange("b", p2)
    assert [raw_ip6(f) for f in got["a"]] == [p2[:7] + b"\x3f" + p2[8:]]


FORWARDED_AS_IS = {
    # RFC 8200 4: extension headers other than Hop-by-Hop are not examined on the way
    "dst_option_discard_action": lambda: ip6(H_A, H_B, NH_DST, dstopts(NH_UDP, opt(OPT_DISCARD, b"xx"))
                                             + udp6(H_A, H_B, SPORT, DPORT, TEXT)),
    "hbh_padding": lambda: ip6(H_A, H_B, NH_HOP, hbh(NH_UDP, padn(6)) + udp6(H_A, H_B, SPORT, DPORT, TEXT)),
    # RFC 8200 4.7: bytes after No Next Header are passed on unchanged
    "no_next_header_with_bytes": lambda: ip6(H_A, H_B, NH_NONE, TEXT),
    # an upper layer r does not know is no business of r's
    "unknown_next_header": lambda: ip6(H_A, H_B, 253, TEXT + b"\0"),
    # a fragment is forwarded like any packet (only the destination reassembles)
    "a_fragment": lambda: ip6(H_A, H_B, NH_FRAG, frag_hdr(NH_UDP, 64, True, 0x1234) + TEXT + b"\0"),
}


def test_forward_leaves_the_rest_alone(rb):
    """RFC 8200 4: extension headers (other than Hop-by-Hop) are not
    processed, inserted or deleted on the way; a Destination Options header
    whose option says "discard" is forwarded, so are bytes after No Next
    Header (4.7), an unknown upper layer and a fragment (4.5). Only the hop
    limit changes."""

    def check(case):
        pkt = FORWARDED_AS_IS[case]()
        got = rb.exchange("a", pkt)
        assert got["a"] == [], got["a"]
        assert [raw_ip6(f) for f in got["b"]] == [pkt[:7] + bytes([pkt[7] - 1]) + pkt[8:]]

    each(sorted(FORWARDED_AS_IS), check)


def test_hop_limit_exceeded(rb):
    """RFC 8200 3 / RFC 4443 3.3: a packet received with Hop Limit 0, or
    decremented to 0, is discarded and Time Exceeded code 0 (hop limit
    exceeded in transit) goes to its source, quoting it; nothing goes on."""

    def check(hlim):
        pkt = udp_pkt(hlim=hlim)
        got = rb.exchange("a", pkt)
        assert got["b"] == []
        assert len(got["a"]) == 1, got["a"]
        check_router_error(rb, got["a"][0], icmp_type=TIME_EXCEEDED, code=0, param=0, invoking=pkt)

    each([1, 0], check)


def test_no_route(rb):
    """RFC 4443 3.1: no route to the destination -> Destination Unreachable
    code 0 to the source, quoting the packet (ip6.rterr counts the miss)."""
    pkt = udp_pkt(dst="2001:db8:99::5")
    before = rb.stats()
    got = rb.exchange("a", pkt)
    assert got["b"] == [] and len(got["a"]) == 1, got
    check_router_error(rb, got["a"][0], icmp_type=DEST_UNREACH, code=0, param=0, invoking=pkt)
    assert stats_delta(before, rb.stats(), prefixes=["ip6.rterr"]) == {"ip6.rterr": 1}


def test_address_unreachable(rb):
    """RFC 4861 7.2.2 / RFC 4443 3.1: when address resolution for the next hop
    fails (MAX_MULTICAST_SOLICIT = 3 Neighbor Solicitations, RetransTimer 1 s
    apart: RFC 4861 10), the queued packet draws Destination Unreachable code
    3 (address unreachable), right when resolution gives up (3 s)."""
    dst = NET_B + "77"
    pkt = udp_pkt(dst=dst)
    rb.run(0)
    t0 = rb.sim.now_ns
    n0 = len(rb.peers["b"].noise)
    rb.send("a", pkt)
    got = rb.run("2900ms")
    assert got["a"] == [] and got["b"] == []
    got = rb.run("1100ms")
    assert got["b"] == []
    assert len(got["a"]) == 1, got["a"]
    f = got["a"][0]
    check_router_error(rb, f, icmp_type=DEST_UNREACH, code=3, param=0, invoking=pkt)
    nss = [g for g in rb.peers["b"].noise[n0:] if (icmp6_of(g) or b"\0")[0] == NS]
    assert len(nss) == 3, nss
    assert 3_000_000_000 <= f.time_ns - t0 <= 3_050_000_000, f.time_ns - t0


def test_packet_too_big(sim):
    """RFC 8200 5 / RFC 4443 3.2: a router does not fragment; a packet larger
    than the next link's MTU (1280 here: 1281, 1400 and 1500 bytes) is
    discarded and Packet Too Big goes to its source with that MTU in the MTU
    field, quoting as much of the packet as fits in 1280 bytes. A fragment is
    not fragmented again either (RFC 8200 4.5). A packet of exactly 1280
    bytes is forwarded whole."""
    rb = RouterBench6(sim, mtu_b=1280)

    def check(size):
        pkt = udp_pkt(data=text(size - 48))
        assert len(pkt) == size
        got = rb.exchange("a", pkt)
        assert got["b"] == [], "forwarded past a smaller MTU"
        assert len(got["a"]) == 1, got["a"]
        check_router_error(rb, got["a"][0], icmp_type=PACKET_TOO_BIG, code=0, param=1280, invoking=pkt)

    each([1281, 1400, 1500], check)
    pkt = ip6(H_A, H_B, NH_FRAG, frag_hdr(NH_UDP, 0, True, 0x77) + text(1352))
    got = rb.exchange("a", pkt)
    assert got["b"] == [] and len(got["a"]) == 1, got
    check_router_error(rb, got["a"][0], icmp_type=PACKET_TOO_BIG, code=0, param=1280, invoking=pkt)
    pkt = udp_pkt(data=text(1280 - 48))
    got = rb.exchange("a", pkt)
    assert got["a"] == [] and [raw_ip6(f) for f in got["b"]] == [pkt[:7] + b"\x3f" + pkt[8:]]


def test_link_local_source_beyond_scope(rb):
    """RFC 4291 2.5.6 / RFC 4443 3.1: a router must not forward a packet with
    a link-local source to another link; it sends Destination Unreachable
    code 2 (beyond scope of source address) back, from its own link-local
    address on that link (RFC 6724: same scope as the destination fe80::a)."""
    pkt = udp_pkt(src=LL_A)
    got = rb.exchange("a", pkt)
    assert got["b"] == [], "link-local source forwarded"
    assert len(got["a"]) == 1, got["a"]
    check_router_error(rb, got["a"][0], icmp_type=DEST_UNREACH, code=2, param=0, invoking=pkt,
                       src=rb.r_ll["a"], dst=LL_A)


NOT_FORWARDED = {
    "link_local_destination": lambda: udp_pkt(dst=LL_B),               # RFC 4291 2.5.6
    "link_scope_multicast": lambda: udp_pkt(dst=ALL_NODES),             # RFC 4291 2.7 (scope 2)
    "interface_local_multicast": lambda: udp_pkt(dst="ff01::1"),        # RFC 4291 2.7 (scope 1)
    "unspecified_source": lambda: udp_pkt(src=UNSPEC),                  # RFC 4291 2.5.2
    "loopback_source": lambda: udp_pkt(src="::1"),                      # RFC 4291 2.5.3
    "loopback_destination": lambda: udp_pkt(dst="::1"),                 # RFC 4291 2.5.3
    "multicast_source": lambda: udp_pkt(src="ff0e::1"),                 # RFC 4291 2.7
}


def test_not_forwarded(rb):
    """RFC 4291: packets with a link-local destination, a multicast
    destination of link or interface scope, an unspecified, loopback or
    multicast source, or a loopback destination never leave the link; none
    of them draws an error to a multicast or unspecified address."""

    def check(case):
        pkt = NOT_FORWARDED[case]()
        dst_mac = mcast_mac(ALL_NODES if case == "link_scope_multicast" else "ff01::1") \
            if "multicast" in case and "source" not in case else None
        got = rb.exchange("a", pkt, dst_mac=dst_mac)
        assert got["b"] == [], f"{case} forwarded"
        for f in got["a"]:  # r may say something, but never to a bad address or as a forward
            m = icmp6_of(f)
            assert m is not None and m[0] < 128, got["a"]
            assert raw_ip6(f)[24] != 0xFF and raw_ip6(f)[24:40] != bytes(16)

    each(sorted(NOT_FORWARDED), check)


def test_packet_for_router_itself(rb):
    """RFC 8200 / RFC 4291: a packet for r's address on its other interface
    is r's own (not forwarded): the echo reply comes back from that address."""
    pkt = ip6(H_A, R_B, NH_ICMP6, echo6(H_A, R_B, 0x10, 0x20, b"me"))
    got = rb.exchange("a", pkt)
    assert got["b"] == [] and len(got["a"]) == 1, got
    f = got["a"][0]
    check_ip6_header(f, src=R_B, dst=H_A, nh=NH_ICMP6, src_mac=rb.rmac("a"), dst_mac=rb.mac("a"))
    m = icmp6_of(f)
    assert m[0] == ECHO_REPLY and m[4:] == struct.pack("!HH", 0x10, 0x20) + b"me"


def test_hop_limit_1_for_router_itself_accepted(rb):
    """RFC 8200 3: the hop limit is only checked when forwarding; a packet for
    r itself with Hop Limit 1 (or 0) is processed."""
    for hlim in (1, 0):
        pkt = ip6(H_A, R_A, NH_ICMP6, echo6(H_A, R_A, 0x11, hlim, b"hl"), hlim=hlim)
        got = rb.exchange("a", pkt)
        assert len(got["a"]) == 1 and icmp6_of(got["a"][0])[0] == ECHO_REPLY, got
