"""Issue 5 item 9 end to end: an IPv6 network of three subnets and two
routers (scenarios/examples/ipv6_network.py) where hosts configure
themselves from the routers' advertisements (SLAAC), learn their DNS server
by stateless DHCPv6, resolve a name's AAAA record through a DNS server run
from Python, move 1 MiB over TCP and echo UDP through both routers, find a
duplicate address, and share a multicast group across the routers. Every
pcap is checked by tshark (the plugin); determinism of the whole scenario is
in scenarios/conformance/test_determinism_ip6.py."""
import ipaddress
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ipv6_network as N  # noqa: E402
from scapy.layers.dhcp6 import (DHCP6_InfoRequest, DHCP6_Reply, DHCP6OptDNSDomains,  # noqa: E402
                                DHCP6OptDNSServers, DHCP6OptElapsedTime, DHCP6OptOptReq,
                                DHCP6OptServerId)
from scapy.layers.dns import DNS  # noqa: E402
from scapy.layers.inet import TCP, UDP  # noqa: E402
from scapy.layers.inet6 import (ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS,  # noqa: E402
                                ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6ND_RS, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptPrefixInfo, ICMPv6NDOptRedirectedHdr, ICMPv6NDOptSrcLLAddr, IPv6)
from scapy.utils import rdpcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
ROUTER_OF = {"1": ("r1", "1"), "2": ("r1", "2"), "3": ("r2", "3")}
MLD_QUERY, MLD_REPORT, MLD_DONE = 130, 131, 132


def pcap(net, name):
    """The pcap of a host's (or router port's) link, flushed."""
    net.sim.flush()
    return net.sim.get_link(name).pcap_path


def solicited_node(addr):
    """RFC 4291 2.7.1: ff02::1:ffXX:XXXX from the low 24 bits."""
    low = int(ipaddress.IPv6Address(N.bare(addr))) & 0xFFFFFF
    return str(ipaddress.IPv6Address((0xFF02 << 112) | (1 << 32) | (0xFF << 24) | low))


def mcast_mac(addr):
    """RFC 2464 7: 33:33 and the low 32 bits of the address."""
    b = ipaddress.IPv6Address(N.bare(addr)).packed[12:]
    return "33:33:" + ":".join(f"{x:02x}" for x in b)


def eui64_iid(mac):
    """RFC 4291 2.5.1 / appendix A: modified EUI-64 from a MAC."""
    m = bytes(int(x, 16) for x in mac.split(":"))
    return bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:]


def iid(addr):
    return ipaddress.IPv6Address(N.bare(addr)).packed[8:]


def sent_by(frames, mac):
    return [f for f in frames if f.src == mac]


@pytest.fixture
def net(sim):
    return N.build(sim)


@pytest.fixture
def ready(net):
    """The network after SLAAC."""
    s = N.slaac_phase(net)
    assert s["ok"], {h: (net.iface(h).ip6_addrs, net.nodes[h].routers6()) for h in N.HOSTS}
    return net


# ------------------------------------------------ 1. SLAAC

