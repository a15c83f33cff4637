"""The IPv6 bench and byte-exact IPv6 builders for the conformance suites
(RFC 8200, 4443, 8201 and the IPv6 suites that import this module).

As in conformance_util (whose checksum helpers this reuses), stimuli are
built here as bytes, every field under the test's control, and received
frames are checked with code that does not share anything with the code
that built the stimulus: the ICMPv6/UDP checksums of what the dut sends are
recomputed here over the RFC 8200 8.1 pseudo-header and again by Scapy.

The bench: a stack node "dut" (2001:db8::1/64 added with dad=False, plus
its own link-local) and a raw host "tester" (2001:db8::2 and fe80::2) on an
Ethernet link. The tester answers the dut's Neighbor Solicitations for its
own addresses with a solicited Neighbor Advertisement carrying the target
link-layer address option (RFC 4861 7.2.4), so the dut can resolve it at any
time; the dut's ND and MLD traffic is kept apart (`peer.noise`) so that a
test sees only the frames it is about.
"""
import socket
import struct

from conformance_util import (DELAY_NS, RATE_BPS, SECOND_NS, checksum_ok, corrupt, eth, flat_stats, inet_checksum,
                              mac_bytes, ones_sum, pattern, stats_delta, tx_ns)
from scapy.layers.inet6 import IPv6, in6_chksum
from scapy.layers.l2 import Ether
from shoal.units import duration_ns

ETH_IP6 = 0x86DD

DUT_IP6 = "2001:db8::1"
TESTER_IP6 = "2001:db8::2"
TESTER_LL = "fe80::2"
OTHER_IP6 = "2001:db8::99"     # on the prefix, but nobody's
ALL_NODES = "ff02::1"
ALL_ROUTERS = "ff02::2"
UNSPEC = "::"

NH_HOP, NH_TCP, NH_UDP, NH_ROUTING, NH_FRAG, NH_ICMP6, NH_NONE, NH_DST = 0, 6, 17, 43, 44, 58, 59, 60
EXT_HEADERS = (NH_HOP, NH_ROUTING, NH_DST)  # walked by upper(); the fragment header stops it

# ICMPv6 (RFC 4443 / RFC 4861 / RFC 2710)
DEST_UNREACH, PACKET_TOO_BIG, TIME_EXCEEDED, PARAM_PROBLEM = 1, 2, 3, 4
ECHO_REQUEST, ECHO_REPLY = 128, 129
MLD_TYPES = (130, 131, 132, 143)
RS, RA, NS, NA, REDIRECT = 133, 134, 135, 136, 137
ND_TYPES = (RS, RA, NS, NA, REDIRECT)

# Unknown option types, one per action (RFC 8200 4.2: the two high bits),
# taken from the RFC 4727 experimental values (0x1E + action << 6) so that no
# stack knows them.
OPT_SKIP, OPT_DISCARD, OPT_PARAM, OPT_PARAM_UNICAST = 0x1E, 0x5E, 0x9E, 0xDE
OPT_BY_ACTION = {0b00: OPT_SKIP, 0b01: OPT_DISCARD, 0b10: OPT_PARAM, 0b11: OPT_PARAM_UNICAST}

MIN_MTU = 1280        # RFC 8200 5
HOP_LIMIT = 64        # the dut's default (IP6_DEFAULT_HOP_LIMIT; RFC 4861 6.3.2 CurHopLimit)
REASS_TIMEOUT_NS = 60 * SECOND_NS   # RFC 8200 4.5


# ---------------------------------------------------------------- addresses

def strip_zone(addr: str) -> str:
    return addr.split("%", 1)[0]


def a6(addr: str) -> bytes:
    """The 16 bytes of an IPv6 address (zone ignored)."""
    return socket.inet_pton(socket.AF_INET6, strip_zone(addr))


def n6(raw: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, bytes(raw))


def same6(x: str, y: str) -> bool:
    """Two IPv6 address strings name the same address (zones ignored)."""
    return a6(x) == a6(y)


