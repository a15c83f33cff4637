#!/usr/bin/python3
"""Write the IPv6 seed corpora: fuzz/corpus/fuzz_ip6_ext/, fuzz/corpus/fuzz_ip6_reass/
and the IPv6 frames (ip6_*) in fuzz/corpus/fuzz_frame_input/.

fuzz_ip6_ext: a flag byte (bit 0: the destination was multicast), then an
IPv6 packet from its fixed header on (built with Scapy).

fuzz_ip6_reass: a configuration byte, then records (see fuzz/fuzz_ip6_reass.c):
a fragment is b, a 16-bit offset word and a 16-bit length; b's bits 0x01 M,
0x0c the identification (total echo request lengths 1232, 1600, 3000, 5000),
0x10 the second source, 0x20 No Next Header, 0x40 a hop-by-hop header in front,
0x80 to ff02::1. A byte 0xc0 | n advances the clock by n * 500 ms.

fuzz_frame_input: the record format of fuzz/make_corpus.py (a 16-bit length
word, then the frame).

Run with Debian's interpreter (it has Scapy): /usr/bin/python3 fuzz/make_ip6_corpus.py
The output is deterministic, so rerunning it changes no file.
"""
import os
import struct

from scapy.all import Ether, raw
from scapy.layers.inet6 import (HBHOptUnknown, ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IPv6,
                                IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting,
                                PadN, Pad1, RouterAlert)
from scapy.layers.inet import UDP

HERE = os.path.dirname(os.path.abspath(__file__))
SRC, DST = "2001:db8::2", "2001:db8::1"

# ------------------------------------------------------------ fuzz_ip6_ext


def opt(t, data=b"\0\0"):
    return HBHOptUnknown(otype=t, optdata=data)


def ext_seeds():
    base = IPv6(src=SRC, dst=DST)
    udp = UDP(sport=1, dport=2) / b"x"
    seeds = {
        "udp": base / udp,
        "none": IPv6(src=SRC, dst=DST, nh=59),
        "hbh_pad": base / IPv6ExtHdrHopByHop(options=[Pad1(), PadN(optdata=b"\0\0\0")]) / udp,
        "hbh_router_alert": IPv6(src="fe80::2", dst="ff02::16", hlim=1)
        / IPv6ExtHdrHopByHop(options=[RouterAlert()]) / (b"\x83\0\0\0" + b"\0" * 20),
        "dst_skip": base / IPv6ExtHdrDestOpt(options=[opt(0x1E)]) / udp,
        "dst_discard": base / IPv6ExtHdrDestOpt(options=[opt(0x5E)]) / udp,
        "dst_param": base / IPv6ExtHdrDestOpt(options=[opt(0x9E)]) / udp,
        "dst_param_unicast": base / IPv6ExtHdrDestOpt(options=[opt(0xDE)]) / udp,
        "hbh_not_first": base / IPv6ExtHdrDestOpt() / IPv6ExtHdrHopByHop() / udp,
        "routing0_segleft": base / IPv6ExtHdrRouting(type=0, segleft=1, addresses=["2001:db8::9"]) / udp,
        "routing0_done": base / IPv6ExtHdrRouting(type=0, segleft=0, addresses=["2001:db8::9"]) / udp,
        "routing_unknown": base / IPv6ExtHdrRouting(type=253, segleft=2) / udp,
        "fragment": base / IPv6ExtHdrFragment(offset=0, m=1, id=7) / udp,
        "long_chain": base / IPv6ExtHdrHopByHop() / IPv6ExtHdrDestOpt() / IPv6ExtHdrRouting(segleft=0)
        / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt()
        / IPv6ExtHdrDestOpt() / IPv6ExtHdrDestOpt() / udp,
        "unknown_nh": IPv6(src=SRC, dst=DST, nh=99) / b"abcd",
    }
    out = {}
    for name, pkt in seeds.items():
        out[name] = b"\x00" + raw(pkt)
    out["dst_param_unicast_mcast"] = b"\x01" + raw(IPv6(src=SRC, dst="ff02::1") / IPv6ExtHdrDestOpt(options=[opt(0xDE)])
                                                 / udp)
    out["truncated"] = b"\x00" + raw(base / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 12)]) / udp)[:46]
    return out

# ----------------------------------------------------------- fuzz_ip6_reass


def frag(b, offset, length):
    return struct.pack(">BHH", b, offset, length)


def wait(halfsecs):
    return bytes([0xC0 | halfsecs])


M, SRC2, NONE, HBH, MCAST = 0x01, 0x10, 0x20, 0x40, 0x80


def idb(i):
    return i << 2


