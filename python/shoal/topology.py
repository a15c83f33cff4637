"""Topology helpers: common shapes in one call, and a small topology file format.

    topo = sim.line(4, delay="1ms")           # n0 - n1 - n2 - n3, a /24 per link, routes
    topo = sim.star(5, delay="1ms")           # n0..n4 around switch "sw", one /24
    topo = sim.tree(2, 3)                     # root t0, 3 children, 9 grandchildren
    topo = sim.mesh(8, 0.3, seed=4)           # random, connected
    topo.nodes, topo.links, topo.switches, topo[0], topo.ip("n1"), topo.subnets

Every helper takes: prefix= (node names are prefix + index), address=True
(give addresses), base="10.0.0.0/8" (the /24s are carved from it in
order), routes= (static routes along shortest paths, so every node reaches
every address; nodes with several links then forward), and the link
keywords of sim.link (delay=, rate=, loss=, ...) for every link.

Addresses: a point-to-point link gets the next /24, its ends .1 and .2 (in
the order the link was made: lower index first); a switch gets one /24,
its nodes .1, .2, ... in port order. Routes: from each node a breadth-first
search (neighbours in link order, so the same call gives the same routes)
picks the next hop to every subnet the node is not on; the next hop used
most becomes the default route and the others stay specific routes. Nodes
get a route table large enough for that (route_count config).

Topology files (JSON; YAML too when Debian's python3-yaml is installed):

    {"nodes":    [{"name": "a"}, {"name": "r", "forwarding": true},
                  {"name": "t", "raw": true}, {"name": "b", "config": {"pbuf_count": 64}}],
     "switches": [{"name": "sw1", "hub": false, "ageing": "300s"}],
     "links":    [{"a": "a", "b": "r", "delay": "1ms", "rate": "10Mbit",
                   "ip": {"a": "10.0.1.1/24", "r": "10.0.1.2/24"}},
                  {"a": "r", "b": "sw1", "ip": {"r": "10.0.2.1/24"}}],
     "routes":   {"a": [{"prefix": "0.0.0.0/0", "via": "10.0.1.2"}]},
     "shape":    {"kind": "line", "n": 3, "delay": "2ms"}}

Every section is optional. "shape" builds one of the helpers' shapes first
(its other keys are the helper's keywords); the other sections then add
to it. shoal.load_topology(sim, path) loads a file and returns a Topology;
`python3 -m shoal run --topology FILE scenario.py` loads it into the sim
before calling scenario(sim) (or scenario(sim, topo) if it takes two
arguments).
"""

import collections
import ipaddress
import json
import os
import random

__all__ = ["Topology", "line", "star", "tree", "mesh", "load_topology", "build_topology"]

_LINK_KEYS = {"delay", "rate", "loss", "jitter", "mtu", "queue", "reorder", "burst", "duplicate",
              "reorder_delay", "corrupt", "ber", "allow_reorder", "name"}


class Topology:
    """What a helper or a topology file built.

    .nodes (stack nodes and raw hosts, in creation order), .links,
    .switches, .kind ("line", "star", "tree", "mesh", "file"), .subnets
    ({link or switch name: "10.0.3.0/24"}), .addresses ({node name:
    [address/len, ...]}); topo[i] / topo["name"], iteration and len() are
    over .nodes. For a tree, .levels is the list of levels (root first).
    """

    def __init__(self, sim, kind):
        self.sim, self.kind = sim, kind
        self.nodes, self.links, self.switches = [], [], []
        self.subnets, self.addresses = {}, {}
        self.levels = []

    def __getitem__(self, key):
        if isinstance(key, str):
            for n in self.nodes + self.switches:
                if n.name == key:
                    return n
            raise KeyError(key)
        return self.nodes[key]

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    def ip(self, node, index=0):
        """The index-th address (without /len) given to node (a node or its name)."""
        name = node if isinstance(node, str) else node.name
        return self.addresses[name][index].split("/")[0]

    def __repr__(self):
        return (f"<shoal.Topology {self.kind} nodes={len(self.nodes)} links={len(self.links)} "
                f"switches={len(self.switches)}>")


# ---- building blocks ----

