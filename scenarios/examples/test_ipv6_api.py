"""The IPv6 Python API (issue 5 item 8), call by call: interface addresses
with DAD, SLAAC from a router node's RAs, the ND views, router mode, static
IPv6 routes, MLD groups, stateless DHCPv6, ICMPv6 ping, and the errors that
bad arguments raise. Wire checks go through a raw host with Scapy.
"""

import ipaddress

import pytest
from scapy.layers.inet6 import (ICMPv6MLDone, ICMPv6MLReport, ICMPv6ND_RA, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo,
                                ICMPv6NDOptRDNSS, IPv6)

import shoal
from shoal.addr import ip6_iface_cidr, ip6_parse, ip6_route_prefix, ip6_str, is_ip6

PREFIX = "2001:db8:1::/64"


def bare(addr):
    return ipaddress.IPv6Address(addr.split("%")[0])


def states(iface):
    return {a["addr"]: a["state"] for a in iface.ip6_addrs}


def routed_pair(sim, **advertise):
    """Router r advertising PREFIX to host h that runs SLAAC."""
    r, h = sim.node("r", forwarding=True), sim.node("h")
    link = sim.link(r, h, delay="1ms")
    r.iface(link).advertise(PREFIX, **advertise)
    h.iface(link).slaac()
    assert sim.run_until(lambda: len(h.iface(link).ip6) == 2, timeout="20s")
    return r, h, link


def global_addr(iface):
    return next(a for a in iface.ip6 if "%" not in a)


# ---- addresses (pure Python) ----

def test_address_helpers():
    assert is_ip6("2001:db8::1") and is_ip6("::/0") and not is_ip6("10.0.0.1")
    b, zone = ip6_parse("fe80::1%3")
    assert zone == 3 and ip6_str(b, zone) == "fe80::1%3"
    assert ip6_str(ip6_parse("2001:DB8:0::1")[0]) == "2001:db8::1"  # RFC 5952 form
    assert ip6_iface_cidr("2001:db8::5/64")[1] == 64
    assert ip6_route_prefix("::/0") == (bytes(16), 0)
    for bad in ("2001:db8::1", "2001:db8::1/129", "fe80::1%1/64", "10.0.0.1/24"):
        with pytest.raises(shoal.AddressError):
            ip6_iface_cidr(bad)
    with pytest.raises(shoal.AddressError):
        ip6_route_prefix("2001:db8::1/64")          # host bits set
    with pytest.raises(shoal.AddressError):
        ip6_parse("2001:db8::1%1")                 # a zone on a global address
    with pytest.raises(shoal.AddressError):
        ip6_parse("fe80::1%eth0")                  # zones are interface indexes


# ---- add_ip6 / del_ip6 and DAD ----

def test_add_ip6_tentative_then_preferred(sim):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b)
    ia = a.iface(link)
    assert ia.ip6 == [] and ia.ip6_linklocal is None
    ia.add_ip6("2001:db8:1::1/64")
    # RFC 4862 5.4: tentative while DAD runs, so not usable yet.
    st = states(ia)
    assert st["2001:db8:1::1"] == "tentative"
    assert "2001:db8:1::1" not in ia.ip6
    assert any(s.startswith("fe80::") for s in st), "add_ip6 turns IPv6 on: a link-local address too"
    sim.run(duration="3s")
    addrs = {x["addr"]: x for x in ia.ip6_addrs}
    g = addrs["2001:db8:1::1"]
    assert g["state"] == "preferred" and g["prefix_len"] == 64
    assert g["autoconf"] is False and g["temporary"] is False
    assert g["valid_lft"] is None and g["preferred_lft"] is None  # manual: infinite
    ll = ia.ip6_linklocal
    assert ll is not None and ll.endswith(f"%{ia.index}") and bare(ll).is_link_local
    assert ia.ip6 == [ll, "2001:db8:1::1"]                           # link-local first

    ia.add_ip6("2001:db8:1::2/64", dad=False)                       # usable at once
    assert "2001:db8:1::2" in ia.ip6
    ia.del_ip6("2001:db8:1::2")
    assert "2001:db8:1::2" not in states(ia)
    with pytest.raises(shoal.ShoalError):
        ia.del_ip6("2001:db8:1::2")                                 # not there any more
    with pytest.raises(shoal.ShoalError):
        ia.add_ip6("2001:db8:1::1/64")                              # already there
    with pytest.raises(shoal.ShoalError):
        ia.add_ip6("ff02::1/128")                                   # multicast
    with pytest.raises(shoal.AddressError):
        ia.add_ip6("2001:db8:1::9")                                 # no prefix length


