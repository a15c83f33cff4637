"""IPv6 on stack nodes: the Python side of binding_ip6.c.

    i = node.iface(link)
    i.add_ip6("2001:db8:1::1/64")           # tentative while DAD runs (RFC 4862 5.4)
    i.slaac()                                # link-local, RS, addresses from RAs
    i.ip6, i.ip6_linklocal, i.ip6_addrs     # usable addresses / every slot with its state
    r.iface(link).advertise("2001:db8:1::/64")   # router mode (RFC 4861 6.2)
    node.route_add("2001:db8:2::/64", via="fe80::1", dev=link)
    node.neighbors6(), node.routers6(), node.prefixes6()
    i.dhcp6(); r.dhcp6_server(link, dns=["2001:db8::53"])   # stateless DHCPv6

node.py's Iface and Node keep thin methods that call in here, so the
argument checks live in one place. Addresses come back as strings; scoped
(link-local) ones carry "%<netif index>".
"""

import re

from . import _ffi
from .addr import ip6_iface_cidr, ip6_is_scoped, ip6_parse, ip6_route_prefix, ip6_str, mac_str
from .errors import AddressError, ShoalError
from .units import duration_ns

__all__ = ["Dhcp6Client", "Dhcp6Server", "lifetime_s"]

_NS = 1_000_000_000
_U64_MAX = 2**64 - 1
_INFINITE_LIFETIME = 0xFFFFFFFF  # RFC 4861 4.6.2: all ones = infinity

_IID_MODES = {"stable": 0, "eui64": 1, "random": 2}
_ADDR_STATES = {1: "tentative", 2: "preferred", 3: "deprecated", 4: "duplicated"}
_NEIGHBOR_STATES = {1: "INCOMPLETE", 2: "REACHABLE", 3: "STALE", 4: "DELAY", 5: "PROBE"}
_DHCP6_STATES = {0: "off", 1: "requesting", 2: "done"}
_FLAG_AUTOCONF, _FLAG_TEMPORARY = 0x02, 0x08


def _secs(ns):
    return None if ns == _U64_MAX else ns / _NS


def _no_raw(iface_or_node, what):
    from .node import RawHost
    node = getattr(iface_or_node, "node", iface_or_node)
    if isinstance(node, RawHost):
        raise ShoalError(f"{node.name!r} is a raw host: it has no IP stack ({what})")


def _check(sim, rc, what):
    if rc < 0:
        sim._raise(rc, what)
    return rc


def _c16(b):
    return _ffi.ffi.new("uint8_t[16]", bytes(b))


_DAYS_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*d\s*$")


def lifetime_s(value, what):
    """Whole seconds for an RA lifetime: a duration ("30d", "7200s", 3600),
    or None / "infinite" for infinity (0xffffffff, RFC 4861 4.6.2)."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ("infinite", "infinity", "inf")):
        return _INFINITE_LIFETIME
    m = _DAYS_RE.match(value) if isinstance(value, str) else None
    ns = round(float(m.group(1)) * 86400 * _NS) if m else duration_ns(value, what)
    secs = round(ns / _NS)
    if secs >= _INFINITE_LIFETIME:
        raise ValueError(f"{what}: {value!r} is too long (write None or 'infinite' for infinity)")
    return secs


def _ms(value, what):
    return round(duration_ns(value, what) / 1_000_000)


# ---- zones: which interface a link-local address belongs to ----

def zone_for(node, zone, addr_text, dev=None):
    """The netif index for a scoped address of node: its "%N" zone, else
    dev's, else the node's only interface. ShoalError when it cannot tell
    or when the zone is not one of the node's interfaces (RFC 4007 6, 11.2)."""
    indexes = {i.index for i in node.ifaces}
    if dev is not None:
        if zone and zone != dev.index:
            raise ShoalError(f"{addr_text!r}: zone %{zone} is not {dev!r}")
        return dev.index
    if zone:
        if zone not in indexes:
            raise ShoalError(f"{addr_text!r}: {node.name!r} has no interface with index {zone}")
        return zone
    if len(indexes) == 1:
        return next(iter(indexes))
    raise ShoalError(f"{addr_text!r} is link-local: say which of {node.name!r}'s {len(indexes)} interfaces "
                     f"with a zone ('{addr_text}%<ifindex>')")


