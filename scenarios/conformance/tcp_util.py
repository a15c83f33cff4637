"""Helpers for the TCP conformance suites (RFC 9293, 5681, 6298, 2018, 7323,
5961): byte-exact TCP segment and option builders, an independent parser of
the dut's segments, and `TcpPeer`, a TCP end written in Python on the raw
host that keeps its own sequence numbers and drives the dut one segment at a
time.

Everything here is built from the RFC texts and reuses conformance_util for
Ethernet/IPv4 framing, checksums and the bench. Expected values in the tests
are computed from the RFCs and from what the tester observed on the wire,
never read back from the stack under test.
"""
import struct

from conformance_util import (SECOND_NS, TESTER_IP, Bench, arp, checksum_ok, eth, inet_checksum, ip4, ip_aton, is_arp,
                              is_ip, raw_ip)

PROTO_TCP = 6
FIN, SYN, RST, PSH, ACK, URG = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
MS_NS = 1_000_000
MOD32 = 1 << 32

OPT_EOL, OPT_NOP, OPT_MSS, OPT_WS, OPT_SACK_PERM, OPT_SACK, OPT_TS = 0, 1, 2, 3, 4, 5, 8


def seq_add(a, n):
    return (a + n) % MOD32


def seq_diff(a, b):
    """a - b modulo 2^32 as a signed number (RFC 9293 3.4 comparisons)."""
    d = (a - b) % MOD32
    return d - MOD32 if d >= 1 << 31 else d


# ---------------------------------------------------------------- options

def opt_mss(v):
    return struct.pack("!BBH", OPT_MSS, 4, v)


def opt_ws(shift):
    return bytes([OPT_NOP, OPT_WS, 3, shift])


def opt_sack_perm():
    return bytes([OPT_NOP, OPT_NOP, OPT_SACK_PERM, 2])


def opt_ts(val, ecr):
    return bytes([OPT_NOP, OPT_NOP]) + struct.pack("!BBII", OPT_TS, 10, val % MOD32, ecr % MOD32)


def opt_sack(blocks):
    body = b"".join(struct.pack("!II", l % MOD32, r % MOD32) for l, r in blocks)
    return bytes([OPT_NOP, OPT_NOP, OPT_SACK, 2 + len(body)]) + body


def pad4(opts: bytes) -> bytes:
    """Options padded with EOL to a multiple of 4 bytes (RFC 9293 3.1)."""
    return opts + b"\0" * (-len(opts) % 4)


def parse_options(raw: bytes) -> dict:
    """An independent RFC 9293 3.1 option parser. Returns {"kinds": [kinds in
    order, NOPs included], "mss": v, "ws": s, "sack_perm": True, "ts": (val,
    ecr), "sack": [(l, r), ...]}; "bad": True when a length lies."""
    out = {"kinds": []}
    i = 0
    while i < len(raw):
        kind = raw[i]
        out["kinds"].append(kind)
        if kind == OPT_EOL:
            out["eol_at"] = i
            break
        if kind == OPT_NOP:
            i += 1
            continue
        if i + 1 >= len(raw) or raw[i + 1] < 2 or i + raw[i + 1] > len(raw):
            out["bad"] = True
            break
        n = raw[i + 1]
        v = raw[i + 2:i + n]
        if kind == OPT_MSS:
            out["mss"] = struct.unpack("!H", v)[0] if n == 4 else ("badlen", n)
        elif kind == OPT_WS:
            out["ws"] = v[0] if n == 3 else ("badlen", n)
        elif kind == OPT_SACK_PERM:
            out["sack_perm"] = n == 2 or ("badlen", n)
        elif kind == OPT_TS:
            out["ts"] = struct.unpack("!II", v) if n == 10 else ("badlen", n)
        elif kind == OPT_SACK:
            out["sack"] = [struct.unpack("!II", v[k:k + 8]) for k in range(0, n - 2, 8)]
            if (n - 2) % 8:
                out["bad"] = True
        i += n
    return out


# ---------------------------------------------------------------- segments

def tcp_checksum(src, dst, seg: bytes) -> int:
    """RFC 9293 3.1: checksum over the pseudo header (src, dst, 0, 6, TCP length)
    and the segment (its checksum field zero)."""
    pseudo = ip_aton(src) + ip_aton(dst) + struct.pack("!BBH", 0, PROTO_TCP, len(seg))
    return inet_checksum(pseudo + seg)


