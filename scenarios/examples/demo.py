"""Shoal's demo: three stacks, a lossy link and a clean one, ping and UDP echo.

    python3 -m shoal run scenarios/examples/demo.py        # seed 1 by default

client --- 10 Mbit/s, 10 ms, 5% loss --- server    10.0.1.1 <-> 10.0.1.2
   \\---- 100 Mbit/s, 1 ms, no loss ----- host2     10.0.2.1 <-> 10.0.2.2

The client pings each peer 20 times, then sends 20 UDP datagrams to port 7
of each; the peers echo them from Python in the same virtual instant they
arrive. Everything runs on the virtual clock, so the numbers below are the
same on every run with the same seed, and so are the pcaps.
"""

ECHOES = 20
DATAGRAMS = 20


def _rtt_line(ping):
    rtts = [r * 1e3 for r in ping.rtts if r is not None]
    head = f"{ping.sent} sent, {ping.received} received, {ping.lost} lost"
    if not rtts:
        return head
    return f"{head}; rtt min/avg/max {min(rtts):.3f}/{sum(rtts) / len(rtts):.3f}/{max(rtts):.3f} ms"


def scenario(sim):
    client, server, host2 = sim.node("client"), sim.node("server"), sim.node("host2")
    lossy = sim.link(client, server, delay="10ms", rate="10Mbit", loss=0.05)
    clean = sim.link(client, host2, delay="1ms", rate="100Mbit")
    client.iface(lossy).set_ip4("10.0.1.1/24")
    server.iface(lossy).set_ip4("10.0.1.2/24")
    client.iface(clean).set_ip4("10.0.2.1/24")
    host2.iface(clean).set_ip4("10.0.2.2/24")
    peers = [(server, lossy, "10.0.1.2"), (host2, clean, "10.0.2.2")]

    print(f"Shoal demo, seed {sim.seed}")
    for peer, link, addr in peers:
        print(f"  client {client.iface(link).ip4} ({client.iface(link).mac}) -- {link.name}: "
              f"{link.rate_bps / 1e6:g} Mbit/s, {link.delay_ns / 1e6:g} ms, loss {link.loss:.0%} -- "
              f"{peer.name} {addr} ({peer.iface(link).mac})")

    # ---- ping: ICMP echoes in virtual time ----
    pings = [(peer, link, client.ping(addr, count=ECHOES, interval="100ms", size=56, timeout="1s"))
             for peer, link, addr in peers]
    sim.run_until(lambda: all(p.done for _, _, p in pings), timeout="10s")
    print("\nping (56 data bytes, 98-byte frames):")
    for peer, link, p in pings:
        # Link model: serialisation len*8/rate, then the propagation delay, both ways.
        ideal_ms = 2 * (link.delay_ns / 1e9 + 98 * 8 / link.rate_bps) * 1e3
        print(f"  {peer.name:<7} {_rtt_line(p)}   (ideal {ideal_ms:.4f} ms; "
              f"the first echo also waits for ARP)")

    # ---- UDP echo: the peers answer on port 7 from Python ----
    echo_socks = [peer.udp(port=7) for peer, _, _ in peers]

    def serve():
        for sock in echo_socks:
            while (got := sock.recvfrom()) is not None:
                data, sender = got
                sock.sendto(data, sender)

    print("\nUDP echo (port 7):")
    for (peer, link, addr), sock in zip(peers, echo_socks):
        cli = client.udp()
        sent, echoed, start = 0, set(), sim.now_ns

        def collect():
            serve()
            while (got := cli.recvfrom()) is not None:
                echoed.add(got[0])
            return f"#{sent:02d}".encode() in echoed

        for i in range(1, DATAGRAMS + 1):
            sent = i
            cli.sendto(f"#{i:02d}".encode(), (addr, 7))
            sim.run_until(collect, timeout="200ms")  # a lost one times out
        sim.run_until(lambda: collect() and False, timeout="500ms")  # stragglers
        lost = DATAGRAMS - len(echoed)
        print(f"  {peer.name:<7} {DATAGRAMS} sent, {len(echoed)} echoed, {lost} lost "
              f"(client port {cli.port}; {(sim.now_ns - start) / 1e6:.1f} ms of virtual time)")
        cli.close()

    # ---- what the stacks counted ----
    counters = ["link.xmit", "link.recv", "etharp.xmit", "etharp.recv", "ip4.xmit", "ip4.recv",
                "ip4.drop", "icmp.xmit", "icmp.recv", "udp.xmit", "udp.recv", "udp.drop",
                "pool.pbuf.peak"]
    nodes = [client, server, host2]
    flat = {n.name: dict(n.stat_pairs()) for n in nodes}
    print("\nnode counters:")
    print("  " + " " * 15 + "".join(f"{n.name:>9}" for n in nodes))
    for c in counters:
        print(f"  {c:<15}" + "".join(f"{flat[n.name].get(c, '-'):>9}" for n in nodes))
    print("  " + f"{'memory (bytes)':<15}" + "".join(f"{n.memory:>9}" for n in nodes))
    if sim.pcaps:
        import os
        names = ", ".join(os.path.basename(p) for p in sim.pcaps)
        where = os.path.relpath(sim.pcap_dir)
        print(f"\npcaps in {sim.pcap_dir if where.startswith('..') else where}/: {names}"
              f"\n  (open them in Wireshark; `python3 -m shoal.pcapcheck FILE` checks one with tshark)")


if __name__ == "__main__":
    import os
    import sys
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
    from shoal.__main__ import main
    sys.exit(main(["run", __file__] + sys.argv[1:]))
