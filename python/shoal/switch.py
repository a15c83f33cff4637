"""Switch: an Ethernet learning switch (or a hub) with many ports.

    sw = sim.switch("sw1", hub=False, ageing="300s")
    la = sim.link(a, sw, delay="1ms")      # a port: a point-to-point segment a <-> sw
    lb = sim.link(b, sw, delay="1ms", loss=0.01)
    sw.mac_table()                          # [{"mac": ..., "link": la, "node": a, "age": ...}, ...]
    sw.partition([[a], [b]], at="2s"); sw.heal(at="3s")

Each port is an ordinary shoal.Link between the node and the switch, so it
has its own impairments (per direction: sender=node for node->switch,
sender=sw for switch->node), link.set/down/up at virtual times, counters
and pcap (<pcap_dir>/<link name>.pcap: both directions of that segment, as
the node's NIC would see them). Switching takes no virtual time. A learning
switch learns source addresses, forwards known unicast out of one port,
filters frames for the ingress port, floods broadcast, multicast and
unknown unicast to every other port, forgets addresses after `ageing`, and
holds at most `table_size` of them; a hub floods everything. There is no
spanning tree: do not build loops of switches.
"""

from . import _ffi
from .addr import mac_str
from .node import Endpoint, Iface
from .stats import nest
from .units import duration_ns

__all__ = ["Switch", "at_ns"]


def at_ns(sim, at, after):
    """Absolute virtual time (ns) of at= (absolute) or after= (from now); now when neither."""
    now = sim.now_ns
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


class Switch(Endpoint):
    """Made by sim.switch(name, hub=False, ageing="300s", table_size=1024)."""

    def __init__(self, sim, name, hub=False, ageing="300s", table_size=1024):
        ageing_ns = 0 if ageing is None else duration_ns(ageing, "ageing")
        if isinstance(table_size, bool) or not isinstance(table_size, int) or not 1 <= table_size <= 1 << 20:
            raise ValueError(f"table_size must be an int 1..{1 << 20}, got {table_size!r}")
        ptr = sim._fn("shoal_switch_new")(sim._p(), name.encode(), int(bool(hub)), ageing_ns, table_size)
        super().__init__(sim, name, ptr)
        self.hub, self.ageing_ns, self.table_size = bool(hub), ageing_ns, table_size

    @property
    def ports(self):
        """The links to this switch (its ports), in creation order."""
        return self.links

    def _port_links(self):
        return {link.ifindex(self): link for link in self.links}

    def mac_table(self):
        """The addresses learnt and not yet aged, sorted by port then MAC.

        Each entry: {"mac": "02:00:...", "link": the port's Link, "node": the
        endpoint at the port's other end, "port": the switch's port number,
        "age": seconds since last seen, "age_ns": the same in ns}. A hub's is empty.
        """
        sim = self.sim
        lib, ptr = sim._lib, self._p()
        mac, port, age = _ffi.ffi.new("uint8_t[6]"), sim._c_int, sim._c_u64
        by_port = self._port_links()
        out, i = [], 0
        while True:
            rc = lib.shoal_switch_mac_entry(ptr, i, mac, port, age)
            if rc < 0:
                sim._raise(rc, f"{self.name}.mac_table()")
            if rc == 0:
                break
            link = by_port.get(port[0])
            other = None
            if link is not None:
                other = link.b if link.a is self else link.a
            out.append({"mac": mac_str(_ffi.ffi.buffer(mac, 6)), "link": link, "node": other, "port": port[0],
                        "age": age[0] / 1e9, "age_ns": age[0]})
            i += 1
        out.sort(key=lambda e: (e["port"], e["mac"]))
        return out

    # ---- partitions (scheduled faults) ----
    def _ports_of(self, member):
        """Port numbers of a group member: a node (or its name), a Link or an Iface."""
        from .link import Link
        if isinstance(member, Iface):
            member = member.link
        if isinstance(member, Link):
            if self not in member.ends:
                raise ValueError(f"{member!r} is not a port of switch {self.name!r}")
            return [member.ifindex(self)]
        node = self.sim._endpoint(member, "partition member")
        ports = [l.ifindex(self) for l in self.links if node in l.ends and node is not self]
        if not ports:
            raise ValueError(f"{node.name!r} is not linked to switch {self.name!r}")
        return ports

    def partition(self, groups, at=None, after=None):
        """Split the ports into groups, now or at virtual time at= (or after=).

        groups: a list of lists of nodes (or names, Links, Ifaces), e.g.
        [[a, b], [c]]: frames never cross between groups. Ports named in
        no group form one more group together. The MAC table is kept.
        """
        t = at_ns(self.sim, at, after)
        if isinstance(groups, (str, bytes)) or not all(isinstance(g, (list, tuple, set)) for g in groups):
            raise ValueError(f"groups must be a list of lists of nodes, got {groups!r}")
        by_port = {}
        for gid, group in enumerate(groups, start=1):
            for member in group:
                for p in self._ports_of(member):
                    if p in by_port and by_port[p] != gid:
                        raise ValueError(f"{member!r} is in two groups of {self.name!r}.partition()")
                    by_port[p] = gid
        n = max(by_port, default=0)
        arr = _ffi.ffi.new("uint32_t[]", [by_port.get(i, 0) for i in range(1, n + 1)] or [0])
        rc = self.sim._lib.shoal_switch_partition(self._p(), arr, n, t)
        if rc < 0:
            self.sim._raise(rc, f"{self.name}.partition()")

    def heal(self, at=None, after=None):
        """End any partition, now or at virtual time at= (or after=)."""
        rc = self.sim._lib.shoal_switch_partition(self._p(), _ffi.ffi.NULL, 0, at_ns(self.sim, at, after))
        if rc < 0:
            self.sim._raise(rc, f"{self.name}.heal()")

    # ---- counters ----
    def stat_pairs(self):
        """The switch's counters as (name, value) pairs."""
        sim = self.sim
        lib, ptr, name, value = sim._lib, self._p(), sim._c_name, sim._c_u64
        pairs, i = [], 0
        while lib.shoal_node_stat(ptr, i, name, value) > 0:
            pairs.append((_ffi.ffi.string(name[0]).decode(), value[0]))
            i += 1
        return pairs

    @property
    def stats(self):
        """Counters: frames_in, forwarded, flooded, filtered, drop and drop_<cause>
        (partition, bad_src, reserved, runt), learned, moved, aged, flushed, table_full."""
        return nest(self.stat_pairs())

    def __repr__(self):
        return f"<shoal.Switch {self.name!r}{' hub' if self.hub else ''} ports={len(self.links)}>"
