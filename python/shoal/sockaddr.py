"""Socket addresses of either family for the binding's *_ip calls.

The C side takes (family, 16 bytes, zone): family 4 or 6, or 46 for the
dual-stack wildcard; IPv4 in the first 4 bytes; zone = the netif index of a
link-local address ("fe80::1%2"). IPv4-mapped addresses (::ffff:a.b.c.d,
RFC 4291 2.5.5.2) are IPv4 peers and come back as plain "a.b.c.d".
"""

from . import _ffi
from .addr import ip4_int, ip4_str, ip6_parse, ip6_str, is_ip6, port_number
from .errors import AddressError

__all__ = ["ip_args", "bind_args", "ip_text", "endpoint_args", "Out"]

_MAPPED = bytes(10) + b"\xff\xff"
FAMILY_DUAL = 46


def ip_args(addr, what="address"):
    """(family, 16 bytes, zone) of an IPv4 or IPv6 address string."""
    if is_ip6(addr):
        b, zone = ip6_parse(addr, what)
        if b[:12] == _MAPPED:
            return 4, b[12:] + bytes(12), 0
        return 6, b, zone
    return 4, ip4_int(addr, what).to_bytes(4, "big") + bytes(12), 0


def bind_args(addr, what="address"):
    """For a socket's local address: None -> both families (dual-stack);
    "::" -> IPv6 only (V6ONLY); "0.0.0.0" -> IPv4 only; else that address."""
    if addr is None:
        return FAMILY_DUAL, bytes(16), 0
    return ip_args(addr, what)


def endpoint_args(address, what="address"):
    """(family, bytes, zone, port) from a (host, port) tuple of either family."""
    try:
        host, port = address
    except (TypeError, ValueError):
        raise AddressError(f"{what}: expected (\"address\", port), got {address!r}") from None
    fam, b, zone = ip_args(host, what)
    return fam, b, zone, port_number(port, what)


def ip_text(family, b, zone=0):
    """An address string back from the C side's (family, bytes, zone)."""
    b = bytes(b)
    if family == 4:
        return ip4_str(int.from_bytes(b[:4], "big"))
    return ip6_str(b[:16], zone)


class Out:
    """Out-parameters of the *_ip calls (int family, 16 bytes, int zone, u16 port)."""

    def __init__(self):
        self.family = _ffi.ffi.new("int *")
        self.addr = _ffi.ffi.new("uint8_t[16]")
        self.zone = _ffi.ffi.new("int *")
        self.port = _ffi.ffi.new("uint16_t *")

    def text(self):
        return ip_text(self.family[0], _ffi.ffi.buffer(self.addr, 16)[:], self.zone[0])


def buf(b):
    """Bytes as a `const uint8_t *` argument."""
    return _ffi.ffi.from_buffer(b)
