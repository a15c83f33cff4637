"""DHCP client (RFC 2131), AutoIP (RFC 3927) and the simulation DHCP server.

    c = node.iface(link).dhcp4()           # -> Dhcp4Client; runs as the sim runs
    sim.run_until(lambda: c.bound, "30s")
    c.state, c.address, c.lease_left, c.dns, c.router
    ll = node.iface(link).autoip()          # -> AutoIp (169.254.x.y)
    srv = router.dhcp_server(link, pool=("10.0.0.100", "10.0.0.200"), lease="1h",
                             router="10.0.0.1", dns=["10.0.0.53"])
    srv.leases                             # -> list of dicts

The C handles hold the stack's own state for these services. The interface
(or node) keeps its handle, so it lives as long as the simulation's nodes;
the memory is freed with the handle's Python object, which never happens
before the simulation's close (its nodes keep it), and freeing touches no
stack.
"""

from . import _ffi
from .addr import ip4_int, ip4_str, mac_str
from .errors import ShoalError
from .units import duration_ns

__all__ = ["Dhcp4Client", "AutoIp", "DhcpServer"]

_NS = 1_000_000_000
_U64_MAX = 2**64 - 1


def _secs(ns):
    return None if ns == _U64_MAX else ns / _NS


class _Handle:
    def __init__(self, iface_or_node, ptr, free_name):
        node = getattr(iface_or_node, "node", iface_or_node)
        self.node, self.sim = node, node.sim
        self._ptr = _ffi.ffi.gc(ptr, getattr(self.sim._lib, free_name))

    def _p(self):
        self.sim._p()  # ShoalError once the simulation is closed
        return self._ptr

    def _check(self, rc, what):
        if rc < 0:
            self.sim._raise(rc, f"{self.node.name}: {what}")
        return rc


class Dhcp4Client(_Handle):
    """A DHCP client on one interface. Made by iface.dhcp4()."""

    def __init__(self, iface, hostname=None, client_id=True, check_address=True, desync=False,
                 autoip_fallback=None):
        sim = iface.node.sim
        if hostname is not None and (not isinstance(hostname, str) or not 0 < len(hostname.encode()) <= 32):
            raise ValueError(f"hostname must be a string of 1..32 bytes, got {hostname!r}")
        after = 0
        if autoip_fallback:
            after = 4 if autoip_fallback is True else autoip_fallback
            if isinstance(after, bool) or not isinstance(after, int) or not 1 <= after <= 255:
                raise ValueError(f"autoip_fallback must be True or a count of DISCOVERs 1..255, got {autoip_fallback!r}")
        err = sim._c_int
        err[0] = 0
        name = _ffi.ffi.NULL if hostname is None else hostname.encode()
        ptr = sim._fn("shoal_dhcp_start")(iface._p(), iface.index, name, int(bool(client_id)),
                                         int(bool(check_address)), int(bool(desync)), after, err)
        if ptr == _ffi.ffi.NULL:
            sim._raise(err[0] or -100, f"{iface!r}.dhcp4()")
        super().__init__(iface, ptr, "shoal_dhcp_free")
        self.iface = iface
        self._info = _ffi.ffi.new("shoal_dhcp_info *")

    def info(self):
        """Everything the client knows, as a dict."""
        i = self._info
        self._check(self.sim._lib.shoal_dhcp_info_get(self._p(), i), "dhcp info")
        leased = i.state_name != _ffi.ffi.NULL and _ffi.ffi.string(i.state_name).decode() in (
            "BOUND", "RENEWING", "REBINDING")
        return {
            "state": _ffi.ffi.string(i.state_name).decode(),
            "address": ip4_str(i.addr) if i.addr else None,
            "netmask": ip4_str(i.netmask) if leased else None,
            "router": ip4_str(i.router) if i.router else None,
            "server": ip4_str(i.server) if i.server else None,
            "dns": [ip4_str(i.dns[k]) for k in range(i.dns_count)],
            "lease": i.lease_s if leased else None,
            "t1": i.t1_s if leased else None,
            "t2": i.t2_s if leased else None,
            "lease_left": _secs(i.lease_left_ns) if leased else None,
            "xid": i.xid,
            "tries": i.tries,
            "discovers": i.discovers,
            "leases": i.leases,
            "naks": i.naks,
            "declines": i.declines,
            "autoip_state": _ffi.ffi.string(i.autoip_state_name).decode(),
            "autoip_address": ip4_str(i.autoip_addr) if i.autoip_addr else None,
        }

    @property
    def state(self):
        """"SELECTING", "REQUESTING", "CHECKING", "BOUND", "RENEWING", ... or "OFF"
        ("OFF" too once the simulation is closed)."""
        return "OFF" if self.sim.closed else self.info()["state"]

    @property
    def bound(self):
        """True while the client holds a lease (BOUND, RENEWING or REBINDING)."""
        return self.state in ("BOUND", "RENEWING", "REBINDING")

    @property
    def address(self):
        return self.info()["address"] if self.bound else None

    @property
    def lease(self):
        """Lease time granted, seconds (None when not bound; 0xffffffff = infinite)."""
        return self.info()["lease"]

    @property
    def lease_left(self):
        """Seconds of lease left (float; None when not bound or infinite)."""
        return self.info()["lease_left"]

    @property
    def dns(self):
        """DNS servers learned (option 6, up to 2)."""
        return self.info()["dns"]

    @property
    def router(self):
        return self.info()["router"]

    @property
    def server(self):
        return self.info()["server"]

    def renew(self):
        """Renew now (from BOUND), as at T1."""
        self._check(self.sim._lib.shoal_dhcp_renew(self._p()), "dhcp renew")

    def release(self):
        """Send DHCPRELEASE and stop; the address is removed."""
        self._check(self.sim._lib.shoal_dhcp_release(self._p()), "dhcp release")

    def stop(self):
        """Stop the client (no message); the address it set is removed."""
        self._check(self.sim._lib.shoal_dhcp_stop(self._p()), "dhcp stop")

    def __repr__(self):
        if self.sim.closed:
            return f"<shoal.Dhcp4Client {self.iface!r} OFF (simulation closed)>"
        i = self.info()
        return f"<shoal.Dhcp4Client {self.iface!r} {i['state']} {i['address']}>"


