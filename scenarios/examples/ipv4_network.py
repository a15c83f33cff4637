"""An IPv4 network end to end (issue 4 item 10): four subnets, two routers,
DHCP, DNS, TCP, multicast and AutoIP, all on the virtual clock.

    python3 -m shoal run scenarios/examples/ipv4_network.py [--seed N]

         subnet A 10.1.0.0/24          subnet B 10.2.0.0/24          subnet C 10.3.0.0/24
    h1, h4 --- swA --- r1 .1 |.1 --- swB --- .2| r2 .1 --- swC --- h3, h5, ns (.53)
                                      |               | .1
                                      h2              swD --- h6, h7   (subnet D 10.4.0.0/24,
                                                                        no DHCP server at first)

Each subnet is a learning switch with one point-to-point link per port
(100 Mbit/s, 1 ms), so every port has its own pcap. r1 and r2 forward
(forwarding=True) with static routes to the subnets behind the other one;
r1 serves DHCP on A and B, r2 on C, with the router (option 3) and the DNS
server (option 6, ns 10.3.0.53) options. The phases:

1. DHCP: h1..h5 get leases (RFC 2131, ARP-probed per RFC 5227).
2. DNS: h1 takes its resolver from option 6 and resolves "files.shoal.test";
   ns answers from Python on a UDP socket, with messages built by Scapy's
   DNS layers, from a zone holding h3's leased address.
3. TCP: h1 sends 256 KiB to h3 through both routers; the stream arrives
   intact, every segment with TTL 64 - 2, and both ends close cleanly.
4. Multicast: h1 (A) and h3 (C) join 239.12.0.7 (IGMPv2); h2 on B sends
   with multicast TTL 4; both routers forward to their members; h4, on A
   but no member, delivers nothing; after h3 leaves, r2 sends its
   group-specific queries and then stops forwarding to C.
5. AutoIP: h6 and h7 on D find no DHCP server and fall back to 169.254/16
   (RFC 3927 1.9) and ping each other; then r2 starts a DHCP server on D and
   both move to DHCP leases, reaching h1 through both routers.

The phase functions return what they saw; scenarios/examples/
test_ipv4_network.py asserts on it, scenario(sim) prints it.
"""

import random

from scapy.layers.dns import DNS, DNSRR
from scapy.utils import rdpcap

RATE, DELAY = "100Mbit", "1ms"
SUBNETS = {"A": "10.1.0", "B": "10.2.0", "C": "10.3.0", "D": "10.4.0"}
NS_ADDR = "10.3.0.53"
NAME = "files.shoal.test"          # RFC 2606 reserves .test
TCP_PORT = 47123                   # no Wireshark dissector claims it
MCAST_PORT = 47311
GROUP = "239.12.0.7"               # administratively scoped (RFC 2365)
SIZE = 256 * 1024


def payload(seed, size=SIZE):
    """Lowercase letters from a seeded RNG: every byte checkable, and no
    Wireshark heuristic dissector takes them for its protocol."""
    return bytes(random.Random(seed).choices(b"abcdefghijklmnopqrstuvwxyz", k=size))


class DnsServer:
    """A DNS server played by the scenario on a node's UDP port 53: each
    query is parsed and answered with Scapy's DNS layers (RFC 1035 4.1)."""

    def __init__(self, node, zone=None):
        self.sock = node.udp(port=53)
        self.zone = dict(zone or {})   # "name." -> IPv4 address
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
            if addr is not None and q.qd.qtype == 1:
                ans = DNS(id=q.id, qr=1, aa=1, rd=q.rd, ra=0, rcode=0, qd=q.qd,
                          an=DNSRR(rrname=q.qd.qname, type="A", rclass="IN", ttl=300, rdata=addr))
            else:
                ans = DNS(id=q.id, qr=1, aa=1, rd=q.rd, ra=0, rcode=3 if addr is None else 0, qd=q.qd)
            self.sock.sendto(bytes(ans), peer)
            n += 1
        return n


class Net:
    """The built topology: .nodes (also as attributes: net.h1), .switches,
    .port[name] (a host's link to its switch), .router_ifaces, .servers (DHCP
    servers by subnet), .clients (DHCP clients by host), .dns (the DnsServer
    on ns)."""

    def __init__(self, sim):
        self.sim = sim
        self.nodes, self.switches, self.port = {}, {}, {}
        self.servers, self.clients = {}, {}
        self.router_ifaces = {}        # subnet -> the router's Iface there
        self.dns = None

    def __getattr__(self, name):
        nodes = self.__dict__.get("nodes", {})
        if name in nodes:
            return nodes[name]
        raise AttributeError(name)

    def iface(self, name):
        return self.nodes[name].iface(self.port[name])

    def addr(self, name):
        return self.iface(name).ip4

    def run_until(self, pred, timeout):
        """run_until that also keeps the DNS server answering."""
        return self.sim.run_until(lambda: (self.dns.serve(), pred())[1], timeout)


