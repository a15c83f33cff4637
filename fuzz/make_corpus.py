#!/usr/bin/python3
"""Write the seed corpus of fuzz_frame_input (fuzz/corpus/fuzz_frame_input/).

Each file is a configuration byte (0x01: the instance forwards between its two
netifs; 0x02: it answers broadcast pings), then a sequence of records for the
harness: a 16-bit big-endian word,
then, for a frame, (word & 0x7ff) bytes; a word with the two top bits set
instead advances the clock by (word & 0x3fff) ms. In a frame's word, 0x2000
delivers it on eth1 (10.0.1.1/24, MAC 02:00:00:00:01:01) instead of eth0, 0x0800
asks the harness to fix the checksums (set here for every frame meant to be
well formed, so that mutations keep reaching the transports) and 0x1000 makes
a TCP ack field relative to the stack's next sequence number. The harness's
host is 10.0.0.1/24 with MAC 02:00:00:00:00:01, a UDP echo on port 7, a TCP
echo listener on port 80 and a raw PCB for protocol 253; the peer used here is
10.0.0.2 at 02:00:00:00:00:02.

Run with Debian's interpreter (it has Scapy): /usr/bin/python3 fuzz/make_corpus.py
The output is deterministic, so rerunning it changes no file.
"""
import os
import random
import struct

from scapy.all import ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_NOP, IPOption_RR, IPv6, Raw, raw

HOST_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
HOST, PEER = "10.0.0.1", "10.0.0.2"
ETH1_MAC, PEER1_MAC, PEER1 = "02:00:00:00:01:01", "02:00:00:00:01:02", "10.0.1.2"
BCAST_MAC = "ff:ff:ff:ff:ff:ff"
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_frame_input")


FIX_SUMS, REL_ACK, ON_ETH1 = 0x0800, 0x1000, 0x2000
CFG_HOST, CFG_ROUTER, CFG_ECHO_BROADCAST = b"\x00", b"\x01", b"\x02"


def frame(pkt, fix=True, rel_ack=False, eth1=False):
    """A frame record; `fix` unless the frame's checksums are meant to be wrong."""
    data = raw(pkt) if not isinstance(pkt, bytes) else pkt
    assert len(data) <= 0x7FF
    flags = (FIX_SUMS if fix else 0) | (REL_ACK if rel_ack else 0) | (ON_ETH1 if eth1 else 0)
    return struct.pack(">H", len(data) | flags) + data


def wait(ms):
    assert ms <= 0x3FFF
    return struct.pack(">H", 0xC000 | ms)


def eth(dst=HOST_MAC, src=PEER_MAC):
    return Ether(dst=dst, src=src)


def arp_reply():
    """Teach the host where 10.0.0.2 is, so that its replies leave at once."""
    return frame(eth() / ARP(op=2, hwsrc=PEER_MAC, psrc=PEER, hwdst=HOST_MAC, pdst=HOST))


def ip(**kw):
    return eth() / IP(src=PEER, dst=HOST, **kw)


def tcp(flags, seq, ack=0, payload=b"", dport=80, sport=40000, **kw):
    """A segment from the peer; with ACK set, ack is relative to the stack's next seq."""
    return frame(ip() / TCP(sport=sport, dport=dport, flags=flags, seq=seq, ack=ack, window=8192, **kw) / payload,
                 rel_ack="A" in flags)


# Application actions (the harness's enum app_op).
CONNECT, WRITE, OUTPUT, SHUTDOWN, CLOSE, ABORT, TCP_OPTIONS, UDP_SEND, NETIF_FLAGS, SET_ADDR = range(10)


def app(op, arg=0):
    assert arg <= 0x3FF
    return struct.pack(">H", 0x8000 | (arg << 4) | op)