def is_multicast6(addr: str) -> bool:
    return a6(addr)[0] == 0xFF


def solicited_node(addr: str) -> str:
    """RFC 4291 2.7.1: ff02::1:ffXX:XXXX from the low 24 bits."""
    return n6(a6("ff02::1:ff00:0")[:13] + a6(addr)[13:])


def mcast_mac(addr: str) -> str:
    """RFC 2464 7: 33:33 and the last four bytes of the group."""
    return ":".join("%02x" % b for b in b"\x33\x33" + a6(addr)[12:])


# ---------------------------------------------------------------- builders

def ip6(src, dst, nh, payload, *, hlim=64, tclass=0, flow=0, plen=None, version=6) -> bytes:
    """An IPv6 packet (RFC 8200 3). Unless given, the payload length is the
    length of the bytes built."""
    if plen is None:
        plen = len(payload)
    word = (version << 28) | (tclass << 20) | flow
    return struct.pack("!IHBB", word, plen, nh, hlim) + a6(src) + a6(dst) + payload


def pseudo6(src, dst, length, nh) -> bytes:
    """RFC 8200 8.1: source, destination, upper-layer length (32 bits), three
    zero bytes, next header."""
    return a6(src) + a6(dst) + struct.pack("!I3xB", length, nh)


def checksum6(src, dst, nh, msg: bytes) -> int:
    """The upper-layer checksum of msg (its checksum field zero) for src/dst."""
    return inet_checksum(pseudo6(src, dst, len(msg), nh) + msg)


def icmp6(src, dst, icmp_type, code, body: bytes, chksum=None) -> bytes:
    """An ICMPv6 message (RFC 4443 2.1): type, code, checksum, then body (the
    4-byte type-specific word and data). The checksum covers the pseudo-header
    (RFC 4443 2.3) unless a value is forced."""
    msg = struct.pack("!BBH", icmp_type, code, 0) + body
    if chksum is None:
        chksum = checksum6(src, dst, NH_ICMP6, msg)
    return msg[:2] + struct.pack("!H", chksum) + msg[4:]


def echo6(src, dst, ident, seq, data=b"", *, reply=False, chksum=None) -> bytes:
    """RFC 4443 4.1 / 4.2 Echo Request (or Reply)."""
    return icmp6(src, dst, ECHO_REPLY if reply else ECHO_REQUEST, 0, struct.pack("!HH", ident, seq) + data, chksum)


def icmp6_error(src, dst, icmp_type, code, param, invoking: bytes) -> bytes:
    """An ICMPv6 error (RFC 4443 3): type, code, the 32-bit parameter (unused,
    MTU or pointer) and the invoking packet."""
    return icmp6(src, dst, icmp_type, code, struct.pack("!I", param) + invoking)


