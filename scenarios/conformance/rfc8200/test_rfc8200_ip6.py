"""RFC 8200 (IPv6) on a host, checked on the wire: the fixed header of what
the dut sends, validation of what it receives, and the extension header
chain: processing order, the option action bits (4.2), unknown Next Header
values, Routing headers (type 0 refused, RFC 5095), No Next Header. The
IPv6 Ready Phase-2 core area "Section 1: RFC 8200"."""
import struct

import pytest

from conformance6_util import (ALL_NODES, DELAY_NS, DUT_IP6, ECHO_REPLY, NH_DST, NH_FRAG, NH_HOP, NH_ICMP6, NH_NONE,
                               NH_ROUTING, NH_UDP, OPT_BY_ACTION, OPT_SKIP, OTHER_IP6, PARAM_PROBLEM, TESTER_IP6,
                               TESTER_LL, Bench6, a6, check_icmp6_error, check_ip6_header, dstopts, each, echo6,
                               echo_replies6, errors6, hbh, icmp6_of, ip6, l4_checksum_ok, mcast_mac, opt, pad1,
                               padn, pattern, routing, stats_delta, tx_ns, udp6)
from conformance6_util import excuse as excuse_frame

UNKNOWN_NH = 253  # RFC 3692 experimental: no stack implements it


@pytest.fixture
def bench(sim):
    b = Bench6(sim)
    b.prime_nd()
    return b


def one_error(bench, frames, *, code, pointer, invoking, src=DUT_IP6, dst=TESTER_IP6, excuse=False):
    """Exactly one frame came back: a Parameter Problem with this code and
    pointer (RFC 4443 3.4), quoting the invoking packet. excuse: the quote
    is malformed on purpose (tshark would report it inside the error)."""
    assert len(frames) == 1, f"expected one Parameter Problem, got {frames!r}"
    check_icmp6_error(frames[0], src=src, dst=dst, src_mac=bench.dut_mac, dst_mac=bench.mac,
                      icmp_type=PARAM_PROBLEM, code=code, param=pointer, invoking=invoking)
    if excuse:
        excuse_frame(bench.sim, bench.link, frames[0])


# ------------------------------------------------------------- fixed header

def test_echo_reply_header_fields(bench):
    """RFC 8200 3: a packet the dut sends has version 6, traffic class 0
    (RFC 8200 7: zero unless told otherwise), a payload length that counts
    the bytes after the fixed header, next header 58, the interface's hop
    limit (64: RFC 4861 6.3.2 default CurHopLimit), source = the address the
    request was sent to (RFC 4443 2.2 a), destination = its source; Ethernet
    addresses of both ends (RFC 2464). Sizes 0, 1, 56, 1001 and 1452 (the
    largest echo that fits a 1500-byte link unfragmented). The reply leaves
    at once: it arrives after both propagation delays plus both
    serialisation times, to the ns."""

    def check(size):
        data = pattern(size, salt=size)
        frame = bench.echo_to_dut(data, 0xA1B2, 0xC3D4)
        bench.run(0)
        mark = bench.mark()
        t0 = bench.sim.now_ns
        bench.send(frame)
        frames = bench.run("50ms")
        assert len(frames) == 1, frames
        r = frames[0]
        pkt = check_ip6_header(r, src=DUT_IP6, dst=TESTER_IP6, nh=NH_ICMP6, src_mac=bench.dut_mac,
                               dst_mac=bench.mac)
        assert struct.unpack("!H", pkt[4:6])[0] == 8 + size
        assert len(bytes(r)) == 14 + 40 + 8 + size, "no padding, no trailing bytes"
        msg = pkt[40:]
        assert (msg[0], msg[1]) == (ECHO_REPLY, 0)
        assert msg[4:8] == struct.pack("!HH", 0xA1B2, 0xC3D4) and msg[8:] == data
        assert l4_checksum_ok(r)
        assert r.time_ns - t0 == 2 * DELAY_NS + tx_ns(len(frame)) + tx_ns(len(bytes(r)))
        d = bench.delta(mark, prefixes=["ip6.", "icmp6."])
        assert d.get("ip6.recv") == 1 and d.get("ip6.xmit") == 1, d
        assert d.get("icmp6.recv") == 1, d

    each([0, 1, 56, 1001, 1452], check)