# ---- interface: addresses and SLAAC ----

def add_ip6(iface, cidr, dad=True):
    _no_raw(iface, "add_ip6")
    b, plen = ip6_iface_cidr(cidr)
    sim = iface.node.sim
    rc = sim._fn("shoal_iface_add_ip6")(iface._p(), iface.index, _c16(b), plen, 1 if dad else 0)
    _check(sim, rc, f"{iface!r}.add_ip6({cidr!r})")


def del_ip6(iface, addr):
    _no_raw(iface, "del_ip6")
    b, zone = ip6_parse(addr, "del_ip6 address")
    if zone and zone != iface.index:
        raise ShoalError(f"{iface!r}.del_ip6({addr!r}): the zone is another interface's")
    sim = iface.node.sim
    rc = sim._fn("shoal_iface_del_ip6")(iface._p(), iface.index, _c16(b))
    _check(sim, rc, f"{iface!r}.del_ip6({addr!r})")


def enable(iface, iid="stable", autoconf=True):
    """IPv6 on: link-local with DAD; with autoconf, RSs and SLAAC from RAs."""
    _no_raw(iface, "slaac")
    if iid not in _IID_MODES:
        raise ValueError(f"iid must be one of {sorted(_IID_MODES)}, not {iid!r}")
    sim = iface.node.sim
    rc = sim._fn("shoal_iface_enable_ip6")(iface._p(), iface.index, _IID_MODES[iid], 1 if autoconf else 0)
    _check(sim, rc, f"{iface!r}.slaac(iid={iid!r}, autoconf={autoconf})")


def addrs(iface):
    """Every address slot in use, with its state and lifetimes."""
    from .node import RawHost
    if isinstance(iface.node, RawHost):
        return []
    sim = iface.node.sim
    fn, ptr = sim._fn("shoal_iface_ip6_addr"), iface._p()
    info = _ffi.ffi.new("shoal_ip6_addr_info *")
    out, k = [], 0
    while _check(sim, fn(ptr, iface.index, k, info), f"{iface!r}.ip6_addrs") > 0:
        out.append({
            "addr": ip6_str(bytes(info.addr), info.zone),
            "prefix_len": info.prefix_len,
            "state": _ADDR_STATES.get(info.state, f"state {info.state}"),
            "autoconf": bool(info.flags & _FLAG_AUTOCONF),
            "temporary": bool(info.flags & _FLAG_TEMPORARY),
            "preferred_lft": _secs(info.preferred_left_ns),
            "valid_lft": _secs(info.valid_left_ns),
        })
        k += 1
    return out


def usable(iface):
    """Preferred or deprecated addresses as strings, link-local first."""
    got = [a["addr"] for a in addrs(iface) if a["state"] in ("preferred", "deprecated")]
    return sorted(got, key=lambda a: 0 if ip6_is_scoped(ip6_parse(a)[0]) else 1)


def linklocal(iface):
    for a in usable(iface):
        if "%" in a:
            return a
    return None


def info(iface):
    """The interface's IPv6/ND variables as a dict."""
    _no_raw(iface, "IPv6 interface information")
    sim = iface.node.sim
    i = _ffi.ffi.new("shoal_iface_ip6_info *")
    _check(sim, sim._fn("shoal_iface_ip6_info_get")(iface._p(), iface.index, i), f"{iface!r} IPv6 info")
    return {
        "enabled": bool(i.enabled), "autoconf": bool(i.autoconf), "hop_limit": i.hop_limit, "mtu": i.mtu,
        "base_reachable_time": i.base_reachable_ms / 1000, "reachable_time": i.reachable_ms / 1000,
        "retrans_timer": i.retrans_ms / 1000, "advertising": bool(i.advertising),
    }


# ---- interface: router mode (RFC 4861 6.2) ----

