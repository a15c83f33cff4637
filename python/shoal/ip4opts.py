"""Multicast group membership (RFC 2236 / RFC 1112) and UDP socket options
for multicast and UDP-Lite (RFC 3828): the Python side of binding_ip4.c.

node.py and udp.py call in here from small delegating methods, so the
argument checks live in one place."""

from .addr import ip4_int
from .errors import ShoalError

__all__ = ["iface_igmp", "udp_set_multicast", "udp_set_lite"]


def _group(group):
    g = ip4_int(group, "multicast group")
    if (g >> 28) != 0xE:
        raise ValueError(f"{group!r} is not an IPv4 multicast address (224.0.0.0/4)")
    return g


def iface_igmp(iface, group, join):
    """Join (join=True) or leave a group on iface; raises on a raw host, a
    non-multicast address, a full group table, or leaving a group not joined."""
    from .node import RawHost
    node = iface.node
    if isinstance(node, RawHost):
        raise ShoalError(f"{node.name!r} is a raw host: it has no IP stack")
    g = _group(group)
    rc = node.sim._lib.shoal_iface_igmp(iface._p(), iface.index, g, 1 if join else 0)
    if rc < 0:
        verb = "join" if join else "leave"
        node.sim._raise(rc, f"{iface!r}.{verb}({group!r})")


def udp_set_multicast(sock, ttl=1, iface=None):
    """Multicast TTL (0..255) and outgoing interface (an Iface or Link of the
    socket's node; None: the first interface that is up)."""
    from .node import Iface
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= 255:
        raise ValueError(f"multicast ttl must be an int 0..255, not {ttl!r}")
    ifindex = 0
    if iface is not None:
        if isinstance(iface, Iface):
            if iface.node is not sock.node:
                raise ShoalError(f"{iface!r} is not an interface of {sock.node.name!r}")
            ifindex = iface.index
        else:
            ifindex = sock.node.iface(iface).index
    sock._check(sock.sim._lib.shoal_udp_set_multicast(sock._p(), ttl, ifindex), "set_multicast")


def _coverage(value, what):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ValueError(f"{what} must be an int 0..65535, not {value!r}")
    return value


def udp_set_lite(sock, on=True, coverage=0, min_coverage=0):
    """Turn UDP-Lite on or off with its send coverage and least accepted coverage."""
    cov = _coverage(coverage, "coverage")
    if 0 < cov < 8:
        raise ValueError(f"UDP-Lite coverage {cov} is below the 8-byte header (RFC 3828 3.1)")
    mincov = _coverage(min_coverage, "min_coverage")
    rc = sock.sim._lib.shoal_udp_set_lite(sock._p(), 1 if on else 0, cov, mincov)
    sock._check(rc, "set_lite")