def test_hosts_autoconfigure_from_router_advertisements(net):
    """RFC 4862 5.3 / 5.5.3 and RFC 4861 6.3.4: every host forms a
    link-local address and a global one in its subnet's advertised prefix
    (stable identifiers, RFC 7217: not the EUI-64 of its MAC), all unique;
    the global one is preferred with the advertised lifetimes (30 d valid,
    7 d preferred), autoconf, not temporary; the host's router list holds
    its subnet's router by link-local address with the advertised lifetime
    (1800 s) and its prefix list the subnet prefix. Within 10 s (DAD 1 s
    after a random delay of up to 1 s, RS, RA, DAD again)."""
    s = N.slaac_phase(net)
    assert s["ok"], {h: (net.iface(h).ip6_addrs, net.nodes[h].routers6()) for h in N.HOSTS}
    assert s["seconds"] < 10, s["seconds"]
    seen = set()
    for h, sub in N.HOSTS.items():
        iface = net.iface(h)
        usable = s["ip6"][h]
        ll = usable[0]
        assert ll.startswith("fe80::") and ll.endswith(f"%{iface.index}"), (h, usable)
        assert iface.ip6_linklocal == ll
        assert ipaddress.IPv6Address(N.bare(ll)) in ipaddress.IPv6Network("fe80::/64")
        g = s["addr"][h]  # for ns: the SLAAC address beside its fixed one
        assert g is not None and g in [N.bare(a) for a in usable[1:]], (h, usable)
        assert iid(g) != eui64_iid(iface.mac) and iid(ll) != eui64_iid(iface.mac), h
        assert g not in seen and N.bare(ll) not in seen
        seen |= {g, N.bare(ll)}
        if h != "ns":
            assert len(usable) == 2, (h, usable)
        row = [r for r in s["addrs"][h] if N.bare(r["addr"]) == g]
        assert len(row) == 1, s["addrs"][h]
        row = row[0]
        assert row["prefix_len"] == 64 and row["state"] == "preferred" and row["autoconf"] is True
        assert row["temporary"] is False
        assert 30 * 86400 - 20 <= row["valid_lft"] <= 30 * 86400, row
        assert 7 * 86400 - 20 <= row["preferred_lft"] <= 7 * 86400, row
        rif = net.router_ifaces[ROUTER_OF[sub]]
        routers = s["routers"][h]
        assert len(routers) == 1, (h, routers)
        assert N.bare(routers[0]["ip"]) == N.bare(rif.ip6_linklocal) and routers[0]["ifindex"] == iface.index
        assert 1800 - 20 <= routers[0]["lifetime"] <= 1800, routers
        pre = [p for p in s["prefixes"][h] if p["prefix"] == N.PREFIXES[sub]]
        assert len(pre) == 1 and pre[0]["ifindex"] == iface.index, s["prefixes"][h]
        assert 30 * 86400 - 20 <= pre[0]["lifetime"] <= 30 * 86400


def test_router_solicitation_advertisement_and_dad_on_the_wire(ready):
    """RFC 4861 6.3.7 / 6.2.6 / 4.1 / 4.2 and RFC 4862 5.4.2: h7 joins
    subnet 1 40 s in, after r1's initial advertisements (RFC 4861 6.2.4: at
    most 3, at most 16 s apart), so it must solicit: RSs to ff02::2, hop
    limit 255, at most MAX_RTR_SOLICITATIONS (3), from its link-local
    address with its MAC in a source link-layer option (or from :: without
    one); r1 answers within MIN_DELAY_BETWEEN_RAS + MAX_RA_DELAY_TIME
    (3.5 s) with an RA from its link-local address, hop limit 255, Cur Hop
    Limit 64, router lifetime 1800, M=0 O=1, r1's MAC as source link-layer
    address and a prefix option for 2001:db8:1::/64 (L and A set, 30 d /
    7 d); h7 sends no more RSs after it. Before using its global address
    h7 probes it: an NS from :: to the solicited-node group, hop limit 255,
    no source link-layer option; no packet leaves from that address
    within RetransTimer (1 s) of the probe."""
    net = ready
    net.sim.run(until=net.t_start + 40)
    h7 = net.attach("h7", "1")
    t0 = net.sim.now
    h7.slaac()
    assert net.sim.run_until(lambda: net.addr("h7") is not None and net.h7.routers6(), "15s"), h7.ip6_addrs
    net.sim.run(duration="5s")
    r1a = net.router_ifaces[("r1", "1")]
    frames = [f for f in rdpcap(pcap(net, "h7-sw1")) if float(f.time) >= t0]
    rs = [f for f in sent_by(frames, h7.mac) if ICMPv6ND_RS in f]
    assert 1 <= len(rs) <= 3, [f.summary() for f in frames]
    for f in rs:
        assert f[IPv6].dst == "ff02::2" and f[IPv6].hlim == 255 and f.dst == "33:33:00:00:00:02"
        assert f[ICMPv6ND_RS].code == 0
        if f[IPv6].src != "::":
            assert N.bare(f[IPv6].src) == N.bare(h7.ip6_linklocal)
            assert f[ICMPv6NDOptSrcLLAddr].lladdr == h7.mac
        else:
            assert ICMPv6NDOptSrcLLAddr not in f
    ras = [f for f in sent_by(frames, r1a.mac) if ICMPv6ND_RA in f]
    t_rs = float(rs[0].time)
    answers = [f for f in ras if float(f.time) > t_rs]
    assert answers and float(answers[0].time) - t_rs <= 3.5 + 0.01, [f.summary() for f in ras]
    assert all(float(f.time) < float(answers[0].time) for f in rs), "RS after the RA"
    for f in ras:
        ra = f[ICMPv6ND_RA]
        assert N.bare(f[IPv6].src) == N.bare(r1a.ip6_linklocal) and f[IPv6].hlim == 255
        assert f[IPv6].dst in ("ff02::1", N.bare(h7.ip6_linklocal))
        assert ra.routerlifetime == 1800 and ra.M == 0 and ra.O == 1 and ra.chlim == 64
        assert f[ICMPv6NDOptSrcLLAddr].lladdr == r1a.mac
        pi = f[ICMPv6NDOptPrefixInfo]
        assert (pi.prefix, pi.prefixlen, pi.L, pi.A) == ("2001:db8:1::", 64, 1, 1)
        assert (pi.validlifetime, pi.preferredlifetime) == (30 * 86400, 7 * 86400)
    g = net.addr("h7")
    assert ipaddress.IPv6Address(g) in ipaddress.IPv6Network(N.PREFIXES["1"])
    dad = [f for f in sent_by(frames, h7.mac) if ICMPv6ND_NS in f and N.bare(f[ICMPv6ND_NS].tgt) == g]
    assert len(dad) == 1, "one DAD probe for h7's global address (DupAddrDetectTransmits 1)"
    probe = dad[0]
    assert probe[IPv6].src == "::" and N.bare(probe[IPv6].dst) == solicited_node(g)
    assert probe[IPv6].hlim == 255 and probe.dst == mcast_mac(solicited_node(g))
    assert ICMPv6NDOptSrcLLAddr not in probe  # RFC 4862 5.4.2 / RFC 4861 7.2.2
    used = [f for f in frames if IPv6 in f and N.bare(f[IPv6].src) == g]
    assert all(float(f.time) >= float(probe.time) + 1.0 - 1e-9 for f in used)


