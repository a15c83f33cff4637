"""Replay: the frames of a capture injected into a node's port at their recorded times.

Made by Sim.replay(path, into=...). The first frame arrives now (or at
`at=`), each later one at the same offset from it as in the capture. Frames
go straight to the port and into the capture of the link it is on, so the
simulation's pcap shows the replayed stimulus next to the node's responses
and a bug seen in the field reproduces deterministically (see
scenarios/examples/test_replay.py, and `python3 -m shoal replay`).
"""

import os
import struct

from . import _ffi, _registry
from .addr import ip4_int
from .errors import ShoalError
from .pcapcheck import frame_digest
from .stats import nest
from .units import duration_ns

__all__ = ["Replay", "parse_ip_map"]

_MAX_IP_MAP = 16
_NO_PEER_MAC = "02:00:00:00:00:00"  # node index 0: never a simulated node's


def _mac_bytes(mac):
    parts = mac.split(":") if isinstance(mac, str) else None
    if not parts or len(parts) != 6:
        raise ValueError(f"a MAC address looks like 02:00:00:00:00:01, got {mac!r}")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"a MAC address looks like 02:00:00:00:00:01, got {mac!r}") from None


def parse_ip_map(rewrite_ip):
    """{old: new} from a dict, or from strings "OLD=NEW" / "OLD" (new None: the node's address)."""
    if rewrite_ip is None:
        return {}
    if isinstance(rewrite_ip, dict):
        return dict(rewrite_ip)
    if isinstance(rewrite_ip, str):
        rewrite_ip = [rewrite_ip]
    out = {}
    for item in rewrite_ip:
        old, sep, new = str(item).partition("=")
        out[old.strip()] = new.strip() if sep and new.strip() else None
    return out


class Replay:
    """A capture being replayed. .done, .stats (dict), .stop(), wait(timeout)."""

    def __init__(self, sim, path, iface, rewrite_mac=False, rewrite_ip=None, at=None, filter=None,
                 skip_own=True, src_mac=None):
        self.sim, self.iface = sim, iface
        self.path = os.fspath(path)
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"no capture file {self.path!r}")
        ffi, lib = _ffi.ffi, sim._lib
        opts = ffi.new("shoal_replay_opts *")
        now = sim.now_ns
        if at is None:
            opts.start_ns = now
        else:
            start = duration_ns(at, "at")
            if start < now:
                raise ValueError(f"at={at!r} is in the past (now is {now / 1e9}s)")
            opts.start_ns = start
        opts.rewrite_mac = 1 if rewrite_mac else 0
        opts.skip_own = 1 if skip_own else 0
        if src_mac is None:
            src_mac = self._peer_mac() or _NO_PEER_MAC
        ffi.memmove(opts.wrap_src_mac, _mac_bytes(src_mac), 6)
        mapping = parse_ip_map(rewrite_ip)
        if len(mapping) > _MAX_IP_MAP:
            raise ValueError(f"at most {_MAX_IP_MAP} address rewrites, got {len(mapping)}")
        for i, (old, new) in enumerate(mapping.items()):
            if new is None:
                new = iface.ip4
                if new is None:
                    raise ShoalError(f"rewrite_ip {old}: {iface!r} has no address to rewrite to")
            opts.ip_from[i] = ip4_int(old, "rewrite_ip")
            opts.ip_to[i] = ip4_int(new, "rewrite_ip")
        opts.ip_map_count = len(mapping)
        self.rewrite_ip = mapping
        self.rewrite_mac = bool(rewrite_mac)
        self._opts = opts
        errbuf = ffi.new("char[]", 512)
        link = iface.link
        c_filter = filter.encode() if filter else ffi.NULL
        ptr = lib.shoal_replay_start(sim._p(), iface.node._p(), iface.index, link._ptr, self.path.encode(),
                                     opts, c_filter, errbuf, len(errbuf))
        if ptr == ffi.NULL:
            raise ShoalError(f"cannot replay {self.path!r} into {iface!r}: "
                             f"{ffi.string(errbuf).decode('utf-8', 'replace')}")
        self._ptr = ptr
        sim._replays.append(self)
        if link.pcap_path is not None and _registry._recording is not None:
            self._excuse(link.pcap_path)

    def _peer_mac(self):
        """The MAC of the other end of a point-to-point link, if there is one."""
        link = self.iface.link
        ends = getattr(link, "ends", ())
        if len(ends) == 2:
            other = ends[1] if ends[0] is self.iface.node else ends[0]
            try:
                return other.iface(link).mac
            except Exception:
                return None
        return None

    def _excuse(self, pcap_path):
        """The pcap check excuses problems in replayed frames: they are the
        field's, not the simulated stack's (classic pcap files only)."""
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except OSError:
            return
        if len(data) < 24 or data[:4] not in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1",
                                              b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
            return
        endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0xffff
        port_mac = _mac_bytes(self.iface.mac)
        src_mac = bytes(_ffi.ffi.buffer(self._opts.wrap_src_mac, 6))
        c_mac = _ffi.ffi.new("uint8_t[6]", port_mac)
        digests = self.sim._injected.setdefault(pcap_path, set())
        off = 24
        while off + 16 <= len(data):
            incl = struct.unpack_from(endian + "I", data, off + 8)[0]
            rec = data[off + 16:off + 16 + incl]
            off += 16 + incl
            if linktype in (101, 228, 229) and rec:
                rec = port_mac + src_mac + (b"\x08\x00" if rec[0] >> 4 == 4 else b"\x86\xdd") + rec
            elif linktype != 1:
                return
            buf = _ffi.ffi.new("uint8_t[]", rec)
            self.sim._lib.shoal_replay_rewrite(self._opts, c_mac, buf, len(rec))
            digests.add(frame_digest(_ffi.ffi.buffer(buf, len(rec))[:]))

    def _p(self):
        self.sim._p()
        if self._ptr is None:
            raise ShoalError("this replay was freed")
        return self._ptr

    @property
    def done(self):
        """True once every frame was injected (or after stop())."""
        return bool(self.sim._lib.shoal_replay_done(self._p()))

    def stop(self):
        """Inject nothing more."""
        self.sim._lib.shoal_replay_stop(self._p())

    def stat_pairs(self):
        sim = self.sim
        lib, ptr, name, value = sim._lib, self._p(), sim._c_name, sim._c_u64
        pairs, i = [], 0
        while lib.shoal_replay_stat(ptr, i, name, value) > 0:
            pairs.append((_ffi.ffi.string(name[0]).decode(), value[0]))
            i += 1
        return pairs

    @property
    def stats(self):
        """Counters: read, injected, injected_bytes, skipped_own, filtered,
        malformed, truncated, rewritten, rx_nomem."""
        return nest(self.stat_pairs())

    def wait(self, timeout, tail=0):
        """Run the simulation until the replay is done (at most `timeout`), then
        `tail` more (responses, timers). True if it finished."""
        finished = self.sim.run_until(lambda: self.done, timeout=timeout)
        if tail:
            self.sim.run(duration=tail)
        return finished

    def _free(self):
        """After the simulation was freed (Sim.close)."""
        if self._ptr is not None:
            self.sim._lib.shoal_replay_free(self._ptr)
            self._ptr = None

    def __repr__(self):
        return f"<shoal.Replay {os.path.basename(self.path)!r} into {self.iface!r}>"

