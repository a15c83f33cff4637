"""TAP bridge: a node's port joined to a Linux TAP device, and realtime mode.

Made by Sim.tap(node, ifname=..., netns=...). Real programs on the host (or
in a network namespace) then talk to the simulated node through the TAP.
Attaching one puts the simulation in realtime mode for good: run(),
run_until() and step() keep the virtual clock in step with the wall clock
(sim.run(duration="2s") takes two seconds), frames the host sends reach the
node at the virtual "now" they were read, and frames the node sends are
written to the TAP at once. Without a TAP the wall clock is never read.

Needs root (CAP_NET_ADMIN) and /dev/net/tun. The usual set-up, with the
real side in its own namespace::

    ip netns add demo
    ip tuntap add dev shoaltap0 mode tap     # persistent, in the host's namespace
    ip link set shoaltap0 netns demo
    ip -n demo addr add 10.0.0.1/24 dev shoaltap0 && ip -n demo link set shoaltap0 up

    tap = sim.tap(a, ifname="shoaltap0", netns="demo")
    a.iface(tap).set_ip4("10.0.0.2/24")
    sim.run(duration="1s")                  # wall time; `ip netns exec demo ping 10.0.0.2` works
"""

import os

from . import _ffi
from .errors import ShoalError
from .link import Link
from .stats import nest

__all__ = ["TapLink", "netns_path"]


def netns_path(netns):
    """The namespace file for a name ("demo" -> /run/netns/demo) or a path (kept)."""
    if netns is None:
        return None
    netns = os.fspath(netns)
    if os.sep in netns:
        return netns
    return os.path.join("/run/netns", netns)


class _HostEnd:
    """The far end of a TAP bridge: the host's interface (for summaries)."""

    def __init__(self, ifname, netns):
        self.ifname, self.netns = ifname, netns
        self.name = f"tap:{ifname}" + (f"@{netns}" if netns else "")

    def __repr__(self):
        return f"<shoal.tap host end {self.name}>"


class TapLink(Link):
    """A TAP bridge: .name, .node, .ifname, .netns, .pcap_path, .stats, node.iface(tap).

    No delay, rate or impairments (set(), down() and up() raise ShoalError).
    Counters: frames, bytes, to_tap, from_tap (and _bytes), delivered,
    drop, drop_write (the kernel refused: TAP down), drop_mtu, drop_runt,
    rx_nomem.
    """

    def __init__(self, sim, node, ifname, netns, name, mtu, pcap_path):
        if not isinstance(ifname, str) or not 0 < len(ifname) < 16 or "/" in ifname or " " in ifname:
            raise ValueError(f"a TAP interface name has 1 to 15 characters, no '/' or space, got {ifname!r}")
        self.sim, self.a, self.name, self.pcap_path = sim, node, name, pcap_path
        self.node, self.ifname, self.netns = node, ifname, netns
        self.b = _HostEnd(ifname, netns)
        self.mtu = mtu or 1500
        self._last = {}
        ffi = _ffi.ffi
        errbuf = ffi.new("char[]", 512)
        path = netns_path(netns)
        self._ptr = sim._fn("shoal_tap_new")(
            sim._p(), node._p(), ifname.encode(), path.encode() if path else ffi.NULL, name.encode(), mtu,
            pcap_path.encode() if pcap_path else ffi.NULL, errbuf, len(errbuf))
        if self._ptr == ffi.NULL:
            raise ShoalError(f"cannot attach {node.name!r} to TAP {ifname!r}"
                             + (f" in namespace {netns!r}" if netns else "") + ": "
                             + ffi.string(errbuf).decode("utf-8", "replace"))

    @property
    def ends(self):
        return (self.node,)

    def impairments(self, sender=None):
        """A bridge is a perfect cable: no rate, delay or loss."""
        return dict(rate_bps=0, delay_ns=0, jitter_ns=0, loss=0.0, queue=0, allow_reorder=False, burst=None,
                    duplicate=0.0, reorder=0.0, reorder_delay_ns=0, corrupt=0.0, ber=0.0, mtu=self.mtu)

    def set(self, **kwargs):
        raise ShoalError(f"{self!r} is a TAP bridge: it has no impairments to set")

    def down(self, at=None, after=None):
        raise ShoalError(f"{self!r} is a TAP bridge: take the host's interface down instead "
                         f"(ip link set {self.ifname} down)")

    up = down

    @property
    def is_up(self):
        return True

    @property
    def stats(self):
        return nest(self.stat_pairs())

    def __repr__(self):
        return f"<shoal.TapLink {self.name!r} {self.node.name}<->{self.b.name}>"