# ------------------------------------------------ 2. DHCPv6 and DNS

def test_dhcpv6_information_request_learns_dns_and_domain(ready):
    """RFC 8415 18.2.6 / 18.3.6 / 21.7 / 21.9, RFC 3646 3-5: h1 sends an
    Information-request from its link-local address (UDP 546 -> 547) to
    ff02::1:2 within INF_MAX_DELAY (1 s), with an Elapsed Time option and an
    Option Request option naming DNS servers (23) and the domain list (24);
    r1 replies to h1's link-local address with the same transaction id, its
    Server Identifier, ns's address and the domain. h1 ends "done" with
    those values, and its resolver, given the learnt servers, finds
    files.shoal.test's AAAA record (h3) there."""
    net = ready
    d = N.dhcp6_phase(net)
    assert d["ok"] and d["state"] == "done"
    assert [N.bare(a) for a in d["dns"]] == [N.NS_ADDR]
    assert d["domain"] in (N.DOMAIN, N.DOMAIN + ".")
    h1, r1a = net.iface("h1"), net.router_ifaces[("r1", "1")]
    frames = [f for f in rdpcap(pcap(net, "h1-sw1")) if UDP in f and {546, 547} & {f[UDP].sport, f[UDP].dport}]
    reqs = [f for f in frames if DHCP6_InfoRequest in f]
    reps = [f for f in frames if DHCP6_Reply in f]
    assert len(reqs) == 1 and len(reps) == 1, [f.summary() for f in frames]
    q, a = reqs[0], reps[0]
    assert (q[UDP].sport, q[UDP].dport) == (546, 547) and q[IPv6].dst == "ff02::1:2"
    assert N.bare(q[IPv6].src) == N.bare(h1.ip6_linklocal) and q.src == h1.mac
    assert float(q.time) - d["t0_ns"] / 1e9 <= 1.0 + 1e-9
    assert DHCP6OptElapsedTime in q
    assert {23, 24} <= set(q[DHCP6OptOptReq].reqopts)
    assert (a[UDP].sport, a[UDP].dport) == (547, 546) and a.src == r1a.mac
    assert N.bare(a[IPv6].dst) == N.bare(h1.ip6_linklocal)
    assert N.bare(a[IPv6].src) == N.bare(r1a.ip6_linklocal)
    assert a[DHCP6_Reply].trid == q[DHCP6_InfoRequest].trid
    assert DHCP6OptServerId in a
    assert [N.bare(x) for x in a[DHCP6OptDNSServers].dnsservers] == [N.NS_ADDR]
    assert [x.rstrip(".") if isinstance(x, str) else x.decode().rstrip(".")
            for x in a[DHCP6OptDNSDomains].dnsdomains] == [N.DOMAIN]
    assert net.r1.stats["dhcp6"]["recv"] >= 1 and net.h1.stats["dhcp6"]["drop"] == 0
    n = N.dns_phase(net, d["dns"])
    assert n["ok"] and n["addresses"] == [net.addr("h3")], n