def test_dad_collision_marks_duplicate(sim):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b)
    a.iface(link).add_ip6("2001:db8:1::7/64", dad=False)
    sim.run(duration="3s")   # a's link-local is done; it defends 2001:db8:1::7
    b.iface(link).add_ip6("2001:db8:1::7/64")
    sim.run(duration="3s")
    assert states(b.iface(link))["2001:db8:1::7"] == "duplicated"   # RFC 4862 5.4.5
    assert "2001:db8:1::7" not in b.iface(link).ip6


# ---- SLAAC from a router node, ND views ----

def test_slaac_from_router_mode(sim):
    r, h, link = routed_pair(sim)
    ih = h.iface(link)
    g = global_addr(ih)
    assert bare(g) in ipaddress.IPv6Network(PREFIX)
    info = {x["addr"]: x for x in ih.ip6_addrs}[g]
    assert info["autoconf"] and info["prefix_len"] == 64 and info["state"] == "preferred"
    assert 6 * 86400 < info["preferred_lft"] <= 7 * 86400            # the defaults: 7 d / 30 d
    assert 29 * 86400 < info["valid_lft"] <= 30 * 86400
    routers = h.routers6()
    assert len(routers) == 1
    assert routers[0]["ip"] == r.iface(link).ip6_linklocal             # RAs come from link-local
    assert routers[0]["ifindex"] == ih.index and 0 < routers[0]["lifetime"] <= 1800
    prefixes = h.prefixes6()
    assert [p["prefix"] for p in prefixes] == [PREFIX]
    assert prefixes[0]["ifindex"] == ih.index and prefixes[0]["lifetime"] > 29 * 86400
    assert r.routers6() == []          # a router does not listen to its own RAs


def test_iid_modes(sim):
    r = sim.node("r", forwarding=True)
    hosts = [sim.node(f"h{i}") for i in range(3)]
    sw = sim.switch("sw")
    links = [sim.link(n, sw) for n in [r] + hosts]
    r.iface(links[0]).advertise(PREFIX)
    for h, link, iid in zip(hosts, links[1:], ("eui64", "stable", "random")):
        h.iface(link).slaac(iid=iid)
    assert sim.run_until(lambda: all(len(h.iface(l).ip6) == 2 for h, l in zip(hosts, links[1:])), timeout="20s")
    eui = hosts[0].iface(links[1])
    mac = bytes.fromhex(eui.mac.replace(":", ""))
    iid = bytes([mac[0] ^ 0x02]) + mac[1:3] + b"\xff\xfe" + mac[3:]    # RFC 4291 appendix A
    assert bare(global_addr(eui)).packed[8:] == iid
    assert bare(eui.ip6_linklocal).packed[8:] == iid
    others = [bare(global_addr(h.iface(l))).packed[8:] for h, l in zip(hosts[1:], links[2:])]
    assert iid not in others and others[0] != others[1]
    with pytest.raises(ValueError):
        hosts[1].iface(links[2]).slaac(iid="mac")


def test_enable_ip6_is_link_local_only(sim):
    r, h = sim.node("r", forwarding=True), sim.node("h")
    link = sim.link(r, h)
    r.iface(link).advertise(PREFIX)
    h.iface(link).enable_ip6()
    sim.run(duration="20s")
    assert len(h.iface(link).ip6) == 1 and h.iface(link).ip6_linklocal is not None
    assert not any(a["autoconf"] for a in h.iface(link).ip6_addrs)