def tcp_active_session():
    """Connect from 6000 to 10.0.0.2:5000, send, get data, close from our side."""
    back = dict(sport=5000, dport=6000)
    return (arp_reply()
            + app(CONNECT, 0)
            + tcp("SA", 7000, options=[("MSS", 536), ("SAckOK", b""), ("WScale", 2)], **back)
            + app(WRITE, 40 << 3)          # 1517 bytes: several segments
            + app(TCP_OPTIONS, 0x10)       # no Nagle
            + tcp("A", 7001, **back)
            + tcp("PA", 7001, payload=b"reply", **back)
            + app(WRITE, 1 << 3)
            + wait(300)                    # a retransmission
            + tcp("A", 7006, **back)
            + app(SHUTDOWN, 0x20)
            + tcp("FA", 7006, **back)
            + wait(100)
            + app(CLOSE, 0)
            + wait(2000))


def tcp_session():
    """Handshake, data both ways, then a FIN: the echo answers and closes too."""
    isn = 1000
    return (arp_reply()
            + tcp("S", isn, options=[("MSS", 1460), ("SAckOK", b""), ("Timestamp", (1, 0)), ("WScale", 7)])
            + tcp("A", isn + 1)
            + tcp("PA", isn + 1, payload=b"hello tcp")
            + wait(50)
            + tcp("A", isn + 10)
            + tcp("FA", isn + 10)
            + wait(100)
            + tcp("A", isn + 11)
            + wait(1000))