def test_dns_aaaa_through_two_routers(ready):
    """RFC 3596 2.1 with RFC 1035 4.1: h1's resolver, pointed at ns (the
    server the DHCPv6 test learns), asks ns (two routers away) once for
    the AAAA record (type 28) of files.shoal.test; the answer carries h3's
    SLAAC address. The query left h1 from its global address (RFC 6724
    rule 2) with hop limit 64, the answer arrived with 64 - 2."""
    net = ready
    n = N.dns_phase(net, [N.NS_ADDR])
    assert n["ok"] and n["error"] is None, n
    assert [N.bare(a) for a in n["servers"]] == [N.NS_ADDR]
    assert n["addresses"] == [net.addr("h3")]
    assert [(q[0], q[1], N.bare(q[2][0])) for q in n["queries"]] == [(N.NAME, 28, net.addr("h1"))]
    st = n["stats"]
    assert (st["queries"], st["responses"], st["malformed"], st["mismatched"]) == (1, 1, 0, 0)
    dns = [f for f in rdpcap(pcap(net, "h1-sw1")) if UDP in f and 53 in (f[UDP].sport, f[UDP].dport)]
    assert len(dns) == 2
    q, a = dns
    assert N.bare(q[IPv6].src) == net.addr("h1") and N.bare(q[IPv6].dst) == N.NS_ADDR and q[IPv6].hlim == 64
    assert N.bare(a[IPv6].src) == N.NS_ADDR and a[IPv6].hlim == 62
    ans = DNS(bytes(a[UDP].payload))
    assert ans.id == DNS(bytes(q[UDP].payload)).id and ans.qr == 1 and ans.rcode == 0
    assert ans.an.type == 28 and N.bare(ans.an.rdata) == net.addr("h3")


# ------------------------------------------------ 3. TCP and UDP

