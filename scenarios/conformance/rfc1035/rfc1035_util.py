"""DNS test helpers: byte-exact message builders (lying fields and malicious
compression included), the malicious reply classes of NAME:WRECK and
AMNESIA:33, and a fake DNS server played by the tester raw host.

Well-formed answers are built with Scapy's DNS layers (scapy.layers.dns);
the malicious ones byte by byte here, since Scapy would fix their lies.
"""
import struct
from collections import namedtuple

from scapy.layers.dns import DNS, DNSQR, DNSRR, DNSRRSOA
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import ARP

from conformance_util import ETH_ARP, PROTO_UDP, arp, eth, ip4, udp

SERVER1 = "10.0.0.53"
SERVER2 = "10.0.0.54"
STRANGER = "10.0.0.99"
QNAME = "www.example.com"
T_A, T_NS, T_CNAME, T_SOA, T_AAAA = 1, 2, 5, 6, 28
FLAG_QR, FLAG_AA, FLAG_TC, FLAG_RD, FLAG_RA = 0x8000, 0x0400, 0x0200, 0x0100, 0x0080
RESP = FLAG_QR | FLAG_RD | FLAG_RA


# ------------------------------------------------------------ wire builders

def wname(n: str) -> bytes:
    """A name in uncompressed wire form (RFC 1035 3.1)."""
    out = b""
    for label in n.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def ptr(off: int) -> bytes:
    """A compression pointer (RFC 1035 4.1.4)."""
    return struct.pack("!H", 0xC000 | off)


def header(ident, flags=RESP, qd=1, an=0, ns=0, ar=0) -> bytes:
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def question(qname=QNAME, qtype=T_A, qclass=1) -> bytes:
    return (qname if isinstance(qname, bytes) else wname(qname)) + struct.pack("!HH", qtype, qclass)


def rr(owner, rtype, rdata: bytes, ttl=300, rclass=1, rdlen=None) -> bytes:
    """A resource record; owner is a text name or wire bytes (maybe a pointer)."""
    owner = owner if isinstance(owner, bytes) else wname(owner)
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata) if rdlen is None else rdlen) + rdata


def a_rdata(addr: str) -> bytes:
    return bytes(int(x) for x in addr.split("."))


def soa_rdata(minimum=60, mname="ns.example.com", rname="admin.example.com") -> bytes:
    return wname(mname) + wname(rname) + struct.pack("!IIIII", 1, 3600, 600, 86400, minimum)


def answer_a(ident, addrs, qname=QNAME, ttl=300, flags=RESP) -> bytes:
    """A well-formed answer with the owner compressed to the question (offset 12)."""
    body = b"".join(rr(ptr(12), T_A, a_rdata(a), ttl) for a in addrs)
    return header(ident, flags, 1, len(addrs)) + question(qname) + body


# ------------------------------------------------- Scapy-built answers

def scapy_answer(query: DNS, records=(), rcode=0, authority=(), tc=0) -> bytes:
    """An answer to `query` built with Scapy's DNS layers: same ID and
    question, QR and RA set, RD copied (RFC 1035 4.1.1)."""
    an = None
    for r in records:
        an = r if an is None else an / r
    ns = None
    for r in authority:
        ns = r if ns is None else ns / r
    return bytes(DNS(id=query.id, qr=1, opcode=0, rd=query.rd, ra=1, tc=tc, rcode=rcode, qd=query.qd, an=an, ns=ns))


def a_rr(name, addr, ttl=300):
    return DNSRR(rrname=name, type="A", ttl=ttl, rdata=addr)


def cname_rr(name, target, ttl=300):
    return DNSRR(rrname=name, type="CNAME", ttl=ttl, rdata=target)


def soa_rr(zone="example.com", ttl=300, minimum=60):
    return DNSRRSOA(rrname=zone, ttl=ttl, mname="ns." + zone, rname="admin." + zone, serial=1, refresh=3600,
                    retry=600, expire=86400, minimum=minimum)


# ------------------------------------------- the malicious reply classes