def tcp(src, dst, sport, dport, seq, ack, flags, wnd=65535, options=b"", data=b"", urg=0, chksum=None) -> bytes:
    """A TCP segment (header, padded options, data) with a right checksum
    unless one is given."""
    options = pad4(options)
    off = (20 + len(options)) // 4
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq % MOD32, ack % MOD32, off << 4, flags, wnd, 0, urg) + options
    seg = hdr + data
    if chksum is None:
        chksum = tcp_checksum(src, dst, seg)
    return seg[:16] + struct.pack("!H", chksum) + seg[18:]


def flag_str(flags):
    return "".join(c for bit, c in ((SYN, "S"), (FIN, "F"), (RST, "R"), (PSH, "P"), (ACK, "A"), (URG, "U"))
                   if flags & bit) or "."


class Seg:
    """A TCP segment the dut sent, parsed from the frame's bytes."""

    def __init__(self, frame):
        ipd = raw_ip(frame)
        ihl = (ipd[0] & 0x0F) * 4
        self.frame = frame
        self.frame_len = len(bytes(frame))
        self.ip = ipd
        self.src = ".".join(str(b) for b in ipd[12:16])
        self.dst = ".".join(str(b) for b in ipd[16:20])
        t = ipd[ihl:]
        self.raw = t
        (self.sport, self.dport, self.seq, self.ack, off, self.flags, self.wnd, self.chksum,
         self.urg) = struct.unpack("!HHIIBBHHH", t[:20])
        self.hlen = (off >> 4) * 4
        self.reserved = off & 0x0F
        self.opt_raw = t[20:self.hlen]
        self.opts = parse_options(self.opt_raw)
        self.data = t[self.hlen:]
        self.time_ns = frame.time_ns
        pseudo = ip_aton(self.src) + ip_aton(self.dst) + struct.pack("!BBH", 0, PROTO_TCP, len(t))
        self.chksum_ok = checksum_ok(pseudo + t) and checksum_ok(ipd[:ihl])

    @property
    def seqlen(self):
        return len(self.data) + (1 if self.flags & SYN else 0) + (1 if self.flags & FIN else 0)

    @property
    def end(self):
        return seq_add(self.seq, self.seqlen)

    def has(self, *flags):
        return all(self.flags & f for f in flags)

    @property
    def pure_ack(self):
        return self.flags & ~PSH == ACK and not self.data

    def __repr__(self):
        extra = {k: v for k, v in self.opts.items() if k != "kinds"}
        return (f"<Seg {flag_str(self.flags)} seq={self.seq} ack={self.ack} wnd={self.wnd} len={len(self.data)} "
                f"t={self.time_ns / 1e9:.6f} {extra}>")


def tcp_segs(frames):
    return [Seg(f) for f in frames if is_ip(f, PROTO_TCP)]


# ------------------------------------------------------------------- bench

class TcpBench(Bench):
    """conformance_util.Bench with stack configuration for the dut node
    (`sim.node(name, **config)`), e.g. tcp_wnd=262144."""

    def __init__(self, sim, *, node_config=None, delay="1ms", rate="10Mbit", cidr="10.0.0.1/24", name="dut",
                 **link_kw):
        if not node_config:
            super().__init__(sim, delay=delay, rate=rate, cidr=cidr, name=name, **link_kw)
            return
        # Same steps as Bench.__init__, with a configured node.
        self.sim = sim
        self.dut = sim.node(name, **node_config)
        self.tester = sim.raw_host("tester")
        self.link = sim.link(self.tester, self.dut, delay=delay, rate=rate, **link_kw)
        self.dif = self.dut.iface(self.link)
        self.t_set_ip_ns = sim.now_ns
        self.dif.set_ip4(cidr)
        self.dut_ip = self.dif.ip4
        self.dut_mac = self.dif.mac
        self.mac = self.tester.iface(self.link).mac
        self.ip = TESTER_IP
        self.initial_frames = self.run("20ms")


