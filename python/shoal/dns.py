"""The DNS stub resolver of a stack node (stack/dns), seen from Python.

    node.dns_servers(["10.0.0.53", "10.0.0.54"])   # up to 4, tried in turn
    r = node.resolve("www.example", timeout="5s")   # -> Lookup; runs as the sim runs
    sim.run_until(lambda: r.done, timeout="10s")
    r.addresses -> ["10.1.2.3"], r.error -> None / "NXDOMAIN" / "NODATA" / "SERVFAIL" / "TIMEOUT"
    node.dns_cache() -> [{"name": ..., "type": "A", "status": "OK", "addresses": [...], "expires": s}]
    node.dns.stats -> {"queries": .., "sent": .., "mismatched": .., "malformed": .., ...}

The resolver's memory is a block owned here (kept alive by the node's
Resolver object, which the node keeps), so nothing needs freeing in C.
"""

import ipaddress

from . import _ffi
from .sockaddr import Out, buf, ip_args
from .errors import AddressError
from .units import duration_ns

__all__ = ["Resolver", "Lookup", "STATUS_NAMES"]

STATUS_NAMES = ("OK", "NXDOMAIN", "NODATA", "SERVFAIL", "TIMEOUT", "CANCELLED")
_TYPES = {"A": 1, "AAAA": 28}
_TYPE_NAMES = {v: k for k, v in _TYPES.items()}
_ADDR_BYTES = 17
_MAX_ADDRS = 16
_MAX_SERVERS = 4
_ENOMEM = -105


def _addr_strings(buf, count):
    out = []
    raw = _ffi.ffi.buffer(buf, count * _ADDR_BYTES)[:]
    for i in range(count):
        fam, addr = raw[i * _ADDR_BYTES], raw[i * _ADDR_BYTES + 1:(i + 1) * _ADDR_BYTES]
        out.append(str(ipaddress.IPv4Address(addr[:4])) if fam == 4 else str(ipaddress.IPv6Address(addr)))
    return out


class Lookup:
    """One name lookup. Poll after running the simulation.

    .done          True once answered, failed or timed out
    .addresses     list of address strings ([] until done, or on failure)
    .error         None on success, else "NXDOMAIN", "NODATA", "SERVFAIL", "TIMEOUT"
    .status        "OK" or the error; None while pending
    .ttl           seconds the answer stays cached (0: not cached); None while pending
    .immediate     True if answered at once (dotted quad or cache hit)
    """

    def __init__(self, resolver, name, slot, immediate):
        self.resolver, self.name, self._slot = resolver, name, slot
        self.immediate = immediate
        self.status = None
        self.ttl = None
        self.addresses = []

    def _poll(self):
        if self._slot is None:
            return
        res = self.resolver
        sim = res.node.sim
        if sim.closed:
            self._slot = None
            return
        st, ttl, cnt = _ffi.ffi.new("int *"), _ffi.ffi.new("uint32_t *"), _ffi.ffi.new("int *")
        buf = _ffi.ffi.new("uint8_t[]", _ADDR_BYTES * _MAX_ADDRS)
        if sim._lib.shoal_dns_result(res._block, self._slot, st, ttl, cnt, buf, _MAX_ADDRS) == 1:
            self.status = STATUS_NAMES[st[0]] if 0 <= st[0] < len(STATUS_NAMES) else str(st[0])
            self.ttl = ttl[0]
            self.addresses = _addr_strings(buf, cnt[0])
            res._release(self)

    @property
    def done(self):
        self._poll()
        return self.status is not None

    @property
    def error(self):
        self._poll()
        return None if self.status in (None, "OK") else self.status

    @property
    def address(self):
        """The first address, or None."""
        self._poll()
        return self.addresses[0] if self.addresses else None

    def cancel(self):
        """Stop waiting (no more queries for it); .status becomes "CANCELLED"."""
        self._poll()
        if self._slot is not None:
            self.resolver._release(self)
            self.status = "CANCELLED"

    def __repr__(self):
        self._poll()
        state = "pending" if self.status is None else (self.status if self.error else self.addresses)
        return f"<shoal.dns.Lookup {self.name!r} {state}>"


