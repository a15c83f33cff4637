"""Nodes (stack instances), raw hosts (frames from Python) and their interfaces."""

import warnings

from . import _ffi
from .addr import iface_cidr, ip4_int, ip4_str, mac_str, port_number, route_prefix
from .errors import RuntFrame, ShoalError
from .pcapcheck import frame_digest
from .stats import nest
from .units import duration_ns

__all__ = ["Endpoint", "Node", "RawHost", "Iface"]

_ETH_HEADER = 14


class Iface:
    """One node's interface on one link. Get it with node.iface(link)."""

    def __init__(self, node, link, index):
        self.node, self.link, self.index = node, link, index

    def _p(self):
        return self.node._p()

    def set_ip4(self, cidr, gw=None):
        """Give this interface an IPv4 address, e.g. "10.0.0.1/24" (gw optional)."""
        if isinstance(self.node, RawHost):
            raise ShoalError(f"{self.node.name!r} is a raw host: it has no IP stack")
        addr, plen = iface_cidr(cidr)
        gateway = 0 if gw is None else ip4_int(gw, "gateway")
        rc = self.node.sim._lib.shoal_iface_set_ip4(self._p(), self.index, addr, plen, gateway)
        if rc < 0:
            self.node.sim._raise(rc, f"{self!r}.set_ip4({cidr!r})")

    def _ip4(self):
        sim = self.node.sim
        if isinstance(self.node, RawHost):
            return None
        rc = sim._lib.shoal_iface_ip4(self._p(), self.index, sim._c_u32, sim._c_int)
        if rc < 0 or sim._c_u32[0] == 0:
            return None
        return sim._c_u32[0], sim._c_int[0]

    @property
    def ip4(self):
        """The IPv4 address as a string, or None."""
        got = self._ip4()
        return None if got is None else ip4_str(got[0])

    @property
    def prefix_len(self):
        """The IPv4 prefix length, or None when no address is set."""
        got = self._ip4()
        return None if got is None else got[1]

    @property
    def mac(self):
        """The MAC address, "02:00:00:01:00:01" style."""
        sim = self.node.sim
        mac = _ffi.ffi.new("uint8_t[6]")
        rc = sim._lib.shoal_iface_mac(self._p(), self.index, mac)
        if rc < 0:
            sim._raise(rc, f"{self!r}.mac")
        return mac_str(_ffi.ffi.buffer(mac, 6))

    # ---- DHCP client and AutoIP (python/shoal/dhcp.py) ----
    def dhcp4(self, hostname=None, client_id=True, check_address=True, desync=False, autoip_fallback=None):
        """Start a DHCP client here (RFC 2131) -> shoal.dhcp.Dhcp4Client; it runs as the sim runs.

        check_address: probe the offered address with ARP (RFC 5227) before
        using it. autoip_fallback: True (after 4 unanswered DISCOVERs) or a
        count: start AutoIP meanwhile (RFC 3927 1.9). A client already running
        here is replaced.
        """
        from .dhcp import Dhcp4Client, _raise_raw
        _raise_raw(self, "dhcp4()")
        old = self.__dict__.get("_dhcp")
        if old is not None:
            old.stop()
        self._dhcp = Dhcp4Client(self, hostname, client_id, check_address, desync, autoip_fallback)
        return self._dhcp

    @property
    def dhcp(self):
        """The interface's DHCP client (from dhcp4()), or None."""
        return self.__dict__.get("_dhcp")

    @property
    def dhcp_state(self):
        """The DHCP client's state ("BOUND", ...), or None when dhcp4() was never called."""
        c = self.__dict__.get("_dhcp")
        return None if c is None else c.state

    def autoip(self):
        """Start RFC 3927 link-local addressing here -> shoal.dhcp.AutoIp."""
        from .dhcp import AutoIp, _raise_raw
        _raise_raw(self, "autoip()")
        old = self.__dict__.get("_autoip")
        if old is not None:
            old.stop()
        self._autoip = AutoIp(self)
        return self._autoip

    # ---- IPv4 multicast membership (python/shoal/ip4opts.py) ----
    def join(self, group):
        """Join multicast group ("224.1.2.3") here (RFC 2236): an unsolicited
        IGMPv2 report goes out at once and is repeated within 10 s; queries
        are answered. Joins count: two joins need two leave() calls.
        Non-multicast address -> ValueError; group table full -> ShoalError."""
        from .ip4opts import iface_igmp
        iface_igmp(self, group, True)

    def leave(self, group):
        """Leave multicast group here; a Leave goes to 224.0.0.2 if this host
        sent the last report (RFC 2236 3). A group not joined -> ShoalError."""
        from .ip4opts import iface_igmp
        iface_igmp(self, group, False)

    def __eq__(self, other):
        return isinstance(other, Iface) and other.node is self.node and other.index == self.index

    def __hash__(self):
        return hash((id(self.node), self.index))

    def __repr__(self):
        return f"<shoal.Iface {self.node.name}#{self.index} on {self.link.name!r}>"


