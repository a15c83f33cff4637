"""IPv6 helpers for the ND (RFC 4861), SLAAC (RFC 4862), MLDv1 (RFC 2710) and
DHCPv6 (RFC 8415) suites: byte-exact builders for IPv6 headers, ICMPv6
messages, ND options, MLD and UDP over IPv6; a parser for what the dut sends
(extension headers walked by hand, checksums recomputed here and by Scapy);
and a bench (a stack node "dut" and a raw host "tester" on one Ethernet
link) with IPv6 switched on.

Like conformance_util, the builders give bytes, not Scapy packets, so a test
controls every field (the lying ones too), and the expected values never come
from the code that sends the stimulus.
"""
import ipaddress
import struct

from scapy.layers.inet6 import IPv6, in6_chksum

from conformance_util import ones_sum, inet_checksum, checksum_ok, eth, mac_bytes, flat_stats, stats_delta, \
    SECOND_NS  # noqa: F401  (re-exported)

ETH_IP6 = 0x86DD
NH_HOPOPT, NH_UDP, NH_ICMP6, NH_FRAG, NH_NONE, NH_DSTOPT, NH_ROUTING = 0, 17, 58, 44, 59, 60, 43

# ICMPv6 types (RFC 4443, 4861, 2710)
ECHO_REQ, ECHO_REP = 128, 129
DST_UNREACH = 1
MLD_QUERY, MLD_REPORT, MLD_DONE = 130, 131, 132
RS, RA, NS, NA, REDIRECT = 133, 134, 135, 136, 137

# ND option types (RFC 4861 4.6, RFC 8106)
OPT_SLLA, OPT_TLLA, OPT_PREFIX, OPT_REDIR_HDR, OPT_MTU, OPT_RDNSS = 1, 2, 3, 4, 5, 25

ALL_NODES, ALL_ROUTERS = "ff02::1", "ff02::2"
UNSPEC = "::"
PREFIX = "2001:db8:1::"        # the bench's global /64
DUT_G = "2001:db8:1::1"        # the dut's fixed global address (add_ip6 dad=False)
TESTER_G = "2001:db8:1::2"     # the tester's global address
OTHER_G = "2001:db8:1::99"     # on-link, nobody's
REMOTE = "2001:db8:99::7"      # off-link

# RFC 4861 10 constants
MAX_MULTICAST_SOLICIT = 3
MAX_UNICAST_SOLICIT = 3
RETRANS_TIMER_NS = SECOND_NS
DELAY_FIRST_PROBE_TIME_NS = 5 * SECOND_NS
REACHABLE_TIME_S = 30
LINK_NS = 1_000_000  # the bench link's propagation delay


# ----------------------------------------------------------------- addresses

def a16(addr: str) -> bytes:
    """16 bytes of an IPv6 address (a "%zone" suffix is ignored)."""
    return ipaddress.IPv6Address(addr.split("%")[0]).packed


def a_str(b: bytes) -> str:
    return str(ipaddress.IPv6Address(bytes(b)))


def norm(addr: str) -> str:
    """Canonical text without the zone, to compare addresses from the API."""
    return str(ipaddress.IPv6Address(addr.split("%")[0]))


def solicited_node(addr: str) -> str:
    """RFC 4291 2.7.1: ff02::1:ff00:0/104 and the address's low 24 bits."""
    return a_str(a16("ff02::1:ff00:0")[:13] + a16(addr)[13:])


def mcast_mac(addr: str) -> str:
    """RFC 2464 7: 33:33 and the low 32 bits of the IPv6 multicast address."""
    return "33:33:" + ":".join("%02x" % b for b in a16(addr)[12:])


def eui64_iid(mac: str) -> bytes:
    """RFC 4291 appendix A: MAC split by ff:fe, universal/local bit flipped."""
    m = mac_bytes(mac)
    return bytes([m[0] ^ 2]) + m[1:3] + b"\xff\xfe" + m[3:]


def linklocal_of(mac: str) -> str:
    return a_str(b"\xfe\x80" + bytes(6) + eui64_iid(mac))


# ------------------------------------------------------------------ builders

def ip6(src, dst, nh, payload, *, hlim=255, tc=0, flow=0, plen=None, version=6) -> bytes:
    """An IPv6 header (RFC 8200 3) and payload; plen is the true length unless given."""
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB", (version << 28) | (tc << 20) | flow, plen, nh, hlim) + a16(src) + a16(dst) + payload


def pseudo6(src, dst, length, nh) -> bytes:
    """RFC 8200 8.1 pseudo header."""
    return a16(src) + a16(dst) + struct.pack("!I3xB", length, nh)


