"""Nodes (stack instances), raw hosts (frames from Python) and their interfaces."""

import warnings

from . import _ffi
from .addr import iface_cidr, ip4_int, ip4_str, is_ip6, mac_str, port_number, route_prefix
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

    # ---- multicast membership (IPv4: ip4opts.py, IPv6: ip6.py) ----
    def join(self, group):
        """Join multicast group ("224.1.2.3") here (RFC 2236): an unsolicited
        IGMPv2 report goes out at once and is repeated within 10 s; queries
        are answered. Joins count: two joins need two leave() calls.
        Non-multicast address -> ValueError; group table full -> ShoalError.
        An IPv6 group ("ff15::1234") is joined with MLDv1 (RFC 2710) instead."""
        if is_ip6(group):
            from . import ip6
            return ip6.mld(self, group, True)
        from .ip4opts import iface_igmp
        iface_igmp(self, group, True)

    def leave(self, group):
        """Leave multicast group here; a Leave goes to 224.0.0.2 if this host
        sent the last report (RFC 2236 3). A group not joined -> ShoalError.
        IPv6 groups: an MLD Done when this host reported last (RFC 2710 4)."""
        if is_ip6(group):
            from . import ip6
            return ip6.mld(self, group, False)
        from .ip4opts import iface_igmp
        iface_igmp(self, group, False)

    # ---- IPv6 (python/shoal/ip6.py) ----
    def add_ip6(self, cidr, dad=True):
        """Add an IPv6 address, e.g. "2001:db8:1::1/64"; it is tentative while
        DAD runs (RFC 4862 5.4) unless dad=False. Turns IPv6 on if it was off."""
        from . import ip6
        ip6.add_ip6(self, cidr, dad)

    def del_ip6(self, addr):
        """Remove an IPv6 address of this interface."""
        from . import ip6
        ip6.del_ip6(self, addr)

    def slaac(self, iid="stable", autoconf=True):
        """Turn IPv6 on: link-local address with DAD, Router Solicitations and
        addresses from RA prefixes (RFC 4862). iid: "stable" (RFC 7217),
        "eui64" or "random"."""
        from . import ip6
        ip6.enable(self, iid, autoconf)

    def enable_ip6(self, iid="stable"):
        """IPv6 with a link-local address only (slaac(autoconf=False))."""
        from . import ip6
        ip6.enable(self, iid, False)

    @property
    def ip6(self):
        """Usable IPv6 addresses (preferred or deprecated), link-local first."""
        from . import ip6
        return ip6.usable(self)

    @property
    def ip6_linklocal(self):
        """The usable link-local address ("fe80::...%<index>"), or None."""
        from . import ip6
        return ip6.linklocal(self)

    @property
    def ip6_addrs(self):
        """Every IPv6 address with its state ("tentative", "preferred",
        "deprecated", "duplicated"), prefix length, flags and lifetimes."""
        from . import ip6
        return ip6.addrs(self)

    @property
    def hop_limit6(self):
        """CurHopLimit for packets sent here (RFC 4861 6.3.2)."""
        from . import ip6
        return ip6.info(self)["hop_limit"]

    @property
    def mtu6(self):
        """The IPv6 link MTU (lowered by an RA's MTU option)."""
        from . import ip6
        return ip6.info(self)["mtu"]

    @property
    def reachable_time(self):
        """ReachableTime in seconds (RFC 4861 6.3.2)."""
        from . import ip6
        return ip6.info(self)["reachable_time"]

    @property
    def retrans_timer(self):
        """RetransTimer in seconds (RFC 4861 6.3.2)."""
        from . import ip6
        return ip6.info(self)["retrans_timer"]

    def advertise(self, prefix=None, on_link=True, autonomous=True, valid="30d", preferred="7d",
                  min_interval=None, max_interval="600s", router_lifetime="1800s", mtu=None, hop_limit=64,
                  managed=False, other_config=False, rdnss=None):
        """Router mode (RFC 4861 6.2): send RAs here and answer RSs, with
        prefix ("2001:db8:1::/64"; None: RAs without a prefix) and its L/A
        flags and lifetimes (None or "infinite": infinity). Call again to add
        prefixes. Limits in shoal.ip6.advertise. Needs forwarding=True."""
        from . import ip6
        ip6.advertise(self, prefix, on_link, autonomous, valid, preferred, min_interval, max_interval,
                      router_lifetime, mtu, hop_limit, managed, other_config, rdnss)

    def advertise_stop(self):
        """Stop router mode: a final RA with router lifetime 0 (RFC 4861 6.2.5)."""
        from . import ip6
        ip6.advertise_stop(self)

    def dhcp6(self):
        """Start a stateless DHCPv6 client here (RFC 8415 18.2.6) -> shoal.ip6.Dhcp6Client."""
        from . import ip6
        return ip6.iface_dhcp6(self)

    @property
    def dhcp6_state(self):
        """"off", "requesting" or "done"."""
        c = self.__dict__.get("_dhcp6")
        return "off" if c is None else c.state

    @property
    def dhcp6_dns(self):
        """DNS servers learnt by DHCPv6 (a list)."""
        c = self.__dict__.get("_dhcp6")
        return [] if c is None else c.dns

    @property
    def dhcp6_domain(self):
        """The search domain learnt by DHCPv6, or None."""
        c = self.__dict__.get("_dhcp6")
        return None if c is None else c.domain

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
        """Static route: route_add("0.0.0.0/0", via="10.0.0.254") or dev=iface/link.
        IPv6 alike: route_add("2001:db8:2::/64", via="fe80::1", dev=link)."""
        if via is None and dev is None:
            raise ValueError("route_add needs via= (a next hop), dev= (an interface), or both")
        if dev is not None:
            if isinstance(dev, Iface) and dev.node is not self:
                raise ShoalError(f"{dev!r} is not an interface of {self.name!r}")
            dev = dev if isinstance(dev, Iface) else self.iface(dev)
        if is_ip6(prefix):
            from . import ip6
            return ip6.route_add(self, prefix, via, dev)
        net, plen = route_prefix(prefix)
        gateway = 0 if via is None else ip4_int(via, "via")
        ifindex = 0 if dev is None else dev.index
        rc = self.sim._lib.shoal_node_route_add(self._p(), net, plen, gateway, ifindex)
        if rc < 0:
            self.sim._raise(rc, f"{self.name}.route_add({prefix!r})")

    def route_del(self, prefix):
        """Remove the static route for `prefix` (IPv4 or IPv6)."""
        if is_ip6(prefix):
            from . import ip6
            return ip6.route_del(self, prefix)
        net, plen = route_prefix(prefix)
        rc = self.sim._lib.shoal_node_route_del(self._p(), net, plen)
        if rc < 0:
            self.sim._raise(rc, f"{self.name}.route_del({prefix!r})")

    # ---- sockets and apps ----
    def udp(self, port=0, addr=None, broadcast=False):
        """A UDP socket bound to `port` (0 = ephemeral) and `addr`: None = any
        address of both families (dual-stack), "::" IPv6 only, "0.0.0.0"
        IPv4 only, or one address."""
        from .udp import UdpSocket
        return UdpSocket(self, port_number(port), addr, broadcast)

    def ping(self, dst, count=1, interval="1s", size=56, timeout="1s"):
        """Start ICMP echoes to dst (ICMPv6 echoes, RFC 4443 4.1, when dst is
        IPv6); they run as the simulation runs. -> Ping."""
        from .ping import Ping
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be an int >= 1, got {count!r}")
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= 65507:
            raise ValueError(f"size must be an int 0..65507, got {size!r}")
        target = dst if is_ip6(dst) else ip4_int(dst, "ping destination")
        return Ping(self, target, count, duration_ns(interval, "interval"), size, duration_ns(timeout, "timeout"))

    def tcp_listen(self, port, addr=None, backlog=8):
        """Listen for TCP connections on `port` -> Listener (accept() them).
        addr None: both families; "::" IPv6 only; "0.0.0.0" IPv4 only."""
        from .tcp import Listener
        return Listener(self, port_number(port), addr, backlog)

    def tcp_connect(self, dst, port, local_port=0):
        """Open a TCP connection to dst:port (IPv4 or IPv6) -> TcpConn (it
        connects as the sim runs)."""
        from .tcp import TcpConn, connect
        return TcpConn(self, connect(self, dst, port_number(port), port_number(local_port, "local_port")))

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

    def dhcp6_server(self, iface_or_link, dns=(), domain=None):
        """Serve stateless DHCPv6 (RFC 8415 18.3.6) on an interface (Iface,
        Link or link name): DNS servers (up to 3) and a search domain ->
        shoal.ip6.Dhcp6Server. IPv6 is turned on there if it was off."""
        from . import ip6
        iface = iface_or_link if isinstance(iface_or_link, Iface) else self.iface(iface_or_link)
        return ip6.node_dhcp6_server(self, iface, dns, domain)

    # ---- IPv6 Neighbor Discovery views (python/shoal/ip6.py) ----
    def neighbors6(self):
        """The neighbor cache: [{"ip", "mac", "state", "router", "ifindex"}]."""
        from . import ip6
        return ip6.neighbors6(self)

    def routers6(self):
        """The default router list: [{"ip", "ifindex", "lifetime"}] (seconds left)."""
        from . import ip6
        return ip6.routers6(self)

    def prefixes6(self):
        """The on-link prefix list: [{"prefix", "ifindex", "lifetime"}] (None: infinite)."""
        from . import ip6
        return ip6.prefixes6(self)

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
        DHCP(v6) client or server, AutoIP or the DNS resolver: ShoalError."""
        users = [what for what, there in (
            ("the DNS resolver", "_dns" in self.__dict__),
            ("a DHCP server", bool(self.__dict__.get("_dhcp_servers"))),
            ("a DHCP client", any(i.__dict__.get("_dhcp") is not None for i in self._ifaces.values())),
            ("a DHCPv6 server", bool(self.__dict__.get("_dhcp6_servers"))),
            ("a DHCPv6 client", any(i.__dict__.get("_dhcp6") is not None for i in self._ifaces.values())),
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