def build(sim):
    """Make the network and start its DHCP servers and clients (at time 0)."""
    net = Net(sim)
    for sub in SUBNETS:
        net.switches[sub] = sim.switch("sw" + sub)

    def attach(name, sub, forwarding=False):
        node = net.nodes.get(name) or sim.node(name, forwarding=forwarding)
        net.nodes[name] = node
        link = sim.link(node, net.switches[sub], delay=DELAY, rate=RATE)
        if not forwarding:
            net.port[name] = link
        return node.iface(link)

    # Routers first: their addresses, routes, and DHCP servers on A, B, C.
    r1a, r1b = attach("r1", "A", True), attach("r1", "B", True)
    r2b, r2c, r2d = attach("r2", "B", True), attach("r2", "C", True), attach("r2", "D", True)
    r1a.set_ip4("10.1.0.1/24")
    r1b.set_ip4("10.2.0.1/24")
    r2b.set_ip4("10.2.0.2/24")
    r2c.set_ip4("10.3.0.1/24")
    r2d.set_ip4("10.4.0.1/24")
    net.r1.route_add("10.3.0.0/24", via="10.2.0.2")
    net.r1.route_add("10.4.0.0/24", via="10.2.0.2")
    net.r2.route_add("10.1.0.0/24", via="10.2.0.1")
    net.router_ifaces = {"A": r1a, "B": r1b, "C": r2c, "D": r2d}
    for sub, rif in (("A", r1a), ("B", r1b), ("C", r2c)):
        p = SUBNETS[sub]
        net.servers[sub] = rif.node.dhcp_server(rif, pool=(p + ".100", p + ".199"), lease="1h",
                                                router=p + ".1", dns=[NS_ADDR])

    # The name server has a fixed address; the DNS "software" is Python.
    attach("ns", "C").set_ip4(NS_ADDR + "/24", gw="10.3.0.1")
    net.dns = DnsServer(net.ns)

    # Hosts: DHCP clients. h6 and h7 on D fall back to AutoIP.
    for name, sub in (("h1", "A"), ("h4", "A"), ("h2", "B"), ("h3", "C"), ("h5", "C")):
        net.clients[name] = attach(name, sub).dhcp4(hostname=name)
    for name in ("h6", "h7"):
        net.clients[name] = attach(name, "D").dhcp4(hostname=name, autoip_fallback=True)
    return net


# ---------------------------------------------------------------- phases

def dhcp_phase(net, timeout="30s"):
    """Wait for the leases on A, B and C. -> dict of facts."""
    hosts = ("h1", "h2", "h3", "h4", "h5")
    t0 = net.sim.now
    ok = net.sim.run_until(lambda: all(net.clients[h].bound for h in hosts), timeout)
    info = {h: net.clients[h].info() for h in hosts}
    return {"ok": ok, "seconds": net.sim.now - t0, "info": info,
            "addr": {h: net.addr(h) for h in hosts},
            "prefix": {h: net.iface(h).prefix_len for h in hosts},
            "leases": {sub: srv.leases for sub, srv in net.servers.items()},
            "counts": {sub: srv.counts for sub, srv in net.servers.items()}}


def dns_phase(net, timeout="5s"):
    """h1 uses the DNS server its lease named and looks up NAME (h3)."""
    net.dns.zone[NAME + "."] = net.addr("h3")
    servers = net.h1.dns_servers(net.clients["h1"].dns)
    lk = net.h1.resolve(NAME)
    ok = net.run_until(lambda: lk.done, timeout)
    return {"ok": ok, "servers": servers, "addresses": lk.addresses, "error": lk.error,
            "queries": list(net.dns.queries), "stats": net.h1.dns.stats}


def _fw(net):
    return {r: net.nodes[r].stats["ip4"]["fw"] for r in ("r1", "r2")}