def _link_kw(kw, where):
    unknown = set(kw) - _LINK_KEYS
    if unknown:
        raise TypeError(f"{where}: unknown keyword(s) {sorted(unknown)} (link keywords: {sorted(_LINK_KEYS)})")
    kw = dict(kw)
    kw.pop("name", None)  # helpers name their links themselves
    return kw


def _subnets(base):
    try:
        net = ipaddress.IPv4Network(base)
    except ValueError as e:
        raise ValueError(f"base={base!r}: {e}") from None
    if net.prefixlen > 24:
        raise ValueError(f"base={base!r} is smaller than one /24")
    return net.subnets(new_prefix=24)


def _check_count(n, what, least=1):
    if isinstance(n, bool) or not isinstance(n, int) or n < least:
        raise ValueError(f"{what} must be an int >= {least}, got {n!r}")


class _Plan:
    """A graph of nodes and segments (p2p links or switches), built before
    anything is created so that each node's route table can be sized."""

    def __init__(self):
        self.names = []               # node names, in creation order
        self.segments = []            # (kind "link"/"switch", name, [node names in port order])

    def routes(self):
        """{node: [(subnet index, next-hop node)]} for every subnet a node is not on."""
        adj = collections.defaultdict(list)   # node -> [(neighbour, segment index)] in segment order
        on = collections.defaultdict(set)     # node -> segment indexes
        for si, (_, _, members) in enumerate(self.segments):
            for m in members:
                on[m].add(si)
                for o in members:
                    if o != m:
                        adj[m].append((o, si))
        out = {}
        for src in self.names:
            first_hop = {src: None}
            queue = collections.deque([src])
            while queue:
                cur = queue.popleft()
                for nb, _ in adj[cur]:
                    if nb not in first_hop:
                        first_hop[nb] = nb if cur == src else first_hop[cur]
                        queue.append(nb)
            seg_hop = {}
            for node in first_hop:  # BFS order: the nearest member of a segment decides
                if node == src:
                    continue
                for si in sorted(on[node]):
                    if si not in on[src] and si not in seg_hop:
                        seg_hop[si] = first_hop[node]
            out[src] = sorted(seg_hop.items())
        return out


def _build(sim, plan, kind, address, base, routes, link_kw, forwarding=None, switch_kw=None, raw=()):
    """Create what plan says; returns the Topology."""
    topo = Topology(sim, kind)
    route_plan = plan.routes() if (address and routes) else {}
    degree = collections.Counter(m for _, _, ms in plan.segments for m in ms)
    for name in plan.names:
        if name in raw:
            topo.nodes.append(sim.raw_host(name))
            continue
        fwd = forwarding(name) if forwarding else (bool(routes) and address and degree[name] > 1)
        cfg = {}
        need = len(route_plan.get(name, ())) + 2
        if need > 8:
            cfg["route_count"] = need
        if degree[name] > 16:
            cfg["netif_count"] = degree[name]
        topo.nodes.append(sim.node(name, forwarding=fwd, **cfg))
    subnets = _subnets(base) if address else None
    seg_net = []
    for kind_, name, members in plan.segments:
        if kind_ == "switch":
            sw = sim.switch(name, **(switch_kw or {}))
            topo.switches.append(sw)
            ports = [sim.link(m, sw, name=f"{m}-{name}", **link_kw) for m in members]
            topo.links.extend(ports)
        else:
            ports = [sim.link(members[0], members[1], name=name, **link_kw)]
            topo.links.extend(ports)
        net = None
        if address:
            try:
                net = next(subnets)
            except StopIteration:
                raise ValueError(f"base={base!r} has too few /24s for this topology") from None
            topo.subnets[name] = str(net)
            hosts = net.hosts()
            for i, m in enumerate(members):
                node = sim[m]
                if m in raw:
                    continue
                link = ports[i] if kind_ == "switch" else ports[0]
                cidr = f"{next(hosts)}/24"
                node.iface(link).set_ip4(cidr)
                topo.addresses.setdefault(m, []).append(cidr)
        seg_net.append((net, members))
    # Routes: next hop's address on the segment shared with it.
    for name, pairs in route_plan.items():
        if name in raw or not pairs:
            continue
        node = sim[name]

        def hop_ip(nb):
            for net, members in seg_net:
                if name in members and nb in members:
                    return str(list(net.hosts())[members.index(nb)])
            raise AssertionError("next hop not on a shared segment")

        counts = collections.Counter(nb for _, nb in pairs)
        default_hop = counts.most_common(1)[0][0]
        node.route_add("0.0.0.0/0", via=hop_ip(default_hop))
        for si, nb in pairs:
            if nb != default_hop:
                node.route_add(str(seg_net[si][0]), via=hop_ip(nb))
    return topo


