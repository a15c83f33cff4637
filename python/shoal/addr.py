"""IPv4 and IPv6 addresses, prefixes and MACs at the Python/C boundary.

Parsing uses the standard ipaddress module; IPv4 addresses cross into C as
host-order integers (10.0.0.1 == 0x0a000001), IPv6 addresses as 16 bytes in
network order plus a zone (the netif index of a scoped address, RFC 4007 6;
0 = none), as binding.h says. Scoped addresses are written "fe80::1%2".
"""

import ipaddress

from .errors import AddressError

__all__ = ["ip4_int", "ip4_str", "iface_cidr", "route_prefix", "port_number", "endpoint", "mac_str",
           "is_ip6", "ip6_parse", "ip6_bytes", "ip6_str", "ip6_is_scoped", "ip6_iface_cidr", "ip6_route_prefix"]


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


# ---- IPv6 ----

def is_ip6(addr):
    """True for what looks like an IPv6 address or prefix (a string with a
    colon, or an IPv6Address/IPv6Network): the family switch of the API."""
    if isinstance(addr, (ipaddress.IPv6Address, ipaddress.IPv6Network, ipaddress.IPv6Interface)):
        return True
    return isinstance(addr, str) and ":" in addr


def ip6_parse(addr, what="address"):
    """(16 bytes, zone) from "2001:db8::1" or "fe80::1%2" (zone 0 = none).

    The zone is the netif index ("%2"); AddressError if anything is off.
    """
    if isinstance(addr, ipaddress.IPv6Address):
        addr = str(addr)
    if not isinstance(addr, str):
        raise AddressError(f"{what}: expected an IPv6 address string, got {addr!r}")
    text, zone = addr.strip(), 0
    if "%" in text:
        text, _, zone_text = text.partition("%")
        if not zone_text.isdigit() or not 1 <= int(zone_text) <= 255:
            raise AddressError(f"{what}: zone of {addr!r} must be an interface index 1..255 (e.g. 'fe80::1%1')")
        zone = int(zone_text)
    try:
        a = ipaddress.IPv6Address(text)
    except ValueError as e:
        raise AddressError(f"{what}: {addr!r} is not an IPv6 address ({e})") from None
    if zone and not ip6_is_scoped(a.packed):
        raise AddressError(f"{what}: {addr!r} has a zone but is not a link-local address")
    return a.packed, zone


def ip6_bytes(addr, what="address"):
    """The 16 bytes of an IPv6 address (a zone, if given, is dropped)."""
    return ip6_parse(addr, what)[0]


def ip6_is_scoped(b):
    """Link-local unicast (fe80::/10) or interface-/link-local multicast:
    meaningful only with a zone (RFC 4007 6)."""
    b = bytes(b)
    if b[0] == 0xFE and (b[1] & 0xC0) == 0x80:
        return True
    return b[0] == 0xFF and (b[1] & 0x0F) in (1, 2)


def ip6_str(b, zone=0):
    """"2001:db8::1" from 16 bytes; "fe80::1%2" when scoped with a zone."""
    text = str(ipaddress.IPv6Address(bytes(b)))
    return f"{text}%{zone}" if zone and ip6_is_scoped(b) else text


def ip6_iface_cidr(cidr):
    """(16 bytes, prefix length) from an interface address "2001:db8::1/64".

    As for IPv4 the prefix length must be written out; a zone is not
    allowed here (the interface is the zone).
    """
    if not isinstance(cidr, str) or "/" not in cidr:
        raise AddressError(f"interface address {cidr!r}: expected 'addr/len', e.g. '2001:db8:1::1/64'")
    text, _, plen = cidr.strip().partition("/")
    b, zone = ip6_parse(text, "interface address")
    if zone:
        raise AddressError(f"interface address {cidr!r}: no zone here, the interface is the zone")
    if not plen.isdigit() or not 0 <= int(plen) <= 128:
        raise AddressError(f"interface address {cidr!r}: prefix length must be 0..128")
    return b, int(plen)


def ip6_route_prefix(prefix):
    """(16 bytes, prefix length) from a route prefix "2001:db8:2::/64";
    host bits set are refused, as for IPv4."""
    if not isinstance(prefix, str) or "/" not in prefix:
        raise AddressError(f"route prefix {prefix!r}: expected 'addr/len', e.g. '2001:db8::/32' or '::/0'")
    try:
        net = ipaddress.IPv6Network(prefix.strip(), strict=True)
    except ValueError as e:
        raise AddressError(f"route prefix {prefix!r}: {e}") from None
    return net.network_address.packed, net.prefixlen
