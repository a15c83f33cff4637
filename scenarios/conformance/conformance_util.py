"""Shared helpers for the conformance suites: a test bench (one stack node, the
"dut", and one raw host, the "tester", on a point-to-point link), byte-exact
packet builders, an independent Internet checksum, and counter deltas.

The builders produce bytes, not Scapy packets, so that a test controls every
field (including the lying ones) and the expected values never come from the
same code that sends the stimulus. Received frames are Scapy packets (the
shoal API gives them so); checks recompute checksums both with the helpers here
and with Scapy.
"""
import socket
import struct

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether

BCAST_MAC = "ff:ff:ff:ff:ff:ff"
ZERO_MAC = "00:00:00:00:00:00"
ETH_IP4 = 0x0800
ETH_ARP = 0x0806

DUT_IP = "10.0.0.1"
TESTER_IP = "10.0.0.2"
OTHER_IP = "10.0.0.99"  # on the subnet, but nobody's
NET_BCAST = "10.0.0.255"
LIMITED_BCAST = "255.255.255.255"

RATE_BPS = 10_000_000  # "10Mbit": 800 ns per byte, so every frame time is whole ns
DELAY_NS = 1_000_000  # "1ms"
SECOND_NS = 1_000_000_000

PROTO_ICMP, PROTO_UDP = 1, 17


# ---------------------------------------------------------------- checksums

def ones_sum(data: bytes) -> int:
    """RFC 1071 one's complement sum of 16-bit words (odd byte padded with 0)."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total


def inet_checksum(data: bytes) -> int:
    """The Internet checksum of data (its checksum field zeroed by the caller)."""
    return ~ones_sum(data) & 0xFFFF


def checksum_ok(data: bytes) -> bool:
    """True if data, checksum field included, sums to all ones (RFC 1071)."""
    return ones_sum(data) == 0xFFFF


def corrupt(chk: int) -> int:
    """A checksum that is wrong for data whose right one is chk. XOR with 0x5a5a
    never maps 0x0000 <-> 0xffff, the only two equivalent one's complement values."""
    return chk ^ 0x5A5A


def ip_aton(a: str) -> bytes:
    return socket.inet_aton(a)


def udp_pseudo_header(src: str, dst: str, udp_len: int) -> bytes:
    """RFC 768: source, destination, zero, protocol, UDP length."""
    return ip_aton(src) + ip_aton(dst) + struct.pack("!BBH", 0, PROTO_UDP, udp_len)


def udp_checksum(src: str, dst: str, udp_segment: bytes) -> int:
    """RFC 768 checksum of a UDP header+data (checksum field zero), as sent:
    a computed 0 is transmitted as all ones."""
    c = inet_checksum(udp_pseudo_header(src, dst, len(udp_segment)) + udp_segment)
    return c if c else 0xFFFF


def scapy_ip_chksum(pkt) -> int:
    """Scapy's own computation of the IPv4 header checksum of a received packet."""
    ip = pkt[IP].copy()
    ip.remove_payload()
    del ip.chksum
    return IP(bytes(ip)).chksum


def scapy_l4_chksum(pkt, layer) -> int:
    """Scapy's computation of the ICMP or UDP checksum of a received packet."""
    ip = IP(bytes(pkt[IP])[: pkt[IP].len])
    del ip[layer].chksum
    return IP(bytes(ip))[layer].chksum


# ----------------------------------------------------------------- builders

def mac_bytes(mac: str) -> bytes:
    return bytes(int(x, 16) for x in mac.split(":"))


def eth(dst: str, src: str, ethertype: int, payload: bytes) -> bytes:
    return mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ethertype) + payload


def arp(op, sha, spa, tha, tpa, htype=1, ptype=ETH_IP4, hlen=6, plen=4) -> bytes:
    """An RFC 826 packet body. hlen/plen are only written into the header: the
    address fields always take 6 and 4 bytes, so a wrong length field is a lie."""
    return (struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + mac_bytes(sha) + ip_aton(spa)
            + mac_bytes(tha) + ip_aton(tpa))


