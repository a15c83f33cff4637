"""Issue 4 item 10 end to end: an IPv4 network of four subnets and two
routers (scenarios/examples/ipv4_network.py) where hosts get their
addresses by DHCP, resolve a name through a DNS server run from Python on a
node's UDP socket, move 256 KiB over TCP through both routers, share a
multicast group across the routers, and fall back to AutoIP where no DHCP
server answers. Every pcap is checked by tshark (the plugin); the whole
scenario is deterministic."""
import filecmp
import ipaddress
import os
import subprocess
import sys

import pytest

import shoal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import ipv4_network as N  # noqa: E402
from scapy.layers.dns import DNS  # noqa: E402
from scapy.layers.inet import IP, TCP, UDP  # noqa: E402
from scapy.layers.l2 import ARP  # noqa: E402
from scapy.utils import rdpcap  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
POOLS = {"A": ("10.1.0.100", "10.1.0.199"), "B": ("10.2.0.100", "10.2.0.199"),
         "C": ("10.3.0.100", "10.3.0.199"), "D": ("10.4.0.100", "10.4.0.199")}
SUBNET_OF = {"h1": "A", "h4": "A", "h2": "B", "h3": "C", "h5": "C", "h6": "D", "h7": "D"}
IGMP_QUERY, IGMP_LEAVE = 0x11, 0x17


def in_pool(addr, sub):
    lo, hi = (ipaddress.ip_address(a) for a in POOLS[sub])
    return lo <= ipaddress.ip_address(addr) <= hi


def pcap(net, name):
    """The pcap of a host's (or router port's) link, flushed."""
    net.sim.flush()
    return net.sim.get_link(name).pcap_path


@pytest.fixture
def net(sim):
    return N.build(sim)


# ------------------------------------------------ 1. DHCP, DNS, TCP

def test_dhcp_leases_with_router_and_dns_options(net):
    """RFC 2131 / 2132: every host on A, B and C gets a lease from the
    server on its router's interface, with the router (option 3) and DNS
    server (option 6) options, and the address is configured /24."""
    d = N.dhcp_phase(net)
    assert d["ok"], {h: c.state for h, c in net.clients.items()}
    assert d["seconds"] < 15  # RFC 5227 probing takes a few seconds, nothing more
    for h, addr in d["addr"].items():
        sub = SUBNET_OF[h]
        info = d["info"][h]
        assert in_pool(addr, sub) and d["prefix"][h] == 24, (h, addr)
        assert info["router"] == N.SUBNETS[sub] + ".1" and info["dns"] == [N.NS_ADDR]
        assert info["server"] == net.router_ifaces[sub].ip4
        rows = [r for r in d["leases"][sub] if r["mac"] == net.iface(h).mac]
        assert len(rows) == 1 and rows[0]["address"] == addr and rows[0]["state"] == "BOUND"
    assert len(set(d["addr"].values())) == 5
    # r1 serves both its subnets: it drops nothing. r2 hears DHCP on B (r1's
    # to answer) and on D (no server yet) and drops those, none malformed.
    assert net.r1.stats["dhcp"]["drop"] == 0
    assert all(net.nodes[r].stats["dhcp"][k] == 0 for r in ("r1", "r2") for k in ("chkerr", "lenerr", "proterr"))


def test_dns_name_resolved_through_two_routers(net):
    """RFC 1035 4.1 / 7: h1's resolver, pointed at the server its lease
    named, asks ns (two routers away) once; the answer, built with Scapy on
    ns's UDP socket, carries h3's leased address; the query left h1 with
    TTL 64 and the answer arrived with 64 - 2."""
    assert N.dhcp_phase(net)["ok"]
    n = N.dns_phase(net)
    assert n["ok"] and n["error"] is None
    assert n["servers"] == [N.NS_ADDR]
    assert n["addresses"] == [net.addr("h3")]
    assert [(q[0], q[1], q[2][0]) for q in n["queries"]] == [(N.NAME, 1, net.addr("h1"))]
    st = n["stats"]
    assert (st["queries"], st["responses"], st["malformed"], st["mismatched"]) == (1, 1, 0, 0)
    dns = [f for f in rdpcap(pcap(net, "h1-swA")) if UDP in f and 53 in (f[UDP].sport, f[UDP].dport)]
    assert len(dns) == 2
    q, a = dns
    assert q[IP].src == net.addr("h1") and q[IP].dst == N.NS_ADDR and q[IP].ttl == 64
    assert a[IP].src == N.NS_ADDR and a[IP].ttl == 62
    ans = DNS(bytes(a[UDP].payload))
    assert ans.id == DNS(bytes(q[UDP].payload)).id and ans.qr == 1 and ans.rcode == 0
    assert ans.an.rdata == net.addr("h3")