class AutoIp(_Handle):
    """RFC 3927 link-local addressing on one interface. Made by iface.autoip()."""

    def __init__(self, iface):
        sim = iface.node.sim
        err = sim._c_int
        err[0] = 0
        ptr = sim._fn("shoal_autoip_start")(iface._p(), iface.index, err)
        if ptr == _ffi.ffi.NULL:
            sim._raise(err[0] or -100, f"{iface!r}.autoip()")
        super().__init__(iface, ptr, "shoal_autoip_free")
        self.iface = iface
        self._info = _ffi.ffi.new("shoal_autoip_info *")

    def info(self):
        i = self._info
        self._check(self.sim._lib.shoal_autoip_info_get(self._p(), i), "autoip info")
        return {"state": _ffi.ffi.string(i.state_name).decode(), "address": ip4_str(i.addr) if i.addr else None,
                "tried": i.tried, "conflicts": i.conflicts}

    @property
    def state(self):
        """"CHECKING" (probing a candidate), "BOUND" (in use) or "OFF"."""
        return "OFF" if self.sim.closed else self.info()["state"]

    @property
    def bound(self):
        return self.state == "BOUND"

    @property
    def address(self):
        """The candidate being probed or the address in use."""
        return self.info()["address"]

    def stop(self):
        self._check(self.sim._lib.shoal_autoip_stop(self._p()), "autoip stop")

    def __repr__(self):
        if self.sim.closed:
            return f"<shoal.AutoIp {self.iface!r} OFF (simulation closed)>"
        i = self.info()
        return f"<shoal.AutoIp {self.iface!r} {i['state']} {i['address']}>"


_COUNT_NAMES = ("offers", "acks", "naks", "declines", "releases", "informs")


class DhcpServer(_Handle):
    """A DHCP server on one interface of a node. Made by node.dhcp_server()."""

    def __init__(self, iface, pool, lease="1h", router=None, dns=()):
        sim = iface.node.sim
        try:
            first, last = pool
        except (TypeError, ValueError):
            raise ValueError(f"pool must be a (first, last) pair of addresses, got {pool!r}") from None
        first, last = ip4_int(first, "pool start"), ip4_int(last, "pool end")
        if first > last:
            raise ValueError(f"pool {pool!r}: the first address is above the last")
        lease_ns = duration_ns(lease, "lease")
        lease_s = lease_ns // _NS
        if not 1 <= lease_s <= 0xFFFFFFFF:
            raise ValueError(f"lease must be 1 s .. 2**32-1 s, got {lease!r}")
        if isinstance(dns, str):
            dns = [dns]
        dns = [ip4_int(d, "dns server") for d in dns]
        if len(dns) > 2:
            raise ValueError("at most 2 DNS servers (option 6)")
        cdns = _ffi.ffi.new("uint32_t[2]", dns + [0] * (2 - len(dns)))
        err = sim._c_int
        err[0] = 0
        ptr = sim._fn("shoal_dhcp_server_start")(iface._p(), iface.index, first, last, lease_s,
                                                0 if router is None else ip4_int(router, "router"), cdns, len(dns),
                                                err)
        if ptr == _ffi.ffi.NULL:
            hint = " (the interface needs an address first: set_ip4)" if iface.ip4 is None else ""
            sim._raise(err[0] or -100, f"{iface.node.name}.dhcp_server({pool!r}){hint}")
        super().__init__(iface, ptr, "shoal_dhcp_server_free")
        self.iface = iface
        self.pool = (ip4_str(first), ip4_str(last))
        self.lease_time = lease_s

    @property
    def leases(self):
        """The lease table: dicts with mac, address, state, expires (seconds of virtual time)."""
        lib, ptr = self.sim._lib, self._p()
        out = _ffi.ffi.new("shoal_dhcp_lease *")
        rows, i = [], 0
        while lib.shoal_dhcp_server_lease(ptr, i, out) == 1:
            rows.append({"mac": mac_str(bytes(out.mac)), "address": ip4_str(out.addr),
                         "state": _ffi.ffi.string(out.state_name).decode(),
                         "expires": _secs(out.expires_ns)})
            i += 1
        return rows

    @property
    def counts(self):
        """Messages answered or taken: offers, acks, naks, declines, releases, informs."""
        c = _ffi.ffi.new("uint32_t[6]")
        self._check(self.sim._lib.shoal_dhcp_server_counts(self._p(), c), "dhcp server counts")
        return dict(zip(_COUNT_NAMES, list(c)))

    def stop(self):
        self._check(self.sim._lib.shoal_dhcp_server_stop(self._p()), "dhcp server stop")

    def __repr__(self):
        return f"<shoal.DhcpServer {self.iface!r} pool {self.pool[0]}-{self.pool[1]}>"


def _raise_raw(iface, what):
    from .node import RawHost
    if isinstance(iface.node, RawHost):
        raise ShoalError(f"{iface.node.name!r} is a raw host: it has no IP stack for {what}")