def udp6(src, dst, sport, dport, data, *, chksum=None) -> bytes:
    """UDP over IPv6 (RFC 8200 8.1: the checksum is mandatory; a computed 0 is
    sent as 0xffff)."""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    if chksum is None:
        chksum = checksum6(src, dst, NH_UDP, seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", chksum) + seg[8:]


# options (RFC 8200 4.2) and the headers that carry them

def pad1() -> bytes:
    return b"\x00"


def padn(n: int) -> bytes:
    """A padding of n >= 2 bytes (PadN); n == 1 gives Pad1."""
    if n == 1:
        return pad1()
    assert n >= 2
    return bytes([1, n - 2]) + bytes(n - 2)


def opt(opt_type: int, data: bytes = b"") -> bytes:
    """One TLV option."""
    return bytes([opt_type, len(data)]) + data


def options_header(nh: int, options: bytes, hdr_ext_len=None) -> bytes:
    """A Hop-by-Hop or Destination Options header (RFC 8200 4.3 / 4.6) with
    the options given, padded with Pad1/PadN to a multiple of 8 bytes."""
    body = options
    rem = (2 + len(body)) % 8
    if rem:
        body += padn(8 - rem)
    if hdr_ext_len is None:
        hdr_ext_len = (2 + len(body)) // 8 - 1
    return bytes([nh, hdr_ext_len]) + body


def hbh(nh, options=b"", **kw) -> bytes:
    return options_header(nh, options, **kw)


def dstopts(nh, options=b"", **kw) -> bytes:
    return options_header(nh, options, **kw)


def routing(nh, rtype, segleft, data=None, hdr_ext_len=None) -> bytes:
    """A Routing header (RFC 8200 4.4): next header, length, type, segments
    left, then type-specific data (default: 4 reserved bytes and one address
    per segment, the type 0 layout of RFC 2460 4.4)."""
    if data is None:
        data = bytes(4) + b"".join(a6("2001:db8:ffff::%x" % (i + 1)) for i in range(max(segleft, 1)))
    assert (4 + len(data)) % 8 == 0
    if hdr_ext_len is None:
        hdr_ext_len = (4 + len(data)) // 8 - 1
    return bytes([nh, hdr_ext_len, rtype, segleft]) + data


def frag_hdr(nh, offset_bytes, more, ident, res=0, res2=0) -> bytes:
    """A Fragment header (RFC 8200 4.5): offset in bytes (a multiple of 8,
    written as 8-byte units), M flag, 32-bit identification."""
    assert offset_bytes % 8 == 0
    return struct.pack("!BBHI", nh, res, (offset_bytes // 8) << 3 | (res2 << 1) | int(bool(more)), ident)


def fragments6(src, dst, nh, fragmentable: bytes, cuts, ident, *, unfrag=b"", unfrag_nh=None, hlim=64):
    """The fragments of one packet (RFC 8200 4.5): `unfrag` is the
    unfragmentable part after the fixed header (its last Next Header must
    say 44; `unfrag_nh` is the fixed header's Next Header then), `nh` the
    first header of the fragmentable part, cut at the byte offsets in cuts
    (multiples of 8). Returns the packets in order."""
    bounds = [0] + list(cuts) + [len(fragmentable)]
    out = []
    first_nh = NH_FRAG if not unfrag else unfrag_nh
    for lo, hi in zip(bounds, bounds[1:]):
        more = hi < len(fragmentable)
        out.append(ip6(src, dst, first_nh, unfrag + frag_hdr(nh, lo, more, ident) + fragmentable[lo:hi], hlim=hlim))
    return out


# Neighbor Discovery (RFC 4861 4.3 / 4.4), what the tester needs

def ns_msg(src, dst, target, slla=None) -> bytes:
    body = bytes(4) + a6(target) + (bytes([1, 1]) + mac_bytes(slla) if slla else b"")
    return icmp6(src, dst, NS, 0, body)


def na_msg(src, dst, target, tlla=None, *, router=False, solicited=True, override=True) -> bytes:
    flags = (router << 31) | (solicited << 30) | (override << 29)
    body = struct.pack("!I", flags) + a6(target) + (bytes([2, 1]) + mac_bytes(tlla) if tlla else b"")
    return icmp6(src, dst, NA, 0, body)


# ---------------------------------------------------------------- parsing

def is_ip6(f) -> bool:
    b = bytes(f)
    return len(b) >= 54 and b[12:14] == b"\x86\xdd"


def raw_ip6(f) -> bytes:
    """The IPv6 packet of a frame, cut to 40 + payload length (padding off)."""
    b = bytes(f)[14:]
    return b[: 40 + struct.unpack("!H", b[4:6])[0]]


def upper(pkt: bytes):
    """(next header, offset) of the first header after the Hop-by-Hop,
    Routing and Destination Options headers of a packet (a fragment header
    stops the walk: (44, offset)). (None, None) if the chain is cut short."""
    nh, off = pkt[6], 40
    while nh in EXT_HEADERS:
        if off + 2 > len(pkt):
            return None, None
        nh, off = pkt[off], off + 8 * (pkt[off + 1] + 1)
    if off > len(pkt):
        return None, None
    return nh, off


def icmp6_of(f):
    """The ICMPv6 message in a frame (bytes), or None."""
    if not is_ip6(f):
        return None
    pkt = raw_ip6(f)
    nh, off = upper(pkt)
    if nh != NH_ICMP6 or len(pkt) < off + 4:
        return None
    return pkt[off:]


def icmp6_frames(frames, icmp_type=None, code=None):
    out = []
    for f in frames:
        m = icmp6_of(f)
        if m is not None and (icmp_type is None or m[0] == icmp_type) and (code is None or m[1] == code):
            out.append(f)
    return out


def errors6(frames):
    """The ICMPv6 error messages (types 0-127, RFC 4443 2.1) among frames."""
    return [f for f in frames if (icmp6_of(f) or b"\xff")[0] < 128]


def echo_replies6(frames):
    return icmp6_frames(frames, ECHO_REPLY)


def udp6_frames(frames, dport=None):
    out = []
    for f in frames:
        if is_ip6(f):
            pkt = raw_ip6(f)
            nh, off = upper(pkt)
            if nh == NH_UDP and (dport is None or struct.unpack("!H", pkt[off + 2:off + 4])[0] == dport):
                out.append(f)
    return out


def fragments_of(frames):
    """The frames that carry a Fragment header right after the fixed header,
    as (frame, offset_bytes, more, ident, next_header, data) tuples."""
    out = []
    for f in frames:
        if is_ip6(f):
            pkt = raw_ip6(f)
            if pkt[6] == NH_FRAG:
                nh, _, offm, ident = struct.unpack("!BBHI", pkt[40:48])
                out.append((f, offm & 0xFFF8, bool(offm & 1), ident, nh, pkt[48:]))
    return out


def l4_checksum_ok(f) -> bool:
    """The upper-layer checksum of a received IPv6 packet is right, computed
    here over the pseudo-header and by Scapy (in6_chksum)."""
    pkt = raw_ip6(f)
    nh, off = upper(pkt)
    msg = pkt[off:]
    if not checksum_ok(pseudo6(n6(pkt[8:24]), n6(pkt[24:40]), len(msg), nh) + msg):
        return False
    field = {NH_ICMP6: 2, NH_UDP: 6, NH_TCP: 16}[nh]
    zeroed = msg[:field] + b"\0\0" + msg[field + 2:]
    want = in6_chksum(nh, IPv6(pkt), zeroed)
    if nh == NH_UDP and want == 0:
        want = 0xFFFF
    return want == struct.unpack("!H", msg[field:field + 2])[0]


def is_nd_or_mld(f) -> bool:
    m = icmp6_of(f)
    return m is not None and (m[0] in ND_TYPES or m[0] in MLD_TYPES)


# ---------------------------------------------------------------- testers

class Peer:
    """A raw host's port on one link, owning IPv6 addresses there: it answers
    Neighbor Solicitations for them (RFC 4861 7.2.4: solicited NA, override,
    target link-layer address option) and keeps ND/MLD frames apart."""

    def __init__(self, host, link, addrs):
        self.host, self.link = host, link
        self.mac = host.iface(link).mac
        self.addrs = [strip_zone(a) for a in addrs]
        self.noise = []       # ND and MLD frames received (answered or not)
        self.inbox = []       # everything else
        self.solicited = []   # targets of the NSs answered
        self.answered = []    # (time sent, frame length) of the NAs sent

    def owns(self, addr) -> bool:
        return any(same6(addr, a) for a in self.addrs)

    def send(self, frame):
        self.host.send(frame, iface=self.link)

    def poll(self):
        for f in self.host.recv():
            if not is_nd_or_mld(f):
                self.inbox.append(f)
                continue
            self.noise.append(f)
            m = icmp6_of(f)
            pkt = raw_ip6(f)
            if m[0] != NS or len(m) < 24:
                continue
            target, src = n6(m[8:24]), n6(pkt[8:24])
            if not self.owns(target) or a6(src) == bytes(16):
                continue  # someone else's address, or DAD (never defend here)
            self.solicited.append(target)
            frame = eth(f[Ether].src, self.mac, ETH_IP6,
                        ip6(target, src, NH_ICMP6, na_msg(target, src, target, self.mac), hlim=255))
            self.answered.append((self.host.sim.now_ns, len(frame)))
            self.send(frame)

    def take(self):
        out, self.inbox = self.inbox, []
        return out


def run_net(sim, peers, duration, step=None):
    """Advance the clock by duration in steps, letting every peer answer ND
    after each step (10 ms steps up to a second, 250 ms beyond: well inside
    the dut's 1 s retransmission timer, RFC 4861 10)."""
    total = duration_ns(duration)
    if step is None:
        step = 10_000_000 if total <= SECOND_NS else 250_000_000
    else:
        step = duration_ns(step, "step")
    end = sim.now_ns + total
    while True:
        chunk = min(step, end - sim.now_ns)
        if chunk > 0:
            sim.run(duration="%dns" % chunk)
        for p in peers:
            p.poll()
        if sim.now_ns >= end:
            return


def wait_linklocal(sim, peers, iface, timeout_s=5):
    """Run until iface's link-local address is usable (DAD done, ~1-2 s)."""
    for _ in range(int(timeout_s * 10)):
        if iface.ip6_linklocal is not None:
            return strip_zone(iface.ip6_linklocal)
        run_net(sim, peers, "100ms")
    raise AssertionError(f"{iface!r}: no usable link-local address after {timeout_s} s: {iface.ip6_addrs!r}")


class Bench6:
    """The dut (a stack node) and the tester (a raw host) on one Ethernet
    link, 1 ms and 10 Mbit/s by default (800 ns per byte). The dut has
    DUT_IP6/64 (dad=False) and its link-local, usable when the bench is made;
    the tester owns TESTER_IP6 and TESTER_LL and answers ND for them."""

    def __init__(self, sim, *, delay="1ms", rate="10Mbit", name="dut", node_kw=None, **link_kw):
        self.sim = sim
        self.dut = sim.node(name, **(node_kw or {}))
        self.tester = sim.raw_host("tester")
        self.link = sim.link(self.tester, self.dut, delay=delay, rate=rate, **link_kw)
        self.dif = self.dut.iface(self.link)
        self.dif.add_ip6(DUT_IP6 + "/64", dad=False)
        self.dut_ip = DUT_IP6
        self.dut_mac = self.dif.mac
        self.peer = Peer(self.tester, self.link, [TESTER_IP6, TESTER_LL])
        self.mac = self.peer.mac
        self.ip = TESTER_IP6
        self.ll = TESTER_LL
        self.dut_ll = wait_linklocal(sim, [self.peer], self.dif)
        self.initial_frames = self.run("20ms")

    # -- clock and frames
    def run(self, duration="20ms", step=None):
        """Advance the clock (answering ND) and return the frames the tester
        got meanwhile, ND and MLD left out (they are in .peer.noise)."""
        run_net(self.sim, [self.peer], duration, step)
        return self.peer.take()

    def send(self, frame: bytes):
        self.peer.send(frame)

    def exchange(self, frame: bytes, duration="20ms"):
        """Send one frame now, run, and return what came back."""
        self.run(0)
        self.send(frame)
        return self.run(duration)

    # -- stimuli
    def to_dut(self, l3: bytes, dst_mac=None, src_mac=None) -> bytes:
        return eth(dst_mac or self.dut_mac, src_mac or self.mac, ETH_IP6, l3)

    def ip6_to_dut(self, nh, payload, *, src=TESTER_IP6, dst=DUT_IP6, dst_mac=None, **ipkw) -> bytes:
        if dst_mac is None and is_multicast6(dst):
            dst_mac = mcast_mac(dst)
        return self.to_dut(ip6(src, dst, nh, payload, **ipkw), dst_mac=dst_mac)

    def echo_to_dut(self, data=b"", ident=0x1234, seq=1, *, src=TESTER_IP6, dst=DUT_IP6, **kw) -> bytes:
        return self.ip6_to_dut(NH_ICMP6, echo6(src, dst, ident, seq, data), src=src, dst=dst, **kw)

    def udp_to_dut(self, dport, data=b"x", sport=40000, *, src=TESTER_IP6, dst=DUT_IP6, **kw) -> bytes:
        return self.ip6_to_dut(NH_UDP, udp6(src, dst, sport, dport, data), src=src, dst=dst, **kw)

    # -- common steps
    def prime_nd(self, src=TESTER_IP6, target=DUT_IP6):
        """RFC 4861 7.2.3: an NS with a source link-layer address option makes
        the target enter the sender in its neighbor cache (STALE), so the dut
        can answer the tester at once. Returns the dut's NA."""
        self.run(0)
        n0 = len(self.peer.noise)
        self.send(eth(mcast_mac(solicited_node(target)), self.mac, ETH_IP6,
                      ip6(src, solicited_node(target), NH_ICMP6, ns_msg(src, solicited_node(target), target, self.mac),
                          hlim=255)))
        self.run("20ms")
        nas = [f for f in self.peer.noise[n0:] if (icmp6_of(f) or b"\0")[0] == NA]
        assert len(nas) == 1, f"dut did not answer a Neighbor Solicitation for {target}: {self.peer.noise[n0:]!r}"
        return nas[0]

    def ping_ok(self, data=b"still alive", seq=0x77, src=TESTER_IP6, dst=DUT_IP6):
        """A well-formed echo right now gets its reply: earlier junk did no harm."""
        frames = self.exchange(self.echo_to_dut(data, ident=0xBEEF, seq=seq, src=src, dst=dst), "50ms")
        replies = echo_replies6(frames)
        assert len(replies) == 1, f"no echo reply to a normal ping afterwards: {frames!r}"
        m = icmp6_of(replies[0])
        assert m[4:8] == struct.pack("!HH", 0xBEEF, seq) and m[8:] == data
        return replies[0]

    def stats(self):
        return flat_stats(self.dut)

    def mark(self):
        """A snapshot for delta(): the counters and the time."""
        return self.stats(), self.sim.now_ns

    def _wire(self):
        """frame length -> ns from the start of sending to arrival."""
        imp = self.link.impairments()
        rate, delay = imp["rate_bps"], imp["delay_ns"]
        return lambda n: delay + (n * 8 * SECOND_NS // rate if rate else 0)

    def delta(self, mark, prefixes=None):
        """stats_delta since mark, less the ND/MLD traffic of that time: the
        dut's own solicitations, reports and advertisements sent meanwhile
        (in ip6.xmit), the tester's answers that reached the dut meanwhile
        (in ip6.recv and icmp6.recv). What is left is the test's doing.
        The clock runs 3 ms more (frames stay in the inbox) so that frames
        sent before now have arrived; send times are arrival less delay and
        serialisation. icmp6.xmit is left out: what the dut sent is counted
        on the wire instead."""
        before, t0 = mark
        after, t1 = self.stats(), self.sim.now_ns
        wire = self._wire()
        run_net(self.sim, [self.peer], "%dns" % (wire(1514) + 2_000_000))
        own = sum(1 for f in self.peer.noise if t0 <= f.time_ns - wire(len(bytes(f))) < t1)
        ans = sum(1 for sent, n in self.peer.answered if t0 <= sent + wire(n) < t1)
        for k, n in (("ip6.xmit", own), ("ip6.recv", ans), ("icmp6.recv", ans)):
            after[k] = after.get(k, 0) - n
        after["icmp6.xmit"] = before.get("icmp6.xmit", 0)
        return stats_delta(before, after, prefixes)


NET_A, NET_B = "2001:db8:1::", "2001:db8:2::"
R_A, R_B = NET_A + "1", NET_B + "1"     # the router on each link
H_A, H_B = NET_A + "2", NET_B + "2"     # the testers
LL_A, LL_B = "fe80::a", "fe80::b"


class RouterBench6:
    """A forwarding node "r" between two raw-host testers: ta on link "r-a"
    (2001:db8:1::/64), tb on link "r-b" (2001:db8:2::/64, MTU mtu_b). r is ::1
    on each (dad=False) with its link-locals usable; the testers own ::2 and
    fe80::a / fe80::b, answer ND, and have introduced themselves to r with
    an NS (RFC 4861 7.2.3), so r knows them when the bench is made."""

    def __init__(self, sim, mtu_b=1500, delay="1ms", rate="10Mbit"):
        self.sim = sim
        self.r = sim.node("r", forwarding=True)
        self.peers, self.links, self.r_ll, self.r_ip = {}, {}, {}, {}
        for name, net, mtu, ll in (("a", NET_A, 1500, LL_A), ("b", NET_B, mtu_b, LL_B)):
            t = sim.raw_host("t" + name)
            link = sim.link(t, self.r, delay=delay, rate=rate, mtu=mtu, name="r-" + name)
            self.r.iface(link).add_ip6(net + "1/64", dad=False)
            self.links[name] = link
            self.r_ip[name] = net + "1"
            self.peers[name] = Peer(t, link, [net + "2", ll])
        for name, link in self.links.items():
            self.r_ll[name] = wait_linklocal(sim, list(self.peers.values()), self.r.iface(link))
        for name, net in (("a", NET_A), ("b", NET_B)):
            self.introduce(name, net + "2", net + "1")
        self.run("20ms")

    def mac(self, name):
        return self.peers[name].mac

    def rmac(self, name):
        return self.r.iface(self.links[name]).mac

    def introduce(self, name, src, target):
        """An NS from tester `name` (source src, with its link-layer address)
        for the router's address `target`; returns r's NA."""
        self.run(0)
        peer = self.peers[name]
        n0 = len(peer.noise)
        sn = solicited_node(target)
        peer.send(eth(mcast_mac(sn), peer.mac, ETH_IP6, ip6(src, sn, NH_ICMP6, ns_msg(src, sn, target, peer.mac),
                                                             hlim=255)))
        self.run("20ms")
        nas = [f for f in peer.noise[n0:] if (icmp6_of(f) or b"\0")[0] == NA]
        assert len(nas) == 1, f"r did not answer an NS for {target} on {name}: {peer.noise[n0:]!r}"
        return nas[0]

    def send(self, name, pkt: bytes, dst_mac=None):
        """An IPv6 packet from tester `name` to r's MAC on that link."""
        self.peers[name].send(eth(dst_mac or self.rmac(name), self.mac(name), ETH_IP6, pkt))

    def run(self, duration="20ms", step=None):
        """Advance the clock; {tester name: frames it got}, ND and MLD left out."""
        run_net(self.sim, list(self.peers.values()), duration, step)
        return {n: p.take() for n, p in self.peers.items()}

    def exchange(self, name, pkt, duration="50ms", dst_mac=None):
        self.run(0)
        self.send(name, pkt, dst_mac)
        return self.run(duration)

    def stats(self):
        return flat_stats(self.r)


def check_ip6_header(f, *, src, dst, nh, src_mac, dst_mac, hlim=HOP_LIMIT, tclass=0):
    """The fixed header and Ethernet addresses of a frame the dut sent."""
    assert f[Ether].src == src_mac and f[Ether].dst == dst_mac, (f[Ether].src, f[Ether].dst)
    pkt = raw_ip6(f)
    word, plen, got_nh, got_hlim = struct.unpack("!IHBB", pkt[:8])
    assert word >> 28 == 6, "version"
    assert (word >> 20) & 0xFF == tclass, "traffic class"
    assert len(bytes(f)) - 14 >= 40 + plen, "payload length past the frame"
    assert (got_nh, got_hlim) == (nh, hlim), (got_nh, got_hlim)
    assert same6(n6(pkt[8:24]), src), f"source {n6(pkt[8:24])}, expected {src}"
    assert same6(n6(pkt[24:40]), dst), f"destination {n6(pkt[24:40])}, expected {dst}"
    return pkt


def check_icmp6_error(f, *, src, dst, src_mac, dst_mac, icmp_type, code, param, invoking: bytes):
    """An ICMPv6 error (RFC 4443 2.1 / 3): header fields, checksum over the
    pseudo-header (both ways), the 32-bit parameter, and the quote: as much of
    the invoking packet as fits with the error in 1280 bytes (2.4 c), as
    received. Returns the quote."""
    pkt = check_ip6_header(f, src=src, dst=dst, nh=NH_ICMP6, src_mac=src_mac, dst_mac=dst_mac)
    assert len(pkt) <= MIN_MTU, f"an error of {len(pkt)} bytes exceeds the minimum MTU"
    msg = pkt[40:]
    assert (msg[0], msg[1]) == (icmp_type, code), f"type/code {msg[0]}/{msg[1]}, expected {icmp_type}/{code}"
    assert l4_checksum_ok(f), "ICMPv6 checksum"
    assert struct.unpack("!I", msg[4:8])[0] == param, f"parameter {struct.unpack('!I', msg[4:8])[0]}, want {param}"
    quote = msg[8:]
    assert len(quote) == min(len(invoking), MIN_MTU - 48), (len(quote), len(invoking))
    diff = [i for i in range(len(quote)) if quote[i] != invoking[i]]
    assert not diff, f"the quote is not the invoking packet as received: bytes {diff[:8]} differ " \
                     f"(quoted {[quote[i] for i in diff[:8]]}, received {[invoking[i] for i in diff[:8]]})"
    return quote


def each(cases, check):
    """Run check(case) for every case (one bench, many stimuli: the tshark
    pass per test is what costs wall time) and report every failing case
    together, by name."""
    failures = []
    for case in cases:
        try:
            check(case)
        except AssertionError as e:
            failures.append(f"[{case}] {e}")
    assert not failures, "\n".join(failures)


def excuse(sim, link, frame):
    """Excuse a frame the dut sent from the tshark check of the link's pcap:
    for ICMPv6 errors that quote a deliberately malformed stimulus, which
    tshark dissects inside the quote and reports (the test has checked the
    error's own fields and checksum itself)."""
    sim.excuse(link, frame)


def opt_value(name):
    """A default from stack/include/shoal/opt.h (None if not defined there)."""
    import os
    import re
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "stack", "include", "shoal",
                        "opt.h")
    with open(path) as fh:
        m = re.search(r"#define\s+%s\s+(\d+)" % name, fh.read())
    return int(m.group(1)) if m else None


def icmp6_burst_config():
    """(burst, rate per second) of the ICMPv6 error limit as built: opt.h's
    SHOAL_ICMP6_ERR_* when it has them, else the SHOAL_ICMP_ERR_* ones."""
    burst = opt_value("SHOAL_ICMP6_ERR_BURST") or opt_value("SHOAL_ICMP_ERR_BURST")
    rate = opt_value("SHOAL_ICMP6_ERR_RATE_PER_S") or opt_value("SHOAL_ICMP_ERR_RATE_PER_S")
    return burst, rate


__all__ = [n for n in dir() if not n.startswith("_")] + [
    "DELAY_NS", "RATE_BPS", "SECOND_NS", "checksum_ok", "corrupt", "eth", "flat_stats", "inet_checksum",
    "ones_sum", "pattern", "stats_delta", "tx_ns", "Ether", "IPv6"]
