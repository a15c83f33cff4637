"""Switch demo on a topology file: two PCs behind a switch ping a server
through a router; the switch is cut off from pc2 for a while and the
router reboots once.

    python3 -m shoal run --topology scenarios/examples/office.json scenarios/examples/office.py

The summary lists every port of the switch as a link, then the switch's
own counters; a raw host on the switch ("sniffer") hears only what the
switch floods.
"""


def scenario(sim, topo):
    pc1, pc2, gw = topo["pc1"], topo["pc2"], topo["gw"]
    sw = topo["sw"]
    sim.get_link("pc2-sw").down(at=2.0)
    sim.get_link("pc2-sw").up(at=3.0)
    p1 = pc1.ping("10.0.1.1", count=40, interval="100ms")
    p2 = pc2.ping("10.0.1.1", count=40, interval="100ms")
    sim.run(until=5.0)
    print(f"pc1 -> server: {p1.received}/{p1.sent} replies; pc2 -> server: {p2.received}/{p2.sent} "
          f"(its port was down from 2 s to 3 s, and the link loses 2%)")
    print("MAC table of sw:", ", ".join(f"{e['mac']} on {e['link'].name}" for e in sw.mac_table()))
    print("sniffer heard", len(topo["sniffer"].recv()), "flooded frames")
    gw.reboot()
    p = pc1.ping("10.0.1.1", count=3, interval="100ms")
    sim.run(duration="1s")
    print(f"after the router rebooted (no addresses now): {p.received}/{p.sent} replies")