def _names(prefix, n):
    if not isinstance(prefix, str) or not prefix:
        raise ValueError(f"prefix must be a non-empty string, got {prefix!r}")
    return [f"{prefix}{i}" for i in range(n)]


# ---- the shapes ----

def line(sim, n, prefix="n", address=True, base="10.0.0.0/8", routes=True, **link_kw):
    """n nodes in a chain, n0 - n1 - ... ; a /24 per link; with routes every
    node reaches every address (the inner nodes forward)."""
    _check_count(n, "n")
    kw = _link_kw(link_kw, "line()")
    plan = _Plan()
    plan.names = _names(prefix, n)
    for i in range(n - 1):
        plan.segments.append(("link", f"{plan.names[i]}-{plan.names[i + 1]}", [plan.names[i], plan.names[i + 1]]))
    return _build(sim, plan, "line", address, base, routes, kw)


def star(sim, n, prefix="n", switch="sw", hub=False, ageing="300s", address=True, base="10.0.0.0/8", **link_kw):
    """n nodes linked to one switch (or hub) called `switch`; one /24 for all
    (n0 gets .1, n1 .2, ...). topo.switches[0] is the switch."""
    _check_count(n, "n")
    if n > 253 and address:
        raise ValueError("star(): more than 253 nodes do not fit one /24")
    kw = _link_kw(link_kw, "star()")
    plan = _Plan()
    plan.names = _names(prefix, n)
    plan.segments.append(("switch", switch, list(plan.names)))
    return _build(sim, plan, "star", address, base, False, kw, switch_kw={"hub": hub, "ageing": ageing})


def tree(sim, depth, fanout, prefix="t", address=True, base="10.0.0.0/8", routes=True, **link_kw):
    """A root (prefix0) with `fanout` children, each with `fanout` children,
    `depth` levels below the root; a point-to-point /24 per parent-child link.
    Nodes with children forward; topo.levels lists the levels."""
    _check_count(depth, "depth", 0)
    _check_count(fanout, "fanout")
    kw = _link_kw(link_kw, "tree()")
    plan = _Plan()
    count = sum(fanout ** d for d in range(depth + 1))
    plan.names = _names(prefix, count)
    levels, k = [[plan.names[0]]], 1
    for _ in range(depth):
        level = []
        for parent in levels[-1]:
            for _ in range(fanout):
                child = plan.names[k]
                k += 1
                level.append(child)
                plan.segments.append(("link", f"{parent}-{child}", [parent, child]))
        levels.append(level)
    parents = {p for lvl in levels[:-1] for p in lvl} if depth else set()
    topo = _build(sim, plan, "tree", address, base, routes, kw,
                  forwarding=lambda name: bool(routes) and address and name in parents)
    topo.levels = [[sim[name] for name in lvl] for lvl in levels]
    return topo


def mesh(sim, n, p, seed=None, prefix="m", address=True, base="10.0.0.0/8", routes=True, **link_kw):
    """n nodes; a random spanning tree keeps them connected, then every other
    pair is linked with probability p. Random from seed (default the sim's
    seed), so the same call gives the same mesh. A /24 per link."""
    _check_count(n, "n")
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability 0..1, got {p!r}")
    kw = _link_kw(link_kw, "mesh()")
    rng = random.Random(sim.seed if seed is None else seed)
    names = _names(prefix, n)
    edges = set()
    order = list(range(n))
    rng.shuffle(order)
    for i in range(1, n):  # each node joins one already placed: a random tree
        a, b = order[i], order[rng.randrange(i)]
        edges.add((min(a, b), max(a, b)))
    for a in range(n):
        for b in range(a + 1, n):
            if (a, b) not in edges and rng.random() < p:
                edges.add((a, b))
    plan = _Plan()
    plan.names = names
    for a, b in sorted(edges):
        plan.segments.append(("link", f"{names[a]}-{names[b]}", [names[a], names[b]]))
    return _build(sim, plan, "mesh", address, base, routes, kw)