def test_tcp_and_udp_through_two_routers(ready):
    """RFC 8200 3 / 5 with RFC 9293: 1 MiB from h1 (subnet 1) to h3
    (subnet 3) arrives byte for byte; every packet crossed both routers
    (hop limit 64 - 2 on arrival, 64 on leaving), each counted once in
    ip6.fw on r1 and r2; the SYN's MSS fits the 1500-byte link (at most
    1440, RFC 9293 3.7.1 with the 40-byte IPv6 header) and no segment
    carries more; the connection closes cleanly (FIN each way, no RST,
    TIME-WAIT, both CLOSED); the routers send no ICMPv6 error.
    RFC 768 with RFC 8200 8.1: then ten datagrams from h1 reach h3's socket
    with h1's global address and port as source, the echoes come back from
    h3's address and port; on the wire the UDP checksum is never zero (it
    is mandatory over IPv6) and is right (recomputed by Scapy over the
    pseudo-header), hop limits are 64 leaving and 62 arriving, and each
    router forwarded 20 packets."""
    net = ready
    data = N.payload(net.sim.seed)
    dst = net.addr("h3")
    drop0 = {r: net.nodes[r].stats["ip6"]["drop"] for r in ("r1", "r2")}
    t = N.tcp_phase(net, dst, data)
    assert t["moved"], f"{len(t['got'])} of {len(data)} bytes"
    assert len(t["got"]) == len(data) and t["got"] == data
    assert t["eof"] and t["closed"], t["client_states"][-5:]
    assert "TIME_WAIT" in t["client_states"] and t["errors"] == (0, 0)
    h1, h3 = net.addr("h1"), net.addr("h3")
    assert N.bare(t["local"][0]) == h1 and N.bare(t["peer"][0]) == h1 and t["peer"][1] == t["local"][1]
    at_h1 = N.ip6_packets(pcap(net, "h1-sw1"), h1, h3, TCP, N.TCP_PORT)
    at_h3 = N.ip6_packets(pcap(net, "h3-sw3"), h1, h3, TCP, N.TCP_PORT)
    assert len(at_h1) == len(at_h3) > len(data) // 1440, "every segment crossed, none lost"
    for where, segs in (("h1", at_h1), ("h3", at_h3)):
        for f in segs:
            local = N.bare(f[IPv6].src) == (h1 if where == "h1" else h3)
            assert f[IPv6].hlim == (64 if local else 62), (where, f.summary(), f[IPv6].hlim)
            assert f[IPv6].nh == 6 and len(f[IPv6]) <= 1500 and len(f[TCP].payload) <= 1440
        assert not any(f[TCP].flags.R for f in segs), "no RST"
        assert {N.bare(f[IPv6].src) for f in segs if f[TCP].flags.F} == {h1, h3}
    syns = [f for f in at_h1 if f[TCP].flags.S]
    assert len(syns) == 2
    for f in syns:
        mss = dict(f[TCP].options).get("MSS")
        assert mss is not None and mss <= 1440, f[TCP].options
    assert sum(len(f[TCP].payload) for f in at_h3 if N.bare(f[IPv6].src) == h1) == len(data), \
        "no retransmission on a lossless path"
    assert t["fw"] == {"r1": len(at_h1), "r2": len(at_h1)}
    for r in ("r1", "r2"):  # (before: multicast probes of others' addresses, not for them)
        assert net.nodes[r].stats["ip6"]["drop"] == drop0[r], (r, net.nodes[r].stats["ip6"])
    for port in ("r1-sw1", "r1-sw2", "r2-sw2", "r2-sw3"):
        errors = [f for f in rdpcap(pcap(net, port)) if IPv6 in f and f[IPv6].nh == 58
                  and bytes(f[IPv6].payload)[:1] and bytes(f[IPv6].payload)[0] < 128]
        assert errors == [], (port, [f.summary() for f in errors])
    # UDP echo.
    u = N.udp_phase(net, h3)
    src = (h1, u["port"])
    assert [(d, (N.bare(p[0]), p[1])) for d, p in u["at_h3"]] == [(m, src) for m in u["sent"]]
    assert [(d, (N.bare(p[0]), p[1])) for d, p in u["back"]] == [(m, (h3, N.ECHO_PORT)) for m in u["sent"]]
    assert u["fw"] == {"r1": 20, "r2": 20}
    for port, me in (("h1-sw1", h1), ("h3-sw3", h3)):
        pkts = N.ip6_packets(pcap(net, port), h1, h3, UDP, N.ECHO_PORT)
        assert len(pkts) == 20, port
        for f in pkts:
            assert f[IPv6].hlim == (64 if N.bare(f[IPv6].src) == me else 62)
            ck = f[UDP].chksum
            assert ck != 0
            again = IPv6(bytes(f[IPv6]))
            del again[UDP].chksum
            assert IPv6(bytes(again))[UDP].chksum == ck