class Endpoint:
    """What nodes and raw hosts share: a name, links, interfaces."""

    def __init__(self, sim, name, ptr):
        if ptr == _ffi.ffi.NULL:
            raise ShoalError(f"cannot create {name!r}")
        self.sim, self.name, self._ptr = sim, name, ptr
        self._ifaces = {}  # link name -> Iface

    def _p(self):
        self.sim._p()  # raises once the simulation is closed
        return self._ptr

    def _link(self, link):
        from .link import Link
        if isinstance(link, Link):
            if link.sim is not self.sim:
                raise ShoalError(f"{link!r} belongs to another simulation")
            return link
        if isinstance(link, str) and link in self.sim._links:
            return self.sim._links[link]
        raise ShoalError(f"no link {link!r} in this simulation")

    def iface(self, link):
        """This node's interface on `link` (a Link or its name); ShoalError if not on it."""
        link = self._link(link)
        found = self._ifaces.get(link.name)
        if found is None:
            if self not in link.ends:
                raise ShoalError(f"{self.name!r} is not on link {link.name!r}")
            found = Iface(self, link, link.ifindex(self))
            self._ifaces[link.name] = found
        return found

    @property
    def links(self):
        """The links this node is on, in creation order."""
        return [l for l in self.sim._links.values() if self in l.ends]

    @property
    def ifaces(self):
        """Its interfaces, in link creation order."""
        return [self.iface(l) for l in self.links]

    def __repr__(self):
        return f"<shoal.{type(self).__name__} {self.name!r}>"


