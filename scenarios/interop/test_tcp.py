"""TCP between Linux (socat in a namespace) and a simulated node, both directions,
1 MiB checked byte for byte."""

import random
import time

from conftest import need

LINUX, NODE = "10.52.0.1", "10.52.0.2"
SIZE = 1 << 20


def setup_pair(netns):
    ifname = netns.tap(f"{LINUX}/24")
    sim = netns.sim()
    a = sim.node("a")
    tap = sim.tap(a, ifname=ifname, netns=netns.name)
    netns.wait_running(ifname)
    a.iface(tap).set_ip4(f"{NODE}/24")
    return sim, a, tap


def payload(seed):
    return random.Random(seed).randbytes(SIZE)


def test_linux_sends_to_simulated_node(netns, tmp_path, seed):
    need("socat")
    sim, a, tap = setup_pair(netns)
    data = payload(seed)
    src = tmp_path / "data.bin"
    src.write_bytes(data)
    listener = a.tcp_listen(5001)
    client = netns.popen("socat", "-u", f"OPEN:{src}", f"TCP:{NODE}:5001,connect-timeout=5", text=True)
    got = bytearray()
    state = {"conn": None, "eof": False}

    def drained():
        if state["conn"] is None:
            state["conn"] = listener.accept()
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
    print(f"Linux -> simulated node: {SIZE} bytes in {wall:.2f}s wall ({SIZE * 8 / wall / 1e6:.1f} Mbit/s)")


def test_simulated_node_sends_to_linux(netns, tmp_path, seed):
    need("socat")
    sim, a, tap = setup_pair(netns)
    data = payload(seed + 1)
    out = tmp_path / "received.bin"
    server = netns.popen("socat", "-u", "TCP-LISTEN:5002,reuseaddr", f"OPEN:{out},creat,trunc", text=True)
    # Wait until socat listens (it is a separate process starting up).
    deadline = time.monotonic() + 5
    while "5002" not in netns.run("ss", "-ltnH", check=False).stdout:
        assert time.monotonic() < deadline and server.poll() is None, "socat did not start listening"
        time.sleep(0.02)
    conn = a.tcp_connect(LINUX, 5002)
    state = {"sent": 0, "closed": False}

    def pushed():
        if conn.state == "ESTABLISHED" or state["sent"]:
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
    print(f"simulated node -> Linux: {SIZE} bytes in {wall:.2f}s wall ({SIZE * 8 / wall / 1e6:.1f} Mbit/s)")
