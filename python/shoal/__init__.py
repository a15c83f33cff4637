"""Shoal: many TCP/IP stack instances on one virtual clock, scripted from Python.

A tour::

    import shoal
    sim = shoal.Sim(seed=1, pcap_dir="reports/pcap/tour")  # one pcap per link
    a, b = sim.node("a"), sim.node("b")                    # stack instances
    l = sim.link(a, b, delay="5ms", rate="10Mbit", loss=0.01)
    a.iface(l).set_ip4("10.0.0.1/24")
    b.iface(l).set_ip4("10.0.0.2/24")

    p = a.ping("10.0.0.2", count=3, interval="100ms")      # runs in virtual time
    sim.run(duration="1s")
    print(p.received, p.rtts)                              # RTTs in seconds

    srv, cli = b.udp(port=7), a.udp()                      # sockets never block
    cli.sendto(b"hi", ("10.0.0.2", 7))
    sim.run_until(lambda: ..., timeout="100ms")            # advance, then look
    data, peer = srv.recvfrom()                            # or None when empty

    lst = b.tcp_listen(80)                                 # TCP (as the stack grows it)
    c = a.tcp_connect("10.0.0.2", 80)
    sim.run(duration="100ms")
    conn = lst.accept()                                    # TcpConn or None
    c.send(b"GET /"), conn.recv(), c.state                 # bytes taken; bytes/None/b"" (EOF)

    tester = sim.raw_host("tester")                        # frames from Python
    l2 = sim.link(tester, b)
    tester.send(Ether(dst=b.iface(l2).mac) / ...)          # bytes or Scapy
    for pkt in tester.recv():                              # Scapy packets with
        print(pkt.time, pkt.iface, pkt.summary())          # virtual arrival time

    b.stats["udp"]["recv"], l.stats                       # counters as dicts
    sim.close()                                            # or `with shoal.Sim(...)`

Durations are seconds or strings ("5ms", "1.5s"); rates bits/s or strings
("10Mbit"). Errors raise ShoalError subclasses: UnknownNode, AddressError,
SocketClosed, RuntFrame. `python3 -m shoal run scenario.py` runs a scenario
file; scenarios/ uses the pytest plugin shoal.pytest_plugin (fixture `sim`,
option --seed). The compiled library loads on first Sim(); see _ffi for where
it is looked for.
"""

__version__ = "0.1.0"

from .errors import AddressError, RuntFrame, ShoalError, SocketClosed, UnknownNode
from .sim import Sim
from .node import Iface, Node, RawHost
from .link import Link
from .udp import UdpSocket
from .ping import Ping
from .tcp import Listener, TcpConn
from .switch import Switch
from .topology import Topology, load_topology
from . import units, pcapcheck

__all__ = ["Sim", "Node", "RawHost", "Iface", "Link", "UdpSocket", "Ping", "Listener", "TcpConn",
           "Switch", "Topology", "load_topology",
           "ShoalError", "UnknownNode", "AddressError", "SocketClosed", "RuntFrame",
           "units", "pcapcheck", "__version__"]