class TcpPeer:
    """A TCP end on the tester, scripted segment by segment.

    It keeps SND.NXT / RCV.NXT of its own side (snd_nxt, rcv_nxt), the dut's
    ISN (irs) once seen, answers ARP requests for its address, and records
    every TCP segment the dut sent (log). With timestamps negotiated (ts_on)
    every segment it sends carries TSval = ts_base + ms of virtual time and
    TSecr = the last TSval the dut sent.
    """

    def __init__(self, bench, port=40000, iss=0x1000_0000, wnd=65535):
        self.b = bench
        self.sim = bench.sim
        self.port = port
        self.iss = iss
        self.snd_nxt = iss
        self.rcv_nxt = None
        self.irs = None
        self.dut_port = None
        self.wnd = wnd
        self.ts_on = False
        self.ts_base = 5_000_000
        self.ts_recent = 0
        self.log = []
        # RFC 826: a request for the dut's address puts us in its table, so it
        # can send to us without asking first (as Bench.prime_arp, any delay).
        wait = 2 * bench.link.delay_ns + 10 * MS_NS
        frames = bench.exchange(bench.arp_request(bench.dut_ip), duration=wait / 1e9)
        assert any(is_arp(f, 2) for f in frames), f"dut did not answer ARP: {frames!r}"
        bench.tester.recv()

    # -- time
    @property
    def now(self):
        return self.sim.now_ns

    def tsval(self):
        return self.ts_base + self.sim.now_ns // MS_NS

    def rtt_wait(self):
        """Seconds that surely cover one round trip on the bench link."""
        return (2 * self.b.link.delay_ns + 50 * MS_NS) / 1e9

    # -- frames
    def frame(self, flags, seq=None, ack=None, data=b"", wnd=None, options=None, sport=None, dport=None,
              chksum=None, urg=0):
        if seq is None:
            seq = self.snd_nxt
        if ack is None:
            ack = self.rcv_nxt if (flags & ACK) and self.rcv_nxt is not None else 0
        if options is None:
            options = opt_ts(self.tsval(), self.ts_recent) if self.ts_on else b""
        seg = tcp(TESTER_IP, self.b.dut_ip, sport or self.port, dport or self.dut_port, seq, ack, flags,
                  self.wnd if wnd is None else wnd, options, data, urg=urg, chksum=chksum)
        return self.b.to_dut(ip4(TESTER_IP, self.b.dut_ip, PROTO_TCP, seg))

    def send(self, flags, data=b"", advance=None, **kw):
        """Send a segment now. By default seq = snd_nxt and ack = rcv_nxt, and
        snd_nxt advances by the segment's sequence length when seq was not given."""
        self.b.send(self.frame(flags, data=data, **kw))
        if advance is None:
            advance = "seq" not in kw
        if advance:
            self.snd_nxt = seq_add(self.snd_nxt, len(data) + (1 if flags & SYN else 0) + (1 if flags & FIN else 0))

    def run(self, duration="20ms"):
        """Advance the clock; return the dut's TCP segments meanwhile (ARP answered)."""
        frames = self.b.run(duration)
        return self._take(frames)

    def run_until(self, pred, timeout):
        """Run instant by instant until pred(new segments so far) is true."""
        got = []

        def check():
            got.extend(self._take(self.b.tester.recv()))
            return pred(got)

        ok = self.sim.run_until(check, timeout=timeout)
        return ok, got

    def wait_for(self, pred, timeout="5s"):
        """The first new dut segment matching pred (and everything before it)."""
        ok, got = self.run_until(lambda segs: any(pred(s) for s in segs), timeout)
        return (next(s for s in got if pred(s)) if ok else None), got

    def _take(self, frames):
        out = []
        for f in frames:
            if is_arp(f, 1) and f.pdst == TESTER_IP:
                self.b.send(eth(f.hwsrc, self.b.mac, 0x0806, arp(2, self.b.mac, TESTER_IP, f.hwsrc, f.psrc)))
            elif is_ip(f, PROTO_TCP):
                s = Seg(f)
                out.append(s)
                if self.ts_on and s.dport == self.port and isinstance(s.opts.get("ts"), tuple):
                    self.ts_recent = s.opts["ts"][0]
        self.log.extend(out)
        return out

    # -- handshakes
    def passive_open(self, listener, syn_opts=None, wnd=None, data_ack_wnd=None):
        """Open a connection to the dut's listener (RFC 9293 3.5 figure 6):
        SYN, SYN-ACK, ACK. Returns (syn_ack Seg, accepted TcpConn)."""
        self.dut_port = listener.port
        if syn_opts is None:
            syn_opts = opt_mss(1460)
        self.send(SYN, options=syn_opts, wnd=self.wnd if wnd is None else wnd)
        synack, got = self.wait_for(lambda s: s.has(SYN, ACK), self.rtt_wait())
        assert synack is not None, f"no SYN-ACK: {got}"
        self.irs = synack.seq
        self.rcv_nxt = seq_add(synack.seq, 1)
        self.ts_on = "ts" in parse_options(syn_opts) and "ts" in synack.opts
        if self.ts_on:
            self.ts_recent = synack.opts["ts"][0]
        self.send(ACK, wnd=data_ack_wnd)
        self.run((self.b.link.delay_ns + 4 * MS_NS) / 1e9)
        conn = listener.accept()
        assert conn is not None and conn.state == "ESTABLISHED"
        return synack, conn

    def active_open(self, conn, synack_opts=None, wnd=None, timeout="100ms"):
        """The dut connects (conn from dut.tcp_connect to our port); answer its
        SYN with a SYN-ACK and take its ACK. Returns (syn Seg, ack Seg)."""
        syn, got = self.wait_for(lambda s: s.flags & SYN, timeout)
        assert syn is not None, f"no SYN from the dut: {got}"
        self.accept_syn(syn)
        if synack_opts is None:
            synack_opts = opt_mss(1460)
        self.ts_on = "ts" in parse_options(synack_opts) and "ts" in syn.opts
        if self.ts_on:
            self.ts_recent = syn.opts["ts"][0]
        self.send(SYN | ACK, options=synack_opts, wnd=self.wnd if wnd is None else wnd)
        ack, got = self.wait_for(lambda s: s.flags & ACK, self.rtt_wait())
        assert ack is not None, f"no ACK of our SYN-ACK: {got}"
        return syn, ack

    def accept_syn(self, syn):
        self.dut_port = syn.sport
        self.irs = syn.seq
        self.rcv_nxt = seq_add(syn.seq, 1)

    # -- data
    def data_segs(self, segs=None):
        """Segments with payload among segs (default: the whole log)."""
        return [s for s in (self.log if segs is None else segs) if s.data]

    def rel(self, seq):
        """A dut sequence number relative to its ISN + 1 (first data byte = 0)."""
        return seq_diff(seq, seq_add(self.irs, 1))

    def ack_to(self, rel_seq, wnd=None, options=None):
        """Acknowledge the dut's data up to relative sequence rel_seq."""
        self.rcv_nxt = seq_add(self.irs, 1 + rel_seq)
        self.send(ACK, wnd=wnd, options=options)