class Node(Endpoint):
    """A stack instance. Made by sim.node(name, forwarding=False)."""

    def __init__(self, sim, name, forwarding, config=None):
        if config:
            ptr = self._new_configured(sim, name, forwarding, config)
        else:
            ptr = sim._lib.shoal_node_new(sim._p(), name.encode(), int(forwarding))
        super().__init__(sim, name, ptr)
        self.forwarding = forwarding
        self.config = dict(config or {})

    @staticmethod
    def _new_configured(sim, name, forwarding, config):
        ffi = _ffi.ffi
        for key, value in config.items():
            if isinstance(value, bool):
                continue
            if not isinstance(value, int) or not 0 <= value <= _ffi.U64_MAX:
                raise ValueError(f"node {name!r}: config {key}={value!r} must be a non-negative int or a bool")
        names = [ffi.new("char[]", key.encode()) for key in config]  # kept alive for the call
        keys = ffi.new("const char *[]", names)
        values = ffi.new("uint64_t[]", [int(v) for v in config.values()])
        err = sim._c_int
        err[0] = 0
        ptr = sim._fn("shoal_node_new_config")(sim._p(), name.encode(), int(forwarding), len(names), keys, values, err)
        if ptr == ffi.NULL:
            sim._raise(err[0] or -100, f"node {name!r} with config {config} (unknown key or rejected value)")
        return ptr

    # ---- routes ----
    def route_add(self, prefix, via=None, dev=None):
        """Static route: route_add("0.0.0.0/0", via="10.0.0.254") or dev=iface/link."""
        net, plen = route_prefix(prefix)
        if via is None and dev is None:
            raise ValueError("route_add needs via= (a next hop), dev= (an interface), or both")
        gateway = 0 if via is None else ip4_int(via, "via")
        ifindex = 0
        if dev is not None:
            ifindex = (dev if isinstance(dev, Iface) else self.iface(dev)).index
            if isinstance(dev, Iface) and dev.node is not self:
                raise ShoalError(f"{dev!r} is not an interface of {self.name!r}")
        rc = self.sim._lib.shoal_node_route_add(self._p(), net, plen, gateway, ifindex)
        if rc < 0:
            self.sim._raise(rc, f"{self.name}.route_add({prefix!r})")

    def route_del(self, prefix):
        """Remove the static route for `prefix`."""
        net, plen = route_prefix(prefix)
        rc = self.sim._lib.shoal_node_route_del(self._p(), net, plen)
        if rc < 0:
            self.sim._raise(rc, f"{self.name}.route_del({prefix!r})")

    # ---- sockets and apps ----
    def udp(self, port=0, addr=None, broadcast=False):
        """A UDP socket bound to `port` (0 = ephemeral) and `addr` (None = any)."""
        from .udp import UdpSocket
        return UdpSocket(self, port_number(port), 0 if addr is None else ip4_int(addr), broadcast)

    def ping(self, dst, count=1, interval="1s", size=56, timeout="1s"):
        """Start ICMP echoes to dst; they run as the simulation runs. -> Ping."""
        from .ping import Ping
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an int >= 1, got {count!r}")
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= 65507:
            raise ValueError(f"size must be an int 0..65507, got {size!r}")
        return Ping(self, ip4_int(dst, "ping destination"), count,
                    duration_ns(interval, "interval"), size, duration_ns(timeout, "timeout"))

    def tcp_listen(self, port, addr=None, backlog=8):
        """Listen for TCP connections on `port` -> Listener (accept() them)."""
        from .tcp import Listener
        return Listener(self, port_number(port), 0 if addr is None else ip4_int(addr), backlog)

    def tcp_connect(self, dst, port, local_port=0):
        """Open a TCP connection to dst:port -> TcpConn (it connects as the sim runs)."""
        from .tcp import TcpConn
        sim = self.sim
        err = sim._c_int
        err[0] = 0
        ptr = sim._fn("shoal_tcp_connect")(self._p(), ip4_int(dst, "tcp_connect destination"),
                                         port_number(port), port_number(local_port, "local_port"), err)
        if ptr == _ffi.ffi.NULL:
            sim._raise(err[0] or -100, f"{self.name}.tcp_connect({dst!r}, {port})")
        return TcpConn(self, ptr)

    # ---- DNS resolver (python/shoal/dns.py) ----
    @property
    def dns(self):
        """This node's DNS resolver (shoal.dns.Resolver), attached on first use."""
        res = self.__dict__.get("_dns")
        if res is None:
            from .dns import Resolver
            res = self.__dict__["_dns"] = Resolver(self)
        return res

    def dns_servers(self, servers=None):
        """Set the DNS servers (a list of up to 4 addresses, tried in turn) when
        given; returns the list in force."""
        if servers is not None:
            self.dns.set_servers(servers)
        return self.dns.servers

    def resolve(self, name, timeout=None, type="A"):
        """Look a name up through the node's resolver -> shoal.dns.Lookup (poll
        .done / .addresses / .error after running the simulation)."""
        return self.dns.resolve(name, timeout=timeout, type=type)

    def dns_cache(self):
        """The resolver's live cache entries, as a list of dicts."""
        return self.dns.cache()

    # ---- DHCP server (python/shoal/dhcp.py) ----
    def dhcp_server(self, iface_or_link, pool, lease="1h", router=None, dns=()):
        """Serve DHCP on an interface (an Iface, Link or link name) that has an
        address -> shoal.dhcp.DhcpServer. pool=("10.0.0.100", "10.0.0.200")."""
        from .dhcp import DhcpServer
        iface = iface_or_link if isinstance(iface_or_link, Iface) else self.iface(iface_or_link)
        if iface.node is not self:
            raise ShoalError(f"{iface!r} is not an interface of {self.name!r}")
        servers = self.__dict__.setdefault("_dhcp_servers", [])
        srv = DhcpServer(iface, pool, lease, router, dns)
        servers.append(srv)
        return srv

    # ---- introspection ----
    def stat_pairs(self):
        """The stack's counters as (name, value) pairs, in the C side's order."""
        sim = self.sim
        lib, ptr, name, value = sim._lib, self._p(), sim._c_name, sim._c_u64
        pairs, i = [], 0
        while lib.shoal_node_stat(ptr, i, name, value) > 0:
            pairs.append((_ffi.ffi.string(name[0]).decode(), value[0]))
            i += 1
        return pairs

    @property
    def stats(self):
        """Nested dict of counters: stats["ip4"]["chkerr"], stats["pool"]["pbuf"]["peak"]."""
        return nest(self.stat_pairs())

    @property
    def memory(self):
        """Bytes of memory taken by this node's stack instance."""
        return self.sim._lib.shoal_node_memory(self._p())

    # ---- scheduled faults: stop, start, reboot (switch.at_ns for at=/after=) ----
    def _fault(self, fn, what, at, after, *args):
        from .switch import at_ns
        rc = self.sim._fn(fn)(self._p(), *args, at_ns(self.sim, at, after))
        if rc < 0:
            self.sim._raise(rc, f"{self.name}.{what}()")

    def stop(self, at=None, after=None):
        """Stop the node now, at virtual time at= or after= a duration: it
        drops every frame in and out and runs no timers; its state stays."""
        self._fault("shoal_node_set_running", "stop", at, after, 0)

    def start(self, at=None, after=None):
        """Resume a stopped node with its state (timers that fell due run at once)."""
        self._fault("shoal_node_set_running", "start", at, after, 1)

    def reboot(self, at=None, after=None):
        """Power-cycle the node now, at= or after=: its stack instance is
        destroyed and a fresh one made with the same configuration,
        interfaces and MACs, but no addresses, routes or sockets. Its UDP
        sockets and TCP handles are closed (using them raises SocketClosed);
        echoes a ping still awaited count as lost. The node runs afterwards
        even if it was stopped. Not supported (yet) while the node runs a
        DHCP client or server, AutoIP or the DNS resolver: ShoalError."""
        users = [what for what, there in (
            ("the DNS resolver", "_dns" in self.__dict__),
            ("a DHCP server", bool(self.__dict__.get("_dhcp_servers"))),
            ("a DHCP client", any(i.__dict__.get("_dhcp") is not None for i in self._ifaces.values())),
            ("AutoIP", any(i.__dict__.get("_autoip") is not None for i in self._ifaces.values()))) if there]
        if users:
            raise ShoalError(f"{self.name}.reboot(): not supported while it runs {', '.join(users)}")
        self._fault("shoal_node_reboot", "reboot", at, after)

    def _state(self):
        sim = self.sim
        rx, tx = _ffi.ffi.new("uint64_t *"), _ffi.ffi.new("uint64_t *")
        running = sim._fn("shoal_node_state")(self._p(), sim._c_u32, rx, tx)
        return bool(running), sim._c_u32[0], rx[0], tx[0]

    @property
    def running(self):
        """False while stopped (node.stop())."""
        return self._state()[0]

    @property
    def boots(self):
        """How many times the node was rebooted."""
        sim = self.sim
        sim._lib.shoal_node_state(self._p(), sim._c_u32, _ffi.ffi.NULL, _ffi.ffi.NULL)
        return sim._c_u32[0]

    @property
    def fault_stats(self):
        """{"running", "boots", "rx_dropped_stopped", "tx_dropped_stopped"}."""
        running, boots, rx, tx = self._state()
        return {"running": running, "boots": boots, "rx_dropped_stopped": rx, "tx_dropped_stopped": tx}


