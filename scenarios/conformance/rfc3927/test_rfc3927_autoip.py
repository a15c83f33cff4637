"""RFC 3927 (dynamic configuration of IPv4 link-local addresses), checked
on the wire, including the fallback from DHCP (RFC 3927 1.9)."""
import ipaddress
import os
import sys

import pytest

import shoal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rfc2131"))

from dhcp_bench import (ARP, BCAST_MAC, BOOTP, IP, OTHER_MAC, ZERO_MAC, DhcpBench, Ether, arp_frame,  # noqa: E402
                        dhcp_type, is_announce, is_probe)

LL_FIRST = ipaddress.ip_address("169.254.1.0")
LL_LAST = ipaddress.ip_address("169.254.254.255")


@pytest.fixture
def db(sim):
    return DhcpBench(sim, auto_arp=False)


def in_range(addr):
    return LL_FIRST <= ipaddress.ip_address(addr) <= LL_LAST


def test_address_range_and_mask(sim):
    """RFC 3927 2.1: the address is in 169.254.1.0-169.254.254.255 (the first
    and last 256 are reserved); 2.6.1 / 2.1: a /16 on-link, no router."""
    hosts = []
    for i in range(16):
        n = sim.node(f"h{i}")
        t = sim.raw_host(f"t{i}")
        link = sim.link(t, n)
        hosts.append((n.iface(link), n.iface(link).autoip()))
    sim.run(duration=12)
    addrs = set()
    for iface, ll in hosts:
        assert ll.bound and in_range(iface.ip4) and iface.prefix_len == 16
        addrs.add(iface.ip4)
    assert len(addrs) == 16


def test_first_address_from_mac(tmp_path):
    """RFC 3927 2.1: the pseudo-random generator is seeded from the MAC, so a
    host picks the same first address whatever the simulation's seed."""
    got = []
    for seed in (1, 2, 3):
        with shoal.Sim(seed=seed) as s:
            n = s.node("h")
            t = s.raw_host("t")
            link = s.link(t, n)
            ll = n.iface(link).autoip()
            got.append(ll.address)
    assert len(set(got)) == 1 and in_range(got[0])


def test_conflict_picks_new_address(db):
    """RFC 3927 2.2.1: a conflict while probing -> a new random address,
    probed from the start."""
    ll = db.dif.autoip()
    p = db.wait(lambda f: is_probe(f), "2s")
    first = p[ARP].pdst
    db.tester.send(arp_frame(2, OTHER_MAC, first, db.dut_mac, "0.0.0.0", dst=db.dut_mac))
    frames = db.collect(12, lambda f: f.haslayer(ARP))
    second = ll.address
    assert second != first and in_range(second)
    assert len([f for f in frames if is_probe(f, second)]) == 3
    assert len([f for f in frames if is_announce(f, second)]) == 2
    assert db.dif.ip4 == second and ll.info()["conflicts"] == 1


def test_defence_failure_picks_new_address(db):
    """RFC 3927 2.5 (b): a host that cannot defend its address (two
    conflicts within DEFEND_INTERVAL) configures a new one."""
    ll = db.dif.autoip()
    assert db.sim.run_until(lambda: ll.bound, "10s")
    old = ll.address
    claim = arp_frame(1, OTHER_MAC, old, ZERO_MAC, old)
    db.tester.send(claim)
    db.collect(1)
    db.tester.send(claim)
    assert db.sim.run_until(lambda: ll.bound and ll.address != old, "15s")
    assert in_range(db.dif.ip4) and db.dif.ip4 != old


def test_arp_reply_broadcast(db):
    """RFC 3927 2.5: ARP replies sent from a link-local address are
    broadcast at the link layer."""
    ll = db.dif.autoip()
    assert db.sim.run_until(lambda: ll.bound, "10s")
    db.collect(5)
    db.tester.send(arp_frame(1, db.mac, "169.254.77.7", ZERO_MAC, ll.address))
    rep = db.wait(lambda f: f.haslayer(ARP) and f[ARP].op == 2, "1s")
    assert rep is not None and rep[Ether].dst == BCAST_MAC
    assert rep[ARP].psrc == ll.address and rep[ARP].pdst == "169.254.77.7" and rep[ARP].hwdst == db.mac


def test_two_hosts_talk_link_local(sim):
    """RFC 3927 2.6: two AutoIP hosts on one link pick different addresses
    and reach each other directly."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="1ms")
    la, lb = a.iface(link).autoip(), b.iface(link).autoip()
    assert sim.run_until(lambda: la.bound and lb.bound, "15s")
    assert la.address != lb.address
    p = a.ping(lb.address, count=2, interval="100ms")
    sim.run(duration=1)
    assert p.received == 2


def test_fallback_when_no_dhcp_server(db):
    """RFC 3927 1.9: a host whose DHCP server does not answer configures a
    link-local address (here after the 4th DISCOVER went unanswered, ~60 s)
    and keeps looking for a server: later DISCOVERs ask for a broadcast reply
    (RFC 2131 4.1: the offered address is not ours yet)."""
    c = db.start(check_address=False, autoip_fallback=True)
    discs = []
    assert db.sim.run_until(lambda: (db._pump(discs, lambda f: dhcp_type(f) == "discover"),
                                     db.dif.ip4 is not None)[1], "90s")
    assert len(discs) == 5  # 4 unanswered, the 5th went out as AutoIP started
    assert 58 <= db.sim.now <= 70
    assert in_range(db.dif.ip4) and db.dif.prefix_len == 16
    info = c.info()
    assert info["state"] == "SELECTING" and info["autoip_state"] == "BOUND"
    assert info["autoip_address"] == db.dif.ip4
    later = db.wait(lambda f: dhcp_type(f) == "discover", "70s")
    assert later is not None and later[BOOTP].flags & 0x8000


def test_fallback_then_dhcp_replaces_link_local(db):
    """RFC 3927 1.9: once a DHCP server answers, the DHCP address is used and
    the link-local one is given up."""
    c = db.start(check_address=False, autoip_fallback=2)
    assert db.sim.run_until(lambda: db.dif.ip4 is not None, "40s")
    ll = db.dif.ip4
    assert in_range(ll)
    disc = db.wait(lambda f: dhcp_type(f) == "discover", "70s")
    db.tester.send(db.reply(disc, "offer"))
    req = db.expect("request", "1s")
    db.tester.send(db.reply(req, "ack"))
    assert db.sim.run_until(lambda: c.bound, "1s")
    assert db.dif.ip4 == "10.0.0.50" and db.dif.prefix_len == 24
    assert c.info()["autoip_state"] == "OFF"


def test_stop_removes_link_local(db):
    """Stopping AutoIP removes the address it configured."""
    ll = db.dif.autoip()
    assert db.sim.run_until(lambda: ll.bound, "10s")
    db.collect(0.01)
    ll.stop()
    assert db.dif.ip4 is None and ll.state == "OFF"
    assert db.collect(30, lambda f: is_probe(f) or is_announce(f)) == []