def test_redirect_to_the_better_router_on_subnet_2(ready):
    """RFC 4861 8.2 / 8.3 / 4.5: h2's default router is r1 (the only one
    advertising on subnet 2), but subnet 3 lies behind r2 on the same link.
    h2 pings h3: r1 forwards the first echo to r2 and sends h2 a Redirect
    (from its link-local address, to the echo's source, hop limit 255,
    target r2's link-local address, destination h3, r2's MAC in a target
    link-layer option, known since h1's echo through both routers, and the
    echo in a Redirected Header option), one for this ping; h2 sends the later echoes straight to r2's MAC. Every
    echo is answered."""
    net = ready
    h2, h3 = net.addr("h2"), net.addr("h3")
    i2 = net.iface("h2")
    # r1 resolves r2 first (h1's echoes to h3 go through both), so r1 knows
    # r2's MAC when it redirects ("SHOULD be included (if known)", 4.5).
    warm = net.h1.ping(h3, count=1)
    assert net.sim.run_until(lambda: warm.done, "5s") and warm.received == 1
    r1b, r2b = net.router_ifaces[("r1", "2")], net.router_ifaces[("r2", "2")]
    t0 = net.sim.now
    p = net.h2.ping(h3, count=3, interval="100ms")
    assert net.sim.run_until(lambda: p.done, "5s")
    assert (p.sent, p.received) == (3, 3)
    frames = [f for f in rdpcap(pcap(net, "h2-sw2")) if float(f.time) >= t0]
    redirects = [f for f in frames if ICMPv6ND_Redirect in f]
    assert len(redirects) == 1, [f.summary() for f in frames]
    rd = redirects[0]
    assert rd.src == r1b.mac and N.bare(rd[IPv6].src) == N.bare(r1b.ip6_linklocal)
    assert N.bare(rd[IPv6].dst) == h2 and rd[IPv6].hlim == 255 and rd[ICMPv6ND_Redirect].code == 0
    assert N.bare(rd[ICMPv6ND_Redirect].tgt) == N.bare(r2b.ip6_linklocal)
    assert N.bare(rd[ICMPv6ND_Redirect].dst) == h3
    assert rd[ICMPv6NDOptDstLLAddr].lladdr == r2b.mac
    assert ICMPv6NDOptRedirectedHdr in rd and len(rd[IPv6]) <= 1280
    echoes = [f for f in sent_by(frames, i2.mac) if ICMPv6EchoRequest in f]
    assert len(echoes) == 3
    assert echoes[0].dst == r1b.mac and float(echoes[0].time) < float(rd.time)
    assert [f.dst for f in echoes[1:]] == [r2b.mac, r2b.mac]


# ------------------------------------------------ 4. DAD

