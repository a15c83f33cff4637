"""Scheduled faults beyond one cable: switch ports cut, restored and
re-impaired at virtual times, switch partitions and heals, and nodes
stopped, started and rebooted (simcore/node.h), each checked with pings
before, during and after.
"""

import pytest

import shoal


def lan(sim, n=3, **link_kw):
    """Stacks h0..h{n-1} on switch sw, 10.0.0.(i+1)/24, 1 ms per segment."""
    link_kw.setdefault("delay", "1ms")
    sw = sim.switch("sw")
    hosts, links = [], []
    for i in range(n):
        h = sim.node(f"h{i}")
        link = sim.link(h, sw, **link_kw)
        h.iface(link).set_ip4(f"10.0.0.{i + 1}/24")
        hosts.append(h)
        links.append(link)
    sim.run(duration="10ms")
    return sw, hosts, links


def replied(p):
    """Which echoes of a ping were answered, as a string of 1/0."""
    return "".join("1" if r is not None else "0" for r in p.rtts_ns)


def series(sim, src, dst, count, interval="500ms"):
    """count echoes, one per interval from now; runs until all are decided."""
    p = src.ping(dst, count=count, interval=interval, timeout="400ms")
    assert sim.run_until(lambda: p.done, timeout="60s")
    return p


def test_switch_port_cut_and_restore_scheduled(sim):
    sw, (a, b, c), (la, lb, lc) = lan(sim)
    t = sim.now
    lb.down(at=t + 1.2)
    lb.up(at=t + 2.2)
    p = series(sim, a, "10.0.0.2", 8)  # echoes at t, t+0.5, ... t+3.5
    # b's port forgot it and b's ARP cache was flushed: the first echo after
    # the restore is flooded and b resolves a again, well within the timeout.
    assert replied(p) == "11100111"
    assert lb.stats["down_events"] == 1 and lb.is_up
    assert sw.stats["flushed"] >= 1  # b's address forgotten when its port lost carrier
    # The other ports never noticed.
    assert series(sim, a, "10.0.0.3", 2).received == 2


def test_switch_port_reimpaired_scheduled(sim):
    sw, (a, b, c), (la, lb, lc) = lan(sim)
    t = sim.now
    lb.set(loss=1.0, at=t + 1.2)
    lb.set(loss=0.0, at=t + 2.2)
    lb.set(delay="20ms", sender=sw, at=t + 2.7)
    p = series(sim, a, "10.0.0.2", 8)
    assert replied(p) == "11100111"
    assert p.rtts_ns[5] == 4_000_000
    assert p.rtts_ns[6] == p.rtts_ns[7] == 23_000_000  # only switch -> b got slower
    assert lb.stats["drop_loss"] >= 2


def test_partition_and_heal(sim):
    sw, (a, b, c), _ = lan(sim)
    t = sim.now
    sw.partition([[a, b], [c]], at=t + 1.2)
    sw.heal(at=t + 3.2)
    pc = a.ping("10.0.0.3", count=10, interval="500ms", timeout="400ms")
    pb = b.ping("10.0.0.1", count=10, interval="500ms", timeout="400ms")
    assert sim.run_until(lambda: pc.done and pb.done, timeout="60s")
    assert replied(pc) == "1110000111"
    assert replied(pb) == "1111111111"  # inside a group nothing changes
    assert sw.stats["drop_partition"] >= 4
    # Partition now, by Link and by name, then heal now.
    sw.partition([[sim.get_link("h0-sw")], ["h1", "h2"]])
    assert series(sim, a, "10.0.0.2", 1).received == 0
    assert series(sim, b, "10.0.0.3", 1).received == 1
    sw.heal()
    assert series(sim, a, "10.0.0.2", 1).received == 1
    with pytest.raises(ValueError):
        sw.partition([[a], [a]])
    with pytest.raises(ValueError):
        sw.partition([[a]], at=0.0)  # in the past


def test_node_stop_and_start(sim):
    sw, (a, b, c), _ = lan(sim)
    u_b = b.udp(port=7)
    assert series(sim, a, "10.0.0.2", 1).received == 1
    t = sim.now
    b.stop(at=t + 1.2)
    b.start(at=t + 2.2)
    p = series(sim, a, "10.0.0.2", 8)
    assert replied(p) == "11100111"
    st = b.fault_stats
    assert st["running"] and st["boots"] == 0 and st["rx_dropped_stopped"] >= 2
    # State kept: address, ARP cache, the socket.
    u_a = a.udp()
    u_a.sendto(b"still here", ("10.0.0.2", 7))
    sim.run(duration="10ms")
    assert u_b.recvfrom() == (b"still here", ("10.0.0.1", u_a.port))
    # While stopped its timers do not run: a ping from it makes no progress.
    b.stop()
    assert not b.running
    p = b.ping("10.0.0.1", count=1, timeout="100ms")
    sim.run(duration="1s")
    assert not p.done
    b.start()
    sim.run(duration="1s")
    assert p.done


def test_node_reboot(sim):
    sw, (a, b, c), (la, lb, lc) = lan(sim)
    u = b.udp(port=7)
    lst = b.tcp_listen(80)
    b.route_add("192.168.0.0/16", via="10.0.0.3")
    mac, index = b.iface(lb).mac, b.iface(lb).index
    assert series(sim, a, "10.0.0.2", 1).received == 1
    b.reboot(at=sim.now + 0.5)
    sim.run(duration="1s")
    assert b.boots == 1 and b.running
    # Same interface and MAC, no address, no sockets, fresh counters.
    assert b.iface(lb).mac == mac and b.iface(lb).index == index and b.iface(lb).ip4 is None
    assert b.stats["icmp"]["recv"] == 0
    with pytest.raises(shoal.SocketClosed, match="rebooted"):
        u.sendto(b"x", ("10.0.0.1", 7))
    with pytest.raises(shoal.SocketClosed, match="rebooted"):
        lst.accept()
    assert u.closed
    u.close()  # closing what a reboot closed is fine
    with pytest.raises(shoal.ShoalError):
        b.route_del("192.168.0.0/16")  # the route went with the old instance
    # Unreachable until it gets its address back; then fine again.
    assert series(sim, a, "10.0.0.2", 1).received == 0  # b has no address: not for it
    b.iface(lb).set_ip4("10.0.0.2/24")
    assert series(sim, a, "10.0.0.2", 2).received == 2
    u2 = b.udp(port=7)
    assert u2.port == 7


def test_reboot_of_a_stopped_node_runs_it(sim):
    sw, (a, b, c), (la, lb, lc) = lan(sim)
    b.stop()
    b.reboot()
    assert b.running and b.boots == 1
    b.iface(lb).set_ip4("10.0.0.2/24")
    assert series(sim, a, "10.0.0.2", 1).received == 1


def test_reboot_closes_pings_and_tcp(sim):
    sw, (a, b, c), _ = lan(sim)
    srv = b.tcp_listen(80)
    conn = a.tcp_connect("10.0.0.2", 80)
    sim.run(duration="100ms")
    peer = srv.accept()
    assert conn.state == "ESTABLISHED" and peer is not None
    p = b.ping("10.0.0.1", count=5, interval="1s")
    sim.run(duration="1500ms")
    b.reboot()
    assert p.done and p.received == 2 and p.rtts_ns[2:] == [None, None, None]
    with pytest.raises(shoal.SocketClosed, match="rebooted"):
        peer.send(b"x")
    # a's connection learns of it the TCP way: its next segment is answered
    # by nothing (b has no address now), so it stays up until it gives up.
    assert conn.send(b"hello") == 5
