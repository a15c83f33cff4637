"""An IPv6 network end to end (issue 5 item 9): three subnets, two routers
advertising their prefixes, hosts that configure themselves (SLAAC),
stateless DHCPv6, DNS AAAA, TCP and UDP across both routers, a DAD
collision and a multicast group across the network, all on the virtual
clock. The IPv6 twin of ipv4_network.py.

    python3 -m shoal run scenarios/examples/ipv6_network.py [--seed N]

    subnet 1 2001:db8:1::/64        subnet 2 2001:db8:2::/64        subnet 3 2001:db8:3::/64
 h1, h4 --- sw1 --- ::1 r1 ::1 --- sw2 --- ::2 r2 ::1 --- sw3 --- h3, ns (::53)
                                    |
                                  h2, h6

Each subnet is a learning switch with one point-to-point link per port
(100 Mbit/s, 1 ms), so every port has its own pcap. r1 and r2 forward
(forwarding=True), have fixed global addresses (add_ip6, dad=False; their
link-local addresses still run DAD) and static routes to the subnet behind
the other router: r1 -> 2001:db8:3::/64 via r2's link-local address on
subnet 2 (RFC 4861 8: routers name each other by link-local address),
r2 -> 2001:db8:1::/64 via r1's global address there. r1 advertises
2001:db8:1::/64 (with the O flag: DHCPv6 for other configuration) and
2001:db8:2::/64, r2 advertises 2001:db8:3::/64. Every host runs slaac().
The phases:

1. SLAAC (RFC 4862): each host forms a link-local and a global address in
   its subnet's prefix, and learns its router (RFC 4861 6.3.4).
2. DHCPv6 (RFC 8415 18.2.6): r1 serves stateless DHCPv6 on subnet 1; h1's
   Information-request learns the DNS server (ns) and the domain.
3. DNS (RFC 3596): h1's resolver asks ns, two routers away, for the AAAA
   record of "files.shoal.test"; ns answers from Python on a UDP socket
   with Scapy's DNS layers, from a zone holding h3's SLAAC address.
4. TCP: h1 sends 1 MiB to h3 through both routers; it arrives intact,
   every packet with hop limit 64 - 2, both ends close cleanly.
5. UDP: h1 sends datagrams to h3's echo port; h3 (Python) echoes them.
6. DAD (RFC 4862 5.4): h2 takes 2001:db8:2::99; h6 then tries the same
   address: h2's advertisement makes it a duplicate on h6.
7. Multicast (RFC 2710): h1 joins ff15::1234; r1 joins it on its subnet-2
   interface by hand (MLDv1 has no protocol between routers: this is the
   upstream membership an MLD proxy, RFC 4605, would make), so r2 hears a
   listener on subnet 2 and r1 one on subnet 1. h3 on subnet 3 sends to
   the group with hop limit 4: h1 gets every datagram, h4 (subnet 1, no
   member) none. After h1 leaves, r1 stops forwarding to subnet 1.

The phase functions return what they saw; scenarios/examples/
test_ipv6_network.py asserts on it, scenario(sim) prints it.
"""

import ipaddress
import random

from scapy.layers.dns import DNS, DNSRR
from scapy.utils import rdpcap

RATE, DELAY = "100Mbit", "1ms"
PREFIXES = {"1": "2001:db8:1::/64", "2": "2001:db8:2::/64", "3": "2001:db8:3::/64"}
ROUTER_ADDR = {("r1", "1"): "2001:db8:1::1", ("r1", "2"): "2001:db8:2::1",
               ("r2", "2"): "2001:db8:2::2", ("r2", "3"): "2001:db8:3::1"}
HOSTS = {"h1": "1", "h4": "1", "h2": "2", "h6": "2", "h3": "3", "ns": "3"}
NS_ADDR = "2001:db8:3::53"
DOMAIN = "shoal.test"                # RFC 2606 reserves .test
NAME = "files." + DOMAIN
DUP_ADDR = "2001:db8:2::99"
TCP_PORT = 47123                     # no Wireshark dissector claims it
ECHO_PORT = 47207
MCAST_PORT = 47311
GROUP = "ff15::1234"                 # transient, site-local scope (RFC 4291 2.7)
SIZE = 1 << 20


