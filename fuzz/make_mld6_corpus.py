#!/usr/bin/env python3
"""Write the seed corpus of fuzz/fuzz_mld6.c (see its header for the record
format): a host joining, answering general and specific queries, being
suppressed and leaving; a router querying, electing, learning listeners,
timing them out and answering Done with specific queries; MLDv2 queries;
malformed messages. Run from the repository root:
/usr/bin/python3 fuzz/make_mld6_corpus.py"""
import ipaddress
import os
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_mld6")
FORWARDING, DAD = 0x01, 0x02
NO_HBH, HLIM_255, HIGH_SRC, GLOBAL_SRC, TO_ALL_NODES, BAD_SUM = 0x100, 0x200, 0x400, 0x800, 0x1000, 0x2000
QUERY, REPORT, DONE = 130, 131, 132
GROUPS = ["ff15::1234", "ff0e::1235", "ff02::1236", "ff05::1237"]


def a(addr):
    return ipaddress.IPv6Address(addr).packed


def secs(n):
    return struct.pack("!H", 0xC000 | n)


def ms(n):
    return struct.pack("!H", 0xE000 | n)


def act(op, k=0):
    return struct.pack("!H", 0x8000 | (k << 4) | op)


def join(k):
    return act(0, k)


def leave(k):
    return act(1, k)


def mld(mtype, group="::", max_delay=0, flags=0, extra=b""):
    body = struct.pack("!BBHHH", mtype, 0, 0, max_delay, 0) + a(group) + extra
    return struct.pack("!H", len(body) | flags) + body


def inputs():
    host = bytes([0])
    yield "host_join_leave", host + secs(2) + join(0) + secs(11) + leave(0) + secs(2)
    yield "host_general_query", (host + secs(2) + join(0) + join(1) + secs(11) +
                                 mld(QUERY, max_delay=1000, flags=TO_ALL_NODES) + secs(2))
    yield "host_specific_query", host + secs(2) + join(0) + secs(11) + mld(QUERY, GROUPS[0], 100) + secs(1)
    yield "host_suppressed", (host + secs(2) + join(0) + secs(11) + mld(QUERY, GROUPS[0], 10000) + ms(5) +
                              mld(REPORT, GROUPS[0], flags=HIGH_SRC) + secs(11) + leave(0))
    yield "host_shorter_delay", (host + secs(2) + join(0) + secs(11) + mld(QUERY, GROUPS[0], 10000) + ms(1) +
                                 mld(QUERY, GROUPS[0], 50) + secs(1))
    yield "host_zero_delay", host + secs(2) + join(2) + secs(11) + mld(QUERY, max_delay=0, flags=TO_ALL_NODES)
    yield "host_v2_query", (host + secs(2) + join(0) + secs(11) +
                            mld(QUERY, max_delay=0x8123, flags=TO_ALL_NODES, extra=bytes([2, 125, 0, 0])) + secs(40))
    yield "host_bad", (host + secs(2) + join(0) + secs(11) + mld(QUERY, flags=TO_ALL_NODES | NO_HBH) +
                       mld(QUERY, flags=TO_ALL_NODES | HLIM_255) + mld(QUERY, flags=TO_ALL_NODES | GLOBAL_SRC) +
                       mld(QUERY, flags=TO_ALL_NODES | BAD_SUM) + struct.pack("!H", 12 | TO_ALL_NODES) +
                       bytes([QUERY] + [0] * 11) + mld(QUERY, flags=TO_ALL_NODES, extra=b"\0\0") + secs(2))
    yield "host_dad_join", bytes([DAD]) + join(0) + join(1) + ms(300) + leave(0) + secs(12)
    yield "host_link_flap", host + secs(2) + join(0) + act(2) + secs(3) + act(3) + act(4) + act(5) + secs(11)
    router = bytes([FORWARDING])
    yield "router_queries", router + secs(40) + secs(130) + secs(130)
    yield "router_election", router + secs(5) + mld(QUERY, max_delay=10000, flags=TO_ALL_NODES) + secs(260)
    yield "router_higher", router + secs(5) + mld(QUERY, max_delay=10000, flags=TO_ALL_NODES | HIGH_SRC) + secs(130)
    yield "router_listener", router + secs(5) + mld(REPORT, GROUPS[0]) + secs(200) + mld(REPORT, GROUPS[0]) + secs(270)
    yield "router_done", (router + secs(5) + mld(REPORT, GROUPS[0]) + mld(REPORT, GROUPS[1]) + ms(10) +
                          mld(DONE, GROUPS[0]) + secs(3) + mld(DONE, GROUPS[1]) + ms(200) +
                          mld(REPORT, GROUPS[1]) + secs(3))
    yield "router_nonquerier_specific", (router + secs(5) + mld(QUERY, max_delay=10000, flags=TO_ALL_NODES) +
                                         mld(REPORT, GROUPS[0]) + mld(QUERY, GROUPS[0], 1000) + secs(3))
    yield "router_dad", bytes([FORWARDING | DAD]) + join(0) + mld(REPORT, GROUPS[1]) + secs(35)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    items = list(inputs())
    for name, data in items:
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(items)} inputs to {OUT}")


if __name__ == "__main__":
    main()