class RawHost(Endpoint):
    """Frames in and out from Python. Made by sim.raw_host(name)."""

    def __init__(self, sim, name):
        super().__init__(sim, name, sim._lib.shoal_raw_host_new(sim._p(), name.encode()))

    def _port(self, iface):
        if iface is None:
            links = self.links
            if len(links) != 1:
                raise ValueError(f"raw host {self.name!r} is on {len(links)} links: say which with iface=")
            return self.iface(links[0])
        if isinstance(iface, Iface):
            if iface.node is not self:
                raise ValueError(f"{iface!r} is not a port of {self.name!r}")
            return iface
        return self.iface(iface)

    def send(self, frame, iface=None):
        """Send one Ethernet frame (bytes or a Scapy packet) now, out of `iface`.

        iface is a Link, a link name or an Iface; it defaults to the host's
        only port. Frames are sent as given: no padding, no FCS.
        """
        if not isinstance(frame, (bytes, bytearray, memoryview)):
            frame = bytes(frame)  # a Scapy packet builds itself
        if len(frame) < _ETH_HEADER:
            raise RuntFrame(f"a {len(frame)}-byte frame is shorter than an Ethernet header (14 bytes)")
        port = self._port(iface)
        rc = self.sim._lib.shoal_raw_send(self._p(), port.index, _ffi.ffi.from_buffer(frame), len(frame))
        if rc < 0:
            self.sim._raise(rc, f"{self.name}.send({len(frame)}-byte frame)")
        # Remember the stimulus: the pcap check excuses problems in frames a
        # test sent on purpose (see pcapcheck.unexcused_problems).
        if port.link.pcap_path is not None:
            self.sim._injected[port.link.pcap_path].add(frame_digest(frame))

    def recv_raw(self):
        """Frames received since the last call as (bytes, time_ns, Iface) tuples."""
        sim = self.sim
        lib, ptr, t, port = sim._lib, self._p(), sim._c_u64, sim._c_int
        cap = max([65536] + [l.mtu + 18 for l in self.links])
        buf = sim._grow(cap)
        by_index = {i.index: i for i in self.ifaces}
        frames = []
        while True:
            n = lib.shoal_raw_recv(ptr, buf, cap, t, port)
            if n < 0:
                return frames
            if n > cap:
                warnings.warn(f"{self.name}: a {n}-byte frame was cut to {cap} bytes")
            frames.append((_ffi.ffi.buffer(buf, min(n, cap))[:], t[0], by_index.get(port[0])))

    def recv(self):
        """Frames received since the last call, as Scapy Ether packets.

        Each has .time (virtual arrival time, float seconds), .time_ns (int)
        and .iface (the Iface it came in on).
        """
        from .scapy_glue import to_packet
        return [to_packet(data, t, iface) for data, t, iface in self.recv_raw()]