def main():
    junk = random.Random(20261127)
    seeds = {
        "arp_request": frame(eth(BCAST_MAC) / ARP(op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=HOST)),
        "arp_reply_then_ping_reply": arp_reply() + frame(ip() / ICMP(type=0, id=0, seq=0) / (b"x" * 56)) + wait(250),
        "arp_conflict": frame(eth(BCAST_MAC) / ARP(op=2, hwsrc=PEER_MAC, psrc=HOST, pdst=HOST)),
        "arp_bad_hwtype": frame(eth(BCAST_MAC) / ARP(hwtype=6, op=1, hwsrc=PEER_MAC, psrc=PEER, pdst=HOST)),
        "ping": arp_reply() + frame(ip() / ICMP(id=0x1234, seq=1) / (b"ping" * 14)),
        "ping_unresolved": frame(ip() / ICMP(id=1, seq=1) / b"abc") + wait(1000) * 6,
        "ping_broadcast": arp_reply() + frame(eth(BCAST_MAC) / IP(src=PEER, dst="10.0.0.255") / ICMP()),
        "udp_echo": arp_reply() + frame(ip() / UDP(sport=40000, dport=7) / b"hello"),
        "udp_closed_port": arp_reply() + frame(ip() / UDP(sport=40000, dport=9) / b"x"),
        "udp_broadcast": frame(eth(BCAST_MAC) / IP(src=PEER, dst="255.255.255.255") / UDP(sport=68, dport=7) / b"b"),
        "udp_zero_checksum": arp_reply() + frame(ip() / UDP(sport=1, dport=7, chksum=0) / b"nochk", fix=False),
        "udp_bad_checksum": frame(ip() / UDP(sport=1, dport=7, chksum=0x1234) / b"bad", fix=False),
        "udp_length_lies": frame(ip() / UDP(sport=1, dport=7, len=200) / b"short"),
        "ip_options": arp_reply() + frame(ip(options=[IPOption_NOP(), IPOption_RR(routers=["1.2.3.4"])]) / ICMP()),
        "ip_fragment": frame(ip(flags="MF", id=7) / UDP(sport=1, dport=7) / (b"f" * 32))
        + frame(ip(frag=5, id=7, proto=17) / (b"g" * 8)),
        "ip_bad_checksum": frame(ip(chksum=0xBEEF) / ICMP(), fix=False),
        "ip_truncated": frame(raw(ip() / ICMP() / (b"t" * 40))[:40]),
        "ip_total_len_lies": frame(ip(len=1000) / ICMP()),
        "ip_bad_ihl": frame(ip(ihl=3) / ICMP()),
        "ip_unknown_proto": arp_reply() + frame(ip(proto=200) / b"unknown") + frame(ip(proto=253) / b"raw"),
        "vlan_and_ipv6": frame(eth() / Dot1Q(vlan=5) / IP(src=PEER, dst=HOST) / ICMP())
        + frame(eth() / IPv6() / Raw(b"six")),
        "runt": frame(b"\x02\x00\x00\x00\x00\x01\x02\x00"),
        "many_unresolved": b"".join(
            frame(eth() / IP(src=f"10.0.0.{10 + k}", dst=HOST) / UDP(sport=1000 + k, dport=7) / b"q") for k in range(12)
        ) + wait(2000) * 4,
        "tcp_syn": arp_reply() + frame(ip() / TCP(sport=40000, dport=80, flags="S", seq=1)),
        "tcp_syn_closed_port": arp_reply() + frame(ip() / TCP(sport=40000, dport=81, flags="S", seq=1)),
        "tcp_session": tcp_session(),
        "tcp_out_of_order": arp_reply() + tcp("S", 5) + tcp("A", 6) + tcp("PA", 20, payload=b"later")
        + tcp("PA", 6, payload=b"x" * 14) + wait(3000),
        "tcp_rst_and_junk_ack": arp_reply() + tcp("S", 5) + tcp("A", 6, ack=12345) + tcp("R", 6) + wait(2000),
        "tcp_bad_checksum": frame(ip() / TCP(sport=40000, dport=80, flags="S", chksum=0x1111), fix=False),
        "tcp_active_session": tcp_active_session(),
        "tcp_active_unanswered": app(CONNECT, 0x40 | 1) + wait(16000) * 8,
        "tcp_active_reset": arp_reply() + app(CONNECT, 2 | (1 << 3)) + tcp("RA", 0, sport=5001, dport=6001)
        + app(CONNECT, 0) + app(ABORT, 1) + app(CLOSE, 0) + wait(1000),
        "tcp_keepalive_and_zero_window": arp_reply() + tcp("S", 5) + tcp("A", 6) + app(TCP_OPTIONS, 0x20)
        + frame(ip() / TCP(sport=40000, dport=80, flags="PA", seq=6, ack=0, window=0) / b"fill", rel_ack=True)
        + wait(3000) * 4,
        "app_udp_and_link_changes": arp_reply() + app(UDP_SEND, 40) + app(UDP_SEND, 2 | 16) + app(NETIF_FLAGS, 2 | 4)
        + app(UDP_SEND, 8) + app(NETIF_FLAGS, 2) + app(NETIF_FLAGS, 4) + app(NETIF_FLAGS, 0)
        + frame(ip() / ICMP()) + app(SET_ADDR, 77) + frame(ip() / ICMP()) + wait(6000),
        "junk": b"".join(frame(bytes(junk.randrange(256) for _ in range(junk.randrange(1, 80))), fix=False)
                         for _ in range(4)),
    }
    # Forwarding between eth0 and eth1 (RFC 1812): a ping across, one with
    # TTL 1 (time exceeded), an unresolved next hop, and no route at all.
    across = eth() / IP(src=PEER, dst=PEER1)
    peer1_arp = frame(Ether(dst=ETH1_MAC, src=PEER1_MAC) / ARP(op=2, hwsrc=PEER1_MAC, psrc=PEER1,
                                                                hwdst=ETH1_MAC, pdst="10.0.1.1"), eth1=True)
    router = {
        "router_forward_ping": arp_reply() + peer1_arp + frame(across / ICMP(id=3) / b"fw"),
        "router_ttl_expired": arp_reply() + frame(eth() / IP(src=PEER, dst=PEER1, ttl=1) / UDP(dport=9) / b"t"),
        "router_unresolved_next_hop": frame(across / UDP(dport=9) / b"q") + wait(6000),
        "router_no_route": arp_reply() + frame(eth() / IP(src=PEER, dst="192.0.2.1") / ICMP()),
    }
    os.makedirs(OUT, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write((CFG_ECHO_BROADCAST if name == "ping_broadcast" else CFG_HOST) + data)
    for name, data in sorted(router.items()):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(CFG_ROUTER + data)
    seeds.update(router)
    print(f"{len(seeds)} seeds in {OUT}")


if __name__ == "__main__":
    main()
