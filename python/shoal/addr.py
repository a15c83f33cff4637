"""IPv4 addresses, prefixes and MACs at the Python/C boundary.

Parsing uses the standard ipaddress module; addresses cross into C as
host-order integers (10.0.0.1 == 0x0a000001), as binding.h says.
"""

import ipaddress

from .errors import AddressError

__all__ = ["ip4_int", "ip4_str", "iface_cidr", "route_prefix", "port_number", "endpoint", "mac_str"]


def ip4_int(addr, what="address"):
    """Host-order int from "10.0.0.1" (or an IPv4Address). AddressError if bad."""
    if isinstance(addr, ipaddress.IPv4Address):
        return int(addr)
    if not isinstance(addr, str):
        raise AddressError(f"{what}: expected an IPv4 address string, got {addr!r}")
    try:
        return int(ipaddress.IPv4Address(addr.strip()))
    except ValueError as e:
        raise AddressError(f"{what}: {addr!r} is not an IPv4 address ({e})") from None


def ip4_str(value):
    """Dotted-quad string from a host-order int."""
    return str(ipaddress.IPv4Address(value))


def iface_cidr(cidr):
    """(address int, prefix length) from an interface address "10.0.0.1/24".

    The prefix length must be written out: a forgotten "/24" silently meaning
    /32 is a classic scenario bug. Host bits are of course allowed.
    """
    if not isinstance(cidr, str) or "/" not in cidr:
        raise AddressError(f"interface address {cidr!r}: expected 'a.b.c.d/len', e.g. '10.0.0.1/24'")
    try:
        iface = ipaddress.IPv4Interface(cidr.strip())
    except ValueError as e:
        raise AddressError(f"interface address {cidr!r}: {e}") from None
    return int(iface.ip), iface.network.prefixlen


def route_prefix(prefix):
    """(network int, prefix length) from a route prefix "10.1.0.0/16".

    Host bits set ("10.1.2.3/16") are refused: the route would not mean what
    was written.
    """
    if not isinstance(prefix, str) or "/" not in prefix:
        raise AddressError(f"route prefix {prefix!r}: expected 'a.b.c.d/len', e.g. '0.0.0.0/0'")
    try:
        net = ipaddress.IPv4Network(prefix.strip(), strict=True)
    except ValueError as e:
        raise AddressError(f"route prefix {prefix!r}: {e}") from None
    return int(net.network_address), net.prefixlen


def port_number(port, what="port"):
    """A UDP/TCP port 0..65535 (AddressError otherwise)."""
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise AddressError(f"{what}: {port!r} is not a port number (0..65535)")
    return port


def endpoint(address, what="address"):
    """(addr int, port) from an ("a.b.c.d", port) tuple."""
    try:
        host, port = address
    except (TypeError, ValueError):
        raise AddressError(f"{what}: expected (\"a.b.c.d\", port), got {address!r}") from None
    return ip4_int(host, what), port_number(port, what)


def mac_str(mac6):
    """"02:00:00:01:00:01" from 6 bytes."""
    return ":".join(f"{b:02x}" for b in bytes(mac6))