def test_tcp_transfer_through_two_routers(net):
    """RFC 9293 / RFC 1812: 256 KiB from h1 (subnet A) to h3 (subnet C) by
    the name's address arrive byte for byte; every segment crossed both
    routers (TTL 64 - 2 on arrival, 64 on leaving), which counted each in
    ip4.fw; the connection closes cleanly (FIN each way, no RST, TIME-WAIT,
    both ends CLOSED)."""
    assert N.dhcp_phase(net)["ok"]
    dst = N.dns_phase(net)["addresses"][0]
    data = N.payload(net.sim.seed)
    t = N.tcp_phase(net, dst, data)
    assert t["moved"], f"{len(t['got'])} of {len(data)} bytes"
    assert len(t["got"]) == len(data) and t["got"] == data
    assert t["eof"] and t["closed"], t["client_states"][-5:]
    assert "TIME_WAIT" in t["client_states"] and t["errors"] == (0, 0)
    h1, h3 = net.addr("h1"), net.addr("h3")
    at_h1 = N.tcp_segments(pcap(net, "h1-swA"), h1, h3)
    at_h3 = N.tcp_segments(pcap(net, "h3-swC"), h1, h3)
    assert len(at_h1) == len(at_h3) > len(data) // 1460, "every segment crossed, none lost"
    for where, segs in (("h1", at_h1), ("h3", at_h3)):
        for f in segs:
            local = f[IP].src == (h1 if where == "h1" else h3)
            assert f[IP].ttl == (64 if local else 62), (where, f.summary(), f[IP].ttl)
        assert not any(f[TCP].flags.R for f in segs), "no RST"
        fins = {f[IP].src for f in segs if f[TCP].flags.F}
        assert fins == {h1, h3}
    payload_at_h3 = sum(len(f[TCP].payload) for f in at_h3 if f[IP].src == h1)
    assert payload_at_h3 == len(data), "no retransmission on a lossless path"
    # Both routers forwarded exactly these segments (nothing else crossed meanwhile).
    assert t["fw"] == {"r1": len(at_h1), "r2": len(at_h1)}
    for r in ("r1", "r2"):
        s = net.nodes[r].stats
        assert s["ip4"]["drop"] == 0 and s["icmp"]["xmit"] == 0, (r, s["ip4"], s["icmp"])


def test_tcp_data_offered_at_connect_not_throttled(net):
    """RFC 9293 3.7.4 (Nagle holds a short segment only until a full-sized
    one can be sent) with 3.10.2 (data may be queued before the connection
    is established): 256 KiB offered right after connect() move as fast as
    when offered after the handshake, within a factor of 2."""
    assert N.dhcp_phase(net)["ok"]
    t = N.tcp_phase(net, net.addr("h3"), N.payload(1), early=True)
    assert t["moved"] and t["got"] == N.payload(1)
    assert t["seconds"] < 0.5, f"{t['seconds']:.2f} s of virtual time for 256 KiB at 100 Mbit/s"


# ------------------------------------------------ 2. multicast

def test_multicast_group_across_routers(net):
    """RFC 1112 / RFC 2236: h2 on B sends to 239.12.0.7 with multicast TTL
    4; r1 and r2 learned the members h1 (A) and h3 (C) from their reports
    and forward every datagram there (TTL 3 on arrival), each counted once
    in ip4.fw; h4, on A (it sees the frames: the switch floods them) but no
    member, delivers none to its socket on the port."""
    assert N.dhcp_phase(net)["ok"]
    m = N.multicast_phase(net)
    sender = m["sender"]
    want = [b"group datagram %03d " % i + b"abcdefghijklmnopqrstuvwxyz" for i in range(m["count"])]
    for h in ("h1", "h3"):
        assert m["got"][h] == [(w, sender) for w in want], h
    assert m["got"]["h4"] == [] and m["got_late"]["h4"] == []
    assert m["fw"] == {"r1": m["count"], "r2": m["count"]}
    t_leave = m["t_leave_ns"] / 1e9
    for port in ("h1-swA", "h3-swC", "h4-swA"):
        before = [f for f in N.udp_to(pcap(net, port), N.GROUP) if float(f.time) < t_leave]
        assert [bytes(f[UDP].payload) for f in before] == want, port
        assert {f[IP].ttl for f in before} == {3}
        assert all(f.dst == "01:00:5e:0c:00:07" for f in before)  # RFC 1112 6.4
    assert N.udp_to(pcap(net, "h5-swC"), N.GROUP)  # flooded on C too, h5 no member


def test_multicast_leave_stops_forwarding_after_last_member_queries(net):
    """RFC 2236 3 / 6 / 8.8-8.9: h3, the last member on C, leaves: it sends
    a Leave to 224.0.0.2 at once and its socket gets nothing more; r2, the
    querier on C, sends Last Member Query Count (2) group-specific queries
    1 s apart and keeps forwarding until the Last Member Query Time ends,
    then no more datagram to the group goes out on C. h1 on A still gets
    every one."""
    assert N.dhcp_phase(net)["ok"]
    m = N.multicast_phase(net)
    t_leave = m["t_leave_ns"] / 1e9
    late = [msg for _, msg in m["late"]]
    assert [d for d, _ in m["got_late"]["h1"]] == late
    assert m["got_late"]["h3"] == []
    igmp = [x for x in N.igmp_in(pcap(net, "h3-swC")) if x[0] >= t_leave]
    leave = [x for x in igmp if x[1] == IGMP_LEAVE]
    queries = [x for x in igmp if x[1] == IGMP_QUERY and x[2] == N.GROUP]
    assert len(leave) == 1 and leave[0][2:] == (N.GROUP, "224.0.0.2") and leave[0][0] - t_leave < 0.005
    assert len(queries) == 2 and all(q[3] == N.GROUP for q in queries)
    assert abs(queries[1][0] - queries[0][0] - 1.0) < 1e-6
    on_c = [f for f in N.udp_to(pcap(net, "r2-swC"), N.GROUP) if float(f.time) > t_leave]
    assert on_c, "r2 forwards until the last-member queries go unanswered"
    expiry = queries[1][0] + 1.0  # Max Resp Time of the last query (10 = 1 s)
    assert all(float(f.time) < expiry + 0.01 for f in on_c)
    assert len(on_c) < len(late)
    assert {bytes(f[UDP].payload) for f in on_c} == set(late[:len(on_c)])


