"""Link: an Ethernet point-to-point link between two nodes, its impairments and faults.

Every impairment works per direction, draws from the link's own random
streams (same seed, same run), and can be changed later, now or at a
virtual time (`link.set(...)`, `link.down()`, `link.up()`).

The pcap is the sender's view of the wire: each frame appears once, as its
sender put it on the wire (before any corruption, once even when the link
duplicates it, also when it is then lost). What the link did to it shows in
`link.stats` and at the receiver, so tshark finds no bad checksum in the
capture of a corrupting link.
"""

import math

from . import _ffi
from .errors import ShoalError
from .stats import nest
from .units import duration_ns, rate_bps

__all__ = ["Link", "KEEP"]


class _Keep:
    def __repr__(self):
        return "KEEP"


KEEP = _Keep()  # Link.set(): "leave this parameter as it is"

_BURST_KEYS = ("p", "r", "loss_good", "loss_bad")


def _prob(value, what):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value <= 1.0 \
            or (isinstance(value, float) and math.isnan(value)):
        raise ValueError(f"{what} must be a probability 0..1, got {value!r}")
    return float(value)


def _uint(value, what, bits=32):
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise ValueError(f"{what} must be an int 0..2**{bits}-1, got {value!r}")
    return value


def burst_params(burst):
    """(p, r, loss_good, loss_bad) from the `burst=` argument; None/False/{} is off."""
    if burst is None or burst is False or burst == {}:
        return (0.0, 0.0, 0.0, 0.0)
    if not isinstance(burst, dict):
        raise ValueError(f"burst must be a dict(p=..., r=..., loss_bad=1.0, loss_good=0.0) or None, "
                         f"got {burst!r}")
    unknown = set(burst) - set(_BURST_KEYS)
    if unknown:
        raise ValueError(f"burst: unknown key(s) {sorted(unknown)} (known: {', '.join(_BURST_KEYS)})")
    if "p" not in burst or "r" not in burst:
        raise ValueError(f"burst needs p (good->bad) and r (bad->good), got {burst!r}")
    return (_prob(burst["p"], "burst p"), _prob(burst["r"], "burst r"),
            _prob(burst.get("loss_good", 0.0), "burst loss_good"),
            _prob(burst.get("loss_bad", 1.0), "burst loss_bad"))


def fill_impair(imp, current, rate=KEEP, delay=KEEP, jitter=KEEP, loss=KEEP, queue=KEEP, reorder=KEEP,
                reorder_delay=KEEP, allow_reorder=KEEP, burst=KEEP, duplicate=KEEP, corrupt=KEEP, ber=KEEP):
    """Fill a shoal_link_impair with the given arguments (KEEP: unchanged).

    `current` is a shoal_link_impair with the values in force, for the
    parts that travel together (reorder with reorder_delay). Raises
    ValueError for a malformed value before anything reaches C.
    """
    lib = _ffi.load()
    fields = 0
    if rate is not KEEP:
        imp.rate_bps = rate_bps(rate)
        fields |= lib.SHOAL_LINK_RATE
    if delay is not KEEP:
        imp.delay_ns = duration_ns(delay, "delay")
        fields |= lib.SHOAL_LINK_DELAY
    if jitter is not KEEP:
        imp.jitter_ns = duration_ns(jitter, "jitter")
        fields |= lib.SHOAL_LINK_JITTER
    if loss is not KEEP:
        imp.loss = _prob(loss, "loss")
        fields |= lib.SHOAL_LINK_LOSS
    if queue is not KEEP:
        imp.queue_frames = _uint(queue, "queue")
        fields |= lib.SHOAL_LINK_QUEUE
    # reorder=True/False keeps its first meaning (may jitter reorder?); a
    # number is the probability that a frame is held back reorder_delay.
    if isinstance(reorder, bool):
        if allow_reorder is not KEEP and bool(allow_reorder) != reorder:
            raise ValueError(f"reorder={reorder} contradicts allow_reorder={allow_reorder}")
        allow_reorder, reorder = reorder, KEEP
    if allow_reorder is not KEEP:
        imp.allow_reorder = 1 if allow_reorder else 0
        fields |= lib.SHOAL_LINK_ALLOW_REORDER
    if reorder is not KEEP or reorder_delay is not KEEP:
        imp.reorder = current.reorder if reorder is KEEP else _prob(reorder, "reorder")
        imp.reorder_delay_ns = (current.reorder_delay_ns if reorder_delay is KEEP
                                else duration_ns(reorder_delay, "reorder_delay"))
        if imp.reorder > 0 and imp.reorder_delay_ns == 0:
            raise ValueError(f"reorder={imp.reorder} needs reorder_delay (e.g. '5ms'): "
                             f"the extra delay that lets later frames overtake")
        fields |= lib.SHOAL_LINK_REORDER
    if burst is not KEEP:
        imp.burst_p, imp.burst_r, imp.burst_loss_good, imp.burst_loss_bad = burst_params(burst)
        fields |= lib.SHOAL_LINK_BURST
    if duplicate is not KEEP:
        imp.duplicate = _prob(duplicate, "duplicate")
        fields |= lib.SHOAL_LINK_DUPLICATE
    if corrupt is not KEEP:
        imp.corrupt = _prob(corrupt, "corrupt")
        fields |= lib.SHOAL_LINK_CORRUPT
    if ber is not KEEP:
        imp.ber = _prob(ber, "ber")
        fields |= lib.SHOAL_LINK_BER
    imp.fields = fields
    return imp


