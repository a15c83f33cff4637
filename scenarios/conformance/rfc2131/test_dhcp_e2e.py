"""End to end: stack clients get leases from the stack's own DHCP server on
another node, and use them; AutoIP fallback between two stacks; determinism."""
import hashlib

import pytest

import shoal


def routed(sim, lease="1h"):
    """Hosts a and b, each on its own link to router r, which serves DHCP on both."""
    r = sim.node("r", forwarding=True)
    a, b = sim.node("a"), sim.node("b")
    la = sim.link(r, a, delay="1ms", rate="10Mbit")
    lb = sim.link(r, b, delay="1ms", rate="10Mbit")
    r.iface(la).set_ip4("10.0.1.1/24")
    r.iface(lb).set_ip4("10.0.2.1/24")
    sa = r.dhcp_server(la, pool=("10.0.1.100", "10.0.1.200"), lease=lease, router="10.0.1.1", dns=["10.0.1.1"])
    sb = r.dhcp_server(lb, pool=("10.0.2.100", "10.0.2.200"), lease=lease, router="10.0.2.1")
    ca, cb = a.iface(la).dhcp4(hostname="a"), b.iface(lb).dhcp4(hostname="b")
    return r, a, b, la, lb, sa, sb, ca, cb


def test_two_hosts_get_leases_and_talk(sim):
    """RFC 2131 end to end: two clients get leases from the C server (one
    server per interface of a router), with router and DNS options, probe
    them (RFC 5227) and reach each other through the router."""
    r, a, b, la, lb, sa, sb, ca, cb = routed(sim)
    assert sim.run_until(lambda: ca.bound and cb.bound, "20s")
    assert a.iface(la).ip4 == "10.0.1.100" and b.iface(lb).ip4 == "10.0.2.100"
    assert ca.router == "10.0.1.1" and ca.dns == ["10.0.1.1"] and cb.dns == []
    assert sa.leases[0]["state"] == "BOUND" and sa.leases[0]["mac"] == a.iface(la).mac
    p = a.ping("10.0.2.100", count=3, interval="100ms")
    sim.run(duration=2)
    assert p.received == 3
    assert a.stats["dhcp"]["drop"] == 0 and r.stats["dhcp"]["drop"] == 0


def test_leases_renew_for_hours(sim):
    """RFC 2131 4.4.5: with a short lease the clients renew at T1 again and
    again and never lose their addresses."""
    r, a, b, la, lb, sa, sb, ca, cb = routed(sim, lease="5min")
    assert sim.run_until(lambda: ca.bound and cb.bound, "20s")
    for _ in range(6):
        sim.run(duration="10min")
        assert ca.bound and a.iface(la).ip4 == "10.0.1.100"
        assert cb.bound and b.iface(lb).ip4 == "10.0.2.100"
    assert ca.info()["leases"] >= 20
    assert sa.counts["acks"] == ca.info()["leases"]


def test_release_then_other_client(sim):
    """RFC 2131 4.4.6 / 4.3.4: a released address goes back to the pool."""
    r, a, b, la, lb, sa, sb, ca, cb = routed(sim)
    assert sim.run_until(lambda: ca.bound, "20s")
    ca.release()
    sim.run(duration=1)
    assert a.iface(la).ip4 is None
    assert sa.leases[0]["state"] == "FREE" and sa.counts["releases"] == 1


def test_server_down_lease_expires(sim):
    """RFC 2131 4.4.5: the server goes away: RENEWING, REBINDING, then the
    lease ends and the address is removed."""
    r, a, b, la, lb, sa, sb, ca, cb = routed(sim, lease="2min")
    assert sim.run_until(lambda: ca.bound, "20s")
    sa.stop()
    sim.run(duration=70)
    assert ca.state == "RENEWING"
    sim.run(duration=40)
    assert ca.state == "REBINDING"
    sim.run(duration=20)
    assert ca.state == "SELECTING" and a.iface(la).ip4 is None


def test_autoip_fallback_between_stacks(sim):
    """RFC 3927 1.9: with no DHCP server on the link both hosts fall back to
    link-local addresses and talk; when a server appears they move to it."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="1ms")
    ca = a.iface(link).dhcp4(autoip_fallback=True)
    b.iface(link).autoip()
    assert sim.run_until(lambda: a.iface(link).ip4 is not None and b.iface(link).ip4 is not None, "90s")
    assert a.iface(link).ip4.startswith("169.254.") and b.iface(link).ip4.startswith("169.254.")
    p = a.ping(b.iface(link).ip4, count=2, interval="100ms")
    sim.run(duration=1)
    assert p.received == 2
    assert ca.state == "SELECTING"


def _run(seed, tmp):
    with shoal.Sim(seed=seed, pcap_dir=tmp) as sim:
        r, a, b, la, lb, sa, sb, ca, cb = routed(sim, lease="3min")
        sim.run(duration="10min")
        paths = sim.pcaps
    return [hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths]


def test_determinism(tmp_path):
    """Same seed, same script => byte-identical pcaps (xids, probe waits and
    retransmission jitter all come from the instance RNG)."""
    one = _run(7, tmp_path / "one")
    two = _run(7, tmp_path / "two")
    other = _run(8, tmp_path / "three")
    assert one == two
    assert one != other


def test_python_api_edges(sim):
    """The Python surface: state before/after, replacing a client, raw hosts,
    bad arguments, use after the simulation's close."""
    a = sim.node("a")
    t = sim.raw_host("t")
    link = sim.link(a, t)
    ifc = a.iface(link)
    assert ifc.dhcp is None and ifc.dhcp_state is None
    c1 = ifc.dhcp4()
    assert ifc.dhcp is c1 and ifc.dhcp_state == "SELECTING"
    c2 = ifc.dhcp4(hostname="x")
    assert c1.state == "OFF" and c2.state == "SELECTING" and ifc.dhcp is c2
    with pytest.raises(shoal.ShoalError, match="raw host"):
        t.iface(link).dhcp4()
    with pytest.raises(shoal.ShoalError, match="raw host"):
        t.iface(link).autoip()
    with pytest.raises(ValueError):
        ifc.dhcp4(hostname="x" * 40)
    with pytest.raises(ValueError):
        ifc.dhcp4(autoip_fallback=0.5)
    with pytest.raises(shoal.ShoalError):
        c2.renew()  # not bound yet
    ll = ifc.autoip()
    assert "CHECKING" in repr(ll)
    sim.close()
    assert c2.state == "OFF" and ll.state == "OFF" and "closed" in repr(c2)
    with pytest.raises(shoal.ShoalError):
        c2.info()
    with pytest.raises(shoal.ShoalError):
        ll.stop()