def test_dad_collisions(ready):
    """RFC 4862 5.4 / 5.4.3 / 5.4.5 with RFC 4861 7.2.4: h2 takes
    2001:db8:2::99 (tentative, then preferred after DAD); h6 then asks for
    the same address: its probe (NS from ::, to the solicited-node group,
    hop limit 255) is answered by h2 with an NA to ff02::1 (the probe came
    from ::), S=0, hop limit 255, target 2001:db8:2::99 and h2's MAC; h6
    marks the address duplicated (nd6.dad_failures +1), never uses it as a
    source, and does not list it as usable; h2 keeps it. Echoes from h1 to
    it are answered by h2. Then (RFC 4862 5.4.3) h2 and h6 start DAD for
    another address at the same instant: whoever receives the other's probe
    while tentative gives the address up; never do both keep it."""
    net = ready
    d = N.dad_phase(net)
    assert d["first_state"] == "tentative" and d["ok2"] and d["h2"] == "preferred"
    assert d["second_state"] == "tentative"
    assert d["h6"] == "duplicated"
    assert d["dad_failures"] == {"h2": 0, "h6": 1}
    assert N.DUP_ADDR in d["h2_usable"] and N.DUP_ADDR not in d["h6_usable"]
    i2, i6 = net.iface("h2"), net.iface("h6")
    t1 = d["t1_ns"] / 1e9
    frames = [f for f in rdpcap(pcap(net, "h6-sw2")) if float(f.time) >= t1]
    probes = [f for f in sent_by(frames, i6.mac) if ICMPv6ND_NS in f and N.bare(f[ICMPv6ND_NS].tgt) == N.DUP_ADDR]
    assert len(probes) == 1, [f.summary() for f in probes]
    p = probes[0]
    assert p[IPv6].src == "::" and N.bare(p[IPv6].dst) == solicited_node(N.DUP_ADDR) and p[IPv6].hlim == 255
    assert ICMPv6NDOptSrcLLAddr not in p
    nas = [f for f in sent_by(frames, i2.mac) if ICMPv6ND_NA in f and N.bare(f[ICMPv6ND_NA].tgt) == N.DUP_ADDR]
    assert len(nas) == 1, [f.summary() for f in nas]
    na = nas[0]
    assert float(na.time) > float(p.time)
    assert na[IPv6].dst == "ff02::1" and na[IPv6].hlim == 255 and na[ICMPv6ND_NA].S == 0
    assert na[ICMPv6NDOptDstLLAddr].lladdr == i2.mac
    assert not [f for f in sent_by(frames, i6.mac) if IPv6 in f and N.bare(f[IPv6].src) == N.DUP_ADDR]
    t2 = net.sim.now
    ping = net.h1.ping(N.DUP_ADDR, count=3, interval="100ms")
    assert net.sim.run_until(lambda: ping.done, "5s")
    assert (ping.sent, ping.received) == (3, 3)
    replies = [f for f in rdpcap(pcap(net, "h2-sw2")) if float(f.time) >= t2 and ICMPv6EchoReply in f]
    assert len(replies) == 3 and all(f.src == i2.mac and N.bare(f[IPv6].src) == N.DUP_ADDR for f in replies)
    at_h6 = [f for f in rdpcap(pcap(net, "h6-sw2")) if float(f.time) >= t2 and f.src == i6.mac
             and (ICMPv6EchoReply in f or ICMPv6EchoRequest in f)]
    assert at_h6 == []
    # RFC 4862 5.4.3: h2 and h6 start DAD for another address at the same
    # instant. A host that receives the other's probe (an NS from :: for an
    # address tentative on it) marks it duplicated and sends no probe after
    # that; a host that probed and heard nothing keeps it. Never both.
    addr = "2001:db8:2::98"
    hosts = {"h2": i2, "h6": i6}
    other = {"h2": i6, "h6": i2}
    f0 = {h: net.nodes[h].stats["nd6"]["dad_failures"] for h in hosts}
    t0 = net.sim.now
    i2.add_ip6(addr + "/64", dad=True)
    i6.add_ip6(addr + "/64", dad=True)
    net.sim.run(duration="4s")
    states = {h: [r["state"] for r in i.ip6_addrs if N.bare(r["addr"]) == addr] for h, i in hosts.items()}
    assert sorted(states.values()) in ([["duplicated"], ["duplicated"]], [["duplicated"], ["preferred"]]), states
    for h, iface in hosts.items():
        frames = [f for f in rdpcap(pcap(net, f"{h}-sw2")) if float(f.time) >= t0]
        ns = [f for f in frames if ICMPv6ND_NS in f and N.bare(f[ICMPv6ND_NS].tgt) == addr]
        mine = [f for f in ns if f.src == iface.mac]
        heard = [f for f in ns if f.src == other[h].mac]
        assert len(mine) <= 1 and all(f[IPv6].src == "::" for f in ns)
        failed = net.nodes[h].stats["nd6"]["dad_failures"] - f0[h]
        if states[h] == ["preferred"]:
            assert len(mine) == 1 and heard == [] and failed == 0, (h, [f.summary() for f in ns])
            assert addr in [N.bare(a) for a in iface.ip6]
        else:
            assert heard and failed == 1, (h, [f.summary() for f in ns])
            # Heard at the pcap's time plus the last segment's delay (1 ms).
            assert all(float(m.time) < float(heard[0].time) + 0.001 + 1e-6 for m in mine), "probed after the duplicate"
            assert addr not in [N.bare(a) for a in iface.ip6]
            assert not [f for f in frames if f.src == iface.mac and IPv6 in f and N.bare(f[IPv6].src) == addr]


# ------------------------------------------------ 5. multicast