def ip4(src, dst, proto, payload, *, ttl=64, ident=0x4242, flags=0, frag=0, tos=0, options=b"",
        ihl=None, total_len=None, chksum=None, version=4) -> bytes:
    """An IPv4 datagram (RFC 791 3.1). flags: bit 2 = reserved, 1 = DF, 0 = MF
    (the 3-bit field). Unless given, IHL, total length and the header checksum
    are the right values for the bytes built."""
    if ihl is None:
        assert len(options) % 4 == 0
        ihl = 5 + len(options) // 4
    hdr_len = 20 + len(options)
    if total_len is None:
        total_len = hdr_len + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", (version << 4) | ihl, tos, total_len, ident,
                      (flags << 13) | frag, ttl, proto, 0, ip_aton(src), ip_aton(dst)) + options
    if chksum is None:
        chksum = inet_checksum(hdr)
    hdr = hdr[:10] + struct.pack("!H", chksum) + hdr[12:]
    return hdr + payload


def icmp(icmp_type, code, rest: bytes, data: bytes, chksum=None) -> bytes:
    """An ICMP message (RFC 792): type, code, checksum, 4 bytes of rest, data."""
    msg = struct.pack("!BBH", icmp_type, code, 0) + rest + data
    if chksum is None:
        chksum = inet_checksum(msg)
    return msg[:2] + struct.pack("!H", chksum) + msg[4:]


def echo_request(ident, seq, data, chksum=None) -> bytes:
    return icmp(8, 0, struct.pack("!HH", ident, seq), data, chksum)


def udp(src, dst, sport, dport, data, *, length=None, chksum=None, extra=b"") -> bytes:
    """A UDP datagram (RFC 768). The checksum covers the pseudo header and the
    first length-8 bytes of data (what the length field claims); extra bytes
    go after the datagram, inside the same IP payload."""
    if length is None:
        length = 8 + len(data)
    seg = struct.pack("!HHHH", sport, dport, length, 0) + data
    if chksum is None:
        claimed = seg[:length] if 8 <= length <= len(seg) else seg
        chksum = udp_checksum(src, dst, claimed[:4] + struct.pack("!H", length) + b"\0\0" + claimed[8:])
    return seg[:6] + struct.pack("!H", chksum) + seg[8:] + extra


def pattern(n: int, salt: int = 0) -> bytes:
    """n bytes that differ from byte to byte and from size to size (not all zero,
    so a stack that echoes padding or zeros is caught)."""
    return bytes((i * 7 + salt * 13 + 1) & 0xFF for i in range(n))


def tx_ns(frame_len: int, rate_bps: int = RATE_BPS) -> int:
    """Serialisation time of a frame, exact in ns for the rates the tests use."""
    ns, rem = divmod(frame_len * 8 * SECOND_NS, rate_bps)
    assert rem == 0, "choose a rate for which frame times are whole nanoseconds"
    return ns


# -------------------------------------------------------------- counters

def flat_stats(node) -> dict:
    """node.stats flattened to {"ip4.chkerr": n, "pool.pbuf.peak": n, ...}."""
    out = {}

    def walk(prefix, d):
        for k, v in d.items():
            name = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, dict):
                walk(name, v)
            else:
                out[name] = v

    walk("", node.stats)
    return out


def stats_delta(before: dict, after: dict, prefixes=None) -> dict:
    """Counters that changed, as {name: after - before}; pool gauges excluded
    unless asked for. prefixes: only names starting with one of these."""
    d = {}
    for k in set(before) | set(after):
        if prefixes is None and k.startswith("pool."):
            continue
        if prefixes is not None and not any(k.startswith(p) for p in prefixes):
            continue
        diff = after.get(k, 0) - before.get(k, 0)
        if diff:
            d[k] = diff
    return d


# -------------------------------------------------------------------- bench

def is_arp(f, op=None):
    return ARP in f and (op is None or f[ARP].op == op)


def is_ip(f, proto=None):
    return IP in f and (proto is None or f[IP].proto == proto)