def tcp_phase(net, dst, data, timeout="30s", early=False):
    """h1 sends `data` to dst (h3's address) on TCP_PORT; both close.
    Returns what h3 read, the states, the routers' ip4.fw deltas, and the
    virtual time span of the phase (to find its segments in the pcaps).

    The data is offered once the connection is ESTABLISHED; early=True
    offers it right after connect() (see test_ipv4_network.py's xfail on
    what the stack makes of that)."""
    sim = net.sim
    srv = net.h3.tcp_listen(TCP_PORT)
    fw0, t0 = _fw(net), sim.now_ns
    c = net.h1.tcp_connect(dst, TCP_PORT)
    if not early:
        sim.run_until(lambda: c.state == "ESTABLISHED", "5s")
    t_est = sim.now_ns
    st = {"sent": 0, "s": None}
    got = bytearray()
    view = memoryview(data)

    def pump():
        if st["s"] is None:
            st["s"] = srv.accept()
        if st["sent"] < len(data):
            st["sent"] += c.send(view[st["sent"]:st["sent"] + 65536])
        if st["s"] is not None:
            d = st["s"].recv()
            if d:
                got.extend(d)
        return len(got) >= len(data)

    moved = sim.run_until(pump, timeout)
    t_data = sim.now_ns
    s = st["s"]
    peer = None if s is None else s.remote   # h1's (address, port), before the stack frees it
    # Orderly release (RFC 9293 3.6): h1 closes first, h3 reads EOF and closes.
    c.close()
    eof = s is not None and sim.run_until(lambda: s.recv() == b"", "5s")
    if s is not None:
        s.close()
    seen = []
    closed = sim.run_until(lambda: (seen.append(c.state), c.state == "CLOSED" and s.state == "CLOSED")[1], "300s")
    srv.close()
    fw1 = _fw(net)
    return {"moved": moved, "got": bytes(got), "eof": eof, "closed": closed, "client_states": seen,
            "errors": (c.error, None if s is None else s.error), "fw": {r: fw1[r] - fw0[r] for r in fw1},
            "t0_ns": t0, "t_est_ns": t_est, "t_data_ns": t_data, "t_end_ns": sim.now_ns, "peer": peer,
            "seconds": (t_data - t_est) / 1e9}


def tcp_segments(pcap, a, b, port=TCP_PORT):
    """The IPv4/TCP packets between a and b (either way) with `port` on one
    side, as Scapy IP packets with .time, from a pcap."""
    from scapy.layers.inet import IP, TCP
    out = []
    for f in rdpcap(pcap):
        if IP in f and TCP in f and {f[IP].src, f[IP].dst} == {a, b} and port in (f[TCP].sport, f[TCP].dport):
            out.append(f)
    return out


def udp_to(pcap, group, port=MCAST_PORT):
    """The UDP datagrams to group:port in a pcap, as Scapy packets."""
    from scapy.layers.inet import IP, UDP
    return [f for f in rdpcap(pcap) if IP in f and UDP in f and f[IP].dst == group and f[UDP].dport == port]


def igmp_in(pcap):
    """(time, type, group, ip dst) of the IGMP messages in a pcap."""
    from scapy.layers.inet import IP
    out = []
    for f in rdpcap(pcap):
        if IP in f and f[IP].proto == 2:
            msg = bytes(f[IP].payload)
            if len(msg) >= 8:
                out.append((float(f.time), msg[0], ".".join(str(x) for x in msg[4:8]), f[IP].dst))
    return out


def multicast_phase(net, count=20, gap="10ms", late_count=40):
    """h1 and h3 join GROUP; h2 sends `count` datagrams (TTL 4) to it; h4
    listens on the port without joining. Then h3 leaves and h2 keeps
    sending, `late_count` more datagrams 100 ms apart."""
    sim = net.sim
    socks = {h: net.nodes[h].udp(port=MCAST_PORT) for h in ("h1", "h3", "h4")}
    net.iface("h1").join(GROUP)
    net.iface("h3").join(GROUP)
    sim.run(duration="500ms")      # the unsolicited reports reach r1 and r2
    tx = net.h2.udp(port=0)
    tx.set_multicast(ttl=4, iface=net.port["h2"])
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
    # h3 leaves; h2 keeps sending.
    t_leave = sim.now_ns
    net.iface("h3").leave(GROUP)
    late = []
    for i in range(late_count):
        msg = b"after leave %03d " % i + b"abcdefghijklmnopqrstuvwxyz"
        late.append((sim.now_ns, msg))
        tx.sendto(msg, (GROUP, MCAST_PORT))
        sim.run(duration="100ms")
    got_late = {h: drain(s) for h, s in socks.items()}
    return {"sender": (net.addr("h2"), tx.port), "count": count, "got": got, "got_late": got_late,
            "late": late, "fw": {r: fw1[r] - fw0[r] for r in fw1}, "t_first_ns": t_first,
            "t_leave_ns": t_leave}