class Link:
    """Made by Sim.link(). .name, .a, .b, .pcap_path, .stats (a dict).

    .rate_bps, .delay_ns, .jitter_ns, .loss, .queue, .reorder, .mtu are the
    values in force now for frames from a to b; .impairments(sender) has all
    of them for either direction. .is_up says whether the link is up.
    """

    def __init__(self, sim, a, b, name, params, pcap_path, impair=None):
        self.sim, self.a, self.b, self.name, self.pcap_path = sim, a, b, name, pcap_path
        self.mtu = params.mtu or 1500
        c_path = pcap_path.encode() if pcap_path is not None else _ffi.ffi.NULL
        self._ptr = sim._lib.shoal_link_new(sim._p(), a._ptr, b._ptr, name.encode(), params, c_path)
        if self._ptr == _ffi.ffi.NULL:
            why = f" or pcap {pcap_path!r} cannot be written" if pcap_path else ""
            raise ShoalError(f"cannot create link {name!r}: bad parameters{why}")
        self._last = {}
        if impair is not None and impair.fields:
            rc = sim._lib.shoal_link_set_impairments(self._ptr, _ffi.ffi.NULL, impair, 0)
            if rc < 0:
                sim._raise(rc, f"link {name!r} impairments")
        self.impairments()  # caches the values for after close

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

    # ---- parameters ----
    def _sender_ptr(self, sender):
        if sender is None:
            return _ffi.ffi.NULL
        node = self.sim._endpoint(sender, "sender")
        if node is not self.a and node is not self.b:
            raise ValueError(f"sender {node.name!r} is not an end of link {self.name!r}")
        return node._ptr

    def _current(self, sender=None):
        imp = _ffi.ffi.new("shoal_link_impair *")
        rc = self.sim._lib.shoal_link_get_impairments(self._p(), self._sender_ptr(sender), imp)
        if rc < 0:
            self.sim._raise(rc, f"link {self.name!r} impairments")
        return imp

    def impairments(self, sender=None):
        """The parameters in force now for frames that `sender` sends (default: a), as a dict.

        Keys: rate_bps, delay_ns, jitter_ns, loss, queue, allow_reorder,
        burst (dict or None), duplicate, reorder, reorder_delay_ns, corrupt,
        ber, mtu. After close: the last values read for a->b.
        """
        if self.sim.closed and sender is None and self._last:
            return dict(self._last)
        c = self._current(sender)
        burst = None
        if c.burst_p or c.burst_r or c.burst_loss_good or c.burst_loss_bad:
            burst = dict(p=c.burst_p, r=c.burst_r, loss_good=c.burst_loss_good, loss_bad=c.burst_loss_bad)
        d = dict(rate_bps=c.rate_bps, delay_ns=c.delay_ns, jitter_ns=c.jitter_ns, loss=c.loss,
                 queue=c.queue_frames, allow_reorder=bool(c.allow_reorder), burst=burst,
                 duplicate=c.duplicate, reorder=c.reorder, reorder_delay_ns=c.reorder_delay_ns,
                 corrupt=c.corrupt, ber=c.ber, mtu=self.mtu)
        if sender is None or self.sim._endpoint(sender, "sender") is self.a:
            self._last = d
        return dict(d)

    rate_bps = property(lambda self: self.impairments()["rate_bps"])
    delay_ns = property(lambda self: self.impairments()["delay_ns"])
    jitter_ns = property(lambda self: self.impairments()["jitter_ns"])
    loss = property(lambda self: self.impairments()["loss"])
    queue = property(lambda self: self.impairments()["queue"])
    reorder = property(lambda self: self.impairments()["allow_reorder"],
                       doc="Whether jitter may reorder frames (the reorder=True/False of Sim.link).")

    def _at_ns(self, at, after):
        now = self.sim.now_ns
        if at is not None and after is not None:
            raise TypeError("give at= or after=, not both")
        if after is not None:
            t = now + duration_ns(after, "after")
            if t > _ffi.U64_MAX:
                raise ValueError("after= runs past the end of virtual time")
            return t
        if at is None:
            return now
        t = duration_ns(at, "at")
        if t < now:
            raise ValueError(f"at={at!r} is in the past (now is {now / 1e9}s)")
        return t

    def set(self, *, at=None, after=None, sender=None, rate=KEEP, delay=KEEP, jitter=KEEP, loss=KEEP,
            queue=KEEP, reorder=KEEP, reorder_delay=KEEP, allow_reorder=KEEP, burst=KEEP, duplicate=KEEP,
            corrupt=KEEP, ber=KEEP):
        """Re-impair the link now, or at virtual time `at` (absolute) or `after` (from now).

        Only the parameters given change; their meaning is Sim.link's
        (burst=None turns bursts off). sender: a node (or name) at one end
        to change only the direction of the frames it sends; default both.
        Frames already on their way keep what they got; a new burst=
        restarts the chain in its good state. Scheduled changes are
        simulator events: several at the same instant apply in call order.
        """
        t = self._at_ns(at, after)
        sender_ptr = self._sender_ptr(sender)
        imp = fill_impair(_ffi.ffi.new("shoal_link_impair *"), self._current(sender), rate=rate, delay=delay,
                          jitter=jitter, loss=loss, queue=queue, reorder=reorder, reorder_delay=reorder_delay,
                          allow_reorder=allow_reorder, burst=burst, duplicate=duplicate, corrupt=corrupt, ber=ber)
        if imp.fields == 0:
            return
        rc = self.sim._lib.shoal_link_set_impairments(self._p(), sender_ptr, imp, t)
        if rc < 0:
            self.sim._raise(rc, f"link {self.name!r}.set()")

    # ---- scheduled faults ----
    def down(self, at=None, after=None):
        """Cut the link (a cable pull) now, at virtual time `at`, or `after` a duration.

        While down every frame is dropped and counted in stats["drop_down"],
        also those queued or in flight when it went down; stack nodes see
        link down on their interfaces (routes through it stop, ARP caches
        flush).
        """
        rc = self.sim._lib.shoal_link_set_up(self._p(), 0, self._at_ns(at, after))
        if rc < 0:
            self.sim._raise(rc, f"link {self.name!r}.down()")

    def up(self, at=None, after=None):
        """Restore the link now, at `at`, or `after` a duration; stacks see link up
        (and announce their addresses with a gratuitous ARP, RFC 5227 2.3)."""
        rc = self.sim._lib.shoal_link_set_up(self._p(), 1, self._at_ns(at, after))
        if rc < 0:
            self.sim._raise(rc, f"link {self.name!r}.up()")

    @property
    def is_up(self):
        """True while the link is up (a scheduled change counts once its time has come)."""
        return bool(self.sim._lib.shoal_link_is_up(self._p()))

    # ---- counters ----
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
        """Per-link counters as a dict: frames, bytes (also _ab/_ba per
        direction), delivered, drop and drop_<cause> (loss, burst, queue, mtu,
        down, rx_nomem), duplicated, reordered, corrupted, bits_flipped,
        down_events."""
        return nest(self.stat_pairs())

    def flush(self):
        """Write this link's buffered pcap data to disk."""
        self.sim._lib.shoal_link_flush(self._p())

    def __repr__(self):
        return f"<shoal.Link {self.name!r} {self.a.name}<->{self.b.name}>"