def icmp6(src, dst, mtype, code, body: bytes, chksum=None) -> bytes:
    """An ICMPv6 message (RFC 4443 2.1): type, code, checksum, body; checksum
    over the pseudo header (RFC 4443 2.3) unless given."""
    msg = struct.pack("!BBH", mtype, code, 0) + body
    if chksum is None:
        chksum = inet_checksum(pseudo6(src, dst, len(msg), NH_ICMP6) + msg)
    return msg[:2] + struct.pack("!H", chksum) + msg[4:]


def udp6(src, dst, sport, dport, data: bytes, chksum=None) -> bytes:
    """UDP over IPv6 (RFC 8200 8.1: checksum mandatory, 0 sent as 0xffff)."""
    seg = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    if chksum is None:
        chksum = inet_checksum(pseudo6(src, dst, len(seg), NH_UDP) + seg) or 0xFFFF
    return seg[:6] + struct.pack("!H", chksum) + seg[8:]


def opt_lla(otype, mac, length=1) -> bytes:
    """Source/Target Link-layer Address option (RFC 4861 4.6.1); length in 8-byte units."""
    body = mac_bytes(mac)
    raw = struct.pack("!BB", otype, length) + body
    return raw + bytes(max(0, length * 8 - len(raw)))


def opt_prefix(prefix, plen=64, *, L=True, A=True, valid=2592000, preferred=604800) -> bytes:
    """Prefix Information option (RFC 4861 4.6.2)."""
    flags = (0x80 if L else 0) | (0x40 if A else 0)
    return struct.pack("!BBBBII4x", OPT_PREFIX, 4, plen, flags, valid, preferred) + a16(prefix)


def opt_mtu(mtu) -> bytes:
    """MTU option (RFC 4861 4.6.4)."""
    return struct.pack("!BBHI", OPT_MTU, 1, 0, mtu)


def opt_rdnss(servers, lifetime=3600) -> bytes:
    """RDNSS option (RFC 8106 5.1)."""
    return struct.pack("!BBHI", OPT_RDNSS, 1 + 2 * len(servers), 0, lifetime) + b"".join(a16(s) for s in servers)


