"""Stacks pinging over IPv6 through an impaired link (the twin of the stack
half of test_link_impairments.py): duplication, reordering, corruption
caught by the mandatory ICMPv6 checksum, and a scheduled outage."""

A, B = "2001:db8::1", "2001:db8::2"
SER_NS = 118 * 8 * 100  # a 118-byte echo frame at 10 Mbit/s


def two_stacks(sim, **link_kw):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, **link_kw)
    a.iface(link).add_ip6(A + "/64", dad=False)
    b.iface(link).add_ip6(B + "/64", dad=False)
    return a, b, link


def ping_all(sim, pinger, dst, count, interval="20ms", timeout="1s"):
    p = pinger.ping(dst, count=count, interval=interval, timeout=timeout)
    assert sim.run_until(lambda: p.done, timeout="60s")
    return p


def test_ping6_through_duplication_and_reordering(sim):
    """Duplicated echoes are answered twice and counted once by the pinger;
    with neighbours resolved first, echoes held back 30 ms arrive late but
    all are answered, with RTTs of exactly ideal, +30 ms or +60 ms."""
    a, b, link = two_stacks(sim, delay="2ms", rate="10Mbit")
    assert ping_all(sim, a, B, count=1).received == 1  # ND settled
    link.set(duplicate=0.3)
    recv0 = b.stats["icmp6"]["recv"]
    p = ping_all(sim, a, B, count=30)
    assert p.received == 30
    assert link.stats["duplicated"] > 5
    assert b.stats["icmp6"]["recv"] - recv0 > 30
    link.set(duplicate=0.0, reorder=0.3, reorder_delay="30ms")
    p = ping_all(sim, a, B, count=40, interval="7ms")
    assert p.received == 40
    assert link.stats["reordered"] > 5
    ideal = 2 * (2_000_000 + SER_NS)
    late = [r for r in p.rtts_ns if r > ideal]
    assert late and all(r in (ideal, ideal + 30_000_000, ideal + 60_000_000) for r in p.rtts_ns)


def test_ping6_through_corruption(sim):
    """RFC 4443 2.3 / RFC 8200 8.1: corrupted echoes are dropped by the
    ICMPv6 checksum (or a length / version / address check), never
    answered wrongly; the pcap, as sent, stays clean in tshark. (A flip in
    the hop limit, traffic class or flow label escapes every check, so a
    few corrupted echoes may still be answered, rightly.)"""
    a, b, link = two_stacks(sim, delay="1ms", rate="10Mbit")
    assert ping_all(sim, a, B, count=1).received == 1  # ND on a clean link
    link.set(corrupt=0.3)
    p = ping_all(sim, a, B, count=60, interval="10ms")
    corrupted = link.stats["corrupted"]
    assert corrupted > 15
    assert 0 < p.received < 60
    assert p.received + corrupted >= 60
    caught = sum(n.stats[proto][c] for n in (a, b) for proto in ("ip6", "icmp6")
                 for c in ("chkerr", "lenerr", "proterr", "drop"))
    assert caught > 0
    assert all(r == 2 * (1_000_000 + SER_NS) for r in p.rtts_ns if r is not None)


def test_scheduled_outage_during_a_ping6(sim):
    """A cable cut from 1.05 s to 1.55 s: exactly the echoes leaving in
    that window are lost, each counted as a drop; the neighbour entry (or a
    fresh resolution) lets the rest through."""
    a, b, link = two_stacks(sim, delay="5ms", rate="10Mbit")
    link.down(at="1.05s")
    link.up(at="1.55s")
    p = a.ping(B, count=30, interval="100ms", timeout="1s")
    sim.run(until="1.2s")
    assert not link.is_up
    assert sim.run_until(lambda: p.done, timeout="10s")
    assert [r is not None for r in p.rtts_ns] == [not (10 < k < 16) for k in range(30)]
    # Each lost echo was dropped and counted: at a (interface down) or on the cable.
    assert link.stats["drop_down"] + a.stats["ip6"]["rterr"] + a.stats["ip6"]["drop"] >= 5
