"""Ping: ICMP (or ICMPv6, RFC 4443 4.1) echoes from a stack node, running in virtual time."""

from . import _ffi
from .addr import ip4_str, ip6_str

__all__ = ["Ping"]

_PENDING, _REPLIED, _LOST = 0, 1, 2


class Ping:
    """Made by node.ping(dst, count, interval, size, timeout).

    Echo i leaves at start + i * interval; it is lost if no reply came
    within `timeout`. Results: .done, .sent, .received, .lost, .rtts
    (float seconds or None per echo), .rtts_ns (int nanoseconds or None).
    """

    def __init__(self, node, dst, count, interval_ns, size, timeout_ns):
        """dst: a host-order IPv4 int, or an IPv6 address string ("fe80::1%1")."""
        sim = node.sim
        self.node, self.sim = node, sim
        self.count, self.size = count, size
        self.interval_ns, self.timeout_ns = interval_ns, timeout_ns
        self.start_ns = sim.now_ns
        err = sim._c_int
        err[0] = 0
        if isinstance(dst, int):
            self.dst, limit = ip4_str(dst), 1472
            ptr = sim._lib.shoal_ping_start(node._p(), dst, count, interval_ns, size, timeout_ns, err)
        else:
            from .ip6 import ping_target
            b, zone = ping_target(node, dst)
            self.dst, limit = ip6_str(b, zone), 1452
            ptr = sim._fn("shoal_ping6_start")(node._p(), _ffi.ffi.new("uint8_t[16]", b), zone, count,
                                               interval_ns, size, timeout_ns, err)
        if ptr == _ffi.ffi.NULL:
            sim._raise(err[0] or -100, f"{node.name}.ping({self.dst!r}, count={count}, size={size})"
                                       f" [count 1..64, size 0..{limit}]")
        self._ptr = ptr
        sim._pings.append(self)

    def _p(self):
        self.sim._p()
        return self._ptr

    def _results(self):
        lib, ptr, rtt = self.sim._lib, self._p(), self.sim._c_u64
        out = []
        for seq in range(self.count):
            state = lib.shoal_ping_result(ptr, seq, rtt)
            out.append((state, rtt[0] if state == _REPLIED else None))
        return out

    @property
    def done(self):
        """True once every echo was answered or timed out."""
        return bool(self.sim._lib.shoal_ping_done(self._p()))

    @property
    def sent(self):
        """Echo requests sent so far."""
        return self.sim._lib.shoal_ping_sent(self._p())

    @property
    def received(self):
        """Echoes answered."""
        return sum(1 for state, _ in self._results() if state == _REPLIED)

    @property
    def lost(self):
        """Echoes that timed out."""
        return sum(1 for state, _ in self._results() if state == _LOST)

    @property
    def rtts_ns(self):
        """Round-trip time of each echo in ns, or None (lost or pending)."""
        return [rtt for _, rtt in self._results()]

    @property
    def rtts(self):
        """Round-trip time of each echo in seconds, or None (lost or pending)."""
        return [None if rtt is None else rtt / 1e9 for rtt in self.rtts_ns]

    def __repr__(self):
        if self.sim.closed:
            return f"<shoal.Ping {self.node.name}->{self.dst} (simulation closed)>"
        return (f"<shoal.Ping {self.node.name}->{self.dst} sent={self.sent} received={self.received}"
                f" lost={self.lost}{' done' if self.done else ''}>")
