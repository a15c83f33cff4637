"""Determinism over IPv6 (DESIGN.md, "Tests and evidence"; issue 5 "Done
means"): one seed, one outcome. A routed IPv6 scenario (router
advertisements, SLAAC with DAD, ping, TCP and UDP over an impaired link),
run twice with the same seed, writes byte-identical pcaps and shows Python
the same addresses, times and deliveries. Another seed changes what the
instances draw from their RNG: the stable interface identifiers (RFC 7217
keys them with a secret, here from the instance's RNG) and the random DAD
and solicitation delays (RFC 4862 5.4.2, RFC 4861 6.3.7); modified EUI-64
identifiers (RFC 4291 2.5.1) come from the MAC alone and do not change."""
import hashlib
import ipaddress
import os

from scapy.layers.inet6 import ICMPv6ND_NS, ICMPv6ND_RS, IPv6
from scapy.utils import rdpcap

import shoal

P1, P2 = "2001:db8:a::/64", "2001:db8:b::/64"


def bare(addr):
    return str(ipaddress.IPv6Address(addr.split("%")[0]))


def in_prefix(iface, prefix):
    net = ipaddress.IPv6Network(prefix)
    return [bare(a) for a in iface.ip6 if ipaddress.IPv6Address(a.split("%")[0]) in net]


def scenario(seed, pcap_dir=None, iid="stable", traffic=True):
    """r routes between a (2001:db8:a::/64, 2 ms, lossy and jittery) and b
    (2001:db8:b::/64); both hosts run SLAAC from r's advertisements, then a
    pings b, sends 64 KiB over TCP and 20 UDP datagrams (unless traffic is
    False). -> (pcap bytes by file name, observations)."""
    sim = shoal.Sim(seed=seed, pcap_dir=None if pcap_dir is None else str(pcap_dir))
    try:
        r = sim.node("r", forwarding=True)
        a, b = sim.node("a"), sim.node("b")
        la = sim.link(a, r, delay="2ms", rate="10Mbit", loss=0.05, jitter="1ms")
        lb = sim.link(b, r, delay="1ms", rate="10Mbit")
        ra, rb = r.iface(la), r.iface(lb)
        ra.add_ip6("2001:db8:a::1/64", dad=False)
        rb.add_ip6("2001:db8:b::1/64", dad=False)
        ra.advertise(P1)
        rb.advertise(P2)
        ia, ib = a.iface(la), b.iface(lb)
        ia.slaac(iid=iid)
        ib.slaac(iid=iid)
        ok = sim.run_until(lambda: in_prefix(ia, P1) and in_prefix(ib, P2)
                           and a.routers6() and b.routers6(), "20s")
        t_conf = sim.now_ns
        obs = {"ok": ok, "t_conf_ns": t_conf, "mac": (ia.mac, ib.mac),
               "a": list(ia.ip6), "b": list(ib.ip6)}
        if ok and traffic:
            dst = in_prefix(ib, P2)[0]
            p = a.ping(dst, count=10, interval="50ms", timeout="500ms")
            srv = b.tcp_listen(5001)
            c = a.tcp_connect(dst, 5001)
            data = bytes((i * 131 + seed) & 0xFF for i in range(64 * 1024))
            st = {"sent": 0, "s": None, "got": bytearray()}

            def pump():
                if st["s"] is None:
                    st["s"] = srv.accept()
                if c.state == "ESTABLISHED" and st["sent"] < len(data):
                    st["sent"] += c.send(data[st["sent"]:st["sent"] + 8192])
                if st["s"] is not None:
                    st["got"].extend(st["s"].recv() or b"")
                return len(st["got"]) >= len(data) and p.done

            moved = sim.run_until(pump, "30s")
            us, ua = b.udp(port=7), a.udp(port=0)
            for i in range(20):
                ua.sendto(b"dgram %02d" % i, (dst, 7))
                sim.run(duration="5ms")
            sim.run(duration="100ms")
            udp = []
            while (d := us.recvfrom()) is not None:
                udp.append((d[0], bare(d[1][0]), d[1][1]))
            obs.update(moved=moved, tcp_ok=bytes(st["got"]) == data, rtts_ns=list(p.rtts_ns),
                       tcp_local=c.local, udp=udp, neighbors=sorted(str(n) for n in a.neighbors6()))
        obs.update(events=sim.events, now_ns=sim.now_ns, link=[dict(l.stats) for l in sim.links])
        paths = list(sim.pcaps)
    finally:
        sim.close()
    files = {os.path.basename(pth): open(pth, "rb").read() for pth in paths}
    return files, obs


def first_dad_ns(path, mac):
    """Time (ns) of the first DAD probe (NS from ::) and the first RS sent by mac in a pcap."""
    frames = [f for f in rdpcap(path) if f.src == mac]
    dad = [f for f in frames if ICMPv6ND_NS in f and f[IPv6].src == "::"]
    rs = [f for f in frames if ICMPv6ND_RS in f]
    return (int(dad[0].time * 10**9) if dad else None, int(rs[0].time * 10**9) if rs else None)


