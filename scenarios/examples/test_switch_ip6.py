"""The Ethernet switch over IPv6 (the twin of test_switch.py): stacks
resolve each other with Neighbor Discovery across a learning switch and
ping; a raw host on a third port hears what the switch floods (the
solicitation, sent to a solicited-node multicast group, and unknown unicast
after the addresses aged out) and not what it forwards."""

import ipaddress

from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,
                                ICMPv6NDOptSrcLLAddr, IPv6)

DELAY_NS = 1_000_000
RATE = 10_000_000
A, B = "2001:db8::1", "2001:db8::2"


def lan(sim, ageing="300s"):
    """a and b (stacks, fixed global addresses without DAD) and c (a raw
    host) on one switch; runs until both link-local addresses passed DAD."""
    sw = sim.switch("sw1", ageing=ageing)
    a, b, c = sim.node("a"), sim.node("b"), sim.raw_host("c")
    la, lb, lc = (sim.link(n, sw, delay="1ms", rate="10Mbit") for n in (a, b, c))
    a.iface(la).add_ip6(A + "/64", dad=False)
    b.iface(lb).add_ip6(B + "/64", dad=False)
    assert sim.run_until(lambda: a.iface(la).ip6_linklocal and b.iface(lb).ip6_linklocal, "5s")
    return sw, a, b, c, la, lb, lc


def ping_ok(sim, src, dst, count=1, interval="100ms"):
    p = src.ping(dst, count=count, interval=interval, timeout="1s")
    assert sim.run_until(lambda: p.done, timeout="30s")
    return p


def test_nd_and_ping6_across_a_switch(sim):
    """RFC 4861 7.2.2 / RFC 2464 7: a resolves b with an NS to b's
    solicited-node group (ff02::1:ff00:2, Ethernet 33:33:ff:00:00:02, hop
    limit 255, a's MAC in a source link-layer option), which the switch
    floods, so the raw host hears it; b's solicited NA and the echoes are
    unicast and forwarded, so it hears neither. With b resolved, an echo
    takes two segments each way: RTT = 2 * (2 delay + 2 * 118*8/rate) (a
    118-byte frame: 14 + 40 IPv6 + 8 ICMPv6 + 56 data)."""
    sw, a, b, c, la, lb, lc = lan(sim)
    c.recv()
    p = ping_ok(sim, a, B, count=3)
    assert p.received == 3
    ser_ns = -(-118 * 8 * 10**9 // RATE)
    assert p.rtts_ns[1] == p.rtts_ns[2] == 2 * (2 * DELAY_NS + 2 * ser_ns)
    heard = c.recv()
    ns = [f for f in heard if ICMPv6ND_NS in f]
    assert len(ns) == 1, [f.summary() for f in heard]
    f = ns[0]
    assert f.src == a.iface(la).mac and f.dst == "33:33:ff:00:00:02"
    assert f[IPv6].dst == "ff02::1:ff00:2" and f[IPv6].hlim == 255 and f[ICMPv6ND_NS].tgt == B
    src = str(ipaddress.IPv6Address(f[IPv6].src))
    assert src in (A, a.iface(la).ip6_linklocal.split("%")[0])
    assert f[ICMPv6NDOptSrcLLAddr].lladdr == a.iface(la).mac
    assert f.iface.link is lc
    assert not [x for x in heard if ICMPv6ND_NA in x or ICMPv6EchoRequest in x or ICMPv6EchoReply in x]
    rows = [n for n in a.neighbors6() if n["ip"].split("%")[0] == B]
    assert len(rows) == 1 and rows[0]["mac"] == b.iface(lb).mac and rows[0]["ifindex"] == a.iface(la).index
    assert rows[0]["state"] in ("REACHABLE", "STALE", "DELAY")  # echoes give no reachability hint
    assert sw.stats["learned"] == 2 and sw.stats["flooded"] >= 1
    assert b.stats["icmp6"]["recv"] >= 4  # the NS and three echoes


def test_unknown_unicast_flooded_after_ageing(sim):
    """A learning switch forgets idle addresses (ageing 10 s) while a's
    neighbour cache still holds b (RFC 4861 7.3.3: a REACHABLE or STALE
    entry is used as is): a's next echo, to b's MAC, is unknown unicast to
    the switch and flooded (the raw host hears it), b's reply is not (the
    echo taught the switch a's port). (The last frames before the pause
    are b's NUD probe of a and a's answer, DELAY_FIRST_PROBE_TIME = 5 s
    after b's echo reply, RFC 4861 7.3.3; 20 s of silence clears both.)"""
    sw, a, b, c, la, lb, lc = lan(sim, ageing="10s")
    ping_ok(sim, a, B)
    sim.run(duration="20s")
    assert sw.mac_table() == []
    c.recv()
    ping_ok(sim, a, B)
    heard = [f for f in c.recv() if ICMPv6EchoRequest in f or ICMPv6EchoReply in f]
    assert [f.dst for f in heard] == [b.iface(lb).mac]
    assert ICMPv6EchoRequest in heard[0]