def payload(seed, size=SIZE):
    """Lowercase letters from a seeded RNG: every byte checkable, and no
    Wireshark heuristic dissector takes them for its protocol."""
    return bytes(random.Random(seed).choices(b"abcdefghijklmnopqrstuvwxyz", k=size))


def bare(addr):
    """An address string without its zone, in canonical (RFC 5952) form."""
    return str(ipaddress.IPv6Address(addr.split("%")[0]))


def global_in(iface, prefix):
    """The iface's usable address in prefix (canonical string), or None."""
    net = ipaddress.IPv6Network(prefix)
    found = [bare(a) for a in iface.ip6 if ipaddress.IPv6Address(a.split("%")[0]) in net]
    return found[0] if found else None


class DnsServer:
    """A DNS server played by the scenario on a node's UDP port 53 (both
    families): each query is parsed and answered with Scapy's DNS layers
    (RFC 1035 4.1); AAAA records (RFC 3596 2.1) and A records from a zone."""

    def __init__(self, node, zone=None):
        self.sock = node.udp(port=53)
        self.zone = dict(zone or {})   # "name." -> address (IPv6 or IPv4)
        self.queries = []              # (qname, qtype, peer) as received

    def serve(self):
        """Answer every query waiting on the socket; returns how many."""
        n = 0
        while (got := self.sock.recvfrom()) is not None:
            data, peer = got
            q = DNS(data)
            if q.qr != 0 or q.qd is None:
                continue
            qname = q.qd.qname.decode().lower()
            self.queries.append((qname.rstrip("."), q.qd.qtype, peer))
            addr = self.zone.get(qname)
            kind = None if addr is None else ("AAAA" if ":" in addr else "A")
            if kind is not None and q.qd.qtype == (28 if kind == "AAAA" else 1):
                ans = DNS(id=q.id, qr=1, aa=1, rd=q.rd, ra=0, rcode=0, qd=q.qd,
                          an=DNSRR(rrname=q.qd.qname, type=kind, rclass="IN", ttl=300, rdata=addr))
            else:
                ans = DNS(id=q.id, qr=1, aa=1, rd=q.rd, ra=0, rcode=3 if addr is None else 0, qd=q.qd)
            self.sock.sendto(bytes(ans), peer)
            n += 1
        return n


class Net:
    """The built topology: .nodes (also as attributes: net.h1), .switches,
    .port[name] (a host's link to its switch), .router_ifaces[(router,
    subnet)], .dns (the DnsServer on ns), .t_start (when hosts started
    SLAAC)."""

    def __init__(self, sim):
        self.sim = sim
        self.nodes, self.switches, self.port = {}, {}, {}
        self.router_ifaces = {}
        self.extra = {}                # hosts added after build(): name -> subnet
        self.dns = None
        self.t_start = None

    def __getattr__(self, name):
        nodes = self.__dict__.get("nodes", {})
        if name in nodes:
            return nodes[name]
        raise AttributeError(name)

    def iface(self, name):
        return self.nodes[name].iface(self.port[name])

    def addr(self, name):
        """The host's global address in its subnet's prefix (the one SLAAC
        formed when there are several), or None."""
        sub = HOSTS.get(name) or self.extra[name]
        net = ipaddress.IPv6Network(PREFIXES[sub])
        rows = [r for r in self.iface(name).ip6_addrs if r["state"] in ("preferred", "deprecated")
                and ipaddress.IPv6Address(r["addr"].split("%")[0]) in net]
        rows.sort(key=lambda r: not r["autoconf"])
        return bare(rows[0]["addr"]) if rows else None

    def attach(self, name, sub, forwarding=False):
        """Put node `name` (made if new) on subnet sub's switch -> its Iface there."""
        node = self.nodes.get(name) or self.sim.node(name, forwarding=forwarding)
        self.nodes[name] = node
        link = self.sim.link(node, self.switches[sub], delay=DELAY, rate=RATE)
        if not forwarding:
            self.port[name] = link
            if name not in HOSTS:
                self.extra[name] = sub
        return node.iface(link)

    def run_until(self, pred, timeout):
        """run_until that also keeps the DNS server answering."""
        return self.sim.run_until(lambda: (self.dns.serve(), pred())[1], timeout)


