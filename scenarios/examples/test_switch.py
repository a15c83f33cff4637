"""The Ethernet switch and hub, end to end (links/eth_switch.h, shoal.switch).

Stacks resolve each other with ARP across a switch and ping; a third raw
host sees what a learning switch floods (the broadcast ARP request, unknown
unicast after an address aged out on the virtual clock) and not what it
forwards; a hub lets it hear everything. Each port is a point-to-point
segment with its own impairments and pcap, and two runs with the same seed
write byte-identical pcaps.
"""

import os

import pytest
from scapy.layers.inet import ICMP
from scapy.layers.l2 import ARP, Ether

import shoal
from shoal.pcapcheck import read_pcap

DELAY_NS = 1_000_000
RATE = 10_000_000


def lan(sim, hub=False, ageing="300s", **link_kw):
    """a and b (stacks) and c (a raw host) on one switch."""
    link_kw.setdefault("delay", "1ms")
    link_kw.setdefault("rate", "10Mbit")
    sw = sim.switch("sw1", hub=hub, ageing=ageing)
    a, b, c = sim.node("a"), sim.node("b"), sim.raw_host("c")
    la, lb, lc = (sim.link(n, sw, **link_kw) for n in (a, b, c))
    a.iface(la).set_ip4("10.0.0.1/24")
    b.iface(lb).set_ip4("10.0.0.2/24")
    sim.run(duration="10ms")  # the gratuitous ARPs of set_ip4 arrive
    return sw, a, b, c, la, lb, lc


def ping_ok(sim, src, dst, count=1, interval="100ms"):
    p = src.ping(dst, count=count, interval=interval, timeout="1s")
    assert sim.run_until(lambda: p.done, timeout="30s")
    return p


