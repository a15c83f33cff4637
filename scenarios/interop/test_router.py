"""A Linux router in the namespace forwards between two simulated nodes (two TAPs)."""

from shoal.pcapcheck import read_pcap


def test_linux_routes_between_two_simulated_nodes(netns, seed):
    tap_a = netns.tap("10.54.1.1/24")
    tap_b = netns.tap("10.54.2.1/24")
    netns.run("sysctl", "-q", "-w", "net.ipv4.ip_forward=1")
    sim = netns.sim(seed)
    a, b = sim.node("a"), sim.node("b")
    la = sim.tap(a, ifname=tap_a, netns=netns.name)
    lb = sim.tap(b, ifname=tap_b, netns=netns.name)
    netns.wait_running(tap_a, tap_b)
    a.iface(la).set_ip4("10.54.1.2/24")
    b.iface(lb).set_ip4("10.54.2.2/24")
    a.route_add("0.0.0.0/0", via="10.54.1.1")
    b.route_add("0.0.0.0/0", via="10.54.2.1")

    ping = a.ping("10.54.2.2", count=3, interval="100ms", timeout="1s")
    sim.run(duration="0.5s")
    assert ping.received == 3, ping.rtts

    srv, cli = b.udp(port=7), a.udp()
    got = []

    def arrived():
        d = srv.recvfrom()
        if d is not None:
            got.append(d)
        return bool(got)

    cli.sendto(b"across a real router", ("10.54.2.2", 7))
    assert sim.run_until(arrived, timeout="1s")
    data, (src, _) = got[0]
    assert data == b"across a real router" and src == "10.54.1.2"

    data = bytes(range(256)) * 256  # 64 KiB over TCP through the router
    listener = b.tcp_listen(9000)
    conn = a.tcp_connect("10.54.2.2", 9000)
    state = {"sent": 0, "peer": None}
    received = bytearray()

    def transferred():
        if conn.state == "ESTABLISHED" and state["sent"] < len(data):
            state["sent"] += conn.send(data[state["sent"]:state["sent"] + 8192])
        if state["peer"] is None:
            state["peer"] = listener.accept()
        elif (chunk := state["peer"].recv()):
            received.extend(chunk)
        return len(received) == len(data)

    assert sim.run_until(transferred, timeout="5s"), f"{len(received)} of {len(data)} bytes"
    assert bytes(received) == data

    # The kernel forwarded: b saw a's packets with the TTL one lower (RFC 1812 5.3.1).
    sim.flush()
    ipv4_from_a = [f for f in read_pcap(lb.pcap_path)
                   if f[12:14] == b"\x08\x00" and f[26:30] == bytes([10, 54, 1, 2])]
    assert ipv4_from_a and all(f[22] == 63 for f in ipv4_from_a)


def test_linux_on_a_simulated_switch(netns):
    """A TAP is a switch port too: Linux shares a simulated LAN with two nodes."""
    sim = netns.sim()
    if not hasattr(sim, "switch"):
        import pytest
        pytest.skip("the simulated switch (sim.switch) is not in this tree yet")
    ifname = netns.tap("10.55.0.1/24")
    sw = sim.switch("sw")
    nodes = [sim.node(n) for n in ("a", "b")]
    for i, n in enumerate(nodes):
        n.iface(sim.link(n, sw, delay="1ms")).set_ip4(f"10.55.0.{i + 2}/24")
    sim.tap(sw, ifname=ifname, netns=netns.name)
    netns.wait_running(ifname)
    procs = [netns.popen("ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", f"10.55.0.{i + 2}", text=True)
             for i in range(2)]
    assert sim.run_until(lambda: all(p.poll() is not None for p in procs), timeout="6s")
    for p in procs:
        out = p.stdout.read()
        assert p.returncode == 0 and "3 received" in out, out
    ping = nodes[0].ping("10.55.0.1", count=2, interval="100ms")
    sim.run(duration="0.3s")
    assert ping.received == 2
    # The switch learnt Linux's MAC on the TAP port.
    linux_mac = netns.run("cat", f"/sys/class/net/{ifname}/address").stdout.strip()
    assert any(e["mac"] == linux_mac for e in sw.mac_table())