def build(sim):
    """Make the network: routers addressed, routed and advertising, hosts
    starting SLAAC. Runs the clock until the routers' link-local addresses
    are usable (their DAD), which the static routes need."""
    net = Net(sim)
    for sub in PREFIXES:
        net.switches[sub] = sim.switch("sw" + sub)

    attach = net.attach
    for (r, sub), addr in ROUTER_ADDR.items():
        rif = attach(r, sub, True)
        rif.add_ip6(addr + "/64", dad=False)
        net.router_ifaces[(r, sub)] = rif
    r1b, r2b = net.router_ifaces[("r1", "2")], net.router_ifaces[("r2", "2")]
    if not sim.run_until(lambda: r1b.ip6_linklocal and r2b.ip6_linklocal, "5s"):
        raise RuntimeError("the routers' link-local addresses never became usable (DAD)")
    # r2's zone index means nothing on r1: the address goes without it, dev says the link.
    net.r1.route_add(PREFIXES["3"], via=bare(r2b.ip6_linklocal), dev=r1b)
    net.r2.route_add(PREFIXES["1"], via=ROUTER_ADDR[("r1", "2")])
    net.router_ifaces[("r1", "1")].advertise(PREFIXES["1"], other_config=True)
    r1b.advertise(PREFIXES["2"])
    net.router_ifaces[("r2", "3")].advertise(PREFIXES["3"])

    net.t_start = sim.now
    for name, sub in HOSTS.items():
        attach(name, sub).slaac()
    # The name server also has a fixed address, the one DHCPv6 hands out.
    net.iface("ns").add_ip6(NS_ADDR + "/64", dad=False)
    net.dns = DnsServer(net.ns)
    return net


# ---------------------------------------------------------------- phases

def slaac_phase(net, timeout="20s"):
    """Wait until every host has a usable link-local address, a global one
    in its prefix and a default router. (The global address may pass DAD
    before the link-local one: only the first probe waits a random delay,
    RFC 4862 5.4.2.) -> dict of facts."""
    sim = net.sim

    def ready(h):
        return net.iface(h).ip6_linklocal and net.addr(h) is not None and net.nodes[h].routers6()

    ok = sim.run_until(lambda: all(ready(h) for h in HOSTS), timeout)
    return {"ok": ok, "seconds": sim.now - net.t_start,
            "addr": {h: net.addr(h) for h in HOSTS},
            "ip6": {h: list(net.iface(h).ip6) for h in HOSTS},
            "addrs": {h: net.iface(h).ip6_addrs for h in HOSTS},
            "routers": {h: net.nodes[h].routers6() for h in HOSTS},
            "prefixes": {h: net.nodes[h].prefixes6() for h in HOSTS}}


def dhcp6_phase(net, timeout="10s"):
    """r1 serves stateless DHCPv6 on subnet 1; h1 asks for its other
    configuration (Information-request)."""
    sim = net.sim
    server = net.r1.dhcp6_server(net.router_ifaces[("r1", "1")], dns=[NS_ADDR], domain=DOMAIN)
    i1 = net.iface("h1")
    t0 = sim.now_ns
    i1.dhcp6()
    ok = sim.run_until(lambda: i1.dhcp6_state == "done", timeout)
    return {"ok": ok, "server": server, "state": i1.dhcp6_state, "dns": list(i1.dhcp6_dns or []),
            "domain": i1.dhcp6_domain, "t0_ns": t0, "t_end_ns": sim.now_ns}