def test_multicast_group_across_routers(ready):
    """RFC 2710 and RFC 4291 2.7 / RFC 2464 7: h1 (subnet 1) reports
    ff15::1234 (MLD Report to the group, hop limit 1, behind a hop-by-hop
    header with Router Alert, RFC 2710 3); r1 reports it upstream on subnet
    2. h3 (subnet 3) sends 20 datagrams with hop limit 4: r2 forwards them
    onto subnet 2 (hop limit 3) and r1 onto subnet 1 (hop limit 2, Ethernet
    33:33:00:00:12:34), each counted once in ip6.fw; h1's socket gets every
    one with h3's address and port; h4, on subnet 1 (it sees the frames:
    the switch floods them) but no member, delivers none.
    Then h1 leaves: it sends Done to ff02::2 at once; r1, the querier on
    subnet 1, sends Last Listener Query Count (2) multicast-address-specific
    queries to the group 1 s apart (RFC 2710 4, 7.8) and stops forwarding
    to subnet 1 once they go unanswered; h1's socket gets nothing more."""
    net = ready
    m = N.multicast_phase(net)
    sender = (net.addr("h3"), m["sender"][1])
    want = [b"group datagram %03d " % i + b"abcdefghijklmnopqrstuvwxyz" for i in range(m["count"])]
    assert [(d, (N.bare(p[0]), p[1])) for d, p in m["got"]["h1"]] == [(w, sender) for w in want]
    assert m["got"]["h4"] == [] and m["got_late"]["h4"] == []
    assert m["fw"] == {"r1": m["count"], "r2": m["count"]}
    t_leave = m["t_leave_ns"] / 1e9
    for port, hlim in (("h1-sw1", 2), ("h4-sw1", 2), ("r1-sw2", 3), ("h3-sw3", 4)):
        before = [f for f in N.udp6_to(pcap(net, port), N.GROUP) if float(f.time) < t_leave]
        assert [bytes(f[UDP].payload) for f in before] == want, port
        assert {f[IPv6].hlim for f in before} == {hlim}, port
        assert all(f.dst == "33:33:00:00:12:34" for f in before)
    h1 = net.iface("h1")
    reports = [x for x in N.mld_in(pcap(net, "h1-sw1")) if x[1] == MLD_REPORT and x[2] == N.GROUP]
    assert reports and all(x[3] == N.GROUP and x[4] == 1 for x in reports)
    assert [x for x in N.mld_in(pcap(net, "r1-sw2")) if x[1] == MLD_REPORT and x[2] == N.GROUP]
    # Leave.
    assert m["got_late"]["h1"] == []
    mld = [x for x in N.mld_in(pcap(net, "h1-sw1")) if x[0] >= t_leave]
    done = [x for x in mld if x[1] == MLD_DONE]
    queries = [x for x in mld if x[1] == MLD_QUERY and x[2] == N.GROUP]
    assert len(done) == 1 and done[0][2:] == (N.GROUP, "ff02::2", 1) and done[0][0] - t_leave < 0.005
    assert len(queries) == 2 and all(q[3] == N.GROUP and q[4] == 1 for q in queries), queries
    assert abs(queries[1][0] - queries[0][0] - 1.0) < 1e-6
    late = [msg for _, msg in m["late"]]
    on_1 = [f for f in N.udp6_to(pcap(net, "r1-sw1"), N.GROUP) if float(f.time) > t_leave]
    expiry = queries[1][0] + 1.0  # Maximum Response Delay of the last query (1000 ms)
    assert all(float(f.time) < expiry + 0.01 for f in on_1)
    assert len(on_1) < len(late)
    assert {bytes(f[UDP].payload) for f in on_1} == set(late[:len(on_1)])
    assert h1.ip6  # still configured


# ------------------------------------------------ 6. the whole scenario

def test_runs_from_the_command_line(tmp_path):
    """`python3 -m shoal run scenarios/examples/ipv6_network.py` works and
    reports every phase, with one pcap per link (10)."""
    out = subprocess.run([sys.executable, "-m", "shoal", "run", os.path.join(HERE, "ipv6_network.py"),
                          "--seed", "2", "--pcap-dir", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=180,
                         env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout
    assert "1. SLAAC (all configured" in text and "intact; closed cleanly: True" in text
    assert f"dns ['{N.NS_ADDR}']" in text and "10 sent, 10 at h3, 10 back" in text
    assert "h2 preferred, h6 duplicated" in text and "h4 (no member) 0" in text
    assert len([p for p in os.listdir(tmp_path) if p.endswith(".pcap")]) == 10