def test_echo_between_link_local_addresses(bench):
    """RFC 4291 2.5.6 / RFC 4443 2.2 (a): a request to the dut's link-local
    address is answered from that link-local address, to the tester's."""
    bench.prime_nd(src=TESTER_LL, target=bench.dut_ll)
    frames = bench.exchange(bench.echo_to_dut(b"ll", 7, 8, src=TESTER_LL, dst=bench.dut_ll))
    assert len(frames) == 1, frames
    check_ip6_header(frames[0], src=bench.dut_ll, dst=TESTER_LL, nh=NH_ICMP6, src_mac=bench.dut_mac,
                     dst_mac=bench.mac)
    assert icmp6_of(frames[0])[8:] == b"ll" and l4_checksum_ok(frames[0])


def test_any_hop_limit_accepted_by_destination(bench):
    """RFC 8200 3: "A node that is the destination of a packet should not
    discard a packet with Hop Limit equal to zero; it should process the
    packet normally." Hop limits 0, 1 and 255; the reply still has the
    default hop limit."""

    def check(hlim):
        frames = bench.exchange(bench.echo_to_dut(b"hl", 1, hlim, hlim=hlim))
        assert len(echo_replies6(frames)) == 1 and len(frames) == 1, frames
        check_ip6_header(frames[0], src=DUT_IP6, dst=TESTER_IP6, nh=NH_ICMP6, src_mac=bench.dut_mac,
                         dst_mac=bench.mac)

    each([0, 1, 255], check)


def test_traffic_class_and_flow_label_accepted(bench):
    """RFC 8200 6 / 7 (RFC 6437): a packet with a non-zero flow label and
    traffic class is processed like any other."""
    frames = bench.exchange(bench.echo_to_dut(b"tc", 2, 2, tclass=0xB8, flow=0xABCDE))
    assert len(echo_replies6(frames)) == 1 and len(frames) == 1, frames


def test_trailing_bytes_after_payload_ignored(bench):
    """RFC 8200 3: the payload length, not the frame, says where the packet
    ends; bytes after it (Ethernet padding, RFC 2464) are not data."""
    pkt = ip6(TESTER_IP6, DUT_IP6, NH_ICMP6, echo6(TESTER_IP6, DUT_IP6, 3, 3, b"abc"))
    frames = bench.exchange(bench.to_dut(pkt + b"JUNKJUNK"))
    assert len(frames) == 1, frames
    msg = icmp6_of(frames[0])
    assert msg[0] == ECHO_REPLY and msg[8:] == b"abc" and l4_checksum_ok(frames[0])


def _echo_pkt(**kw):
    return ip6(TESTER_IP6, DUT_IP6, NH_ICMP6, echo6(TESTER_IP6, DUT_IP6, 9, 9, b"bad"), **kw)


MALFORMED_HEADER = {
    "version_4": (lambda: _echo_pkt(version=4), "proterr"),
    "version_0": (lambda: _echo_pkt(version=0), "proterr"),
    "version_7": (lambda: _echo_pkt(version=7), "proterr"),
    "payload_length_one_past_frame": (lambda: _echo_pkt(plen=12), "lenerr"),
    "payload_length_far_past_frame": (lambda: _echo_pkt(plen=1400), "lenerr"),
    "truncated_fixed_header": (lambda: _echo_pkt()[:39], "lenerr"),
    "fixed_header_only_20": (lambda: _echo_pkt()[:20], "lenerr"),
}


def test_malformed_fixed_header_dropped(bench):
    """RFC 8200 3: a packet whose version is not 6, whose payload length runs
    past the bytes received, or whose fixed header is cut short is dropped
    silently (ip6.drop, and the class: proterr for the version, lenerr for
    lengths); the dut stays well (a normal ping after each)."""

    def check(case):
        build, cls = MALFORMED_HEADER[case]
        before = bench.stats()
        assert bench.exchange(bench.to_dut(build())) == []
        d = stats_delta(before, bench.stats(), prefixes=["ip6."])
        assert d == {"ip6.drop": 1, "ip6." + cls: 1}, d
        bench.ping_ok()

    each(sorted(MALFORMED_HEADER), check)


def test_not_for_us_not_forwarded_by_host(bench):
    """RFC 8200 3 / RFC 8504 (a host is not a router): a unicast packet for
    another address is neither answered nor sent on, and draws no error."""
    frames = bench.exchange(bench.to_dut(ip6(TESTER_IP6, OTHER_IP6, NH_ICMP6, echo6(TESTER_IP6, OTHER_IP6, 1, 1))))
    assert frames == []
    bench.ping_ok()


