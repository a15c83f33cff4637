"""Scheduled faults over IPv6 (the twin of test_faults.py): a switch port
cut and restored at virtual times while pings run, and a node rebooted (its
IPv6 configuration goes with the old instance)."""

import shoal


def lan(sim, n=3):
    """Stacks h0..h{n-1} on switch sw, 2001:db8::(i+1)/64 without DAD, 1 ms per segment."""
    sw = sim.switch("sw")
    hosts, links = [], []
    for i in range(n):
        h = sim.node(f"h{i}")
        link = sim.link(h, sw, delay="1ms")
        h.iface(link).add_ip6(f"2001:db8::{i + 1}/64", dad=False)
        hosts.append(h)
        links.append(link)
    sim.run(duration="10ms")
    return sw, hosts, links


def replied(p):
    return "".join("1" if r is not None else "0" for r in p.rtts_ns)


def series(sim, src, dst, count, interval="500ms"):
    p = src.ping(dst, count=count, interval=interval, timeout="400ms")
    assert sim.run_until(lambda: p.done, timeout="60s")
    return p


def test_switch_port_cut_and_restore_ping6(sim):
    """b's port is cut from t+1.2 s to t+2.2 s: the echoes at t+1.5 and
    t+2.0 are lost, the others answered (after the restore the switch has
    forgotten b and floods the echo; b resolves a again if it flushed its
    neighbour cache); the other ports never notice."""
    sw, (a, b, c), (la, lb, lc) = lan(sim)
    t = sim.now
    lb.down(at=t + 1.2)
    lb.up(at=t + 2.2)
    p = series(sim, a, "2001:db8::2", 8)
    assert replied(p) == "11100111"
    assert lb.stats["down_events"] == 1 and lb.is_up
    assert series(sim, a, "2001:db8::3", 2).received == 2


def test_node_reboot_forgets_ipv6(sim):
    """A rebooted node keeps its interface and MAC but comes back with IPv6
    off (no addresses, no link-local, no IPv6 routes); echoes to its old
    address go unanswered until it is given the address again."""
    sw, (a, b, c), (la, lb, lc) = lan(sim)
    b.route_add("2001:db8:99::/64", via="2001:db8::3")
    mac = b.iface(lb).mac
    assert series(sim, a, "2001:db8::2", 1).received == 1
    assert sim.run_until(lambda: b.iface(lb).ip6_linklocal is not None, "3s")  # its DAD
    b.reboot(at=sim.now + 0.5)
    sim.run(duration="1s")
    assert b.boots == 1 and b.running
    assert b.iface(lb).mac == mac and b.iface(lb).ip6 == [] and b.iface(lb).ip6_linklocal is None
    assert b.stats["icmp6"]["recv"] == 0
    try:
        b.route_del("2001:db8:99::/64")
        raise AssertionError("the IPv6 route survived the reboot")
    except shoal.ShoalError:
        pass
    assert series(sim, a, "2001:db8::2", 1).received == 0
    b.iface(lb).add_ip6("2001:db8::2/64", dad=False)
    assert series(sim, a, "2001:db8::2", 2).received == 2