def advertise(iface, prefix=None, on_link=True, autonomous=True, valid="30d", preferred="7d", min_interval=None,
              max_interval="600s", router_lifetime="1800s", mtu=None, hop_limit=64, managed=False,
              other_config=False, rdnss=None):
    """Start (or update) router mode on iface, advertising prefix if given.

    Limits of RFC 4861 6.2.1: MaxRtrAdvInterval 4..1800 s, MinRtrAdvInterval
    3 s..0.75 * max (default 0.33 * max, at least 3 s; 0.75 * max below
    9 s), AdvDefaultLifetime 0 or max..9000 s. A prefix's preferred lifetime
    may not exceed its valid lifetime (RFC 4862 5.5.3 c).
    """
    _no_raw(iface, "advertise")
    node = iface.node
    if not node.forwarding:
        raise ShoalError(f"{iface!r}.advertise(): {node.name!r} is not a router "
                         f"(make it with sim.node({node.name!r}, forwarding=True))")
    cfg = _ffi.ffi.new("shoal_ra_config *")
    max_ms = _ms(max_interval, "max_interval")
    if not 4000 <= max_ms <= 1_800_000:
        raise ValueError(f"max_interval {max_interval!r} must be 4 s..1800 s (RFC 4861 6.2.1)")
    if min_interval is None:
        min_ms = max(3000, round(0.33 * max_ms)) if max_ms >= 9000 else round(0.75 * max_ms)
    else:
        min_ms = _ms(min_interval, "min_interval")
        if not 3000 <= min_ms <= 0.75 * max_ms:
            raise ValueError(f"min_interval {min_interval!r} must be 3 s..0.75 * max_interval (RFC 4861 6.2.1)")
    life_ms = _ms(router_lifetime, "router_lifetime")
    if life_ms % 1000 or not (life_ms == 0 or max_ms <= life_ms <= 9_000_000):
        raise ValueError(f"router_lifetime {router_lifetime!r} must be 0 or whole seconds from max_interval "
                         f"to 9000 s (RFC 4861 6.2.1)")
    if isinstance(hop_limit, bool) or not isinstance(hop_limit, int) or not 0 <= hop_limit <= 255:
        raise ValueError(f"hop_limit must be an int 0..255 (0: unspecified), not {hop_limit!r}")
    if mtu is not None and (isinstance(mtu, bool) or not isinstance(mtu, int) or not 1280 <= mtu <= 65535):
        raise ValueError(f"mtu must be None or an int 1280..65535 (RFC 8200 5), not {mtu!r}")
    cfg.min_interval_ms, cfg.max_interval_ms = min_ms, max_ms
    cfg.router_lifetime_s = life_ms // 1000
    cfg.cur_hop_limit = hop_limit
    cfg.managed, cfg.other_config = int(bool(managed)), int(bool(other_config))
    cfg.mtu = mtu or 0
    if rdnss is not None:
        servers = [rdnss] if isinstance(rdnss, str) else list(rdnss)
        if len(servers) > 1:
            raise ValueError(f"rdnss: the RAs carry one server, got {len(servers)}")
        if servers:
            b, _ = ip6_parse(servers[0], "rdnss")
            cfg.rdnss = list(b)
    has_prefix, pb, plen, valid_s, pref_s = 0, bytes(16), 0, 0, 0
    if prefix is not None:
        pb, plen = ip6_route_prefix(prefix)
        if plen == 0:
            raise AddressError(f"advertised prefix {prefix!r}: length must be 1..128")
        valid_s, pref_s = lifetime_s(valid, "valid"), lifetime_s(preferred, "preferred")
        if pref_s > valid_s:
            raise ValueError(f"preferred lifetime {preferred!r} exceeds valid lifetime {valid!r} (RFC 4862 5.5.3)")
        has_prefix = 1
    if not info(iface)["enabled"]:
        enable(iface, autoconf=False)  # RAs come from a link-local address (RFC 4861 6.1.2)
    sim = node.sim
    rc = sim._fn("shoal_iface_advertise")(iface._p(), iface.index, cfg, has_prefix, _c16(pb), plen,
                                         int(bool(on_link)), int(bool(autonomous)), valid_s, pref_s)
    _check(sim, rc, f"{iface!r}.advertise({prefix!r})")


