#!/usr/bin/python3
"""Write the seed corpus of fuzz_nd6_opts (fuzz/corpus/fuzz_nd6_opts/).

Each file is a configuration byte (0x01: the instance is a router that
advertises 2001:db8::/64 on eth0; 0x02: no SLAAC), then records for the
harness (see fuzz/fuzz_nd6_opts.c): a 16-bit big-endian word; 0xc000 | ms
advances the clock; 0x8000 | arg << 4 | op is an action; otherwise an ICMPv6
message of (word & 0x7ff) bytes follows a selector byte (source index in the
low nibble, destination index in the high nibble of the harness's address
table). 0x0800 asks the harness for the right checksum (set for every
message meant to be well formed), 0x1000 feeds eth1, 0x4000 puts a hop limit
byte before the selector. The ICMPv6 bodies are built with Scapy.

Run with Debian's interpreter (it has Scapy): /usr/bin/python3 fuzz/make_nd6_corpus.py
The output is deterministic, so rerunning it changes no file.
"""
import os
import struct

from scapy.all import (ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6ND_RS,
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS,
                       ICMPv6NDOptRedirectedHdr, ICMPv6NDOptSrcLLAddr, IPv6, Raw, raw)

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_nd6_opts")

# The harness's address table (indexes for the selector byte).
UNSPEC, N1, ROUTER, OUR_LL, OUR_GLOBAL, ALL_NODES, ALL_ROUTERS, SNM_OUR, SNM_2, ONLINK, OFFLINK, \
    OUR_LL1, SNM_OUR1, SLAAC0, SLAAC1, SITE_MC = range(16)
ADDR = ["::", "fe80::1", "fe80::2", "fe80::ff:fe00:1", "2001:db8::1", "ff02::1", "ff02::2",
        "ff02::1:ff00:1", "ff02::1:ff00:2", "2001:db8::2", "2001:db8:5::9", "fe80::ff:fe00:101",
        "ff02::1:ff00:101", "2001:db8::ff:fe00:1", "2001:db8:1::ff:fe00:1", "ff05::1234"]
MAC = {i: "02:00:00:00:99:%02x" % i for i in range(16)}
FIX_SUM, ON_ETH1, HOP = 0x0800, 0x1000, 0x4000

ACT_SEND, ACT_FLAGS, ACT_ADD_ADDR, ACT_DEL_ADDR, ACT_HINT, ACT_ROUTER, ACT_ENABLE, ACT_LOOKUP, ACT_REDIRECT = range(9)


def msg(body, src, dst, flags=FIX_SUM, hop=None):
    b = raw(body)
    w = len(b) | flags | (HOP if hop is not None else 0)
    out = struct.pack("!H", w)
    if hop is not None:
        out += bytes([hop])
    return out + bytes([(dst << 4) | src]) + b


def wait(ms):
    return struct.pack("!H", 0xc000 | ms)


def act(op, arg=0):
    return struct.pack("!H", 0x8000 | (arg << 4) | op)


def ns(target, src, slla=None):
    body = ICMPv6ND_NS(tgt=ADDR[target])
    if slla is not None:
        body = body / ICMPv6NDOptSrcLLAddr(lladdr=MAC[slla])
    return body


def na(target, s=1, o=1, r=0, tlla=None):
    body = ICMPv6ND_NA(tgt=ADDR[target], S=s, O=o, R=r)
    if tlla is not None:
        body = body / ICMPv6NDOptDstLLAddr(lladdr=MAC[tlla])
    return body


def ra(lifetime=1800, prefixes=("2001:db8:1::",), mtu=1400, rdnss=True, reachable=0, retrans=0):
    body = ICMPv6ND_RA(chlim=64, routerlifetime=lifetime, reachabletime=reachable, retranstimer=retrans)
    body = body / ICMPv6NDOptSrcLLAddr(lladdr=MAC[ROUTER])
    if mtu:
        body = body / ICMPv6NDOptMTU(mtu=mtu)
    for p in prefixes:
        body = body / ICMPv6NDOptPrefixInfo(prefix=p, prefixlen=64, L=1, A=1, validlifetime=3600,
                                            preferredlifetime=1800)
    if rdnss:
        body = body / ICMPv6NDOptRDNSS(dns=["2001:db8::53"], lifetime=600)
    return body


