"""A DHCP test bench: the dut (a stack node running the DHCP client, AutoIP
or ACD) and a tester (a raw host) playing the DHCP server and the other hosts
on the link with Scapy. Shared by rfc2131/, rfc2132/, rfc5227/ and rfc3927/.

The tester answers nothing on its own, except (when auto_arp is on) ARP
requests for the server's address, so that unicast renewals can leave.
"""
import struct

from scapy.layers.dhcp import BOOTP, DHCP
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import ARP, Ether

BCAST_MAC = "ff:ff:ff:ff:ff:ff"
ZERO_MAC = "00:00:00:00:00:00"
SERVER_IP = "10.0.0.2"
YIADDR = "10.0.0.50"
MASK = "255.255.255.0"
ROUTER = "10.0.0.254"
DNS = ["10.0.0.53", "10.0.0.54"]
OTHER_MAC = "02:aa:bb:cc:dd:ee"  # a host that claims addresses in conflict tests
SECOND_NS = 1_000_000_000
DELAY_NS = 1_000_000
RATE_BPS = 10_000_000

MSG = {1: "discover", 2: "offer", 3: "request", 4: "decline", 5: "ack", 6: "nak", 7: "release", 8: "inform"}
CODE = {v: k for k, v in MSG.items()}


def tx_ns(frame_len):
    """Serialisation time of a frame (padded to 60 bytes) at 10 Mbit/s."""
    return max(frame_len, 60) * 8 * SECOND_NS // RATE_BPS


def dhcp_options(pkt):
    """The DHCP options of a received packet as a dict (name -> value)."""
    out = {}
    for opt in pkt[DHCP].options:
        if isinstance(opt, tuple):
            out[opt[0]] = opt[1] if len(opt) == 2 else opt[1:]
    return out


def dhcp_type(pkt):
    if not pkt.haslayer(DHCP):
        return None
    t = dhcp_options(pkt).get("message-type")
    return MSG.get(t, t)


def option_codes(pkt):
    """Option codes in wire order, from the raw bytes (Scapy hides some)."""
    raw = bytes(pkt[BOOTP])
    opts = raw[240:]
    codes, i = [], 0
    while i < len(opts):
        c = opts[i]
        if c == 0:
            i += 1
            continue
        codes.append(c)
        if c == 255:
            break
        i += 2 + opts[i + 1]
    return codes


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def arp_frame(op, sha, spa, tha, tpa, dst=BCAST_MAC):
    return Ether(dst=dst, src=sha) / ARP(op=op, hwsrc=sha, psrc=spa, hwdst=tha, pdst=tpa)


def is_probe(f, addr=None):
    """RFC 5227 2.1.1: an ARP request with sender IP 0 and target the candidate."""
    return (f.haslayer(ARP) and f[ARP].op == 1 and f[ARP].psrc == "0.0.0.0"
            and (addr is None or f[ARP].pdst == addr))


def is_announce(f, addr=None):
    """RFC 5227 2.3: an ARP request with sender and target IP both the address."""
    return (f.haslayer(ARP) and f[ARP].op == 1 and f[ARP].psrc == f[ARP].pdst and f[ARP].psrc != "0.0.0.0"
            and (addr is None or f[ARP].psrc == addr))