def tx_time_ns(frame_len, rate_bps=10_000_000):
    return frame_len * 8 * SECOND_NS // rate_bps


def read_all(conn):
    """Everything waiting on conn (b"" if nothing)."""
    d = conn.recv()
    return d if d else b""



class ModelReceiver:
    """A receiving TCP end modelled on the tester (RFC 9293 3.10.7.4 and, with
    sack=True, RFC 2018 4): it ACKs every data segment the dut sends at once,
    with a SACK option whose first block holds the segment just received and
    whose other blocks follow by recency. `drop` holds relative sequence
    numbers whose first transmission is "lost" (ignored).

    seen[rel] counts transmissions of the segment starting at rel."""

    def __init__(self, peer, sack=False, drop=(), max_blocks=4):
        self.peer, self.sack, self.drop = peer, sack, set(drop)
        self.max_blocks = max_blocks
        self.cum = 0
        self.ranges = []  # [left, right, last update tick] above cum, disjoint
        self.tick = 0
        self.seen = {}
        self.data = {}
        self.acks_sent = 0

    def _add(self, left, right):
        self.tick += 1
        merged = [left, right, self.tick]
        keep = []
        for r in self.ranges:
            if r[1] < merged[0] or r[0] > merged[1]:
                keep.append(r)
            else:
                merged[0], merged[1] = min(r[0], merged[0]), max(r[1], merged[1])
        keep.append(merged)
        self.ranges = sorted(keep)
        while self.ranges and self.ranges[0][0] <= self.cum:
            self.cum = max(self.cum, self.ranges.pop(0)[1])
        return merged

    def blocks(self, newest=None):
        order = sorted(self.ranges, key=lambda r: -r[2])
        return [(r[0], r[1]) for r in order][: self.max_blocks]

    def on_seg(self, s):
        if not s.data:
            return
        rel = self.peer.rel(s.seq)
        n = self.seen.get(rel, 0)
        self.seen[rel] = n + 1
        if n == 0 and rel in self.drop:
            return
        self.data[rel] = s.data
        self._add(rel, rel + len(s.data))
        opts = b""
        if self.sack and self.ranges:
            base = seq_add(self.peer.irs, 1)
            opts = opt_sack([(seq_add(base, l), seq_add(base, r)) for l, r in self.blocks()])
        if self.peer.ts_on:
            opts = opt_ts(self.peer.tsval(), self.peer.ts_recent) + opts
        self.peer.ack_to(self.cum, options=opts)
        self.acks_sent += 1

    def serve(self, until_rel, timeout="30s"):
        """Run instant by instant, answering each segment, until everything
        below until_rel is acknowledged. Returns True on success."""
        def step():
            for s in self.peer._take(self.peer.b.tester.recv()):
                self.on_seg(s)
            return self.cum >= until_rel

        return self.peer.sim.run_until(step, timeout=timeout)

    def stream(self):
        out, off = b"", 0
        while off in self.data:
            out += self.data[off]
            off += len(self.data[off])
        return out

    @property
    def retransmitted(self):
        return sorted(rel for rel, n in self.seen.items() if n > 1)


__all__ = [n for n in dir() if not n.startswith("_")]
