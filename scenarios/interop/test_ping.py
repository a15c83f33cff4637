"""Linux's ping against a simulated node through a TAP, and the node pinging Linux, over IPv4
and IPv6."""

import re
import time

from conftest import need

LINUX, NODE = "10.51.0.1", "10.51.0.2"


def setup_pair(netns):
    ifname = netns.tap(f"{LINUX}/24")
    sim = netns.sim()
    a = sim.node("a")
    tap = sim.tap(a, ifname=ifname, netns=netns.name)
    netns.wait_running(ifname)
    a.iface(tap).set_ip4(f"{NODE}/24")
    assert sim.realtime
    return sim, a, tap


def test_linux_pings_simulated_node(netns):
    need("ping")
    sim, a, tap = setup_pair(netns)
    p = netns.popen("ping", "-n", "-c", "5", "-i", "0.2", "-W", "2", "-s", "1000", NODE, text=True)
    started = time.monotonic()
    assert sim.run_until(lambda: p.poll() is not None, timeout="8s"), "ping did not finish"
    out = p.stdout.read()
    assert p.returncode == 0, out
    assert "5 packets transmitted, 5 received" in out, out
    assert len(re.findall(r"1008 bytes from 10\.51\.0\.2: icmp_seq=\d+ ttl=64", out)) == 5, out
    # Realtime: the simulation's clock followed the wall while ping ran.
    wall = time.monotonic() - started
    # (Virtual time may slip behind on a loaded host, never run ahead.)
    assert 0.6 * wall <= sim.now <= wall + 0.05, (sim.now, wall)
    assert a.stats["icmp"]["recv"] == 5 and a.stats["icmp"]["xmit"] >= 5
    assert tap.stats["from_tap"] >= 5 and tap.stats["to_tap"] >= 5 and tap.stats["drop"] == 0


def test_simulated_node_pings_linux(netns):
    sim, a, tap = setup_pair(netns)
    ping = a.ping(LINUX, count=4, interval="100ms", size=200, timeout="1s")
    started = time.monotonic()
    sim.run(duration="0.6s")
    wall = time.monotonic() - started
    assert 0.55 < wall < 1.5, f"run(duration=0.6s) took {wall:.3f}s of wall time"
    assert ping.sent == 4 and ping.received == 4, ping.rtts
    assert all(rtt is not None and rtt < 0.1 for rtt in ping.rtts), ping.rtts


LINUX6, NODE6 = "2001:db8:51::1", "2001:db8:51::2"


def setup_pair6(netns):
    """Linux 2001:db8:51::1/64 on a TAP (IPv6 back on: the fixture turns it
    off for the IPv4 tests; no DAD, so its addresses are usable at once), the
    node 2001:db8:51::2/64 (dad=False) once its link-local address passed
    DAD. -> (sim, node, tap, ifname, Linux's link-local address)."""
    ifname = netns.tap()
    netns.run("sysctl", "-q", "-w", f"net.ipv6.conf.{ifname}.accept_dad=0")
    netns.run("sysctl", "-q", "-w", f"net.ipv6.conf.{ifname}.disable_ipv6=0")
    netns.run("ip", "-6", "addr", "add", f"{LINUX6}/64", "dev", ifname, "nodad")
    sim = netns.sim()
    a = sim.node("a")
    tap = sim.tap(a, ifname=ifname, netns=netns.name)
    netns.wait_running(ifname)
    a.iface(tap).add_ip6(f"{NODE6}/64", dad=False)
    assert sim.run_until(lambda: a.iface(tap).ip6_linklocal is not None, timeout="4s"), a.iface(tap).ip6_addrs
    linux_ll = None
    deadline = time.monotonic() + 3
    while linux_ll is None and time.monotonic() < deadline:
        out = netns.run("ip", "-6", "-o", "addr", "show", "dev", ifname, "scope", "link").stdout
        found = re.search(r"inet6 (fe80::[0-9a-f:]+)/64", out)
        linux_ll = found.group(1) if found else None
        time.sleep(0.02)
    assert linux_ll, "Linux made no link-local address on the TAP"
    return sim, a, tap, ifname, linux_ll


def test_linux_ping6_simulated_node(netns):
    """RFC 4443 4.1 / 4.2 and RFC 4861 7.2: Linux resolves the node by
    Neighbor Discovery and pings its global address (5 x 1000 bytes) and its
    link-local address (scoped to the TAP); every echo is answered with hop
    limit 64 and the data echoed (ping checks it)."""
    need("ping")
    sim, a, tap, ifname, _ = setup_pair6(netns)
    p = netns.popen("ping", "-6", "-n", "-c", "5", "-i", "0.2", "-W", "2", "-s", "1000", NODE6, text=True)
    assert sim.run_until(lambda: p.poll() is not None, timeout="8s"), "ping did not finish"
    out = p.stdout.read()
    assert p.returncode == 0, out
    assert "5 packets transmitted, 5 received" in out, out
    assert len(re.findall(r"1008 bytes from 2001:db8:51::2: icmp_seq=\d+ ttl=64", out)) == 5, out
    ll = a.iface(tap).ip6_linklocal.split("%")[0]
    p = netns.popen("ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", f"{ll}%{ifname}", text=True)
    assert sim.run_until(lambda: p.poll() is not None, timeout="6s"), "ping to the link-local address did not finish"
    out = p.stdout.read()
    assert p.returncode == 0 and "3 packets transmitted, 3 received" in out, out
    assert a.stats["icmp6"]["recv"] >= 8 and a.stats["icmp6"]["xmit"] >= 8
    assert tap.stats["from_tap"] >= 8 and tap.stats["to_tap"] >= 8 and tap.stats["drop"] == 0


def test_simulated_node_pings_linux6(netns):
    """The node pings Linux's global and link-local addresses over IPv6:
    4 of 4 answered each, in well under 100 ms, and Linux sits in the
    node's neighbour cache with the TAP's MAC."""
    sim, a, tap, ifname, linux_ll = setup_pair6(netns)
    ping = a.ping(LINUX6, count=4, interval="100ms", size=200, timeout="1s")
    ping_ll = a.ping(linux_ll, count=4, interval="100ms", size=200, timeout="1s")
    assert sim.run_until(lambda: ping.done and ping_ll.done, timeout="3s")
    assert ping.sent == 4 and ping.received == 4, ping.rtts
    assert ping_ll.sent == 4 and ping_ll.received == 4, ping_ll.rtts
    assert all(rtt is not None and rtt < 0.1 for rtt in ping.rtts + ping_ll.rtts)
    mac = netns.run("cat", f"/sys/class/net/{ifname}/address").stdout.strip()
    rows = {n["ip"].split("%")[0]: n for n in a.neighbors6()}
    assert LINUX6 in rows and rows[LINUX6]["mac"] == mac, rows
    assert linux_ll in rows and rows[linux_ll]["mac"] == mac, rows