def test_multicast_group_not_joined_ignored(bench):
    """RFC 4291 2.7: a packet to a multicast group the dut has not joined is
    not for it."""
    grp = "ff02::1234"
    frames = bench.exchange(bench.ip6_to_dut(NH_ICMP6, echo6(TESTER_IP6, grp, 1, 1, b"g"), dst=grp))
    assert frames == []


# ------------------------------------------------------- extension headers

def _chain(headers_then_nh):
    """(bytes of the headers, their first NH value) from a list of
    (header type, builder(next)) applied back to front before an ICMPv6
    echo request."""
    nxt, body = NH_ICMP6, b""
    for kind, build in reversed(headers_then_nh):
        body = build(nxt) + body
        nxt = kind
    return nxt, body


VALID_CHAINS = {
    "hbh_pad1": [(NH_HOP, lambda n: hbh(n, pad1() * 6))],
    "hbh_padn": [(NH_HOP, lambda n: hbh(n, padn(6)))],
    "hbh_router_alert": [(NH_HOP, lambda n: hbh(n, opt(5, b"\0\0")))],
    "dst_padn_24_bytes": [(NH_DST, lambda n: dstopts(n, padn(22)))],
    "hbh_then_dst": [(NH_HOP, lambda n: hbh(n, padn(6))), (NH_DST, lambda n: dstopts(n, padn(6)))],
    "two_dst": [(NH_DST, lambda n: dstopts(n, padn(6))), (NH_DST, lambda n: dstopts(n, pad1() * 6))],
    "dst_rh0_segleft0_dst": [(NH_DST, lambda n: dstopts(n, padn(6))), (NH_ROUTING, lambda n: routing(n, 0, 0)),
                             (NH_DST, lambda n: dstopts(n, padn(6)))],
    "rh_unknown_type_segleft0": [(NH_ROUTING, lambda n: routing(n, 253, 0))],
    "rh0_segleft0": [(NH_ROUTING, lambda n: routing(n, 0, 0))],
    "hbh_skip_option": [(NH_HOP, lambda n: hbh(n, opt(OPT_SKIP, b"xyz")))],
    "six_headers": [(NH_HOP, lambda n: hbh(n, padn(6)))] + [(NH_DST, lambda n: dstopts(n, padn(6)))] * 5,
}


def test_valid_extension_chain_processed(bench):
    """RFC 8200 4 / 4.1: extension headers are processed in order and the
    upper-layer header after them is delivered: Pad1/PadN (4.2), an option of
    action 00 skipped, Router Alert (RFC 2711), Destination Options before and
    after a Routing header, two Destination Options headers ("any order and
    any number of times", 4.1), a Routing header with Segments Left 0 of an
    unknown type or type 0 ignored (4.4, RFC 5095 3). The reply carries the
    data and is a plain ICMPv6 packet."""

    def check(case):
        first, chain = _chain(VALID_CHAINS[case])
        pkt = ip6(TESTER_IP6, DUT_IP6, first, chain + echo6(TESTER_IP6, DUT_IP6, 0x55, 0x66, b"ext"))
        frames = bench.exchange(bench.to_dut(pkt))
        assert len(frames) == 1, frames
        check_ip6_header(frames[0], src=DUT_IP6, dst=TESTER_IP6, nh=NH_ICMP6, src_mac=bench.dut_mac,
                         dst_mac=bench.mac)
        msg = icmp6_of(frames[0])
        assert msg[0] == ECHO_REPLY and msg[4:] == struct.pack("!HH", 0x55, 0x66) + b"ext"

    each(sorted(VALID_CHAINS), check)


