"""UdpSocket: a UDP socket on a stack node. Never blocks."""

from . import _ffi
from .addr import endpoint, is_ip6
from .sockaddr import Out, bind_args, buf, endpoint_args
from .errors import ShoalError, SocketClosed

__all__ = ["UdpSocket"]

_MAX_DATAGRAM = 65535
_ERR_MEM, _ERR_VAL = -1, -6  # err.h


class UdpSocket:
    """Made by node.udp(port=0, addr=None, broadcast=False).

    addr None: both families (a dual-stack socket: IPv4 peers appear as
    "10.0.0.2", IPv6 ones as "2001:db8::2" or "fe80::2%1"); "::" IPv6 only
    (RFC 3493 5.3 IPV6_V6ONLY); "0.0.0.0" IPv4 only; or one local address.
    It stays open (and bound) until close() or the simulation's close, even
    if no Python reference to it remains.
    """

    def __init__(self, node, port, addr, broadcast):
        sim = node.sim
        self.node, self.sim = node, sim
        err = sim._c_int
        err[0] = 0
        if isinstance(addr, int):  # an IPv4 address as a number (older callers)
            ptr = sim._lib.shoal_udp_open(node._p(), addr, port, err)
        else:
            fam, b, zone = bind_args(addr, "udp bind address")
            ptr = sim._lib.shoal_udp_open_ip(node._p(), fam, buf(b), zone, port, err)
        if ptr == _ffi.ffi.NULL:
            sim._raise(err[0] or -100, f"{node.name}.udp(port={port})")
        self._ptr = ptr
        self._boots = node.boots  # a reboot of the node closes the socket
        sim._sockets.append(self)
        if broadcast:
            self.set_broadcast(True)

    def _p(self):
        if self._ptr is None or self.sim.closed:
            why = "its simulation was closed" if self.sim.closed else "close() was called"
            raise SocketClosed(f"UDP socket of {self.node.name!r} is closed ({why})")
        if self.node.boots != self._boots:
            raise SocketClosed(f"UDP socket of {self.node.name!r} is closed (the node rebooted)")
        return self._ptr

    @property
    def closed(self):
        return self._ptr is None or self.sim.closed or self.node.boots != self._boots

    @property
    def port(self):
        """The local port (the one chosen, for an ephemeral bind)."""
        return self.sim._lib.shoal_udp_port(self._p())

    def _check(self, rc, what):
        if rc < 0:
            self.sim._raise(rc, f"{self.node.name}: UDP {what}")
        return rc

    def _sent(self, rc, n, what):
        # Out of memory (no pbuf, or the queue waiting on ARP is full) is a
        # drop the stack counts, as a real network would lose the datagram:
        # nothing was taken, but the script did nothing wrong.
        if rc == _ERR_MEM:
            return 0
        self._check(rc, what)
        return n

    def sendto(self, data, address):
        """Send one datagram to ("a.b.c.d", port) or ("2001:db8::2", port)
        ("fe80::2%1" for a link-local peer; the zone may be left out on a
        node with a single interface).

        Returns the bytes taken: len(data), or 0 when the stack had no room
        for it (a pool or the ARP/ND queue was full; counted in its stats).
        Other failures (no route, broadcast not allowed, a family the socket
        does not speak...) raise ShoalError.
        """
        data = _as_bytes(data)
        if _is_ip6_endpoint(address):
            fam, b, zone, port = endpoint_args(address, "sendto address")
            rc = self.sim._lib.shoal_udp_sendto_ip(self._p(), _ffi.ffi.from_buffer(data), len(data), fam, buf(b),
                                                   zone, port)
            return self._sent(rc, len(data), f"sendto {address!r}")
        addr, port = endpoint(address, "sendto address")
        rc = self.sim._lib.shoal_udp_sendto(self._p(), _ffi.ffi.from_buffer(data), len(data), addr, port)
        hint = " (a broadcast destination needs broadcast=True)" if rc == _ERR_VAL else ""
        return self._sent(rc, len(data), f"sendto {address!r}{hint}")

    def connect(self, address):
        """Set the default peer ("a.b.c.d", port) or ("2001:db8::2", port) for
        send() and receive filtering."""
        if _is_ip6_endpoint(address):
            fam, b, zone, port = endpoint_args(address, "connect address")
            self._check(self.sim._lib.shoal_udp_connect_ip(self._p(), fam, buf(b), zone, port),
                        f"connect {address!r}")
            return
        addr, port = endpoint(address, "connect address")
        self._check(self.sim._lib.shoal_udp_connect(self._p(), addr, port), f"connect {address!r}")

    def send(self, data):
        """Send one datagram to the connected peer; returns the bytes taken (as sendto)."""
        data = _as_bytes(data)
        rc = self.sim._lib.shoal_udp_send(self._p(), _ffi.ffi.from_buffer(data), len(data))
        return self._sent(rc, len(data), "send")

    def set_broadcast(self, on=True):
        """Allow (or forbid) sending to broadcast addresses."""
        self._check(self.sim._lib.shoal_udp_set_broadcast(self._p(), 1 if on else 0), "set_broadcast")

    # ---- multicast and UDP-Lite options (python/shoal/ip4opts.py) ----
    def set_multicast(self, ttl=1, iface=None):
        """Multicast sending: TTL of datagrams to 224.0.0.0/4 (default 1, RFC
        1112 6.1: they stay on the link) and the interface they leave by (an
        Iface or Link of this node; None: the first interface that is up).
        Receiving needs a join: node.iface(link).join("224.1.2.3")."""
        from .ip4opts import udp_set_multicast
        udp_set_multicast(self, ttl, iface)

    def set_lite(self, coverage=0, min_coverage=0, on=True):
        """Make this a UDP-Lite socket (RFC 3828, IP protocol 136): datagrams
        sent carry a checksum over their first `coverage` bytes (header
        included; 0 or >= the datagram's length: all of it; 1..7 ->
        ValueError); datagrams received with less coverage than
        `min_coverage` are not delivered (0: any coverage is accepted). on=False turns
        it back into plain UDP. Peers must be UDP-Lite sockets too."""
        from .ip4opts import udp_set_lite
        udp_set_lite(self, on, coverage, min_coverage)

    def set_hops6(self, hops=0, mcast_hops=1):
        """IPv6 hop limit of datagrams this IPv6-only socket sends (0: the
        interface's CurHopLimit, RFC 4861 6.3.4) and of multicast ones
        (RFC 3493 5.2: default 1)."""
        self._check(self.sim._lib.shoal_udp_set_hops6(self._p(), hops, mcast_hops), "set_hops6")

    def recvfrom(self):
        """The oldest queued datagram as (data, (address, port)), or None.
        IPv4 senders as "a.b.c.d" (on a dual-stack socket too), IPv6 ones as
        "2001:db8::1", link-local ones with their zone ("fe80::1%1")."""
        sim = self.sim
        ptr = self._p()
        data = sim._grow(_MAX_DATAGRAM)
        out = Out()
        n = sim._lib.shoal_udp_recvfrom_ip(ptr, data, _MAX_DATAGRAM, out.family, out.addr, out.zone, out.port)
        if n < 0:
            return None
        return _ffi.ffi.buffer(data, min(n, _MAX_DATAGRAM))[:], (out.text(), out.port[0])

    def recv(self):
        """The oldest queued datagram's data, or None."""
        got = self.recvfrom()
        return None if got is None else got[0]

    @property
    def queue_drops(self):
        """Datagrams dropped because the receive queue was full."""
        return self.sim._lib.shoal_udp_queue_drops(self._p())

    def close(self):
        """Close the socket; later calls raise SocketClosed. Closing twice is fine."""
        if self._ptr is None or self.sim.closed:
            self._ptr = None
            return
        ptr, self._ptr = self._ptr, None
        self.sim._lib.shoal_udp_close(ptr)
        self.sim._sockets.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        state = "closed" if self.closed else f"port {self.port}"
        return f"<shoal.UdpSocket {self.node.name} {state}>"


def _is_ip6_endpoint(address):
    try:
        host, _ = address
    except (TypeError, ValueError):
        return False
    return is_ip6(host)


def _as_bytes(data):
    if isinstance(data, str):
        raise TypeError("UDP data must be bytes, not str (encode it first)")
    if not isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)  # e.g. a Scapy payload
    if len(data) > 65507:
        raise ShoalError(f"a {len(data)}-byte datagram exceeds UDP's 65507-byte maximum over IPv4")
    return data
