"""Link: an Ethernet point-to-point link between two nodes."""

from . import _ffi
from .errors import ShoalError
from .stats import nest

__all__ = ["Link"]


class Link:
    """Made by Sim.link(). .name, .a, .b, .pcap_path, .stats (a dict)."""

    def __init__(self, sim, a, b, name, params, pcap_path):
        self.sim, self.a, self.b, self.name, self.pcap_path = sim, a, b, name, pcap_path
        self.rate_bps = params.rate_bps
        self.delay_ns = params.delay_ns
        self.jitter_ns = params.jitter_ns
        self.loss = params.loss
        self.mtu = params.mtu or 1500
        self.queue = params.queue_frames
        self.reorder = bool(params.allow_reorder)
        c_path = pcap_path.encode() if pcap_path is not None else _ffi.ffi.NULL
        self._ptr = sim._lib.shoal_link_new(sim._p(), a._ptr, b._ptr, name.encode(), params, c_path)
        if self._ptr == _ffi.ffi.NULL:
            why = f" or pcap {pcap_path!r} cannot be written" if pcap_path else ""
            raise ShoalError(f"cannot create link {name!r}: bad parameters{why}")

    def _p(self):
        self.sim._p()  # raises once the simulation is closed
        return self._ptr

    def ifindex(self, node):
        """node's interface index on this link (ShoalError if not attached)."""
        rc = self.sim._lib.shoal_link_ifindex(self._p(), node._ptr)
        if rc < 0:
            raise ShoalError(f"{node.name!r} is not on link {self.name!r}", rc)
        return rc

    @property
    def ends(self):
        return (self.a, self.b)

    def stat_pairs(self):
        """The link's counters as (name, value) pairs, in the C side's order."""
        sim = self.sim
        lib, ptr, name, value = sim._lib, self._p(), sim._c_name, sim._c_u64
        pairs, i = [], 0
        while lib.shoal_link_stat(ptr, i, name, value) > 0:
            pairs.append((_ffi.ffi.string(name[0]).decode(), value[0]))
            i += 1
        return pairs

    @property
    def stats(self):
        """Per-link counters (frames, bytes, drops by cause) as a nested dict."""
        return nest(self.stat_pairs())

    def flush(self):
        """Write this link's buffered pcap data to disk."""
        self.sim._lib.shoal_link_flush(self._p())

    def __repr__(self):
        return f"<shoal.Link {self.name!r} {self.a.name}<->{self.b.name}>"