def reass_seeds():
    roomy = b"\x3f"   # 4 packets, 64 holders, 160 pbufs, 15 s
    return {
        "atomic": roomy + frag(idb(0), 0, 1232),
        "two_in_order": roomy + frag(M | idb(1), 0, 1232) + frag(idb(1), 1232, 368),
        "two_reversed": roomy + frag(idb(1), 1232, 368) + frag(M | idb(1), 0, 1232),
        "three_big": roomy + frag(M | idb(2), 0, 1448) + frag(M | idb(2), 1448, 1448) + frag(idb(2), 2896, 104),
        "four_5000": roomy + frag(M | idb(3), 0, 1440) + frag(M | idb(3), 1440, 1440) + frag(M | idb(3), 2880, 1440)
        + frag(idb(3), 4320, 680),
        "overlap": roomy + frag(M | idb(1), 0, 1232) + frag(M | idb(1), 1224, 16) + frag(idb(1), 1232, 368),
        "duplicate": roomy + frag(M | idb(1), 0, 1232) + frag(M | idb(1), 0, 1232) + frag(idb(1), 1232, 368),
        "timeout_first": roomy + frag(M | idb(1), 0, 1232) + wait(40),
        "timeout_no_first": roomy + frag(idb(1), 1232, 368) + wait(40),
        "odd_length": roomy + frag(M | idb(1), 0, 1001),
        "beyond_65535": roomy + frag(M | idb(1), 65528, 16),
        "hbh_two": roomy + frag(HBH | M | idb(1), 0, 1232) + frag(HBH | idb(1), 1232, 368),
        "mcast_two": roomy + frag(MCAST | M | idb(1), 0, 1232) + frag(MCAST | idb(1), 1232, 368),
        "no_next_header": roomy + frag(NONE | M | idb(1), 0, 1232) + frag(NONE | idb(1), 1232, 368),
        "two_sources": roomy + frag(M | idb(1), 0, 1232) + frag(SRC2 | M | idb(1), 0, 1232)
        + frag(SRC2 | idb(1), 1232, 368) + frag(idb(1), 1232, 368),
        "first_too_short": roomy + frag(M | idb(1), 0, 0) + frag(M | idb(1), 0, 8),
        "small_pools": b"\x80" + frag(M | idb(2), 0, 1448) + frag(M | idb(2), 1448, 1448) + frag(idb(2), 2896, 104),
        "one_holder": b"\x40" + frag(M | idb(1), 0, 1232) + frag(idb(1), 1232, 368) + wait(8),
        "crowded": b"\x04" + b"".join(frag(M | idb(i), 0, 1232) for i in range(4)) + frag(idb(3), 1232, 1768)
        + wait(40),
    }

# --------------------------------------------------------- fuzz_frame_input


HOST_MAC, PEER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02"


def frame(pkt):
    data = raw(pkt)
    assert len(data) <= 0x7FF
    return struct.pack(">H", len(data)) + data


def frame_seeds():
    eth = Ether(dst=HOST_MAC, src=PEER_MAC)
    mc = Ether(dst="33:33:00:00:00:01", src=PEER_MAC)
    ll, host = "fe80::2", "fe80::200:ff:fe00:1"
    echo = raw(IPv6(src=ll, dst=host) / ICMPv6EchoRequest(data=b"A" * 60))[40:]
    return {
        "ip6_echo_ll": frame(eth / IPv6(src=ll, dst=host) / ICMPv6EchoRequest(id=1, seq=1, data=b"ping6")),
        "ip6_echo_all_nodes": frame(mc / IPv6(src=ll, dst="ff02::1") / ICMPv6EchoRequest(id=2, data=b"all")),
        "ip6_ns": frame(Ether(dst="33:33:ff:00:00:01", src=PEER_MAC) / IPv6(src=ll, dst="ff02::1:ff00:1", hlim=255)
                        / ICMPv6ND_NS(tgt=host) / ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)),
        "ip6_ext_headers": frame(eth / IPv6(src=ll, dst=host) / IPv6ExtHdrHopByHop()
                                 / IPv6ExtHdrDestOpt(options=[opt(0x9E)]) / ICMPv6EchoRequest()),
        "ip6_fragments": b"".join(frame(f) for f in
                                  [eth / IPv6(src=ll, dst=host) / IPv6ExtHdrFragment(m=1, id=5, nh=58)
                                   / echo[:32],
                                   eth / IPv6(src=ll, dst=host) / IPv6ExtHdrFragment(offset=4, id=5, nh=58)
                                   / echo[32:]]),
    }


def write(dirname, seeds):
    out = os.path.join(HERE, "corpus", dirname)
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(seeds.items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(seeds)} seeds in {out}")


def main():
    write("fuzz_ip6_ext", ext_seeds())
    write("fuzz_ip6_reass", reass_seeds())
    # fuzz_frame_input: configuration byte 0x00 (a host), then records.
    write("fuzz_frame_input", {name: b"\x00" + data for name, data in frame_seeds().items()})


if __name__ == "__main__":
    main()
