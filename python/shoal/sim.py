"""Sim: one simulation — a virtual clock, its nodes and links, their pcaps."""

import os

from . import _ffi, _registry
from .errors import ShoalError, UnknownNode, raise_for
from .units import duration_ns, rate_bps

__all__ = ["Sim"]


class Sim:
    """A deterministic simulation. Same seed, same script => identical pcaps.

    Objects made from it (nodes, links, sockets, TCP connections, pings) stay usable until
    close(); afterwards any use raises ShoalError. close() runs at most once
    (also from `with` and from garbage collection).
    """

    def __init__(self, seed=1, pcap_dir=None, progress=False):
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= _ffi.U64_MAX:
            raise ValueError(f"seed must be an int 0..2**64-1, got {seed!r}")
        self._lib = _ffi.load()
        self.seed = seed
        self.pcap_dir = os.fspath(pcap_dir) if pcap_dir is not None else None
        if self.pcap_dir is not None:
            os.makedirs(self.pcap_dir, exist_ok=True)
        self._ptr = self._lib.shoal_sim_new(seed)
        if self._ptr == _ffi.ffi.NULL:
            raise ShoalError("shoal_sim_new failed (out of memory)")
        self._nodes = {}          # name -> Node/RawHost, in creation order
        self._links = {}          # name -> Link, in creation order
        self._sockets = []        # UdpSockets to close before the sim is freed
        self._pings = []          # Pings to free before the sim is freed
        self._tcps = []           # TCP handles (listeners, connections) to free after it
        self._replays = []        # pcap replays (replay.py) to free after it
        self._pcap_paths = []     # shared with the registry (outlives us)
        self._injected = {}       # pcap path -> digests of frames raw hosts sent there
        self._buf = _ffi.ffi.new("uint8_t[]", 65536)
        # Out-parameter cells reused by every call (one thread drives a sim).
        self._c_u64 = _ffi.ffi.new("uint64_t *")
        self._c_u32 = _ffi.ffi.new("uint32_t *")
        self._c_u16 = _ffi.ffi.new("uint16_t *")
        self._c_int = _ffi.ffi.new("int *")
        self._c_name = _ffi.ffi.new("const char **")
        _registry.note(self, self._pcap_paths, self._injected)
        # progress=True (or a file): report virtual time and events per wall
        # second there (default stderr) at most once per wall second (run()).
        self._progress = progress

    # ---- lifetime ----
    @property
    def closed(self):
        return self._ptr is None

    def _p(self):
        """The C pointer; ShoalError once closed."""
        if self._ptr is None:
            raise ShoalError("this simulation is closed")
        return self._ptr

    def excuse(self, link, frame):
        """Excuse one frame on link's pcap from the tshark check (the pytest
        plugin and `shoal run` skip what tshark says about it): for frames a
        test has checked itself whose dissection tshark must get wrong, such
        as an ICMPv6 error quoting a deliberately malformed packet."""
        from .pcapcheck import frame_digest
        if link.pcap_path is not None:
            self._injected.setdefault(link.pcap_path, set()).add(frame_digest(bytes(frame)))

    def flush(self):
        """Write buffered pcap data to disk (the files stay open)."""
        self._p()
        for link in self._links.values():
            if link.pcap_path is not None:
                self._lib.shoal_link_flush(link._ptr)

    def close(self):
        """Flush the pcaps and free the C memory. Later use raises ShoalError."""
        if self._ptr is None:
            return
        lib = self._lib
        # Children first: sockets and pings point into their node's stack.
        for sock in self._sockets:
            if sock._ptr is not None:
                lib.shoal_udp_close(sock._ptr)
                sock._ptr = None
        for ping in self._pings:
            lib.shoal_ping_free(ping._ptr)
            ping._ptr = None
        self._sockets.clear()
        self._pings.clear()
        ptr, self._ptr = self._ptr, None
        lib.shoal_sim_free(ptr)
        # TCP handles last: freed before, live connections would send FINs
        # into the pcaps at close; the sim's free detached them instead.
        for handle in self._tcps:
            lib.shoal_tcp_free(handle._ptr)
            handle._ptr = None
        self._tcps.clear()
        # Replays too: pending events name them until the sim dropped those.
        for replay in self._replays:
            replay._free()
        self._replays.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible to do
            pass

    def _grow(self, n):
        """The shared receive buffer, at least n bytes."""
        if len(self._buf) < n:
            self._buf = _ffi.ffi.new("uint8_t[]", n)
        return self._buf

    def _fn(self, name):
        """A library function that newer builds have; ShoalError if this one lacks it."""
        try:
            return getattr(self._lib, name)
        except AttributeError:
            raise ShoalError(f"{_ffi.lib_path()} has no {name} (an older build, or not implemented yet); "
                             f"rebuild it ({_ffi.BUILD_HINT})") from None

    def _raise(self, code, what):
        raise_for(code, what, _ffi.strerror)

    # ---- time ----
    @property
    def now_ns(self):
        """Virtual time in nanoseconds (int)."""
        return self._lib.shoal_sim_now(self._p())

    @property
    def now(self):
        """Virtual time in seconds (float)."""
        return self.now_ns / 1e9

    @property
    def events(self):
        """Events processed so far."""
        return self._lib.shoal_sim_events_run(self._p())

    @property
    def next_event_ns(self):
        """Time of the next pending event (ns), or None when nothing is pending."""
        t = self._lib.shoal_sim_next_event(self._p())
        return None if t == _ffi.U64_MAX else t

    def run(self, until=None, duration=None):
        """Run to absolute virtual time `until`, or for `duration` from now.

        Both take seconds or strings with units ("500ms"). Afterwards
        sim.now equals the target time.
        """
        if (until is None) == (duration is None):
            raise TypeError("run() takes exactly one of until= or duration=")
        ptr = self._p()
        now = self._lib.shoal_sim_now(ptr)
        if until is not None:
            target = duration_ns(until, "until")
            if target < now:
                raise ValueError(f"until={until!r} is in the past (now is {now / 1e9}s)")
        else:
            target = now + duration_ns(duration, "duration")
            if target > _ffi.U64_MAX:
                raise ValueError("duration runs past the end of virtual time")
        if self._progress:
            from .progress import run_with_progress
            run_with_progress(self, target)
        else:
            self._lib.shoal_sim_run_until(ptr, target)

    def step(self, limit=None):
        """Run the next instant's events if due by `limit` (default: whenever).

        Returns True if an instant ran; False if none was due (then the clock
        moves to `limit`, or stays put when limit is None).
        """
        ptr = self._p()
        if limit is None:
            t = self._lib.shoal_sim_next_event(ptr)
            if t == _ffi.U64_MAX:
                return False
            return bool(self._lib.shoal_sim_step(ptr, t))
        return bool(self._lib.shoal_sim_step(ptr, duration_ns(limit, "limit")))

    def run_until(self, pred, timeout):
        """Run instant by instant until pred() is true or `timeout` passed.

        pred is checked first and then after each instant of virtual time, so
        Python code in it (e.g. an echo server) answers in the same instant.
        Returns True if pred became true, False on timeout (then now advanced
        by exactly `timeout`).
        """
        if pred():
            return True
        ptr = self._p()
        lib = self._lib
        limit = lib.shoal_sim_now(ptr) + duration_ns(timeout, "timeout")
        if self._realtime_checked():
            # Realtime (a TAP, tap.py): pred may watch the host (a process
            # ending), so look at it at least every 10 ms of waiting too.
            while True:
                now = lib.shoal_sim_now(ptr)
                if now >= limit:
                    return False
                lib.shoal_sim_step(ptr, min(limit, now + 10_000_000))
                if pred():
                    return True
        if self._progress:  # progress lines as run() gives (progress.py)
            from .progress import ticker
            tick = ticker(self, limit)
            while lib.shoal_sim_step(ptr, limit):
                if pred():
                    return True
                tick()
            return False
        while lib.shoal_sim_step(ptr, limit):
            if pred():
                return True
        return False

    # ---- nodes ----
    def _new_endpoint(self, cls, name, *args):
        if not isinstance(name, str) or not name or "\0" in name:
            raise ValueError(f"a node name must be a non-empty string, got {name!r}")
        if name in self._nodes:
            raise ValueError(f"a node named {name!r} already exists")
        node = cls(self, name, *args)
        self._nodes[name] = node
        return node

    def node(self, name, forwarding=False, **config):
        """A new stack instance. forwarding=True makes it a router.

        Keyword arguments override the stack's configuration by name, e.g.
        sim.node("a", pbuf_count=16); an unknown name or a rejected value
        raises ShoalError.
        """
        from .node import Node
        return self._new_endpoint(Node, name, bool(forwarding), config)

    def raw_host(self, name):
        """A new raw host: frames in and out from Python (Scapy or bytes)."""
        from .node import RawHost
        return self._new_endpoint(RawHost, name)

    def get(self, name):
        """The node or raw host called `name` (UnknownNode if none)."""
        try:
            return self._nodes[name]
        except (KeyError, TypeError):
            known = ", ".join(self._nodes) or "none yet"
            raise UnknownNode(f"no node named {name!r} (nodes: {known})") from None

    __getitem__ = get

    def __contains__(self, name):
        return name in self._nodes

    @property
    def nodes(self):
        """All nodes and raw hosts, in creation order (switches: sim.switches)."""
        from .switch import Switch
        return [n for n in self._nodes.values() if not isinstance(n, Switch)]

    def _endpoint(self, x, what):
        from .node import Endpoint
        if isinstance(x, Endpoint):
            if x.sim is not self:
                raise ValueError(f"{what}: {x!r} belongs to another simulation")
            return x
        return self.get(x)

    # ---- links ----
    def link(self, a, b, delay=0, rate=0, loss=0.0, jitter=0, mtu=1500, queue=0, reorder=False,
             name=None, *, burst=None, duplicate=0.0, reorder_delay=0, corrupt=0.0, ber=0.0,
             allow_reorder=None):
        """An Ethernet point-to-point link between a and b (nodes or names).

        delay, jitter: seconds or "5ms"; rate: bits/s or "10Mbit" (0 = no
        serialisation delay); loss: independent loss probability 0..1; mtu:
        largest payload after the 14-byte header; queue: frames that may
        wait for the wire (0 = unlimited).

        reorder: True/False says whether jitter may reorder frames (as
        allow_reorder=); a number 0..1 is instead the probability that a
        frame is held back an extra reorder_delay (required then, e.g.
        "5ms") and overtaken by the frames after it.
        burst: Gilbert-Elliott burst loss, dict(p=0.01, r=0.3, loss_bad=1.0,
        loss_good=0.0): each frame the chain steps good->bad with p,
        bad->good with r, then the frame is lost with its state's loss
        probability (defaults 1.0 bad, 0.0 good: mean burst 1/r frames,
        long-run loss p/(p+r)). None: off.
        duplicate: probability that a frame arrives twice (the copy in the
        same instant, right after the original, taking no wire time).
        corrupt: probability that one random bit after the Ethernet header
        flips (so the IP/ICMP/UDP/TCP checksums catch it; ARP has none);
        ber: bit error rate, each bit after the header flips independently.
        All impairments apply per direction, each direction with its own
        random stream; link.set() changes them later. The pcap holds every
        frame once, as sent (before corruption); link.stats counts drops by
        cause, duplicated, reordered, corrupted.
        """
        from .link import Link, fill_impair
        a = self._endpoint(a, "link end a")
        b = self._endpoint(b, "link end b")
        if a is b:
            raise ValueError(f"cannot link {a.name!r} to itself")
        if name is None:
            base = f"{a.name}-{b.name}"
            name, n = base, 2
            while name in self._links:
                name, n = f"{base}-{n}", n + 1
        elif not isinstance(name, str) or not name or "\0" in name:
            raise ValueError(f"a link name must be a non-empty string, got {name!r}")
        elif name in self._links:
            raise ValueError(f"a link named {name!r} already exists")
        if isinstance(loss, bool) or not isinstance(loss, (int, float)) or not 0.0 <= loss <= 1.0:
            raise ValueError(f"loss must be a probability 0..1, got {loss!r}")
        for label, v in (("mtu", mtu), ("queue", queue)):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < 2**32:
                raise ValueError(f"{label} must be an int 0..2**32-1, got {v!r}")
        if 0 < mtu < 68:  # RFC 791: every internet module must pass 68 octets
            raise ValueError(f"mtu {mtu} is below IPv4's minimum of 68")
        if isinstance(reorder, bool):
            if allow_reorder is not None and bool(allow_reorder) != reorder:
                raise ValueError(f"reorder={reorder} contradicts allow_reorder={allow_reorder}")
            allow_reorder, reorder_prob = reorder, 0.0
        else:
            reorder_prob = reorder
        # The newer impairments go through the same path as link.set(), at
        # creation time, so both validate alike.
        impair = fill_impair(_ffi.ffi.new("shoal_link_impair *"), _ffi.ffi.new("shoal_link_impair *"),
                             reorder=reorder_prob, reorder_delay=reorder_delay, burst=burst,
                             duplicate=duplicate, corrupt=corrupt, ber=ber)
        params = _ffi.ffi.new("shoal_link_params *")
        params.rate_bps = rate_bps(rate)
        params.delay_ns = duration_ns(delay, "delay")
        params.jitter_ns = duration_ns(jitter, "jitter")
        params.loss = float(loss)
        params.mtu = mtu
        params.queue_frames = queue
        params.allow_reorder = 1 if allow_reorder else 0
        pcap_path = None
        if self.pcap_dir is not None:
            pcap_path = os.path.join(self.pcap_dir, name.replace(os.sep, "_") + ".pcap")
        link = Link(self, a, b, name, params, pcap_path, impair)
        self._links[name] = link
        if pcap_path is not None:
            self._pcap_paths.append(pcap_path)
            self._injected[pcap_path] = set()
        return link

    @property
    def links(self):
        """All links, in creation order."""
        return list(self._links.values())

    def get_link(self, name):
        """The link called `name` (KeyError if none)."""
        return self._links[name]

    @property
    def pcaps(self):
        """Paths of this simulation's pcap files, one per link."""
        return list(self._pcap_paths)

    # ---- replay and TAP bridge (replay.py, tap.py) ----
    def _iface_of(self, into, what):
        """An Iface from an Iface, or a node (or name) with exactly one interface."""
        from .node import Iface
        if isinstance(into, Iface):
            if into.node.sim is not self:
                raise ValueError(f"{what}: {into!r} belongs to another simulation")
            return into
        node = self._endpoint(into, what)
        ifaces = node.ifaces
        if len(ifaces) != 1:
            raise ValueError(f"{what}: {node.name!r} has {len(ifaces)} interfaces; pass one, "
                             f"e.g. {node.name}.iface(link)")
        return ifaces[0]

    def replay(self, path, into, rewrite=None, *, rewrite_mac=False, rewrite_ip=None, at=None, filter=None,
               skip_own=True, src_mac=None):
        """Replay the capture at `path` into a port -> shoal.replay.Replay.

        into: an Iface, or a node (or name) with one interface. The first
        frame arrives now (or at virtual time `at`), the others at their
        recorded offsets from it; they reach the port directly and appear in
        its link's pcap. Captures: pcap or pcapng, Ethernet, raw IP (wrapped
        in an Ethernet header addressed to the port, from src_mac, default
        the link's other end) or Linux cooked.
        rewrite_mac: unicast destination MACs become the port's.
        rewrite_ip: {"old": "new"} (or ["old=new", "old"]; a missing new is
        the port's address): IPv4 addresses in IPv4 and ARP, checksums
        updated (RFC 1624; a bad one stays bad). rewrite=True is
        rewrite_mac=True; rewrite={...} is rewrite_ip={...} with rewrite_mac.
        filter: a libpcap expression ("udp port 53") selecting frames.
        skip_own: skip frames whose source MAC is the port's own (a capture
        of the node's link holds its responses too).
        Run the simulation to play it (replay.wait(timeout) does).
        """
        from .replay import Replay
        if rewrite is True:
            rewrite_mac = True
        elif isinstance(rewrite, (dict, list, tuple, str)):
            rewrite_mac, rewrite_ip = True, rewrite
        elif rewrite not in (None, False):
            raise ValueError(f"rewrite must be True, or a dict {{old IP: new IP}}, got {rewrite!r}")
        iface = self._iface_of(into, "replay into")
        return Replay(self, path, iface, rewrite_mac=rewrite_mac, rewrite_ip=rewrite_ip, at=at, filter=filter,
                      skip_own=skip_own, src_mac=src_mac)

    def tap(self, node, ifname="shoaltap0", netns=None, name=None, mtu=1500):
        """Join `node` (a node, raw host or switch, or its name) to the Linux TAP
        device `ifname` -> shoal.tap.TapLink; node.iface(tap) is its port.

        The device is attached if it exists (e.g. `ip tuntap add dev X mode
        tap`), else created (and removed when the sim closes). netns: the
        network namespace (name or path) to find it in; default ours. From
        then on the simulation runs in realtime (see shoal.tap). Needs root.
        """
        from .tap import TapLink
        node = self._endpoint(node, "tap node")
        if name is None:
            base = f"{node.name}-{ifname}"
            name, n = base, 2
            while name in self._links:
                name, n = f"{base}-{n}", n + 1
        elif not isinstance(name, str) or not name or "\0" in name:
            raise ValueError(f"a link name must be a non-empty string, got {name!r}")
        elif name in self._links:
            raise ValueError(f"a link named {name!r} already exists")
        if isinstance(mtu, bool) or not isinstance(mtu, int) or not 68 <= mtu <= 65535:
            raise ValueError(f"mtu must be an int 68..65535, got {mtu!r}")
        pcap_path = None
        if self.pcap_dir is not None:
            pcap_path = os.path.join(self.pcap_dir, name.replace(os.sep, "_") + ".pcap")
        link = TapLink(self, node, ifname, netns, name, mtu, pcap_path)
        self._links[name] = link
        if pcap_path is not None:
            self._pcap_paths.append(pcap_path)
            self._injected.setdefault(pcap_path, set())
        return link

    @property
    def realtime(self):
        """True once a TAP bridge made this simulation keep pace with the wall clock."""
        return bool(self._fn("shoal_sim_is_realtime")(self._p()))

    def _realtime_checked(self):
        """sim.realtime without the lookup cost once known (it never turns off)."""
        if not self.__dict__.get("_is_realtime"):
            self._is_realtime = bool(getattr(self._lib, "shoal_sim_is_realtime", lambda p: 0)(self._p()))
        return self._is_realtime
    # ---- end of replay and TAP bridge ----


    # ---- switches and topologies (switch.py, topology.py) ----
    def switch(self, name, hub=False, ageing="300s", table_size=1024):
        """A new Ethernet switch (hub=True: a hub) -> shoal.switch.Switch.

        Its name is taken among nodes. Link nodes to it with
        sim.link(node, sw, delay=..., ...): each such link is a port with its
        own impairments and pcap. ageing: forget an address not seen for
        that long (None or 0: never); table_size: most addresses learnt.
        """
        from .switch import Switch
        return self._new_endpoint(Switch, name, hub, ageing, table_size)

    @property
    def switches(self):
        """All switches and hubs, in creation order."""
        from .switch import Switch
        return [n for n in self._nodes.values() if isinstance(n, Switch)]

    def line(self, n, **kw):
        """n nodes in a chain -> shoal.topology.Topology (see there)."""
        from .topology import line
        return line(self, n, **kw)

    def star(self, n, **kw):
        """n nodes around one switch -> shoal.topology.Topology."""
        from .topology import star
        return star(self, n, **kw)

    def tree(self, depth, fanout, **kw):
        """A tree of routers, depth levels below the root -> shoal.topology.Topology."""
        from .topology import tree
        return tree(self, depth, fanout, **kw)

    def mesh(self, n, p, seed=None, **kw):
        """n nodes, each pair linked with probability p, always connected -> Topology."""
        from .topology import mesh
        return mesh(self, n, p, seed=seed, **kw)
    # ---- end of switches and topologies ----

    def __repr__(self):
        state = "closed" if self.closed else f"now={self.now}s"
        return f"<shoal.Sim seed={self.seed} {state} nodes={len(self._nodes)} links={len(self._links)}>"