def autoip_phase(net, fallback_timeout="120s", lease_timeout="150s"):
    """h6 and h7 fall back to link-local addresses, ping each other; then a
    DHCP server starts on D and they take its leases."""
    sim = net.sim
    c6, c7 = net.clients["h6"], net.clients["h7"]
    i6, i7 = net.iface("h6"), net.iface("h7")

    def link_local():
        return all(i.ip4 is not None and i.ip4.startswith("169.254.") for i in (i6, i7))

    ok_ll = net.run_until(link_local, fallback_timeout)
    t_ll = sim.now
    ll = {"h6": (i6.ip4, i6.prefix_len), "h7": (i7.ip4, i7.prefix_len)}
    states = {"h6": c6.info(), "h7": c7.info()}
    p = net.h6.ping(i7.ip4, count=3, interval="100ms") if ok_ll else None
    sim.run(duration="1s")
    ping_ll = None if p is None else (p.sent, p.received)
    t_server = sim.now
    p4 = SUBNETS["D"]
    rif = net.router_ifaces["D"]
    net.servers["D"] = net.r2.dhcp_server(rif, pool=(p4 + ".100", p4 + ".199"), lease="1h",
                                          router=p4 + ".1", dns=[NS_ADDR])
    ok_lease = net.run_until(lambda: c6.bound and c7.bound, lease_timeout)
    t_lease = sim.now
    after = {"h6": c6.info(), "h7": c7.info()}
    leased = {"h6": (i6.ip4, i6.prefix_len), "h7": (i7.ip4, i7.prefix_len)}
    far = None
    if ok_lease and net.addr("h1"):
        pf = net.h6.ping(net.addr("h1"), count=3, interval="100ms")
        sim.run(duration="1s")
        far = (pf.sent, pf.received)
    return {"ok_ll": ok_ll, "t_ll": t_ll, "ll": ll, "states": states, "ping_ll": ping_ll,
            "t_server": t_server, "ok_lease": ok_lease, "t_lease": t_lease, "after": after,
            "leased": leased, "ping_far": far}


# ---------------------------------------------------------------- scenario

def run_all(sim, seed=None):
    """Every phase in order -> (net, results by phase)."""
    net = build(sim)
    res = {"dhcp": dhcp_phase(net)}
    res["dns"] = dns_phase(net)
    dst = res["dns"]["addresses"][0] if res["dns"]["addresses"] else net.addr("h3")
    res["tcp"] = tcp_phase(net, dst, payload(sim.seed if seed is None else seed))
    res["mcast"] = multicast_phase(net)
    res["autoip"] = autoip_phase(net)
    return net, res


def scenario(sim):
    net, res = run_all(sim)
    d = res["dhcp"]
    print(f"IPv4 network, seed {sim.seed}")
    print(f"\n1. DHCP ({'all bound' if d['ok'] else 'NOT all bound'} after {d['seconds']:.2f} s):")
    for h, a in d["addr"].items():
        i = d["info"][h]
        print(f"  {h}: {a}/{d['prefix'][h]} router {i['router']} dns {i['dns']} from {i['server']}")
    n = res["dns"]
    print(f"\n2. DNS: h1 asked {n['servers']} for {NAME}: {n['addresses'] or n['error']}"
          f" (ns saw {len(n['queries'])} query)")
    t = res["tcp"]
    intact = t["got"] == payload(sim.seed)
    print(f"\n3. TCP h1 -> h3: {len(t['got'])} bytes in {t['seconds'] * 1e3:.1f} ms virtual, "
          f"{'intact' if intact else 'CORRUPT'}; closed cleanly: {t['closed'] and t['eof']}; "
          f"forwarded r1 {t['fw']['r1']}, r2 {t['fw']['r2']}")
    m = res["mcast"]
    print(f"\n4. Multicast {GROUP}: {m['count']} datagrams from h2 -> h1 {len(m['got']['h1'])}, "
          f"h3 {len(m['got']['h3'])}, h4 (no member) {len(m['got']['h4'])}; after h3 left: "
          f"h1 {len(m['got_late']['h1'])}, h3 {len(m['got_late']['h3'])} of {len(m['late'])}")
    a = res["autoip"]
    print(f"\n5. AutoIP on D: link-local at {a['t_ll']:.1f} s {a['ll']}, ping {a['ping_ll']}; "
          f"server at {a['t_server']:.1f} s, leases at {a['t_lease']:.1f} s {a['leased']}, "
          f"ping h6 -> h1 {a['ping_far']}")
    print("\nrouters: " + ", ".join(f"{r} ip4.fw {net.nodes[r].stats['ip4']['fw']}" for r in ("r1", "r2")))
    return net, res


if __name__ == "__main__":
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
    from shoal.__main__ import main
    sys.exit(main(["run", __file__] + sys.argv[1:]))