def dns_phase(net, servers, timeout="5s"):
    """h1 uses `servers` (from DHCPv6) and looks up NAME's AAAA record (h3)."""
    net.dns.zone[NAME + "."] = net.addr("h3")
    got = net.h1.dns_servers(servers)
    lk = net.h1.resolve(NAME, type="AAAA")
    ok = net.run_until(lambda: lk.done, timeout)
    return {"ok": ok, "servers": got, "addresses": [bare(a) for a in lk.addresses], "error": lk.error,
            "queries": list(net.dns.queries), "stats": net.h1.dns.stats}


def _fw(net):
    return {r: net.nodes[r].stats["ip6"]["fw"] for r in ("r1", "r2")}


def tcp_phase(net, dst, data, timeout="30s"):
    """h1 sends `data` to dst (h3's address) on TCP_PORT once connected;
    both close. Returns what h3 read, the states, the routers' ip6.fw
    deltas and the virtual time span of the phase."""
    sim = net.sim
    srv = net.h3.tcp_listen(TCP_PORT)
    fw0, t0 = _fw(net), sim.now_ns
    c = net.h1.tcp_connect(dst, TCP_PORT)
    sim.run_until(lambda: c.state == "ESTABLISHED", "5s")
    t_est = sim.now_ns
    local = c.local if c.state == "ESTABLISHED" else None
    st = {"sent": 0, "s": None}
    got = bytearray()
    view = memoryview(data)

    def pump():
        if st["s"] is None:
            st["s"] = srv.accept()
        if st["sent"] < len(data) and c.state == "ESTABLISHED":
            st["sent"] += c.send(view[st["sent"]:st["sent"] + 65536])
        if st["s"] is not None:
            d = st["s"].recv()
            if d:
                got.extend(d)
        return len(got) >= len(data)

    moved = sim.run_until(pump, timeout)
    t_data = sim.now_ns
    s = st["s"]
    peer = None if s is None else s.remote
    # Orderly release (RFC 9293 3.6): h1 closes first, h3 reads EOF and closes.
    c.close()
    eof = s is not None and sim.run_until(lambda: s.recv() == b"", "5s")
    if s is not None:
        s.close()
    seen = []
    closed = s is not None and sim.run_until(
        lambda: (seen.append(c.state), c.state == "CLOSED" and s.state == "CLOSED")[1], "300s")
    srv.close()
    fw1 = _fw(net)
    return {"moved": moved, "got": bytes(got), "eof": eof, "closed": closed, "client_states": seen,
            "errors": (c.error, None if s is None else s.error), "fw": {r: fw1[r] - fw0[r] for r in fw1},
            "t0_ns": t0, "t_est_ns": t_est, "t_data_ns": t_data, "t_end_ns": sim.now_ns,
            "local": local, "peer": peer, "seconds": (t_data - t_est) / 1e9}


def udp_phase(net, dst, count=10, gap="20ms"):
    """h1 sends `count` datagrams to h3's ECHO_PORT at dst; h3 echoes each
    back to its sender from Python."""
    sim = net.sim
    echo = net.h3.udp(port=ECHO_PORT)
    cli = net.h1.udp(port=0)
    fw0, t0 = _fw(net), sim.now_ns
    sent, seen_by_h3, back = [], [], []
    for i in range(count):
        msg = b"udp6 echo %03d " % i + b"abcdefghijklmnopqrstuvwxyz"
        sent.append(msg)
        cli.sendto(msg, (dst, ECHO_PORT))
        sim.run(duration=gap)
        while (got := echo.recvfrom()) is not None:
            seen_by_h3.append(got)
            echo.sendto(got[0], got[1])
    sim.run(duration="50ms")
    while (got := cli.recvfrom()) is not None:
        back.append(got)
    fw1 = _fw(net)
    port = cli.port
    echo.close()
    cli.close()
    return {"sent": sent, "at_h3": seen_by_h3, "back": back, "port": port,
            "fw": {r: fw1[r] - fw0[r] for r in fw1}, "t0_ns": t0, "t_end_ns": sim.now_ns}