class DhcpBench:
    def __init__(self, sim, auto_arp=True, name="dut"):
        self.sim = sim
        self.dut = sim.node(name)
        self.tester = sim.raw_host("tester")
        self.link = sim.link(self.tester, self.dut, delay="1ms", rate="10Mbit")
        self.dif = self.dut.iface(self.link)
        self.dut_mac = self.dif.mac
        self.mac = self.tester.iface(self.link).mac
        self.auto_arp = auto_arp
        self.log = []          # every frame the tester got, in order
        self.client = None

    # -- running
    def _pump(self, found, want):
        for f in self.tester.recv():
            self.log.append(f)
            if (self.auto_arp and f.haslayer(ARP) and f[ARP].op == 1 and f[ARP].pdst == SERVER_IP
                    and f[ARP].psrc != "0.0.0.0" and f[ARP].psrc != SERVER_IP):
                self.tester.send(arp_frame(2, self.mac, SERVER_IP, f[ARP].hwsrc, f[ARP].psrc, dst=f[ARP].hwsrc))
            if want(f):
                found.append(f)

    def wait(self, want, timeout="10s"):
        """Run until a frame with want(f) true arrives; it (or None on timeout)."""
        found = []
        self.sim.run_until(lambda: (self._pump(found, want), bool(found))[1], timeout)
        return found[0] if found else None

    def collect(self, duration, want=lambda f: True):
        """Run for `duration` (seconds or "5s") and return every frame with want(f) true."""
        found = []
        self.sim.run_until(lambda: (self._pump(found, want), False)[1], duration)
        return found

    def expect(self, msg_type, timeout="10s"):
        f = self.wait(lambda f: dhcp_type(f) == msg_type, timeout)
        assert f is not None, f"no DHCP {msg_type} from the dut within {timeout} (now {self.sim.now}s)"
        return f

    # -- the tester as a server
    def reply(self, req, msg_type, yiaddr=YIADDR, lease=3600, t1=None, t2=None, server_id=SERVER_IP, mask=MASK,
              router=ROUTER, dns=DNS, xid=None, chaddr=None, ip_dst="255.255.255.255", eth_dst=BCAST_MAC, op=2,
              extra=(), ciaddr="0.0.0.0"):
        opts = [("message-type", CODE[msg_type] if isinstance(msg_type, str) else msg_type)]
        if server_id is not None:
            opts.append(("server_id", server_id))
        if msg_type != "nak":
            if lease is not None:
                opts.append(("lease_time", lease))
            if t1 is not None:
                opts.append(("renewal_time", t1))
            if t2 is not None:
                opts.append(("rebinding_time", t2))
            if mask is not None:
                opts.append(("subnet_mask", mask))
            if router is not None:
                opts.append(("router", router))
            if dns:
                opts.append(tuple(["name_server"] + list(dns)))
        opts.extend(extra)
        opts.append("end")
        bootp = BOOTP(op=op, xid=req[BOOTP].xid if xid is None else xid,
                      chaddr=(mac_bytes(self.dut_mac) if chaddr is None else chaddr) + bytes(10),
                      yiaddr=yiaddr if msg_type != "nak" else "0.0.0.0", ciaddr=ciaddr, flags=req[BOOTP].flags)
        return (Ether(dst=eth_dst, src=self.mac) / IP(src=SERVER_IP, dst=ip_dst) / UDP(sport=67, dport=68)
                / bootp / DHCP(options=opts))

    def raw_reply(self, payload, ip_dst="255.255.255.255"):
        """A frame carrying `payload` as the UDP data from the server port."""
        return Ether(dst=BCAST_MAC, src=self.mac) / IP(src=SERVER_IP, dst=ip_dst) / UDP(sport=67, dport=68) / payload

    def start(self, **kw):
        self.client = self.dif.dhcp4(**kw)
        return self.client

    def bind(self, yiaddr=YIADDR, lease=3600, check_address=False, t1=None, t2=None, **kw):
        """A whole DISCOVER-OFFER-REQUEST-ACK exchange; returns (discover, request, ack_sent_ns)."""
        self.start(check_address=check_address, **kw)
        disc = self.expect("discover")
        self.tester.send(self.reply(disc, "offer", yiaddr=yiaddr, lease=lease, t1=t1, t2=t2))
        req = self.expect("request")
        ack_ns = self.sim.now_ns
        self.tester.send(self.reply(req, "ack", yiaddr=yiaddr, lease=lease, t1=t1, t2=t2))
        if not check_address:
            assert self.sim.run_until(lambda: self.client.bound, "1s")
        return disc, req, ack_ns

    def prime_arp(self, dut_ip):
        """Let the dut learn the server's MAC (RFC 826: the target of a request adds the sender)."""
        self.tester.send(arp_frame(1, self.mac, SERVER_IP, ZERO_MAC, dut_ip))
        self.collect(0.01)


def bootp_bytes(op=2, xid=0, chaddr=b"", yiaddr="0.0.0.0", options=b"", cookie=0x63825363, sname=b"", file=b"",
                htype=1, hlen=6):
    """A BOOTP/DHCP message built by hand (for malformed and overloaded cases)."""
    import socket
    fixed = struct.pack("!BBBBIHH", op, htype, hlen, 0, xid, 0, 0)
    fixed += bytes(4) + socket.inet_aton(yiaddr) + bytes(8)
    fixed += (chaddr + bytes(16))[:16]
    fixed += (sname + bytes(64))[:64] + (file + bytes(128))[:128]
    return fixed + struct.pack("!I", cookie) + options


def opt(code, data):
    return bytes([code, len(data)]) + data