@pytest.mark.parametrize("where", ["hop_by_hop", "destination"])
def test_unknown_option_action(bench, where):
    """RFC 8200 4.2: the two high bits of an unrecognised option's type say
    what to do: 00 skip it and go on; 01 discard silently; 10 discard and send
    Parameter Problem code 2 pointing at the option type, whatever the
    destination; 11 the same, but only if the destination is not multicast
    (RFC 4443 2.4 e.3 lets code 2 go to a multicast-addressed packet's
    source). The error comes from a unicast address of the dut (RFC 4443 2.2)
    and quotes the packet. The option sits after a Pad1, so the pointer is
    43 (40 + next header + length + Pad1). Each action to DUT_IP6 and to
    ff02::1, in a Hop-by-Hop or a Destination Options header."""
    build = hbh if where == "hop_by_hop" else dstopts
    first = NH_HOP if where == "hop_by_hop" else NH_DST

    def check(case):
        action, dst = case
        daddr = DUT_IP6 if dst == "unicast" else ALL_NODES
        hdr = build(NH_ICMP6, pad1() + opt(OPT_BY_ACTION[action], b"op"))
        pkt = ip6(TESTER_IP6, daddr, first, hdr + echo6(TESTER_IP6, daddr, 0x77, action, b"opts"))
        before = bench.stats()
        frames = bench.exchange(bench.to_dut(pkt, dst_mac=None if dst == "unicast" else mcast_mac(ALL_NODES)))
        if action == 0b00:
            assert len(frames) == 1 and len(echo_replies6(frames)) == 1, frames
            check_ip6_header(frames[0], src=DUT_IP6, dst=TESTER_IP6, nh=NH_ICMP6, src_mac=bench.dut_mac,
                             dst_mac=bench.mac)
            return
        if action == 0b01 or (action == 0b11 and dst == "multicast"):
            assert frames == []
        else:
            one_error(bench, frames, code=2, pointer=43, invoking=pkt)
        assert stats_delta(before, bench.stats(), prefixes=["ip6.drop"]) == {"ip6.drop": 1}
        bench.ping_ok()

    each([(a, d) for a in (0b00, 0b01, 0b10, 0b11) for d in ("unicast", "multicast")], check)


def test_option_in_second_header_pointer(bench):
    """RFC 8200 4.2 / RFC 4443 3.4: the pointer is the offset from the start
    of the packet: an action-10 option in a Destination Options header that
    follows an 8-byte Hop-by-Hop header is at 40 + 8 + 3 = 51."""
    chain = hbh(NH_DST, padn(6)) + dstopts(NH_ICMP6, pad1() + opt(OPT_BY_ACTION[2], b"p"))
    pkt = ip6(TESTER_IP6, DUT_IP6, NH_HOP, chain + echo6(TESTER_IP6, DUT_IP6, 1, 1))
    one_error(bench, bench.exchange(bench.to_dut(pkt)), code=2, pointer=51, invoking=pkt)


def test_headers_processed_in_order(bench):
    """RFC 8200 4: headers are processed strictly in order. A Destination
    Options header with an action-10 option whose Next Header is unknown
    draws the option's error (code 2, pointer 43), not the unknown Next
    Header's; with an action-00 option instead, processing goes on to the
    Next Header field, which draws code 1 pointing at it (offset 40)."""
    body = pattern(16)
    p1 = ip6(TESTER_IP6, DUT_IP6, NH_DST, dstopts(UNKNOWN_NH, pad1() + opt(OPT_BY_ACTION[2], b"aa")) + body)
    one_error(bench, bench.exchange(bench.to_dut(p1)), code=2, pointer=43, invoking=p1)
    p2 = ip6(TESTER_IP6, DUT_IP6, NH_DST, dstopts(UNKNOWN_NH, pad1() + opt(OPT_SKIP, b"aa")) + body)
    one_error(bench, bench.exchange(bench.to_dut(p2)), code=1, pointer=40, invoking=p2)


UNKNOWN_NH_CASES = {
    "in_fixed_header": (lambda body: ip6(TESTER_IP6, DUT_IP6, UNKNOWN_NH, body), 6),
    "after_hop_by_hop": (lambda body: ip6(TESTER_IP6, DUT_IP6, NH_HOP, hbh(UNKNOWN_NH, padn(6)) + body), 40),
    "after_hbh_and_dst": (lambda body: ip6(TESTER_IP6, DUT_IP6, NH_HOP, hbh(NH_DST, padn(6))
                                           + dstopts(UNKNOWN_NH, padn(14)) + body), 48),
    "ethernet_143": (lambda body: ip6(TESTER_IP6, DUT_IP6, 143, body), 6),
}


def test_unknown_next_header(bench):
    """RFC 8200 4 / RFC 4443 3.4: a Next Header value the node does not know
    (here 253, RFC 3692 experimental, and 143, Ethernet) -> discard and
    Parameter Problem code 1 with the pointer at that Next Header field:
    offset 6 in the fixed header, 40 in a first extension header, 48 in a
    second. Counted as a dropped packet."""

    def check(case):
        build, pointer = UNKNOWN_NH_CASES[case]
        pkt = build(pattern(24, salt=3))
        before = bench.stats()
        one_error(bench, bench.exchange(bench.to_dut(pkt)), code=1, pointer=pointer, invoking=pkt)
        assert stats_delta(before, bench.stats(), prefixes=["ip6.drop"]) == {"ip6.drop": 1}
        bench.ping_ok()

    each(sorted(UNKNOWN_NH_CASES), check)