def dad_phase(net, wait="4s"):
    """h2 adds DUP_ADDR with DAD; once it is preferred, h6 adds the same
    address with DAD: h2 defends it (RFC 4862 5.4.3 / RFC 4861 7.2.4)."""
    sim = net.sim
    i2, i6 = net.iface("h2"), net.iface("h6")

    def state(iface):
        rows = [r for r in iface.ip6_addrs if bare(r["addr"]) == DUP_ADDR]
        return rows[0]["state"] if rows else None

    fails0 = {h: net.nodes[h].stats["nd6"]["dad_failures"] for h in ("h2", "h6")}
    t0 = sim.now_ns
    i2.add_ip6(DUP_ADDR + "/64", dad=True)
    first_state = state(i2)
    ok2 = sim.run_until(lambda: state(i2) == "preferred", wait)
    t1 = sim.now_ns
    i6.add_ip6(DUP_ADDR + "/64", dad=True)
    second_state = state(i6)
    sim.run(duration=wait)
    fails1 = {h: net.nodes[h].stats["nd6"]["dad_failures"] for h in ("h2", "h6")}
    return {"ok2": ok2, "first_state": first_state, "second_state": second_state,
            "h2": state(i2), "h6": state(i6), "h2_usable": [bare(a) for a in i2.ip6],
            "h6_usable": [bare(a) for a in i6.ip6], "dad_failures": {h: fails1[h] - fails0[h] for h in fails0},
            "t0_ns": t0, "t1_ns": t1, "t_end_ns": sim.now_ns}


def multicast_phase(net, count=20, gap="10ms", late_count=40):
    """h1 joins GROUP, r1 joins it upstream on subnet 2; h3 sends `count`
    datagrams (hop limit 4) to it; h4 listens on the port without joining.
    Then h1 leaves and h3 keeps sending, `late_count` more 100 ms apart."""
    sim = net.sim
    socks = {h: net.nodes[h].udp(port=MCAST_PORT) for h in ("h1", "h4")}
    net.iface("h1").join(GROUP)
    net.router_ifaces[("r1", "2")].join(GROUP)
    sim.run(duration="500ms")      # the unsolicited reports reach r1 and r2
    tx = net.h3.udp(port=0)
    tx.set_multicast(ttl=4, iface=net.port["h3"])
    fw0 = _fw(net)
    t_first = sim.now_ns
    for i in range(count):
        tx.sendto(b"group datagram %03d " % i + b"abcdefghijklmnopqrstuvwxyz", (GROUP, MCAST_PORT))
        sim.run(duration=gap)
    sim.run(duration="100ms")
    fw1 = _fw(net)

    def drain(sock):
        out = []
        while (got := sock.recvfrom()) is not None:
            out.append(got)
        return out

    got = {h: drain(s) for h, s in socks.items()}
    t_leave = sim.now_ns
    net.iface("h1").leave(GROUP)
    late = []
    for i in range(late_count):
        msg = b"after leave %03d " % i + b"abcdefghijklmnopqrstuvwxyz"
        late.append((sim.now_ns, msg))
        tx.sendto(msg, (GROUP, MCAST_PORT))
        sim.run(duration="100ms")
    got_late = {h: drain(s) for h, s in socks.items()}
    return {"sender": (net.addr("h3"), tx.port), "count": count, "got": got, "got_late": got_late,
            "late": late, "fw": {r: fw1[r] - fw0[r] for r in fw1}, "t_first_ns": t_first,
            "t_leave_ns": t_leave}


# ---------------------------------------------------------------- pcap helpers

def ip6_packets(pcap, a, b, proto, port):
    """The IPv6 packets between a and b (either way) of transport proto
    (Scapy TCP or UDP class) with `port` on one side, from a pcap."""
    from scapy.layers.inet6 import IPv6
    want = {bare(a), bare(b)}
    out = []
    for f in rdpcap(pcap):
        if IPv6 in f and proto in f and {bare(f[IPv6].src), bare(f[IPv6].dst)} == want \
                and port in (f[proto].sport, f[proto].dport):
            out.append(f)
    return out


def udp6_to(pcap, group, port=MCAST_PORT):
    """The UDP datagrams to group:port in a pcap."""
    from scapy.layers.inet import UDP
    from scapy.layers.inet6 import IPv6
    return [f for f in rdpcap(pcap) if IPv6 in f and UDP in f and bare(f[IPv6].dst) == bare(group)
            and f[UDP].dport == port]


