#!/usr/bin/env python3
"""Write the seed corpus of fuzz/fuzz_dhcp.c (see its header for the record
format): whole client exchanges (with and without the address probe), NAKs,
renewals, expiry, conflicts, option overload, and messages to the server.
Run from the repository root: python3 fuzz/make_dhcp_corpus.py"""
import os
import socket
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "fuzz_dhcp")
PATCH, TO_SERVER = 0x0800, 0x1000
CLIENT_MAC = bytes([2, 0, 0, 0, 0, 1])
PEER_MAC = bytes([2, 0xAA, 0, 0, 0, 9])


def opt(code, data):
    return bytes([code, len(data)]) + data


def a(ip):
    return socket.inet_aton(ip)


def msg(op, mtype, yiaddr="0.0.0.0", ciaddr="0.0.0.0", chaddr=CLIENT_MAC, extra=b"", file=b"", sname=b""):
    fixed = struct.pack("!BBBBIHH", op, 1, 6, 0, 0, 0, 0) + a(ciaddr) + a(yiaddr) + bytes(8)
    fixed += (chaddr + bytes(16))[:16] + (sname + bytes(64))[:64] + (file + bytes(128))[:128]
    opts = (opt(53, bytes([mtype])) if mtype else b"") + extra + b"\xff"
    return fixed + struct.pack("!I", 0x63825363) + opts


def reply(mtype, lease=600, extra=b""):
    o = opt(54, a("10.0.0.2")) + opt(51, struct.pack("!I", lease)) + opt(1, a("255.255.255.0"))
    o += opt(3, a("10.0.0.254")) + opt(6, a("10.0.0.53") + a("10.0.0.54"))
    return msg(2, mtype, yiaddr="10.0.0.50", extra=o + extra)


def rec_msg(m, flags=PATCH):
    return struct.pack("!H", len(m) | flags) + m


def advance(s):
    out = b""
    while s > 0:
        step = min(s, 0x3FF)
        out += struct.pack("!H", 0xC000 | step)
        s -= step
    return out


def advance_ms(ms):
    return struct.pack("!H", 0xE000 | ms)


def act(op):
    return struct.pack("!H", 0x8000 | op)


SEEDS = {
    "dora": b"\x00" + rec_msg(reply(2)) + rec_msg(reply(5)) + advance(10),
    "dora_probe": b"\x01" + rec_msg(reply(2)) + rec_msg(reply(5)) + advance(10),
    "probe_conflict": b"\x01" + rec_msg(reply(2)) + rec_msg(reply(5)) + advance_ms(900) + act(5) + advance(12),
    "probe_probe": b"\x01" + rec_msg(reply(2)) + rec_msg(reply(5)) + advance_ms(999) + advance_ms(999) + act(6)
    + advance(12),
    "defence": b"\x00" + rec_msg(reply(2)) + rec_msg(reply(5)) + advance(5) + act(5) + advance(1) + act(5),
    "renew_ack": b"\x00" + rec_msg(reply(2)) + rec_msg(reply(5)) + advance(301) + rec_msg(reply(5)) + advance(300),
    "rebind_expire": b"\x00" + rec_msg(reply(2)) + rec_msg(reply(5)) + advance(530) + advance(100),
    "nak": b"\x00" + rec_msg(reply(2)) + rec_msg(msg(2, 6, extra=opt(54, a("10.0.0.2")))) + advance(5),
    "renew_nak": b"\x00" + rec_msg(reply(2)) + rec_msg(reply(5)) + act(0) + rec_msg(msg(2, 6)) + advance(5),
    "release": b"\x00" + rec_msg(reply(2)) + rec_msg(reply(5)) + act(1) + advance(6),
    "overload": b"\x00" + rec_msg(msg(2, 2, yiaddr="10.0.0.50", extra=opt(52, b"\x03"),
                                      file=opt(54, a("10.0.0.2")) + b"\xff",
                                      sname=opt(51, struct.pack("!I", 600)) + b"\xff")) + advance(2),
    "fallback": b"\x00" + advance(20) + advance(10) + rec_msg(reply(2)) + rec_msg(reply(5)) + advance(10),
    "infinite": b"\x00" + rec_msg(reply(2, lease=0xFFFFFFFF)) + rec_msg(reply(5, lease=0xFFFFFFFF)) + advance(9000),
    "server": b"\x00" + rec_msg(msg(1, 1, chaddr=PEER_MAC), PATCH | TO_SERVER)
    + rec_msg(msg(1, 3, chaddr=PEER_MAC, extra=opt(50, a("10.0.0.100")) + opt(54, a("10.0.0.1"))), PATCH | TO_SERVER)
    + rec_msg(msg(1, 3, ciaddr="10.0.0.100", chaddr=PEER_MAC), PATCH | TO_SERVER)
    + rec_msg(msg(1, 4, chaddr=PEER_MAC, extra=opt(50, a("10.0.0.100")) + opt(54, a("10.0.0.1"))), PATCH | TO_SERVER)
    + rec_msg(msg(1, 7, ciaddr="10.0.0.101", chaddr=PEER_MAC, extra=opt(54, a("10.0.0.1"))), PATCH | TO_SERVER)
    + rec_msg(msg(1, 8, ciaddr="10.0.0.9", chaddr=PEER_MAC), PATCH | TO_SERVER)
    + rec_msg(msg(1, 3, chaddr=PEER_MAC, extra=opt(50, a("10.9.9.9"))), PATCH | TO_SERVER) + advance(2),
    "actions": b"\x01" + act(9) + advance(8) + act(10) + act(3) + act(4) + act(2) + act(7) + act(8) + act(6)
    + act(11) + advance(3),
}

os.makedirs(OUT, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
print(f"{len(SEEDS)} seeds in {OUT}")