def test_ra_parameters_reach_the_host(sim):
    r, h, link = routed_pair(sim, hop_limit=77, mtu=1400)
    ih = h.iface(link)
    assert ih.hop_limit6 == 77 and ih.mtu6 == 1400                   # RFC 4861 6.3.4
    assert 0.5 * 30 <= ih.reachable_time <= 1.5 * 30 and ih.retrans_timer == 1.0
    assert r.iface(link).mtu6 == 1500


def test_router_mode_on_the_wire(sim):
    r, t = sim.node("r", forwarding=True), sim.raw_host("t")
    link = sim.link(r, t)
    ir = r.iface(link)
    ir.advertise(PREFIX, valid="1h", preferred="30min", router_lifetime="900s", mtu=1480, managed=True,
                 other_config=True, max_interval="10s")
    ir.advertise("2001:db8:2::/64", on_link=False, autonomous=False, valid=None, preferred=None,
                 max_interval="10s", router_lifetime="900s", managed=True, other_config=True, mtu=1480,
                 rdnss="2001:db8::53")
    sim.run(duration="40s")
    ras = [p for p in t.recv() if ICMPv6ND_RA in p]
    assert len(ras) >= 3
    ra = ras[-1]
    assert ra[IPv6].src == str(bare(ir.ip6_linklocal)) and ra[IPv6].dst == "ff02::1" and ra[IPv6].hlim == 255
    assert ra[ICMPv6ND_RA].routerlifetime == 900 and ra[ICMPv6ND_RA].M == 1 and ra[ICMPv6ND_RA].O == 1
    assert ra[ICMPv6NDOptMTU].mtu == 1480
    assert ra[ICMPv6NDOptRDNSS].dns == ["2001:db8::53"]                 # RFC 8106
    pis, opt = {}, ra[ICMPv6ND_RA].payload
    while opt and opt.__class__.__name__ != "NoPayload":
        if isinstance(opt, ICMPv6NDOptPrefixInfo):
            pis[f"{opt.prefix}/{opt.prefixlen}"] = opt
        opt = opt.payload
    assert set(pis) == {PREFIX, "2001:db8:2::/64"}
    p1, p2 = pis[PREFIX], pis["2001:db8:2::/64"]
    assert (p1.L, p1.A, p1.validlifetime, p1.preferredlifetime) == (1, 1, 3600, 1800)
    assert (p2.L, p2.A, p2.validlifetime, p2.preferredlifetime) == (0, 0, 0xFFFFFFFF, 0xFFFFFFFF)
    # Unsolicited RAs every 10 s at most after the initial ones (RFC 4861 6.2.4).
    gaps = [b.time - a.time for a, b in zip(ras[3:], ras[4:])]
    assert all(g <= 10.0 + 1e-9 for g in gaps)
    # advertise_stop: a final RA with router lifetime 0 (RFC 4861 6.2.5).
    ir.advertise_stop()
    sim.run(duration="5s")
    finals = [p for p in t.recv() if ICMPv6ND_RA in p]
    assert finals and finals[0][ICMPv6ND_RA].routerlifetime == 0
    sim.run(duration="60s")
    assert not [p for p in t.recv() if ICMPv6ND_RA in p]


def test_advertise_stop_clears_the_hosts_router(sim):
    r, h, link = routed_pair(sim)
    assert len(h.routers6()) == 1
    r.iface(link).advertise_stop()
    sim.run(duration="5s")
    assert h.routers6() == []