# ------------------------------------------------ 3. AutoIP

def test_autoip_fallback_then_dhcp_lease(net):
    """RFC 3927 1.9 / 2.1: h6 and h7 on D, where no DHCP server answers,
    configure 169.254/16 addresses after their DISCOVERs go unanswered and
    reach each other; once r2 serves DHCP on D both take leases (the
    link-local address is given up) and h6 reaches h1 through both routers."""
    a = N.autoip_phase(net)
    assert a["ok_ll"]
    ll = [a["ll"][h][0] for h in ("h6", "h7")]
    assert len(set(ll)) == 2
    for h in ("h6", "h7"):
        addr, plen = a["ll"][h]
        assert ipaddress.ip_address("169.254.1.0") <= ipaddress.ip_address(addr) <= \
            ipaddress.ip_address("169.254.254.255") and plen == 16
        assert a["states"][h]["state"] == "SELECTING" and a["states"][h]["autoip_state"] == "BOUND"
        assert a["states"][h]["discovers"] >= 4
    assert 50 <= a["t_ll"] <= 80, a["t_ll"]  # after the 4th unanswered DISCOVER (~60 s)
    assert a["ping_ll"] == (3, 3)
    assert a["ok_lease"] and a["t_lease"] - a["t_server"] <= 130  # the next DISCOVER finds it
    for h in ("h6", "h7"):
        addr, plen = a["leased"][h]
        assert in_pool(addr, "D") and plen == 24
        assert a["after"][h]["autoip_state"] == "OFF" and a["after"][h]["router"] == "10.4.0.1"
    assert a["ping_far"] == (3, 3)
    # No datagram from a link-local source left h6 once it had its lease.
    t_lease = a["t_lease"]
    late = [f for f in rdpcap(pcap(net, "h6-swD")) if float(f.time) > t_lease and f.src == net.iface("h6").mac]
    assert late and not any(IP in f and f[IP].src.startswith("169.254.") for f in late)
    assert not any(ARP in f and f[ARP].psrc.startswith("169.254.") for f in late)


# ------------------------------------------------ 4. the whole scenario

def _whole(seed, where=None):
    """The whole scenario -> (pcap paths, the random choices it saw)."""
    with shoal.Sim(seed=seed, pcap_dir=None if where is None else str(where)) as sim:
        net, res = N.run_all(sim)
        assert res["tcp"]["got"] == N.payload(seed)
        assert res["autoip"]["ping_far"] == (3, 3)
        picks = (res["dns"]["queries"][0][2][1], res["tcp"]["peer"], res["autoip"]["ll"],
                 {h: i["xid"] for h, i in res["dhcp"]["info"].items()})
        return sim.pcaps, picks


def test_determinism_same_seed_identical_pcaps(tmp_path):
    """The whole scenario twice with one seed: byte-identical pcaps on all
    13 links (xids, ports, ISNs, IGMP delays, AutoIP picks all come from
    the nodes' RNG streams); another seed changes those choices (run
    without pcaps: tshark takes ~0.4 s a file)."""
    one, picks1 = _whole(5, tmp_path / "one")
    two, picks2 = _whole(5, tmp_path / "two")
    _, picks3 = _whole(6)
    assert len(one) == len(two) == 13
    assert [os.path.basename(p) for p in one] == [os.path.basename(p) for p in two]
    same = [filecmp.cmp(a, b, shallow=False) for a, b in zip(one, two)]
    assert all(same), [os.path.basename(p) for p, s in zip(one, same) if not s]
    assert picks1 == picks2
    assert picks3[0] != picks1[0] and picks3[1] != picks1[1] and picks3[3] != picks1[3]


def test_runs_from_the_command_line(tmp_path):
    """`python3 -m shoal run scenarios/examples/ipv4_network.py` works and
    reports every phase."""
    out = subprocess.run([sys.executable, "-m", "shoal", "run", os.path.join(HERE, "ipv4_network.py"),
                          "--seed", "2", "--pcap-dir", str(tmp_path)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                         env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python")))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "1. DHCP (all bound" in text and "intact; closed cleanly: True" in text
    assert "h4 (no member) 0" in text and "ping h6 -> h1 (3, 3)" in text
    assert len([p for p in os.listdir(tmp_path) if p.endswith(".pcap")]) == 13