def mld_in(pcap):
    """(time, ICMPv6 type, multicast address, IPv6 dst, hop limit) of the
    MLD messages (130 query, 131 report, 132 done) in a pcap. MLD sits
    behind a hop-by-hop header (RFC 2710 3), so the walk follows next headers."""
    from scapy.layers.inet6 import IPv6
    out = []
    for f in rdpcap(pcap):
        if IPv6 not in f:
            continue
        raw = bytes(f[IPv6])
        nh, off = raw[6], 40
        while nh in (0, 60) and off + 2 <= len(raw):   # hop-by-hop, destination options
            nh, off = raw[off], off + (raw[off + 1] + 1) * 8
        if nh == 58 and off + 24 <= len(raw) and raw[off] in (130, 131, 132):
            out.append((float(f.time), raw[off], bare(str(ipaddress.IPv6Address(raw[off + 8:off + 24]))),
                        bare(f[IPv6].dst), f[IPv6].hlim))
    return out


# ---------------------------------------------------------------- scenario

def run_all(sim, size=SIZE, seed=None):
    """Every phase in order -> (net, results by phase)."""
    net = build(sim)
    res = {"slaac": slaac_phase(net)}
    res["dhcp6"] = dhcp6_phase(net)
    res["dns"] = dns_phase(net, res["dhcp6"]["dns"] or [NS_ADDR])
    dst = res["dns"]["addresses"][0] if res["dns"]["addresses"] else net.addr("h3")
    res["tcp"] = tcp_phase(net, dst, payload(sim.seed if seed is None else seed, size))
    res["udp"] = udp_phase(net, dst)
    res["dad"] = dad_phase(net)
    res["mcast"] = multicast_phase(net)
    return net, res


def scenario(sim):
    net, res = run_all(sim)
    d = res["slaac"]
    print(f"IPv6 network, seed {sim.seed}")
    print(f"\n1. SLAAC ({'all configured' if d['ok'] else 'NOT all configured'} after {d['seconds']:.2f} s):")
    for h in HOSTS:
        rt = [r["ip"] for r in d["routers"][h]]
        print(f"  {h}: {d['ip6'][h]} routers {rt}")
    c = res["dhcp6"]
    print(f"\n2. DHCPv6: h1 {c['state']}, dns {c['dns']}, domain {c['domain']}")
    n = res["dns"]
    print(f"\n3. DNS: h1 asked {n['servers']} for {NAME} AAAA: {n['addresses'] or n['error']}"
          f" (ns saw {len(n['queries'])} query)")
    t = res["tcp"]
    intact = t["got"] == payload(sim.seed)
    print(f"\n4. TCP h1 -> h3: {len(t['got'])} bytes in {t['seconds'] * 1e3:.1f} ms virtual, "
          f"{'intact' if intact else 'CORRUPT'}; closed cleanly: {t['closed'] and t['eof']}; "
          f"forwarded r1 {t['fw']['r1']}, r2 {t['fw']['r2']}")
    u = res["udp"]
    print(f"\n5. UDP echo h1 -> h3: {len(u['sent'])} sent, {len(u['at_h3'])} at h3, {len(u['back'])} back")
    a = res["dad"]
    print(f"\n6. DAD {DUP_ADDR}: h2 {a['h2']}, h6 {a['h6']}; DAD failures {a['dad_failures']}")
    m = res["mcast"]
    print(f"\n7. Multicast {GROUP}: {m['count']} datagrams from h3 -> h1 {len(m['got']['h1'])}, "
          f"h4 (no member) {len(m['got']['h4'])}; after h1 left: h1 {len(m['got_late']['h1'])} "
          f"of {len(m['late'])}")
    print("\nrouters: " + ", ".join(f"{r} ip6.fw {net.nodes[r].stats['ip6']['fw']}" for r in ("r1", "r2")))
    return net, res


if __name__ == "__main__":
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
    from shoal.__main__ import main
    sys.exit(main(["run", __file__] + sys.argv[1:]))