def test_advertise_errors(sim):
    a, r = sim.node("a"), sim.node("r", forwarding=True)
    link = sim.link(a, r)
    with pytest.raises(shoal.ShoalError, match="not a router"):
        a.iface(link).advertise(PREFIX)
    ir = r.iface(link)
    with pytest.raises(ValueError):
        ir.advertise(PREFIX, max_interval="1s")              # < 4 s (RFC 4861 6.2.1)
    with pytest.raises(ValueError):
        ir.advertise(PREFIX, min_interval="500s")            # > 0.75 * max
    with pytest.raises(ValueError):
        ir.advertise(PREFIX, router_lifetime="10000s")       # > 9000 s
    with pytest.raises(ValueError):
        ir.advertise(PREFIX, valid="1h", preferred="2h")
    with pytest.raises(ValueError):
        ir.advertise(PREFIX, mtu=1000)
    with pytest.raises(ValueError):
        ir.advertise(PREFIX, rdnss=["2001:db8::53", "2001:db8::54"])
    with pytest.raises(shoal.AddressError):
        ir.advertise("2001:db8:1::1/64")                      # host bits
    ir.advertise(None)                                        # RAs without a prefix are fine
    assert ir.ip6_linklocal is None                            # IPv6 turned on; DAD still running
    sim.run(duration="3s")
    assert ir.ip6_linklocal is not None


# ---- neighbors, routes, ping ----

def test_ping6_and_neighbor_cache(sim):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="2ms")
    a.iface(link).add_ip6("2001:db8:1::1/64", dad=False)
    b.iface(link).add_ip6("2001:db8:1::2/64", dad=False)
    sim.run(duration="3s")
    p = a.ping("2001:db8:1::2", count=3, interval="100ms")
    sim.run(duration="2s")
    assert p.done and p.received == 3 and p.dst == "2001:db8:1::2"
    assert all(3.9e-3 <= r < 10e-3 for r in p.rtts)
    n = {x["ip"]: x for x in a.neighbors6()}["2001:db8:1::2"]
    assert n["mac"] == b.iface(link).mac and n["ifindex"] == a.iface(link).index
    assert n["state"] == "REACHABLE" and n["router"] is False
    assert a.stats["icmp6"]["xmit"] > 0 and b.stats["ip6"]["recv"] > 0
    # Link-local destinations, with or without their zone on a one-link node.
    ll = b.iface(link).ip6_linklocal
    for dst in (ll, ll.split("%")[0]):
        q = a.ping(dst, count=1)
        sim.run(duration="1s")
        assert q.received == 1
    # Nobody there: lost after the timeout.
    q = a.ping("2001:db8:1::99", count=1, timeout="2s")
    sim.run(duration="5s")
    assert q.done and q.lost == 1


def test_routes_across_a_router(sim):
    a, r, b = sim.node("a"), sim.node("r", forwarding=True), sim.node("b")
    la, lb = sim.link(a, r, delay="1ms"), sim.link(r, b, delay="1ms")
    a.iface(la).add_ip6("2001:db8:1::2/64", dad=False)
    r.iface(la).add_ip6("2001:db8:1::1/64", dad=False)
    r.iface(lb).add_ip6("2001:db8:2::1/64", dad=False)
    b.iface(lb).add_ip6("2001:db8:2::2/64", dad=False)
    sim.run(duration="3s")
    a.route_add("2001:db8:2::/64", via=r.iface(la).ip6_linklocal.split("%")[0], dev=la)  # link-local next hop
    b.route_add("::/0", via="2001:db8:2::1")                                            # global next hop
    p = a.ping("2001:db8:2::2", count=2, interval="100ms")
    sim.run(duration="2s")
    assert p.received == 2
    a.route_del("2001:db8:2::/64")
    q = a.ping("2001:db8:2::2", count=1)
    sim.run(duration="2s")
    assert q.received == 0
    with pytest.raises(shoal.ShoalError):
        a.route_del("2001:db8:2::/64")                        # gone already
    with pytest.raises(shoal.ShoalError, match="link-local"):
        r.route_add("2001:db8:9::/64", via="fe80::1")         # which of r's two links?
    with pytest.raises(shoal.ShoalError):
        r.route_add("2001:db8:9::/64", via="fe80::1%9")       # no interface 9
    with pytest.raises(shoal.ShoalError, match="link-local"):
        r.ping("fe80::1")
    with pytest.raises(shoal.AddressError):
        a.route_add("2001:db8:2::1/64", via="2001:db8:1::1")  # host bits
    with pytest.raises(ValueError):
        a.route_add("2001:db8:3::/64")                        # neither via nor dev
    r.route_add("2001:db8:9::/64", via="fe80::1%1")           # the zone says which link
    r.route_add("2001:db8:8::/64", dev=lb)                    # on-link