def seeds():
    s = {}
    # Address resolution: we solicit 2001:db8::2, it answers; NUD runs on.
    s["resolve_and_nud"] = bytes([0]) + act(ACT_SEND, ONLINK) + wait(300) + \
        msg(na(ONLINK, tlla=ONLINK), ONLINK, OUR_GLOBAL) + act(ACT_SEND, ONLINK) + wait(45000) + \
        act(ACT_SEND, ONLINK) + wait(5200) + wait(1100) + msg(na(ONLINK, s=1, o=0), ONLINK, OUR_GLOBAL) + \
        act(ACT_HINT, ONLINK << 1) + wait(3000) + act(ACT_LOOKUP, ONLINK)
    # Resolution that fails: packets wait, then address unreachable.
    s["resolve_fail"] = bytes([0]) + act(ACT_SEND, ONLINK) + act(ACT_SEND, ONLINK) + act(ACT_SEND, ONLINK) + \
        act(ACT_SEND, ONLINK) + act(ACT_SEND, OFFLINK) + wait(4000)
    # Neighbor solicitations for our addresses, multicast and unicast.
    s["ns_for_us"] = bytes([0]) + msg(ns(OUR_LL, N1, slla=N1), N1, SNM_OUR) + \
        msg(ns(OUR_GLOBAL, N1, slla=N1), N1, OUR_GLOBAL) + msg(ns(OUR_LL1, N1, slla=N1), N1, SNM_OUR1, ON_ETH1 | FIX_SUM) + \
        msg(ns(OUR_LL, UNSPEC), UNSPEC, SNM_OUR) + wait(2000) + act(ACT_LOOKUP, N1)
    # DAD: another node probes an address we are still testing; a defended one.
    s["dad_conflict"] = bytes([0]) + act(ACT_ADD_ADDR, 3 << 4) + wait(200) + \
        msg(ICMPv6ND_NS(tgt="2001:db8:3::1"), UNSPEC, SNM_OUR) + \
        act(ACT_ADD_ADDR, 4 << 4) + wait(100) + msg(ICMPv6ND_NA(tgt="2001:db8:4::1", S=0, O=1) /
                                                      ICMPv6NDOptDstLLAddr(lladdr=MAC[N1]), N1, ALL_NODES) + wait(3000)
    # Router advertisements: prefixes for SLAAC, MTU, RDNSS; then lifetime 0.
    s["ra_slaac"] = bytes([0]) + msg(ra(), ROUTER, ALL_NODES) + wait(2500) + act(ACT_SEND, OFFLINK) + \
        wait(100) + msg(na(ROUTER, r=1, tlla=ROUTER), ROUTER, OUR_LL) + act(ACT_LOOKUP, OFFLINK) + \
        msg(ra(lifetime=0, prefixes=("2001:db8:1::", "2001:db8:2::"), mtu=0, rdnss=False, reachable=20000,
               retrans=500), ROUTER, ALL_NODES) + wait(3000)
    s["ra_bad_hop"] = bytes([0]) + msg(ra(), ROUTER, ALL_NODES, hop=64) + msg(ra(), OUR_GLOBAL, ALL_NODES)
    # A redirect from the default router to a better first hop.
    red = ICMPv6ND_Redirect(tgt=ADDR[N1], dst=ADDR[OFFLINK]) / ICMPv6NDOptDstLLAddr(lladdr=MAC[N1]) / \
        ICMPv6NDOptRedirectedHdr(pkt=IPv6(src=ADDR[SLAAC1], dst=ADDR[OFFLINK]) / Raw(b"x" * 16))
    s["redirect"] = bytes([0]) + msg(ra(), ROUTER, ALL_NODES) + wait(2500) + act(ACT_SEND, OFFLINK) + \
        msg(na(ROUTER, r=1, tlla=ROUTER), ROUTER, SLAAC1) + msg(red, ROUTER, SLAAC1) + act(ACT_SEND, OFFLINK) + \
        act(ACT_LOOKUP, OFFLINK) + msg(na(ROUTER, s=1, o=1, r=0, tlla=ROUTER), ROUTER, SLAAC1) + wait(1000)
    # Router mode: solicitations answered, redirects sent, stopped.
    s["router_rs"] = bytes([1]) + msg(ICMPv6ND_RS() / ICMPv6NDOptSrcLLAddr(lladdr=MAC[N1]), N1, ALL_ROUTERS) + \
        msg(ICMPv6ND_RS(), UNSPEC, ALL_ROUTERS) + wait(700) + act(ACT_ROUTER, 0x2c) + wait(4000) + \
        act(ACT_REDIRECT, (N1 << 4)) + act(ACT_REDIRECT, (OFFLINK << 4) | 1) + act(ACT_ROUTER, 2) + wait(100)
    # Options: zero length, past the end, unknown, malformed known ones.
    s["bad_options"] = bytes([0]) + \
        msg(ICMPv6ND_NS(tgt=ADDR[OUR_LL]) / Raw(bytes([1, 0, 2, 0, 0, 0, 0, 1])), N1, SNM_OUR) + \
        msg(ICMPv6ND_NS(tgt=ADDR[OUR_LL]) / Raw(bytes([1, 3, 2, 0, 0, 0, 0, 1])), N1, SNM_OUR) + \
        msg(ICMPv6ND_RA() / Raw(bytes([200, 1, 0, 0, 0, 0, 0, 0, 3, 2] + [0] * 14 + [25, 2] + [0] * 14)),
            ROUTER, ALL_NODES)
    # Interface events and address changes mid-resolution.
    s["netif_events"] = bytes([2]) + act(ACT_SEND, ONLINK) + act(ACT_FLAGS, 4) + act(ACT_FLAGS, 0) + \
        wait(1500) + act(ACT_ENABLE, 8 | 2) + act(ACT_DEL_ADDR, OUR_GLOBAL << 1) + act(ACT_ADD_ADDR, 0x18) + \
        wait(2500) + act(ACT_FLAGS, 6) + act(ACT_FLAGS, 2)
    return s


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds().items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