def test_unknown_next_header_to_multicast_no_error(bench):
    """RFC 4443 2.4 (e.3): Parameter Problem code 1 is not sent about a
    packet to a multicast address; the packet is still dropped."""
    pkt = ip6(TESTER_IP6, ALL_NODES, UNKNOWN_NH, pattern(24))
    assert bench.exchange(bench.to_dut(pkt, dst_mac=mcast_mac(ALL_NODES))) == []
    bench.ping_ok()


def test_hop_by_hop_not_first_is_unknown(bench):
    """RFC 8200 4 / 4.1: the Hop-by-Hop Options header may only follow the
    fixed header; Next Header 0 in any other header is treated like an
    unrecognised Next Header: code 1, pointer at that field (40)."""
    pkt = ip6(TESTER_IP6, DUT_IP6, NH_DST, dstopts(NH_HOP, padn(6)) + hbh(NH_ICMP6, padn(6))
              + echo6(TESTER_IP6, DUT_IP6, 1, 1))
    one_error(bench, bench.exchange(bench.to_dut(pkt)), code=1, pointer=40, invoking=pkt, excuse=True)


def _rh_echo(rtype, segleft, prefix=b"", prefix_nh=None):
    """An echo request behind a Routing header (after `prefix` headers). Its
    checksum uses the final destination (RFC 8200 8.1): the last address of
    the header when Segments Left is not 0."""
    rh = routing(NH_ICMP6, rtype, segleft)
    final = DUT_IP6 if segleft == 0 else socket_ntop(rh[-16:])
    msg = echo6(TESTER_IP6, final, 2, 2, b"route")
    return ip6(TESTER_IP6, DUT_IP6, prefix_nh if prefix else NH_ROUTING, prefix + rh + msg)


def socket_ntop(raw):
    import socket
    return socket.inet_ntop(socket.AF_INET6, raw)


def test_routing_header_refused(bench):
    """RFC 5095 3: a node MUST NOT process a type 0 Routing header addressed
    to it; it is handled as an unrecognised Routing Type (RFC 8200 4.4): with
    Segments Left non-zero, discard and Parameter Problem code 0 pointing at
    the Routing Type field (offset 42, or 50 behind an 8-byte Destination
    Options header). Same for an unknown type (253) and for type 2 (RFC 6275,
    Mobile IPv6, which the dut does not implement)."""

    def check(case):
        rtype, segleft, after_dst = case
        if after_dst:
            pkt = _rh_echo(rtype, segleft, prefix=dstopts(NH_ROUTING, padn(6)), prefix_nh=NH_DST)
            pointer = 50
        else:
            pkt = _rh_echo(rtype, segleft)
            pointer = 42
        before = bench.stats()
        one_error(bench, bench.exchange(bench.to_dut(pkt)), code=0, pointer=pointer, invoking=pkt, excuse=True)
        assert stats_delta(before, bench.stats(), prefixes=["ip6.drop"]) == {"ip6.drop": 1}
        bench.ping_ok()

    each([(0, 1, False), (0, 2, False), (0, 1, True), (253, 1, False), (2, 1, False)], check)


def test_no_next_header(bench):
    """RFC 8200 4.7: Next Header 59 means nothing follows; bytes after it are
    ignored: no reply, no error, whether it is in the fixed header or in a
    Destination Options header."""
    mark = bench.mark()
    p1 = ip6(TESTER_IP6, DUT_IP6, NH_NONE, echo6(TESTER_IP6, DUT_IP6, 1, 1, b"ignored"))
    assert bench.exchange(bench.to_dut(p1)) == []
    p2 = ip6(TESTER_IP6, DUT_IP6, NH_DST, dstopts(NH_NONE, padn(6)) + pattern(32))
    assert bench.exchange(bench.to_dut(p2)) == []
    p3 = ip6(TESTER_IP6, DUT_IP6, NH_NONE, b"")
    assert bench.exchange(bench.to_dut(p3)) == []
    d = bench.delta(mark, prefixes=["ip6.recv"])
    assert d.get("ip6.recv") == 3, "accepted, then nothing to deliver"
    bench.ping_ok()