def opt_redirected_header(pkt: bytes) -> bytes:
    """Redirected Header option (RFC 4861 4.6.3), padded to 8 bytes."""
    pad = (-len(pkt)) % 8
    return struct.pack("!BBH4x", OPT_REDIR_HDR, (8 + len(pkt) + pad) // 8, 0) + pkt + bytes(pad)


def ns_body(target, opts=b"") -> bytes:
    """Neighbor Solicitation after the ICMPv6 checksum (RFC 4861 4.3)."""
    return bytes(4) + a16(target) + opts


def na_body(target, *, R=False, S=False, O=False, opts=b"") -> bytes:
    """Neighbor Advertisement after the checksum (RFC 4861 4.4)."""
    flags = (0x80 if R else 0) | (0x40 if S else 0) | (0x20 if O else 0)
    return struct.pack("!B3x", flags) + a16(target) + opts


def rs_body(opts=b"") -> bytes:
    return bytes(4) + opts


def ra_body(*, cur_hlim=64, M=False, O=False, lifetime=1800, reachable=0, retrans=0, opts=b"") -> bytes:
    """Router Advertisement after the checksum (RFC 4861 4.2)."""
    flags = (0x80 if M else 0) | (0x40 if O else 0)
    return struct.pack("!BBHII", cur_hlim, flags, lifetime, reachable, retrans) + opts


def redirect_body(target, dest, opts=b"") -> bytes:
    """Redirect after the checksum (RFC 4861 4.5)."""
    return bytes(4) + a16(target) + a16(dest) + opts


def echo_body(ident=0x1234, seq=1, data=b"") -> bytes:
    return struct.pack("!HH", ident, seq) + data


def hbh_router_alert(nh) -> bytes:
    """Hop-by-Hop Options with Router Alert 0 (MLD, RFC 2711) and PadN: 8 bytes."""
    return struct.pack("!BB", nh, 0) + bytes([5, 2, 0, 0]) + bytes([1, 0])


def mld_body(max_delay_ms, group) -> bytes:
    """MLDv1 after the checksum (RFC 2710 3): max response delay, reserved, address."""
    return struct.pack("!HH", max_delay_ms, 0) + a16(group)


def eth6(dst_mac, src_mac, l3: bytes) -> bytes:
    return eth(dst_mac, src_mac, ETH_IP6, l3)


# -------------------------------------------------------------------- parser

class P6:
    """An IPv6 packet the dut sent, parsed by hand (not by Scapy).

    .src .dst .hlim .tc .flow .plen, .exts [(nh, bytes)], .nh (upper-layer
    protocol), .upper (its bytes), .frame (the Scapy packet), .time_ns,
    .eth_src, .eth_dst. For ICMPv6: .type .code .body (after the checksum).
    """

    def __init__(self, f):
        raw = bytes(f)
        self.frame, self.time_ns = f, getattr(f, "time_ns", None)
        self.eth_dst, self.eth_src = f.dst, f.src
        l3 = raw[14:]
        vtf, self.plen, nh, self.hlim = struct.unpack("!IHBB", l3[:8])
        assert vtf >> 28 == 6, "IPv6 version"
        self.tc, self.flow = (vtf >> 20) & 0xFF, vtf & 0xFFFFF
        self.src, self.dst = a_str(l3[8:24]), a_str(l3[24:40])
        assert len(l3) >= 40 + self.plen, "payload length past the frame"
        pay = l3[40:40 + self.plen]
        self.l3 = l3[:40 + self.plen]
        self.exts = []
        while nh in (NH_HOPOPT, NH_DSTOPT, NH_ROUTING):
            n = (pay[1] + 1) * 8
            self.exts.append((nh, pay[:n]))
            nh, pay = pay[0], pay[n:]
        self.nh, self.upper = nh, pay
        if nh == NH_ICMP6:
            self.type, self.code = pay[0], pay[1]
            self.body = pay[4:]

    def icmp6_checksum_ok(self):
        """Checksum right by the helpers here and by Scapy's in6_chksum."""
        ours = ones_sum(pseudo6(self.src, self.dst, len(self.upper), NH_ICMP6) + self.upper) == 0xFFFF
        zeroed = self.upper[:2] + b"\0\0" + self.upper[4:]
        theirs = in6_chksum(NH_ICMP6, IPv6(self.l3), zeroed) == struct.unpack("!H", self.upper[2:4])[0]
        return ours and theirs

    def udp_checksum_ok(self):
        c = struct.unpack("!H", self.upper[6:8])[0]
        return c != 0 and ones_sum(pseudo6(self.src, self.dst, len(self.upper), NH_UDP) + self.upper) == 0xFFFF

    def options(self, offset):
        """ND options in self.body from offset: [(type, bytes incl. type/len)]."""
        return nd_options(self.body[offset:])

    def __repr__(self):
        what = f"icmp6 {self.type}/{self.code}" if self.nh == NH_ICMP6 else f"nh {self.nh}"
        return f"<P6 t={self.time_ns} {self.src}->{self.dst} hlim={self.hlim} {what}>"


def nd_options(b: bytes):
    out = []
    while b:
        assert len(b) >= 2 and b[1] != 0, f"bad ND option in {b.hex()}"
        n = b[1] * 8
        assert len(b) >= n, "ND option past the end"
        out.append((b[0], b[:n]))
        b = b[n:]
    return out


def is_ip6(f) -> bool:
    raw = bytes(f)
    return len(raw) >= 54 and struct.unpack("!H", raw[12:14])[0] == ETH_IP6


def ip6_sent(frames):
    return [P6(f) for f in frames if is_ip6(f)]


def icmp6_sent(frames, mtype=None):
    """Parsed ICMPv6 packets in frames (of one type if given); every one is
    checked for a right checksum and an Ethernet dst that fits its IP dst."""
    out = []
    for p in ip6_sent(frames):
        if p.nh != NH_ICMP6 or (mtype is not None and p.type != mtype):
            continue
        assert p.icmp6_checksum_ok(), f"bad ICMPv6 checksum: {p!r}"
        if p.dst.startswith("ff"):
            assert p.eth_dst == mcast_mac(p.dst), f"RFC 2464 7: multicast MAC for {p.dst}: {p.eth_dst}"
        out.append(p)
    return out


def ns_target(p) -> str:
    return a_str(p.body[4:20])


def lla_of(p, otype, offset):
    """The MAC in the SLLA/TLLA option of an ND message, or None."""
    for t, o in p.options(offset):
        if t == otype:
            assert len(o) == 8, "RFC 4861 4.6.1: Ethernet LLA option is 8 bytes"
            return ":".join("%02x" % x for x in o[2:8])
    return None


# --------------------------------------------------------------------- bench

class Bench6:
    """The dut (a stack node) and the tester (a raw host) on one Ethernet
    link (1 ms, 10 Mbit/s). ip6="ll": IPv6 on with a link-local address only
    (enable_ip6); "global": also DUT_G/64 without DAD; None: IPv6 off.
    The tester uses its EUI-64 link-local address and TESTER_G."""

    def __init__(self, sim, *, ip6="global", name="dut", forwarding=False, settle="3s", node_kw=None, **link_kw):
        self.sim = sim
        self.dut = sim.node(name, forwarding=forwarding, **(node_kw or {}))
        self.tester = sim.raw_host("tester")
        link_kw.setdefault("delay", "1ms")
        link_kw.setdefault("rate", "10Mbit")
        self.link = sim.link(self.tester, self.dut, **link_kw)
        self.dif = self.dut.iface(self.link)
        self.dut_mac = self.dif.mac
        self.mac = self.tester.iface(self.link).mac
        self.ll = linklocal_of(self.mac)
        self.ip = TESTER_G
        self.initial_frames = []
        if ip6 is not None:
            self.dif.enable_ip6()
            if ip6 == "global":
                self.dif.add_ip6(DUT_G + "/64", dad=False)
            self.initial_frames = self.run(settle)
            assert self.dif.ip6_linklocal is not None, "no usable link-local address after DAD"
        self.dut_ll = norm(self.dif.ip6_linklocal) if ip6 is not None else None

    def run(self, duration="20ms"):
        self.sim.run(duration=duration)
        return self.tester.recv()

    def send(self, frame: bytes):
        self.tester.send(frame)

    def exchange(self, frame: bytes, duration="20ms"):
        self.tester.recv()
        self.send(frame)
        return self.run(duration)

    # -- stimuli
    def icmp6_frame(self, mtype, code, body, *, src=None, dst=None, hlim=255, dst_mac=None, src_mac=None,
                    chksum=None, plen=None):
        src = src or self.ll
        dst = dst or self.dut_ll
        if dst_mac is None:
            dst_mac = mcast_mac(dst) if dst.startswith("ff") else self.dut_mac
        return eth6(dst_mac, src_mac or self.mac,
                    ip6(src, dst, NH_ICMP6, icmp6(src, dst, mtype, code, body, chksum), hlim=hlim, plen=plen))

    def ns(self, target, *, src=None, dst=None, slla=True, mac=None, **kw):
        """An NS for target from the tester (or from mac): to the target's
        solicited-node group unless dst; with the SLLA unless slla=False."""
        src = src or self.ll
        dst = dst or solicited_node(target)
        opts = opt_lla(OPT_SLLA, mac or self.mac) if slla else b""
        return self.icmp6_frame(NS, kw.pop("code", 0), ns_body(target, opts), src=src, dst=dst, src_mac=mac, **kw)

    def na(self, target, *, src=None, dst=None, R=False, S=True, O=True, tlla=True, mac=None, **kw):
        src = src or target
        dst = dst or self.dut_ll
        opts = opt_lla(OPT_TLLA, mac or self.mac) if tlla else b""
        return self.icmp6_frame(NA, kw.pop("code", 0), na_body(target, R=R, S=S, O=O, opts=opts), src=src, dst=dst,
                                src_mac=mac, **kw)

    def ra(self, *, src=None, mac=None, dst=ALL_NODES, slla=True, opts=b"", **ra_kw):
        """An RA from the tester as a router (link-local src, hop limit 255)."""
        mac = mac or self.mac
        src = src or linklocal_of(mac)
        o = (opt_lla(OPT_SLLA, mac) if slla else b"") + opts
        hlim = ra_kw.pop("hlim", 255)
        code = ra_kw.pop("code", 0)
        return self.icmp6_frame(RA, code, ra_body(opts=o, **ra_kw), src=src, dst=dst, src_mac=mac, hlim=hlim)

    def echo(self, dst=None, src=None, ident=0x1234, seq=1, data=b"ping", **kw):
        return self.icmp6_frame(ECHO_REQ, 0, echo_body(ident, seq, data), src=src or self.ip, dst=dst or DUT_G, **kw)

    # -- common steps
    def teach_neighbor(self, addr=None):
        """Put the tester in the dut's neighbor cache (RFC 4861 7.2.3: an NS
        with an SLLA creates a STALE entry) and return the dut's NA."""
        addr = addr or self.ip
        target = DUT_G if not addr.startswith("fe80") else self.dut_ll
        frames = self.exchange(self.ns(target, src=addr))
        nas = icmp6_sent(frames, NA)
        assert len(nas) == 1, f"no NA to an NS for the dut's address: {frames!r}"
        return nas[0]

    def ping_ok(self, src=None, dst=None, seq=0x77):
        """An echo request gets its reply (the dut still works)."""
        self.teach_neighbor(src or self.ip)
        frames = self.exchange(self.echo(src=src, dst=dst, ident=0xBEEF, seq=seq, data=b"still alive"))
        reps = icmp6_sent(frames, ECHO_REP)
        assert len(reps) == 1, f"no echo reply: {frames!r}"
        assert reps[0].body == echo_body(0xBEEF, seq, b"still alive")
        return reps[0]

    def stats(self):
        return flat_stats(self.dut)

    def neighbor(self, addr):
        """The dut's neighbor cache entry for addr, or None."""
        for n in self.dut.neighbors6():
            if norm(n["ip"]) == norm(addr):
                return n
        return None

    def addr_info(self, addr):
        for a in self.dif.ip6_addrs:
            if norm(a["addr"]) == norm(addr):
                return a
        return None


__all__ = [n for n in dir() if not n.startswith("_")]