# ---- topology files ----

_SHAPES = {"line": line, "star": star, "tree": tree, "mesh": mesh}


def _read(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if os.path.splitext(path)[1].lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ValueError(f"{path}: YAML needs Debian's python3-yaml (apt-get install python3-yaml); "
                             f"or write the topology as JSON") from None
        data = yaml.safe_load(text)
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(f"{path}: not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the topology must be a mapping (object) at the top")
    return data


def build_topology(sim, data, where="topology"):
    """Build a topology described by a dict (the parsed file) -> Topology."""
    known = {"nodes", "switches", "links", "routes", "shape", "seed", "name", "description"}
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{where}: unknown section(s) {sorted(unknown)} (known: {sorted(known)})")
    topo = Topology(sim, "file")
    shape = data.get("shape")
    if shape is not None:
        if not isinstance(shape, dict) or shape.get("kind") not in _SHAPES:
            raise ValueError(f"{where}: shape must be {{\"kind\": one of {sorted(_SHAPES)}, ...}}")
        args = {k: v for k, v in shape.items() if k != "kind"}
        try:
            built = _SHAPES[shape["kind"]](sim, **args)
        except TypeError as e:
            raise ValueError(f"{where}: shape: {e}") from None
        topo.kind = built.kind
        topo.nodes, topo.links, topo.switches = built.nodes, built.links, built.switches
        topo.subnets, topo.addresses, topo.levels = built.subnets, built.addresses, built.levels
    for spec in data.get("nodes", []):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise ValueError(f"{where}: each node needs a \"name\", got {spec!r}")
        extra = set(spec) - {"name", "forwarding", "raw", "config"}
        if extra:
            raise ValueError(f"{where}: node {spec['name']!r}: unknown key(s) {sorted(extra)}")
        if spec.get("raw"):
            topo.nodes.append(sim.raw_host(spec["name"]))
        else:
            topo.nodes.append(sim.node(spec["name"], forwarding=bool(spec.get("forwarding", False)),
                                       **spec.get("config", {})))
    for spec in data.get("switches", []):
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise ValueError(f"{where}: each switch needs a \"name\", got {spec!r}")
        extra = set(spec) - {"name", "hub", "ageing", "table_size"}
        if extra:
            raise ValueError(f"{where}: switch {spec['name']!r}: unknown key(s) {sorted(extra)}")
        topo.switches.append(sim.switch(spec["name"], hub=bool(spec.get("hub", False)),
                                        ageing=spec.get("ageing", "300s"), table_size=spec.get("table_size", 1024)))
    for spec in data.get("links", []):
        if not isinstance(spec, dict) or "a" not in spec or "b" not in spec:
            raise ValueError(f"{where}: each link needs \"a\" and \"b\", got {spec!r}")
        kw = {k: v for k, v in spec.items() if k not in ("a", "b", "ip")}
        unknown = set(kw) - _LINK_KEYS
        if unknown:
            raise ValueError(f"{where}: link {spec['a']}-{spec['b']}: unknown key(s) {sorted(unknown)}")
        link = sim.link(spec["a"], spec["b"], **kw)
        topo.links.append(link)
        for node_name, cidr in (spec.get("ip") or {}).items():
            node = sim[node_name]
            node.iface(link).set_ip4(cidr)
            topo.addresses.setdefault(node_name, []).append(cidr)
    for node_name, rts in (data.get("routes") or {}).items():
        node = sim[node_name]
        for r in rts:
            if isinstance(r, (list, tuple)):
                r = {"prefix": r[0], "via": r[1]}
            if not isinstance(r, dict) or "prefix" not in r:
                raise ValueError(f"{where}: route of {node_name!r} needs a prefix, got {r!r}")
            dev = r.get("dev")
            node.route_add(r["prefix"], via=r.get("via"), dev=dev)
    return topo


def load_topology(sim, path):
    """Load a topology file (JSON, or YAML with python3-yaml) into sim -> Topology."""
    path = os.fspath(path)
    return build_topology(sim, _read(path), where=path)