MALFORMED_CHAINS = {
    # a header whose length runs past the packet
    "hbh_length_past_end": lambda: ip6(TESTER_IP6, DUT_IP6, NH_HOP, hbh(NH_ICMP6, padn(6), hdr_ext_len=3)
                                       + echo6(TESTER_IP6, DUT_IP6, 1, 1)),
    "dst_cut_after_2_bytes": lambda: ip6(TESTER_IP6, DUT_IP6, NH_DST, bytes([NH_ICMP6, 0])),
    # an option whose length runs past its header
    "option_past_header": lambda: ip6(TESTER_IP6, DUT_IP6, NH_DST, bytes([NH_ICMP6, 0, OPT_SKIP, 30]) + bytes(4)
                                      + echo6(TESTER_IP6, DUT_IP6, 1, 1)),
    "routing_cut": lambda: ip6(TESTER_IP6, DUT_IP6, NH_ROUTING, bytes([NH_ICMP6, 2, 0, 0])),
    "empty_after_hbh_nh": lambda: ip6(TESTER_IP6, DUT_IP6, NH_HOP, b""),
}


def test_malformed_extension_chain_dropped(bench):
    """RFC 8200 4 (every header's length is checked before it is read): a
    chain cut short, or an option running past its header, is dropped (the
    packet counts in ip6.drop); it is never delivered, and if anything is
    said it is a Parameter Problem code 0 (erroneous field) about it."""

    def check(case):
        pkt = MALFORMED_CHAINS[case]()
        before = bench.stats()
        frames = bench.exchange(bench.to_dut(pkt))
        assert echo_replies6(frames) == []
        for f in frames:
            m = icmp6_of(f)
            assert m is not None and (m[0], m[1]) == (PARAM_PROBLEM, 0), frames
            excuse_frame(bench.sim, bench.link, f)
        assert len(frames) <= 1
        assert stats_delta(before, bench.stats(), prefixes=["ip6.drop"]) == {"ip6.drop": 1}
        bench.ping_ok()

    each(sorted(MALFORMED_CHAINS), check)


def test_long_chain_bounded(bench):
    """RFC 8504 5.3 (a host may protect itself from excessive extension
    headers; issue 5 asks for a bounded walk: Shoal takes at most 8 headers,
    IP6_EXT_MAX): 40 Destination Options headers in a row are not delivered
    and do no harm; the dut stays well."""
    body = b"".join(dstopts(NH_DST, padn(6)) for _ in range(39)) + dstopts(NH_ICMP6, padn(6))
    pkt = ip6(TESTER_IP6, DUT_IP6, NH_DST, body + echo6(TESTER_IP6, DUT_IP6, 1, 1, b"far"))
    frames = bench.exchange(bench.to_dut(pkt))
    assert echo_replies6(frames) == []
    assert all((icmp6_of(f) or b"\0")[0] == PARAM_PROBLEM for f in frames), frames
    bench.ping_ok()


def test_udp_behind_extension_headers(bench):
    """RFC 8200 4 / 8.1: UDP after a Hop-by-Hop and a Destination Options
    header reaches the socket; the checksum covers the UDP datagram with the
    pseudo-header (not the extension headers)."""
    sock = bench.dut.udp(port=7007)
    payload = pattern(40, salt=9)
    pkt = ip6(TESTER_IP6, DUT_IP6, NH_HOP, hbh(NH_DST, padn(6)) + dstopts(NH_UDP, padn(6))
              + udp6(TESTER_IP6, DUT_IP6, 5555, 7007, payload))
    assert bench.exchange(bench.to_dut(pkt)) == []
    got = sock.recvfrom()
    assert got is not None and got[0] == payload and got[1][1] == 5555 and a6(got[1][0]) == a6(TESTER_IP6)


def test_atomic_fragment_behind_hop_by_hop(bench):
    """RFC 8200 4.5 / RFC 6946: an atomic fragment (offset 0, M = 0) behind a
    Hop-by-Hop header is processed as a whole packet right away."""
    pkt = ip6(TESTER_IP6, DUT_IP6, NH_HOP, hbh(NH_FRAG, padn(6)) + struct.pack("!BBHI", NH_ICMP6, 0, 0, 0xA70)
              + echo6(TESTER_IP6, DUT_IP6, 4, 4, b"atomic"))
    frames = bench.exchange(bench.to_dut(pkt))
    assert len(frames) == 1 and icmp6_of(frames[0])[8:] == b"atomic", frames
    assert errors6(frames) == []
