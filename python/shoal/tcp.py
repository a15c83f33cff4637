"""TCP on stack nodes: Listener and TcpConn. Nothing blocks.

Received bytes wait in the binding until recv() takes them; only then does
the stack reopen its window, so a script that does not read sees the window
close, as a slow application would.
"""

from . import _ffi
from .addr import ip4_str, is_ip6
from .sockaddr import Out, bind_args, buf, ip_args, ip_text
from .errors import SocketClosed
from .units import duration_ns

__all__ = ["Listener", "TcpConn"]

_INFO_ADDRS = ("local_addr", "remote_addr")


class _Handle:
    """What listeners and connections share: a C handle the Sim frees at close."""

    def __init__(self, node, ptr):
        self.node, self.sim, self._ptr = node, node.sim, ptr
        self._boots = node.boots  # a reboot of the node closes the handle
        node.sim._tcps.append(self)

    def _p(self):
        if self.sim.closed:
            raise SocketClosed(f"TCP handle of {self.node.name!r} is closed (its simulation was closed)")
        if self.node.boots != self._boots:
            raise SocketClosed(f"TCP handle of {self.node.name!r} is closed (the node rebooted)")
        return self._ptr

    def _check(self, rc, what):
        if rc < 0:
            self.sim._raise(rc, f"{self.node.name}: TCP {what}")
        return rc

    @property
    def state(self):
        """The TCP state name: "LISTEN", "ESTABLISHED", ..., "CLOSED"."""
        if self.sim.closed:
            return "CLOSED"
        return _ffi.ffi.string(self.sim._lib.shoal_tcp_state(self._ptr)).decode()

    def close(self):
        """Close (a FIN for a connection; stop listening for a listener)."""
        self._check(self.sim._lib.shoal_tcp_close(self._p()), "close")


class Listener(_Handle):
    """Made by node.tcp_listen(port, addr=None, backlog=8).

    addr None: both families (IPv4 and IPv6 clients); "::" IPv6 only;
    "0.0.0.0" IPv4 only; or one local address."""

    def __init__(self, node, port, addr, backlog):
        sim = node.sim
        err = sim._c_int
        err[0] = 0
        if isinstance(addr, int):  # an IPv4 address as a number (older callers)
            ptr = sim._fn("shoal_tcp_listen")(node._p(), addr, port, backlog, err)
            text = ip4_str(addr)
        else:
            fam, b, zone = bind_args(addr, "tcp_listen address")
            ptr = sim._fn("shoal_tcp_listen_ip")(node._p(), fam, buf(b), zone, port, backlog, err)
            text = "0.0.0.0" if addr is None else ip_text(fam, b, zone)
        if ptr == _ffi.ffi.NULL:
            sim._raise(err[0] or -100, f"{node.name}.tcp_listen({port})")
        super().__init__(node, ptr)
        self.port, self.addr = port, text

    def accept(self):
        """The next established connection not yet taken, or None."""
        ptr = self.sim._lib.shoal_tcp_accept(self._p())
        return None if ptr == _ffi.ffi.NULL else TcpConn(self.node, ptr)

    def __repr__(self):
        return f"<shoal.Listener {self.node.name} port {self.port} {self.state}>"


class TcpConn(_Handle):
    """A TCP connection: from node.tcp_connect(dst, port) or listener.accept()."""

    def send(self, data):
        """Queue data; returns the bytes taken (0 when the send buffer is full)."""
        if isinstance(data, str):
            raise TypeError("TCP data must be bytes, not str (encode it first)")
        if not isinstance(data, (bytes, bytearray, memoryview)):
            data = bytes(data)
        return self._check(self.sim._lib.shoal_tcp_send(self._p(), _ffi.ffi.from_buffer(data), len(data)), "send")

    def recv(self, n=None):
        """Up to n received bytes (default: all waiting); None when nothing is
        waiting yet, b"" once the peer has closed and everything was read."""
        ptr = self._p()
        lib = self.sim._lib
        cap = lib.shoal_tcp_pending(ptr) if n is None else n
        if cap <= 0:
            cap = 1  # still ask: it tells "nothing yet" from EOF
        buf = self.sim._grow(cap)
        got = lib.shoal_tcp_recv(ptr, buf, cap)
        if got == -1:
            return b""
        self._check(got, "recv")
        return None if got == 0 else _ffi.ffi.buffer(buf, got)[:]

    @property
    def pending(self):
        """Bytes received and waiting for recv()."""
        return self.sim._lib.shoal_tcp_pending(self._p())

    def shutdown(self, rx=False, tx=True):
        """Close one or both directions (default: our sending side, a FIN)."""
        self._check(self.sim._lib.shoal_tcp_shutdown(self._p(), int(bool(rx)), int(bool(tx))), "shutdown")

    def abort(self):
        """Reset the connection (an RST) and forget it."""
        self._check(self.sim._lib.shoal_tcp_abort(self._p()), "abort")

    def set_nodelay(self, on=True):
        """Disable (on=True) or enable Nagle's algorithm."""
        self._check(self.sim._lib.shoal_tcp_set_nodelay(self._p(), int(bool(on))), "set_nodelay")

    def set_keepalive(self, on=True, idle="7200s", interval="75s", count=9):
        """Keepalive probes after `idle`, every `interval`, `count` of them."""
        self._check(self.sim._lib.shoal_tcp_set_keepalive(self._p(), int(bool(on)), duration_ns(idle, "idle"),
                                                          duration_ns(interval, "interval"), count),
                    "set_keepalive")

    @property
    def error(self):
        """The last error the connection reported: 0, or a negative code (reset, abort, timeout)."""
        return self.sim._lib.shoal_tcp_error(self._p())

    @property
    def info(self):
        """The connection's variables (sequence numbers, windows, RTT, counters) as a
        dict, addresses as strings; None once the stack has freed the connection."""
        out = _ffi.ffi.new("shoal_tcp_info *")
        if self.sim._lib.shoal_tcp_info_get(self._p(), out) < 0:
            return None
        d = {name: getattr(out, name) for name, _ in _ffi.ffi.typeof("shoal_tcp_info").fields}
        for name in _INFO_ADDRS:
            d[name] = ip4_str(d[name])
        return d

    def _end(self, remote):
        if self.info is None:
            return None
        out = Out()
        self._check(self.sim._lib.shoal_tcp_endpoint_ip(self._p(), remote, out.family, out.addr, out.zone, out.port),
                    "endpoint")
        return out.text(), out.port[0]

    @property
    def local(self):
        """(address, port) of our end, or None once freed. IPv6 addresses as
        "2001:db8::1" ("fe80::1%1" when link-local); IPv4 as "a.b.c.d"."""
        return self._end(0)

    @property
    def remote(self):
        """(address, port) of the peer, or None once freed."""
        return self._end(1)

    def __repr__(self):
        return f"<shoal.TcpConn {self.node.name} {self.state}>"


def connect(node, dst, port, local_port):
    """node.tcp_connect for either family -> the C handle."""
    sim = node.sim
    err = sim._c_int
    err[0] = 0
    if is_ip6(dst):
        fam, b, zone = ip_args(dst, "tcp_connect destination")
        ptr = sim._fn("shoal_tcp_connect_ip")(node._p(), fam, buf(b), zone, port, local_port, err)
    else:
        from .addr import ip4_int
        ptr = sim._fn("shoal_tcp_connect")(node._p(), ip4_int(dst, "tcp_connect destination"), port, local_port,
                                           err)
    if ptr == _ffi.ffi.NULL:
        sim._raise(err[0] or -100, f"{node.name}.tcp_connect({dst!r}, {port})")
    return ptr