class Resolver:
    """A node's resolver; made by node.dns on first use (dns_init in C)."""

    def __init__(self, node):
        self.node = node
        sim = node.sim
        lib = sim._lib
        size = sim._fn("shoal_dns_block_size")()
        # uint64_t cells: the block holds 64-bit fields and must be aligned.
        self._block = _ffi.ffi.new("uint64_t[]", (size + 7) // 8)
        self._live = {}  # slot -> Lookup still holding it
        rc = lib.shoal_dns_attach(node._p(), self._block)
        if rc < 0:
            sim._raise(rc, f"{node.name}: attaching the DNS resolver")

    def _lib(self):
        return self.node.sim._lib

    def _check(self, rc, what):
        if rc < 0:
            self.node.sim._raise(rc, f"{self.node.name}.{what}")
        return rc

    # ---- servers and tunables ----
    @property
    def servers(self):
        """The configured servers, in the order they are tried."""
        out, got = [], Out()
        for i in range(_MAX_SERVERS):
            self._check(self._lib().shoal_dns_get_server_ip(self.node._p(), self._block, i, got.family, got.addr,
                                                            got.zone), "dns_servers")
            if got.family[0]:
                out.append(got.text())
        return out

    def set_servers(self, servers):
        if isinstance(servers, str):
            servers = [servers]
        servers = list(servers)
        if len(servers) > _MAX_SERVERS:
            raise ValueError(f"at most {_MAX_SERVERS} DNS servers, got {len(servers)}")
        # IPv4 or IPv6 servers (a link-local one with its zone, "fe80::53%1");
        # queries go over the server's family.
        addrs = [ip_args(s, "DNS server") for s in servers]
        for i in range(_MAX_SERVERS):
            fam, b, zone = addrs[i] if i < len(addrs) else (0, bytes(16), 0)
            self._check(self._lib().shoal_dns_set_server_ip(self.node._p(), self._block, i, fam, buf(b), zone),
                        "dns_servers")

    def configure(self, timeout=None, rounds=None, ttl_min=None, ttl_max=None, neg_ttl_max=None):
        """timeout: first wait per query (doubles each round); rounds: times each
        server is asked; ttl_min/ttl_max/neg_ttl_max: cache clamps in seconds."""
        t = -1 if timeout is None else duration_ns(timeout, "timeout") // 1_000_000
        if timeout is not None and t <= 0:
            raise ValueError(f"timeout must be at least 1ms, got {timeout!r}")
        if rounds is not None and (not isinstance(rounds, int) or not 1 <= rounds <= 32):
            raise ValueError(f"rounds must be an int 1..32, got {rounds!r}")

        def secs(v, what):
            if v is None:
                return -1
            if not isinstance(v, int) or not 0 <= v < 2**32:
                raise ValueError(f"{what} must be an int of seconds, got {v!r}")
            return v

        self._check(self._lib().shoal_dns_configure(
            self.node._p(), self._block, t, -1 if rounds is None else rounds, secs(ttl_min, "ttl_min"),
            secs(ttl_max, "ttl_max"), secs(neg_ttl_max, "neg_ttl_max")), "dns_configure")

    # ---- lookups ----
    def resolve(self, name, timeout=None, type="A"):
        """Start a lookup -> Lookup. timeout: give up (error "TIMEOUT") after this
        much virtual time even if the resolver's own retries are not over."""
        if not isinstance(name, str):
            raise ValueError(f"name must be a string, got {name!r}")
        qtype = _TYPES.get(type) if isinstance(type, str) else type
        if qtype is None:
            raise ValueError(f"unknown record type {type!r}")
        tns = 0 if timeout is None else duration_ns(timeout, "timeout")
        lib, done = self._lib(), _ffi.ffi.new("int *")
        rc = lib.shoal_dns_resolve(self.node._p(), self._block, name.encode(), qtype, tns, done)
        if rc == _ENOMEM:
            for lk in list(self._live.values()):
                lk._poll()  # finished lookups give their slots back
            rc = lib.shoal_dns_resolve(self.node._p(), self._block, name.encode(), qtype, tns, done)
        if rc < 0:
            what = f"resolve({name!r})"
            if rc == -16:
                raise AddressError(f"{self.node.name}.{what}: not a valid host name or type")
            self.node.sim._raise(rc, f"{self.node.name}.{what}")
        lk = Lookup(self, name, rc, bool(done[0]))
        self._live[rc] = lk
        lk._poll()
        return lk

    def _release(self, lk):
        slot, lk._slot = lk._slot, None
        self._live.pop(slot, None)
        if slot is not None and not self.node.sim.closed:
            self._lib().shoal_dns_release(self.node._p(), self._block, slot)

    # ---- cache and counters ----
    def cache(self):
        """Live cache entries as dicts: name, type, status, addresses, expires (s)."""
        ffi, lib = _ffi.ffi, self._lib()
        name = ffi.new("char[]", 1024)
        qt, st, cnt = ffi.new("int *"), ffi.new("int *"), ffi.new("int *")
        exp = ffi.new("uint64_t *")
        buf = ffi.new("uint8_t[]", _ADDR_BYTES * _MAX_ADDRS)
        out, i = [], 0
        while self._check(lib.shoal_dns_cache_entry(self.node._p(), self._block, i, name, 1024, qt, st, exp, cnt,
                                                    buf, _MAX_ADDRS), "dns_cache") == 1:
            out.append({"name": ffi.string(name).decode("ascii", "replace"),
                        "type": _TYPE_NAMES.get(qt[0], qt[0]),
                        "status": STATUS_NAMES[st[0]] if 0 <= st[0] < len(STATUS_NAMES) else st[0],
                        "addresses": _addr_strings(buf, cnt[0]),
                        "expires": exp[0] / 1e9, "expires_ns": exp[0]})
            i += 1
        return out

    def flush_cache(self):
        self._check(self._lib().shoal_dns_cache_flush(self.node._p(), self._block), "dns_flush_cache")

    @property
    def stats(self):
        """The resolver's own counters (the node's stats["dns"] has the usual classes)."""
        ffi, lib = _ffi.ffi, self._lib()
        name, value = ffi.new("const char **"), ffi.new("uint64_t *")
        out, i = {}, 0
        while lib.shoal_dns_stat(self._block, i, name, value) == 1:
            out[ffi.string(name[0]).decode()] = value[0]
            i += 1
        return out

    def __repr__(self):
        return f"<shoal.dns.Resolver of {self.node.name!r} servers={self.servers}>"