# ---- MLD ----

def test_join_and_leave_ipv6_groups(sim):
    h, t = sim.node("h"), sim.raw_host("t")
    link = sim.link(h, t)
    ih = h.iface(link)
    ih.enable_ip6()
    sim.run(duration="3s")
    t.recv()
    ih.join("ff15::1234")
    sim.run(duration="12s")
    reports = [p for p in t.recv() if ICMPv6MLReport in p and p[ICMPv6MLReport].mladdr == "ff15::1234"]
    assert 1 <= len(reports) <= 2                              # RFC 2710 4: report, then repeated
    assert reports[0][IPv6].hlim == 1 and reports[0][IPv6].src == str(bare(ih.ip6_linklocal))
    ih.leave("ff15::1234")
    sim.run(duration="1s")
    dones = [p for p in t.recv() if ICMPv6MLDone in p]
    assert len(dones) == 1 and dones[0][ICMPv6MLDone].mladdr == "ff15::1234" and dones[0][IPv6].dst == "ff02::2"
    with pytest.raises(shoal.ShoalError):
        ih.leave("ff15::1234")                                 # not joined any more
    with pytest.raises(ValueError):
        ih.join("2001:db8::1")                                 # not multicast
    ih.join("224.1.2.3")                                       # IPv4 groups still go through IGMP
    assert h.stats["mld6"]["xmit"] >= 2


# ---- DHCPv6 ----

def test_stateless_dhcp6(sim):
    r, h = sim.node("r", forwarding=True), sim.node("h")
    link = sim.link(r, h, delay="1ms")
    r.iface(link).advertise(PREFIX, other_config=True)
    srv = r.dhcp6_server(link, dns=["2001:db8::53", "2001:db8::54"], domain="example.test")
    ih = h.iface(link)
    assert ih.dhcp6_state == "off" and ih.dhcp6_dns == [] and ih.dhcp6_domain is None
    ih.slaac()
    client = ih.dhcp6()
    assert ih.dhcp6_state == "requesting"
    assert sim.run_until(lambda: ih.dhcp6_state == "done", timeout="30s")
    assert ih.dhcp6_dns == ["2001:db8::53", "2001:db8::54"] and ih.dhcp6_domain == "example.test"
    assert srv.replies >= 1 and client.state == "done"
    with pytest.raises(ValueError):
        r.dhcp6_server(link, dns=["2001:db8::1"] * 4)
    with pytest.raises(shoal.ShoalError, match="DHCP"):
        h.reboot()


# ---- errors on raw hosts and closed simulations ----

def test_errors(sim):
    t, a = sim.raw_host("t"), sim.node("a")
    link = sim.link(t, a)
    assert t.iface(link).ip6 == [] and t.iface(link).ip6_addrs == []
    for call in (lambda: t.iface(link).add_ip6("2001:db8::1/64"), lambda: t.iface(link).slaac(),
                 lambda: t.iface(link).join("ff15::1"), lambda: t.iface(link).dhcp6()):
        with pytest.raises(shoal.ShoalError, match="raw host"):
            call()
    with pytest.raises(shoal.AddressError):
        a.iface(link).add_ip6("2001:db8::zz/64")
    with pytest.raises(shoal.AddressError):
        a.ping("2001:db8::1%1")                               # zone on a global address
    ia = a.iface(link)
    sim.close()
    with pytest.raises(shoal.ShoalError):
        ia.ip6