def raw_l3(f) -> bytes:
    """The bytes after the Ethernet header, as received (padding included)."""
    return bytes(f)[14:]


def raw_ip(f) -> bytes:
    """The IPv4 datagram of a frame, cut to its total length (padding removed)."""
    b = raw_l3(f)
    return b[: struct.unpack("!H", b[2:4])[0]]


class Bench:
    """The dut (a stack node) and the tester (a raw host) on one Ethernet link.

    The address is set after the link exists, so the gratuitous ARP that
    set_ip4 sends is captured in .initial_frames.
    """

    def __init__(self, sim, *, delay="1ms", rate="10Mbit", cidr=f"{DUT_IP}/24", name="dut", **link_kw):
        self.sim = sim
        self.dut = sim.node(name)
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

    # -- clock and frames
    def run(self, duration="20ms"):
        """Advance the clock and return the frames the tester got meanwhile."""
        self.sim.run(duration=duration)
        return self.tester.recv()

    def send(self, frame: bytes):
        self.tester.send(frame)

    def exchange(self, frame: bytes, duration="20ms"):
        """Send one frame now, run, and return what came back."""
        self.tester.recv()
        self.send(frame)
        return self.run(duration)

    # -- stimuli from the tester
    def to_dut(self, l3: bytes, ethertype=ETH_IP4, dst_mac=None, src_mac=None) -> bytes:
        return eth(dst_mac or self.dut_mac, src_mac or self.mac, ethertype, l3)

    def ip_to_dut(self, proto, payload, dst=None, src=None, dst_mac=None, **ipkw) -> bytes:
        return self.to_dut(ip4(src or self.ip, dst or self.dut_ip, proto, payload, **ipkw), dst_mac=dst_mac)

    def echo_to_dut(self, data=b"", ident=0x1234, seq=1, **kw) -> bytes:
        return self.ip_to_dut(PROTO_ICMP, echo_request(ident, seq, data), **kw)

    def arp_request(self, tpa, spa=None, sha=None, dst_mac=BCAST_MAC) -> bytes:
        sha = sha or self.mac
        return eth(dst_mac, sha, ETH_ARP, arp(1, sha, spa or self.ip, ZERO_MAC, tpa))

    def arp_reply_to_dut(self, spa=None, sha=None) -> bytes:
        sha = sha or self.mac
        return eth(self.dut_mac, sha, ETH_ARP, arp(2, sha, spa or self.ip, self.dut_mac, self.dut_ip))

    # -- common steps
    def prime_arp(self):
        """RFC 826: the target of a request enters the requester in its table,
        so the dut can answer the tester without asking first."""
        frames = self.exchange(self.arp_request(self.dut_ip))
        replies = [f for f in frames if is_arp(f, 2)]
        assert len(replies) == 1, f"dut did not answer an ARP request for its address: {frames!r}"
        return replies[0]

    def ping_ok(self, data=b"still alive", seq=0x77):
        """A well-formed echo right now gets its reply: earlier junk did no harm."""
        frames = self.exchange(self.echo_to_dut(data, ident=0xBEEF, seq=seq))
        replies = [f for f in frames if is_ip(f, PROTO_ICMP) and f[ICMP].type == 0]
        assert len(replies) == 1, f"no echo reply to a normal ping afterwards: {frames!r}"
        r = replies[0]
        assert (r[ICMP].id, r[ICMP].seq) == (0xBEEF, seq)
        assert raw_ip(r)[28:] == data
        return r

    def stats(self):
        return flat_stats(self.dut)


def udp_frames(frames, dport=None):
    return [f for f in frames if is_ip(f, PROTO_UDP) and UDP in f and (dport is None or f[UDP].dport == dport)]


def icmp_frames(frames, icmp_type=None):
    return [f for f in frames if is_ip(f, PROTO_ICMP) and (icmp_type is None or f[ICMP].type == icmp_type)]


__all__ = [n for n in dir() if not n.startswith("_")] + ["Ether", "ARP", "IP", "ICMP", "UDP"]