def malicious(ident, qname=QNAME):
    """name -> message, each with the right ID and question and exactly one
    defect of the NAME:WRECK / AMNESIA:33 classes. The question sits at 12."""
    q = question(qname)
    an0 = 12 + len(q)  # where the first answer record starts
    h1 = header(ident, RESP, 1, 1)
    good_a = rr(ptr(12), T_A, a_rdata("192.0.2.1"))
    long_labels = b"".join(bytes([63]) + b"x" * 63 for _ in range(4)) + b"\0"  # 257 octets
    cases = {
        # RFC 1035 4.1.4 compression abuse
        "pointer_to_itself": h1 + q + rr(ptr(an0), T_A, a_rdata("192.0.2.1")),
        "pointer_loop_pair": h1 + q + b"\x01a" + ptr(an0 + 4) + ptr(an0) + struct.pack("!HHIH", T_A, 1, 300, 4)
        + a_rdata("192.0.2.1"),
        "pointer_back_into_own_run": h1 + q + b"\x01x" + ptr(an0) + struct.pack("!HHIH", T_A, 1, 300, 4)
        + a_rdata("192.0.2.1"),
        "pointer_forward": h1 + q + ptr(an0 + 2) + wname("www.example.com") + struct.pack("!HHIH", T_A, 1, 300, 4)
        + a_rdata("192.0.2.1"),
        "pointer_past_end": h1 + q + rr(ptr(0x3FFF), T_A, a_rdata("192.0.2.1")),
        "pointer_cut_short": h1 + q + b"\xc0",
        "pointer_into_header": h1 + q + rr(ptr(4), T_A, a_rdata("192.0.2.1")),
        # RFC 1035 2.3.4 size limits
        "label_64": h1 + q + rr(bytes([64]) + b"y" * 64 + b"\0", T_A, a_rdata("192.0.2.1")),
        "label_type_0x80": h1 + q + rr(bytes([0x80 | 3]) + b"abc\0", T_A, a_rdata("192.0.2.1")),
        "label_past_end": h1 + q + bytes([40]) + b"short",
        "name_over_255": h1 + q + rr(long_labels, T_A, a_rdata("192.0.2.1")),
        "name_over_255_via_pointers": header(ident, RESP, 1, 2) + q
        + rr(b"".join(bytes([63]) + b"p" * 63 for _ in range(3)) + b"\0", T_NS, wname("ns.example.com"))
        + rr(bytes([63]) + b"q" * 63 + ptr(an0), T_A, a_rdata("192.0.2.1")),
        # counts and lengths that lie
        "ancount_lies": header(ident, RESP, 1, 5) + q + good_a,
        "nscount_lies": header(ident, RESP, 1, 1, 3) + q + good_a,
        "qdcount_zero_with_answer": header(ident, RESP, 0, 1) + good_a,
        "rdlength_lies": h1 + q + rr(ptr(12), T_A, a_rdata("192.0.2.1"), rdlen=0xFFFF),
        "a_rdlength_5": h1 + q + rr(ptr(12), T_A, a_rdata("192.0.2.1") + b"\x99"),
        "a_rdlength_3": h1 + q + rr(ptr(12), T_A, a_rdata("192.0.2.1")[:3]),
        "a_rdlength_0": h1 + q + rr(ptr(12), T_A, b""),
        "cname_rdata_overruns": h1 + q + rr(ptr(12), T_CNAME, wname("real.example.com"), rdlen=5),
        "cname_rdata_short_name": h1 + q + rr(ptr(12), T_CNAME, wname("real.example.com") + b"junk"),
        "soa_rdata_short": header(ident, RESP | 3, 1, 0, 1) + q + rr("example.com", T_SOA, soa_rdata()[:-3]),
        # truncation
        "truncated_header": header(ident, RESP, 1, 1)[:7],
        "truncated_question": h1 + q[:-2],
        "truncated_record_fixed_part": h1 + q + ptr(12) + struct.pack("!HH", T_A, 1),
        "truncated_rdata": h1 + q + rr(ptr(12), T_A, a_rdata("192.0.2.1"))[:-2],
    }
    return cases


# ------------------------------------------------------ the fake server

# One query as the server saw it: arrival time, the server address it was
# sent to, the dut's source port, the Scapy DNS view, its bytes, the frame.
Query = namedtuple("Query", "time_ns server sport dns raw frame")

class FakeDns:
    """DNS servers played by the bench's tester raw host: it answers ARP for
    any address but the dut's, collects the dut's queries, and sends
    whatever a handler returns as the answer, in the instant the query
    arrives (zero processing time, as a stack node would)."""

    def __init__(self, bench, servers=(SERVER1, SERVER2)):
        self.bench, self.sim = bench, bench.sim
        self.queries = []  # Query tuples, in arrival order
        self.other = []    # frames that were neither ARP nor DNS queries
        self.handler = None
        bench.dut.dns_servers(list(servers))

    def reply(self, q, payload, src=None, sport=53, dport=None):
        """Send DNS bytes to the dut as if from server `src` (default: the one asked)."""
        src = src or q.server
        data = udp(src, self.bench.dut_ip, sport, q.sport if dport is None else dport, payload)
        self.bench.send(self.bench.to_dut(ip4(src, self.bench.dut_ip, PROTO_UDP, data)))

    def _handle(self, frames):
        b = self.bench
        for f in frames:
            if ARP in f and f[ARP].op == 1 and f[ARP].pdst != b.dut_ip:
                b.send(eth(f[ARP].hwsrc, b.mac, ETH_ARP, arp(2, b.mac, f[ARP].pdst, f[ARP].hwsrc, f[ARP].psrc)))
            elif IP in f and UDP in f and f[UDP].dport == 53:
                raw = bytes(f[UDP].payload)[: f[UDP].len - 8]
                q = Query(f.time_ns, f[IP].dst, f[UDP].sport, DNS(raw), raw, f)
                self.queries.append(q)
                if self.handler is not None:
                    out = self.handler(q)
                    if out is not None:
                        self.reply(q, out)
            else:
                self.other.append(f)

    def run(self, duration, until=None):
        """Run the simulation for `duration` (or until until() is true),
        serving as it goes. Returns True if until() became true."""
        from shoal.units import duration_ns
        end = self.sim.now_ns + duration_ns(duration)
        while self.sim.now_ns < end:
            if until is not None and until():
                return True
            self.sim.step(limit=f"{end}ns")  # an int would mean seconds
            self._handle(self.bench.tester.recv())
        return until() if until is not None else False

    def wait_query(self, timeout="5s"):
        """Run until the next query arrives; return it (AssertionError if none)."""
        n = len(self.queries)
        assert self.run(timeout, until=lambda: len(self.queries) > n), f"no DNS query within {timeout}"
        return self.queries[n]


__all__ = [n for n in dir() if not n.startswith("_")]