def advertise_stop(iface):
    _no_raw(iface, "advertise_stop")
    sim = iface.node.sim
    _check(sim, sim._fn("shoal_iface_advertise_stop")(iface._p(), iface.index), f"{iface!r}.advertise_stop()")


# ---- multicast (MLDv1, RFC 2710) ----

def mld(iface, group, join):
    _no_raw(iface, "join" if join else "leave")
    b, zone = ip6_parse(group, "multicast group")
    if b[0] != 0xFF:
        raise ValueError(f"{group!r} is not an IPv6 multicast address (ff00::/8)")
    if zone and zone != iface.index:
        raise ShoalError(f"{iface!r}: group {group!r} is zoned to another interface")
    sim = iface.node.sim
    rc = sim._fn("shoal_iface_mld6")(iface._p(), iface.index, _c16(b), 1 if join else 0)
    _check(sim, rc, f"{iface!r}.{'join' if join else 'leave'}({group!r})")


# ---- node: routes and ND views ----

def route_add(node, prefix, via=None, dev=None):
    pb, plen = ip6_route_prefix(prefix)
    ifindex, vb = 0, None
    if dev is not None:
        ifindex = dev.index
    if via is not None:
        vb, zone = ip6_parse(via, "via")
        if ip6_is_scoped(vb):
            ifindex = zone_for(node, zone, via, dev)
    sim = node.sim
    rc = sim._fn("shoal_node_route6_add")(node._p(), _c16(pb), plen, _ffi.ffi.NULL if vb is None else _c16(vb),
                                         ifindex)
    _check(sim, rc, f"{node.name}.route_add({prefix!r}, via={via!r})")


def route_del(node, prefix):
    pb, plen = ip6_route_prefix(prefix)
    sim = node.sim
    _check(sim, sim._fn("shoal_node_route6_del")(node._p(), _c16(pb), plen), f"{node.name}.route_del({prefix!r})")


def _entries(node, fn_name, ctype, convert):
    sim = node.sim
    fn, ptr = sim._fn(fn_name), node._p()
    e = _ffi.ffi.new(ctype)
    out, k = [], 0
    while _check(sim, fn(ptr, k, e), f"{node.name}: {fn_name}") > 0:
        out.append(convert(e))
        k += 1
    return out


def neighbors6(node):
    return _entries(node, "shoal_node_neighbor6", "shoal_nd6_neighbor *", lambda e: {
        "ip": ip6_str(bytes(e.ip), e.zone), "mac": mac_str(bytes(e.mac)),
        "state": _NEIGHBOR_STATES.get(e.state, f"state {e.state}"), "router": bool(e.is_router),
        "ifindex": e.ifindex})


def routers6(node):
    return _entries(node, "shoal_node_router6", "shoal_nd6_entry *", lambda e: {
        "ip": ip6_str(bytes(e.ip), e.zone), "ifindex": e.ifindex, "lifetime": _secs(e.left_ns)})


def prefixes6(node):
    return _entries(node, "shoal_node_prefix6", "shoal_nd6_entry *", lambda e: {
        "prefix": f"{ip6_str(bytes(e.ip))}/{e.prefix_len}", "ifindex": e.ifindex, "lifetime": _secs(e.left_ns)})


def ping_target(node, dst):
    """(16 bytes, zone) to ping: a link-local needs its interface."""
    b, zone = ip6_parse(dst, "ping destination")
    if ip6_is_scoped(b):
        zone = zone_for(node, zone, dst)
    return b, zone


# ---- stateless DHCPv6 (RFC 8415 18.2.6, 18.3.6) ----

class _Handle:
    """A C handle holding the stack's caller-owned state: freed with the
    Python object, which the interface or node keeps until the simulation
    (and the stack) is gone, as dhcp.py's handles are."""

    def __init__(self, node, ptr, free_name):
        self.node, self.sim = node, node.sim
        self._ptr = _ffi.ffi.gc(ptr, getattr(self.sim._lib, free_name))

    def _p(self):
        self.sim._p()
        return self._ptr


