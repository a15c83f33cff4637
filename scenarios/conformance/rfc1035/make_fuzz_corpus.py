"""Write the seed corpus of fuzz/fuzz_dns.c into fuzz/corpus/fuzz_dns/.

Run from the repository root:
    /usr/bin/python3 scenarios/conformance/rfc1035/make_fuzz_corpus.py
The input format is described at the top of fuzz/fuzz_dns.c: a config byte,
then records [control byte][16-bit length][DNS message] or [0x80 | n] (advance
the clock n * 100 ms). The harness writes the pending query's ID over the
first two octets, so the IDs here are placeholders.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from rfc1035_util import (QNAME, RESP, T_A, T_CNAME, T_NS, T_SOA, a_rdata, answer_a, header, malicious,  # noqa: E402
                          ptr, question, rr, soa_rdata, wname)

OUT = os.path.join(HERE, "..", "..", "..", "fuzz", "corpus", "fuzz_dns")


def msg(m, ctrl=0):
    return bytes([ctrl]) + struct.pack("!H", len(m)) + m


def wait(n100ms):
    return bytes([0x80 | n100ms])


def main():
    os.makedirs(OUT, exist_ok=True)
    q = question(QNAME)
    seeds = {
        "answer_one_a": b"\x00" + msg(answer_a(0, ["192.0.2.1"])),
        "answer_four_a_two_servers": b"\x01" + msg(answer_a(0, ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4",
                                                                 "192.0.2.5"])),
        "answer_ttl0": b"\x00" + msg(answer_a(0, ["192.0.2.9"], ttl=0)),
        "answer_then_cached_lookup": b"\x02" + msg(answer_a(0, ["192.0.2.1"], ttl=1), ctrl=0x10 | 0x20) + wait(30)
        + msg(answer_a(0, ["192.0.2.1"]), ctrl=0x10),
        "cname_chain": b"\x00" + msg(header(0, RESP, 1, 3) + q + rr(ptr(12), T_CNAME, wname("b.example.net"), 60)
                                     + rr("b.example.net", T_CNAME, wname("c.example.org"), 120)
                                     + rr("c.example.org", T_A, a_rdata("198.51.100.7"), 30)),
        "cname_restart": b"\x00" + msg(header(0, RESP, 1, 1) + q + rr(ptr(12), T_CNAME, wname("real.example.net")))
        + msg(header(0, RESP, 1, 1) + question("real.example.net") + rr(ptr(12), T_A, a_rdata("203.0.113.5"))),
        "cname_loop": b"\x00" + msg(header(0, RESP, 1, 2) + q + rr(ptr(12), T_CNAME, wname("x.example.com"))
                                    + rr("x.example.com", T_CNAME, wname(QNAME))),
        "nxdomain_soa": b"\x00" + msg(header(0, RESP | 3, 1, 0, 1) + q + rr("example.com", T_SOA, soa_rdata(30), 60)),
        "nodata_soa": b"\x00" + msg(header(0, RESP, 1, 0, 1) + q + rr("example.com", T_SOA, soa_rdata(30), 60)),
        "servfail_then_timeout": b"\x01" + msg(header(0, RESP | 2, 1) + q) + wait(127) + wait(127),
        "truncated_tc": b"\x01" + msg(answer_a(0, ["192.0.2.1"], flags=RESP | 0x0200)),
        "ns_referral": b"\x00" + msg(header(0, RESP, 1, 0, 1) + q + rr("example.com", T_NS, wname("ns1.example.com"))),
        "wrong_id_then_right": b"\x00" + msg(answer_a(0x1234, ["192.0.2.66"]), ctrl=0x01) + msg(answer_a(0, ["192.0.2.1"])),
        "wrong_server": b"\x00" + msg(answer_a(0, ["192.0.2.66"]), ctrl=0x02) + wait(20),
        "wrong_port": b"\x00" + msg(answer_a(0, ["192.0.2.66"]), ctrl=0x04) + msg(answer_a(0, ["192.0.2.66"]), ctrl=0x08),
        "wrong_question": b"\x00" + msg(answer_a(0, ["192.0.2.66"], qname="evil.example.com")),
        "retries_then_answer": b"\x05" + wait(10) + wait(20) + msg(answer_a(0, ["192.0.2.1"])),
        "aaaa_answer": b"\x08" + msg(header(0, RESP, 1, 1) + question(QNAME, qtype=28) + rr(ptr(12), 28, bytes(range(16)))),
        "aaaa_cname_and_bad_length": b"\x08" + msg(header(0, RESP, 1, 2) + question(QNAME, qtype=28)
                                                  + rr(ptr(12), T_CNAME, wname("v6.example.net"))
                                                  + rr("v6.example.net", 28, bytes(15))) + msg(
            header(0, RESP, 1, 2) + question(QNAME, qtype=28) + rr(ptr(12), T_CNAME, wname("v6.example.net"))
            + rr("v6.example.net", 28, bytes(range(16)))),
        "many_lookups": b"\x01" + b"".join(msg(b"", ctrl=0x10 | (k << 5)) for k in range(4)) * 3 + wait(50),
    }
    for name, m in malicious(0).items():
        seeds["malicious_" + name] = b"\x00" + msg(m) + msg(answer_a(0, ["192.0.2.1"]))
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(seeds)} seeds to {os.path.normpath(OUT)}")


if __name__ == "__main__":
    main()