def test_arp_and_ping_across_a_switch(sim):
    sw, a, b, c, la, lb, lc = lan(sim)
    assert [f[ARP].psrc for f in c.recv()] == ["10.0.0.1", "10.0.0.2"]  # the gratuitous ARPs, flooded
    p = ping_ok(sim, a, "10.0.0.2", count=3)
    assert p.received == 3
    # Two segments each way; forwarding takes no time: RTT = 2 * (2 delay + 2 * 98*8/rate).
    ser_ns = -(-98 * 8 * 10**9 // RATE)
    assert p.rtts_ns[1] == 2 * (2 * DELAY_NS + 2 * ser_ns)
    heard = c.recv()
    # The third host hears the broadcast ARP request, not the unicast reply nor the echoes.
    assert [f[ARP].op for f in heard if ARP in f] == [1]
    assert heard[0][ARP].pdst == "10.0.0.2" and heard[0].dst == "ff:ff:ff:ff:ff:ff"
    assert not [f for f in heard if ICMP in f]
    # Its arrival: one segment from a, one to c (frame of 60 bytes on a 10 Mbit/s wire, twice).
    assert heard[0].iface.link is lc
    stats = sw.stats
    assert stats["learned"] == 2 and stats["flooded"] >= 1 and stats["forwarded"] >= 7
    assert b.stats["icmp"]["recv"] >= 3


def test_mac_table_contents_and_ageing(sim):
    sw, a, b, c, la, lb, lc = lan(sim, ageing="10s")
    ping_ok(sim, a, "10.0.0.2")
    table = sw.mac_table()
    assert [(e["mac"], e["node"], e["link"], e["port"]) for e in table] == [
        (a.iface(la).mac, a, la, la.ifindex(sw)), (b.iface(lb).mac, b, lb, lb.ifindex(sw))]
    assert all(0 <= e["age"] < 1 for e in table)
    t0 = sim.now_ns
    sim.run(duration="5s")
    assert [e["age_ns"] >= 5 * 10**9 for e in sw.mac_table()] == [True, True]
    sim.run(duration="6s")  # nothing sent for more than 10 s: forgotten
    assert sw.mac_table() == []
    assert sw.stats["aged"] == 2
    assert sim.now_ns - t0 >= 10 * 10**9
    # a still has b in its ARP cache (300 s): the echo is unknown unicast to the
    # switch, so it is flooded and the raw host sees it; the reply is not.
    c.recv()
    ping_ok(sim, a, "10.0.0.2")
    heard = [f for f in c.recv() if ICMP in f]
    assert [f[ICMP].type for f in heard] == [8]
    assert heard[0].dst == b.iface(lb).mac


def test_hub_floods_everything(sim):
    sw, a, b, c, la, lb, lc = lan(sim, hub=True)
    c.recv()
    assert ping_ok(sim, a, "10.0.0.2", count=2).received == 2
    heard = c.recv()
    assert sorted(f[ICMP].type for f in heard if ICMP in f) == [0, 0, 8, 8]
    assert [f[ARP].op for f in heard if ARP in f] == [1, 2]
    assert sw.mac_table() == [] and sw.hub
    assert sw.stats["flooded"] == sw.stats["frames_in"]


def test_per_port_impairments_and_counters(sim):
    sw = sim.switch("sw1")
    a, b = sim.node("a"), sim.node("b")
    la = sim.link(a, sw, delay="2ms")
    lb = sim.link(b, sw, delay="3ms", loss=1.0)
    a.iface(la).set_ip4("10.0.0.1/24")
    b.iface(lb).set_ip4("10.0.0.2/24")
    assert ping_ok(sim, a, "10.0.0.2").received == 0
    assert lb.stats["drop_loss"] > 0 and la.stats["drop"] == 0
    # Impairments per direction of a port: sender=b is b -> switch, sender=sw is switch -> b.
    lb.set(loss=0.0)
    lb.set(loss=1.0, sender=sw)  # now only switch -> b loses
    assert lb.impairments(sender=b)["loss"] == 0.0 and lb.impairments(sender=sw)["loss"] == 1.0
    lb.set(loss=0.0)
    p = ping_ok(sim, a, "10.0.0.2", count=2)
    assert p.received == 2
    assert p.rtts_ns[0] == 4 * (2_000_000 + 3_000_000)  # ARP first, then the echo
    assert p.rtts_ns[1] == 2 * (2_000_000 + 3_000_000)


def test_trunk_between_switches(sim):
    s1, s2 = sim.switch("s1"), sim.switch("s2")
    a, b = sim.node("a"), sim.node("b")
    la, lb = sim.link(a, s1, delay="1ms"), sim.link(b, s2, delay="1ms")
    trunk = sim.link(s1, s2, delay="1ms")
    a.iface(la).set_ip4("10.0.0.1/24")
    b.iface(lb).set_ip4("10.0.0.2/24")
    p = ping_ok(sim, a, "10.0.0.2", count=2)
    assert p.received == 2 and p.rtts_ns[1] == 6_000_000
    assert {e["node"].name for e in s1.mac_table()} == {"a", "s2"}
    assert trunk.stats["frames"] > 0


def test_table_size_bound(sim):
    sw = sim.switch("sw1", table_size=1)
    a, b = sim.node("a"), sim.node("b")
    la, lb = sim.link(a, sw), sim.link(b, sw)
    a.iface(la).set_ip4("10.0.0.1/24")
    b.iface(lb).set_ip4("10.0.0.2/24")
    assert ping_ok(sim, a, "10.0.0.2").received == 1  # unknown unicast is flooded: still works
    assert len(sw.mac_table()) == 1 and sw.stats["table_full"] >= 1


def test_errors(sim):
    sw = sim.switch("sw1")
    a = sim.node("a")
    with pytest.raises(ValueError):
        sim.switch("sw1")
    with pytest.raises(ValueError):
        sim.node("sw1")
    with pytest.raises(ValueError):
        sim.switch("sw2", ageing="soon")
    with pytest.raises(ValueError):
        sim.switch("sw3", table_size=0)
    with pytest.raises(ValueError):
        sw.partition([[a]])  # a has no port on sw
    assert sim["sw1"] is sw and sim.switches == [sw] and sim.nodes == [a]
    assert sw.mac_table() == []


def _run_once(folder, seed):
    with shoal.Sim(seed=seed, pcap_dir=folder) as s:
        sw = s.switch("sw1")
        a, b, c = s.node("a"), s.node("b"), s.raw_host("c")
        la = s.link(a, sw, delay="1ms", rate="10Mbit", jitter="200us", loss=0.05)
        lb = s.link(b, sw, delay="2ms", rate="5Mbit", loss=0.05)
        s.link(c, sw, delay="1ms")
        a.iface(la).set_ip4("10.0.0.1/24")
        b.iface(lb).set_ip4("10.0.0.2/24")
        p = a.ping("10.0.0.2", count=20, interval="10ms")
        s.run(duration="3s")
        return p.received, sorted(s.pcaps)


def test_pcaps_deterministic(tmp_path, seed):
    r1, p1 = _run_once(str(tmp_path / "one"), seed)
    r2, p2 = _run_once(str(tmp_path / "two"), seed)
    assert r1 == r2 and len(p1) == 3
    for x, y in zip(p1, p2):
        assert os.path.basename(x) == os.path.basename(y)
        with open(x, "rb") as fx, open(y, "rb") as fy:
            assert fx.read() == fy.read()
    # Both directions of a's segment are in a's port pcap, with nanosecond virtual time.
    frames = read_pcap(p1[0]) if "a-sw1" in p1[0] else read_pcap([p for p in p1 if "a-sw1" in p][0])
    assert len(frames) > 20