def test_same_seed_same_bytes(tmp_path):
    """Same seed, same IPv6 scenario: every pcap is byte-identical, and so
    is everything seen from Python (addresses, RTTs, TCP and UDP
    deliveries, neighbour caches, link counters, event count)."""
    f1, o1 = scenario(7, tmp_path / "run1")
    f2, o2 = scenario(7, tmp_path / "run2")
    assert o1["ok"] and o1["moved"] and o1["tcp_ok"], o1
    assert sorted(f1) == sorted(f2) == ["a-r.pcap", "b-r.pcap"]
    assert 0 < sum(r is not None for r in o1["rtts_ns"]) <= 10
    assert len(set(r for r in o1["rtts_ns"] if r is not None)) > 1, "jitter must vary the RTTs"
    assert len(o1["udp"]) >= 10
    for name in f1:
        assert hashlib.sha256(f1[name]).hexdigest() == hashlib.sha256(f2[name]).hexdigest(), name
    assert o1 == o2


def test_other_seed_other_identifiers_and_delays(tmp_path):
    """RFC 7217 5 (stable identifiers keyed by a secret, here drawn from
    the instance's RNG) and RFC 4862 5.4.2 / RFC 4861 6.3.7 (random delays):
    with another seed the link-local and global addresses of both hosts
    change (same MACs, same prefixes), the first DAD probe and the first RS
    leave at other times, and the pcaps differ. Within one run the stable
    identifier of a host differs between its link-local and global prefix
    (the prefix is an input of the hash) and is not its EUI-64."""
    f7, o7 = scenario(7, tmp_path / "seed7", traffic=False)
    f8, o8 = scenario(8, tmp_path / "seed8", traffic=False)
    assert o7["ok"] and o8["ok"]
    assert o7["mac"] == o8["mac"]
    for h in ("a", "b"):
        ll7, ll8 = bare(o7[h][0]), bare(o8[h][0])
        g7, g8 = bare(o7[h][1]), bare(o8[h][1])
        assert ll7.startswith("fe80::") and ll8.startswith("fe80::")
        assert ll7 != ll8 and g7 != g8, (h, o7[h], o8[h])
        for ll, g in ((ll7, g7), (ll8, g8)):
            assert ipaddress.IPv6Address(ll).packed[8:] != ipaddress.IPv6Address(g).packed[8:]
    assert f7["a-r.pcap"] != f8["a-r.pcap"]
    t7 = first_dad_ns(str(tmp_path / "seed7" / "a-r.pcap"), o7["mac"][0])
    t8 = first_dad_ns(str(tmp_path / "seed8" / "a-r.pcap"), o8["mac"][0])
    assert None not in t7 and None not in t8
    assert t7 != t8, "the random DAD / RS delays did not change with the seed"
    for t in t7 + t8:
        assert 0 <= t <= 3 * 10**9  # DAD delay <= 1 s (+ RetransTimer), RS delay <= 1 s


def test_eui64_identifiers_do_not_depend_on_the_seed():
    """RFC 4291 2.5.1 / appendix A and RFC 4862 5.3: with iid="eui64" the
    link-local address is fe80:: plus the modified EUI-64 of the MAC (U/L
    bit inverted, ff:fe in the middle) and the global address carries the
    same identifier: the same for any seed."""
    _, o1 = scenario(1, None, iid="eui64", traffic=False)
    _, o2 = scenario(2, None, iid="eui64", traffic=False)
    assert o1["ok"] and o2["ok"]
    for h, mac in zip(("a", "b"), o1["mac"]):
        m = bytes(int(x, 16) for x in mac.split(":"))
        want = bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:]
        ll, g = ipaddress.IPv6Address(bare(o1[h][0])), ipaddress.IPv6Address(bare(o1[h][1]))
        assert ll.packed == bytes.fromhex("fe80000000000000") + want, (h, str(ll))
        assert g.packed[8:] == want and g in ipaddress.IPv6Network(P1 if h == "a" else P2)
        assert [bare(x) for x in o1[h]] == [bare(x) for x in o2[h]]


def _network(seed, where=None):
    """The whole IPv6 network scenario (scenarios/examples/ipv6_network.py,
    64 KiB of TCP) -> (pcap bytes by name, what it drew at random)."""
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
    import ipv6_network as N
    with shoal.Sim(seed=seed, pcap_dir=None if where is None else str(where)) as sim:
        net, res = N.run_all(sim, size=64 * 1024)
        assert res["tcp"]["got"] == N.payload(seed, 64 * 1024)
        assert res["dhcp6"]["state"] == "done" and res["dad"]["h6"] == "duplicated"
        picks = ({h: res["slaac"]["ip6"][h] for h in N.HOSTS}, res["tcp"]["local"], res["udp"]["port"],
                 res["dns"]["queries"][0][2][1])
        paths = list(sim.pcaps)
    return {os.path.basename(p): open(p, "rb").read() for p in paths}, picks


def test_ipv6_network_same_seed_same_bytes(tmp_path):
    """The end-to-end IPv6 network (RAs, SLAAC, DHCPv6, DNS, TCP, UDP, DAD
    collision, MLD and multicast forwarding) twice with one seed: all 10
    pcaps byte-identical, same addresses and ports; another seed (run
    without pcaps) draws other interface identifiers and ports."""
    one, picks1 = _network(5, tmp_path / "one")
    two, picks2 = _network(5, tmp_path / "two")
    assert len(one) == 10 and sorted(one) == sorted(two)
    assert [n for n in one if one[n] != two[n]] == []
    assert picks1 == picks2
    _, picks3 = _network(6)
    assert picks3[0]["h1"] != picks1[0]["h1"] and picks3[1][1] != picks1[1][1] and picks3[3] != picks1[3]
