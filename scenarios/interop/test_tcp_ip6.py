"""TCP over IPv6 between Linux (socat in a namespace) and a simulated node,
both directions, 1 MiB checked byte for byte (the twin of test_tcp.py)."""

import random
import re
import time

from conftest import need

LINUX6, NODE6 = "2001:db8:52::1", "2001:db8:52::2"
SIZE = 1 << 20


def setup_pair6(netns):
    """Linux 2001:db8:52::1/64 on a TAP (IPv6 back on, no DAD), the node
    2001:db8:52::2/64 (dad=False), its link-local address past DAD."""
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
    return sim, a, tap


def payload(seed):
    return random.Random(seed).randbytes(SIZE)


def test_linux_sends_to_simulated_node6(netns, tmp_path, seed):
    """Linux connects over IPv6 to the node's dual-stack listener and sends
    1 MiB; the node reads it intact, sees Linux's IPv6 address as the peer,
    and its MSS fits IPv6 over Ethernet (1440, RFC 9293 3.7.1)."""
    need("socat")
    sim, a, tap = setup_pair6(netns)
    data = payload(seed)
    src = tmp_path / "data.bin"
    src.write_bytes(data)
    listener = a.tcp_listen(5001)
    client = netns.popen("socat", "-u", f"OPEN:{src}", f"TCP6:[{NODE6}]:5001,connect-timeout=5", text=True)
    got = bytearray()
    state = {"conn": None, "eof": False, "peer": None, "local": None}

    def drained():
        if state["conn"] is None:
            state["conn"] = listener.accept()
            if state["conn"] is not None:
                state["peer"], state["local"] = state["conn"].remote, state["conn"].local
        conn = state["conn"]
        if conn is not None:
            chunk = conn.recv()
            if chunk == b"":
                state["eof"] = True
            elif chunk:
                got.extend(chunk)
        return state["eof"]

    started = time.monotonic()
    assert sim.run_until(drained, timeout="15s"), f"only {len(got)} of {SIZE} bytes arrived"
    wall = time.monotonic() - started
    state["conn"].close()
    sim.run_until(lambda: client.poll() is not None, timeout="3s")
    assert client.returncode == 0, client.stdout.read()
    assert len(got) == SIZE and bytes(got) == data
    assert state["peer"][0].split("%")[0] == LINUX6 and state["local"] == (NODE6, 5001)
    print(f"Linux -> simulated node over IPv6: {SIZE} bytes in {wall:.2f}s wall "
          f"({SIZE * 8 / wall / 1e6:.1f} Mbit/s)")


def test_simulated_node_sends_to_linux6(netns, tmp_path, seed):
    """The node connects to Linux's IPv6 listener and sends 1 MiB, then
    closes; socat writes it all to a file, intact; Linux saw the node's
    global address as the peer (ss)."""
    need("socat")
    sim, a, tap = setup_pair6(netns)
    data = payload(seed + 1)
    out = tmp_path / "received.bin"
    server = netns.popen("socat", "-u", "TCP6-LISTEN:5002,reuseaddr", f"OPEN:{out},creat,trunc", text=True)
    deadline = time.monotonic() + 5
    while "5002" not in netns.run("ss", "-ltnH", check=False).stdout:
        assert time.monotonic() < deadline and server.poll() is None, "socat did not start listening"
        time.sleep(0.02)
    conn = a.tcp_connect(LINUX6, 5002)
    state = {"sent": 0, "closed": False, "peers": ""}

    def pushed():
        if conn.state == "ESTABLISHED" or state["sent"]:
            if not state["peers"]:
                state["peers"] = netns.run("ss", "-tnH", check=False).stdout
            if state["sent"] < SIZE:
                state["sent"] += conn.send(data[state["sent"]:state["sent"] + 65536])
            elif not state["closed"]:
                conn.close()
                state["closed"] = True
        return server.poll() is not None

    started = time.monotonic()
    assert sim.run_until(pushed, timeout="15s"), f"socat did not finish; {state['sent']} bytes sent"
    wall = time.monotonic() - started
    assert server.returncode == 0, server.stdout.read()
    received = out.read_bytes()
    assert len(received) == SIZE and received == data
    assert re.search(r"\[" + re.escape(NODE6) + r"\]:\d+", state["peers"]), state["peers"]
    print(f"simulated node -> Linux over IPv6: {SIZE} bytes in {wall:.2f}s wall "
          f"({SIZE * 8 / wall / 1e6:.1f} Mbit/s)")