class Dhcp6Client(_Handle):
    """Information-requests on one interface until a Reply gives DNS
    servers and a search domain. Made by iface.dhcp6()."""

    def __init__(self, iface):
        sim = iface.node.sim
        err = sim._c_int
        err[0] = 0
        ptr = sim._fn("shoal_dhcp6_start")(iface._p(), iface.index, err)
        if ptr == _ffi.ffi.NULL:
            sim._raise(err[0] or -100, f"{iface!r}.dhcp6()")
        super().__init__(iface.node, ptr, "shoal_dhcp6_free")
        self.iface = iface
        self._info = _ffi.ffi.new("shoal_dhcp6_info *")

    def info(self):
        i = self._info
        _check(self.sim, self.sim._lib.shoal_dhcp6_info_get(self._p(), i), "dhcp6 info")
        domain = _ffi.ffi.string(i.domain).decode("ascii", "replace")
        return {"state": _DHCP6_STATES.get(i.state, "off"),
                "dns": [ip6_str(bytes(i.dns[k])) for k in range(i.dns_count)],
                "domain": domain or None, "tries": i.tries}

    @property
    def state(self):
        """"off", "requesting" or "done" ("off" once the simulation is closed)."""
        return "off" if self.sim.closed else self.info()["state"]

    @property
    def dns(self):
        return self.info()["dns"]

    @property
    def domain(self):
        return self.info()["domain"]

    def stop(self):
        if not self.sim.closed:
            self.sim._lib.shoal_dhcp6_stop(self._p())

    def __repr__(self):
        return f"<shoal.Dhcp6Client {self.iface!r} {self.state}>"


class Dhcp6Server(_Handle):
    """A stateless DHCPv6 server on one interface. Made by node.dhcp6_server()."""

    def __init__(self, iface, dns=(), domain=None):
        servers = [dns] if isinstance(dns, str) else list(dns)
        if len(servers) > 3:
            raise ValueError(f"dns: at most 3 servers, got {len(servers)}")
        raw = b"".join(ip6_parse(d, "dns server")[0] for d in servers)
        if domain is not None and (not isinstance(domain, str) or not 0 < len(domain.encode()) < 64):
            raise ValueError(f"domain must be a string of 1..63 bytes, got {domain!r}")
        sim = iface.node.sim
        err = sim._c_int
        err[0] = 0
        buf = _ffi.ffi.new("uint8_t[]", raw or b"\0")
        name = _ffi.ffi.NULL if domain is None else domain.encode()
        ptr = sim._fn("shoal_dhcp6_server_start")(iface._p(), iface.index, buf, len(servers), name, err)
        if ptr == _ffi.ffi.NULL:
            sim._raise(err[0] or -100, f"{iface.node.name}.dhcp6_server({iface!r})")
        super().__init__(iface.node, ptr, "shoal_dhcp6_server_free")
        self.iface, self.dns, self.domain = iface, [ip6_str(ip6_parse(d)[0]) for d in servers], domain

    @property
    def replies(self):
        """Replies sent so far."""
        return self.sim._lib.shoal_dhcp6_server_replies(self._p())

    def stop(self):
        if not self.sim.closed:
            self.sim._lib.shoal_dhcp6_server_stop(self._p())

    def __repr__(self):
        return f"<shoal.Dhcp6Server {self.iface!r} dns={self.dns}>"


def iface_dhcp6(iface):
    _no_raw(iface, "dhcp6")
    old = iface.__dict__.get("_dhcp6")
    if old is not None:
        old.stop()
    if not info(iface)["enabled"]:
        enable(iface, autoconf=False)  # it speaks from the link-local address (RFC 8415 13.1)
    iface._dhcp6 = Dhcp6Client(iface)
    return iface._dhcp6


def node_dhcp6_server(node, iface, dns=(), domain=None):
    _no_raw(node, "dhcp6_server")
    if iface.node is not node:
        raise ShoalError(f"{iface!r} is not an interface of {node.name!r}")
    if not info(iface)["enabled"]:
        enable(iface, autoconf=False)
    srv = Dhcp6Server(iface, dns, domain)
    node.__dict__.setdefault("_dhcp6_servers", []).append(srv)
    return srv
