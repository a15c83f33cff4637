"""Reassembly limits and fragmentation on small links (RFC 815, RFC 791 3.2,
RFC 1122 3.3.2): what scenarios/conformance/rfc791/test_rfc791_frag.py
(ordering, duplicates, overlaps, lying lengths, ping of death, the timeout)
does not cover: a bounded reassembly table where the oldest datagram gives
way, the bounded pool of fragment holders, nothing leaked after a timeout,
the timer running from the first fragment, fragments nested inside others,
and output fragmentation to small MTUs (576, 68) with reassembly by a second
stack."""
import struct

import pytest

from conformance_util import (DELAY_NS, DUT_IP, ICMP, IP, PROTO_ICMP, SECOND_NS, TESTER_IP, checksum_ok,
                              echo_request, icmp_frames, ip4, ones_sum, raw_ip, stats_delta, tx_ns,
                              udp_pseudo_header)

REASS_MAX = 4       # SHOAL_IP4_REASS_MAX: datagrams in reassembly at once
REASS_FRAGS = 32    # SHOAL_IP4_REASS_FRAGS: fragment holders, all datagrams together
REASS_TIMEOUT_NS = 15 * SECOND_NS


def letters(n, salt=0):
    return bytes(65 + (i * 3 + salt) % 26 for i in range(n))


def frag(payload, start, end, ident, more=None, proto=PROTO_ICMP, **kw):
    """The fragment carrying payload[start:end] (start a multiple of 8)."""
    if more is None:
        more = end < len(payload)
    return ip4(TESTER_IP, DUT_IP, proto, payload[start:end], ident=ident, flags=0b001 if more else 0,
               frag=start // 8, **kw)


def replies(frames):
    return icmp_frames(frames, 0)


def test_table_full_oldest_gives_way(bench):
    """RFC 815 / RFC 1122 3.3.2 (resources bounded): with every reassembly
    slot taken (4 in Shoal), a fifth datagram evicts the oldest
    (ip4_frag.memerr); the other four still complete, the evicted one no
    longer can."""
    bench.prime_arp()
    msgs = {i: echo_request(0x100 + i, i, letters(40, i)) for i in range(REASS_MAX + 1)}  # 48 bytes each
    bench.tester.recv()
    before = bench.stats()
    for i, m in msgs.items():
        bench.send(bench.to_dut(frag(m, 0, 24, ident=0x3000 + i)))
        bench.sim.run(duration="1ms")
    bench.run("10ms")
    assert stats_delta(before, bench.stats(), prefixes=["ip4_frag.memerr"]) == {"ip4_frag.memerr": 1}
    for i in range(1, REASS_MAX + 1):
        bench.send(bench.to_dut(frag(msgs[i], 24, 48, ident=0x3000 + i)))
    got = replies(bench.run("50ms"))
    assert sorted(r[ICMP].id for r in got) == [0x100 + i for i in range(1, REASS_MAX + 1)]
    bench.send(bench.to_dut(frag(msgs[0], 24, 48, ident=0x3000)))
    assert replies(bench.run("50ms")) == []
    bench.run("16s")
    assert bench.stats()["pool.ip4_frag.used"] == 0


def test_fragment_holders_bounded(bench):
    """RFC 815 (bounded buffers): a datagram in more fragments than the
    holders Shoal keeps (32) cannot complete: it is discarded as a whole
    (ip4_frag.memerr), its holders come back at once, and the next datagram
    reassembles."""
    bench.prime_arp()
    msg = echo_request(0x77, 1, letters(8 * (REASS_FRAGS + 4) - 8))
    bench.tester.recv()
    before = bench.stats()
    for start in range(0, len(msg), 8):
        bench.send(bench.to_dut(frag(msg, start, start + 8, ident=0x4444)))
    assert replies(bench.run("100ms")) == []
    d = stats_delta(before, bench.stats(), prefixes=["ip4_frag."])
    assert d.get("ip4_frag.memerr", 0) >= 1 and "ip4_frag.xmit" not in d
    assert bench.stats()["pool.ip4_frag.used"] < REASS_FRAGS
    bench.run("16s")
    assert bench.stats()["pool.ip4_frag.used"] == 0
    m2 = echo_request(0x78, 2, letters(200))
    for start in range(0, len(m2), 64):
        bench.send(bench.to_dut(frag(m2, start, min(start + 64, len(m2)), ident=0x4445)))
    assert [r[ICMP].id for r in replies(bench.run("50ms"))] == [0x78]


def test_nothing_leaked_after_timeout(bench):
    """RFC 1122 3.3.2: on timeout the partial datagrams are discarded: every
    fragment holder and buffer is free again."""
    bench.prime_arp()
    base = bench.stats()
    for ident in range(REASS_MAX):
        m = echo_request(ident, 1, letters(100))
        bench.send(bench.to_dut(frag(m, 0, 40, ident=0x5000 + ident)))
        bench.send(bench.to_dut(frag(m, 80, 108, ident=0x5000 + ident)))
    bench.run("10ms")
    assert bench.stats()["pool.ip4_frag.used"] == 2 * REASS_MAX
    bench.run("16s")
    after = bench.stats()
    assert after["pool.ip4_frag.used"] == 0
    assert after["pool.pbuf.used"] == base["pool.pbuf.used"]


def test_timer_runs_from_first_fragment(bench):
    """RFC 791 3.2 (the timer starts with the first fragment to arrive) /
    RFC 1122 3.3.2: later fragments do not extend it; the time exceeded
    (type 11 code 1) comes from the datagram's destination, to its source."""
    bench.prime_arp()
    m = echo_request(0x99, 1, letters(100))
    first = frag(m, 0, 40, ident=0x6000)
    bench.tester.recv()
    f0 = bench.to_dut(first)
    t0 = bench.sim.now_ns
    bench.send(f0)
    bench.sim.run(duration=10.0)
    bench.send(bench.to_dut(frag(m, 40, 80, ident=0x6000)))
    frames = bench.run(6.0)
    assert len(frames) == 1
    r = frames[0]
    assert (r[ICMP].type, r[ICMP].code) == (11, 1)
    assert (r[IP].src, r[IP].dst) == (DUT_IP, TESTER_IP)
    assert r.time_ns == t0 + tx_ns(len(f0)) + DELAY_NS + REASS_TIMEOUT_NS + tx_ns(len(bytes(r))) + DELAY_NS
    assert raw_ip(r)[28:28 + len(first)][:28] == first[:28]


@pytest.mark.parametrize("case", ["inside", "covering", "same_start_longer", "same_end_shorter"])
def test_nested_fragments_discard_datagram(bench, case):
    """RFC 815 / RFC 1858 (teardrop and its kin): a fragment lying inside
    another or covering it, or sharing one end with a different length, is
    an overlap: the datagram is discarded (ip4_frag.proterr), nothing is
    delivered, and a later datagram is unharmed."""
    bench.prime_arp()
    m = echo_request(0x55, 5, letters(56))  # 64 bytes
    a, b = {
        "inside": (frag(m, 0, 32, 0x7000), frag(m, 8, 16, 0x7000, more=True)),
        "covering": (frag(m, 8, 16, 0x7000, more=True), frag(m, 0, 32, 0x7000)),
        "same_start_longer": (frag(m, 0, 16, 0x7000), frag(m, 0, 32, 0x7000)),
        "same_end_shorter": (frag(m, 0, 32, 0x7000), frag(m, 16, 32, 0x7000)),
    }[case]
    before = bench.stats()
    for d in (a, b, frag(m, 32, 64, 0x7000)):
        bench.send(bench.to_dut(d))
    assert replies(bench.run("50ms")) == []
    assert stats_delta(before, bench.stats(), prefixes=["ip4_frag.proterr"]) == {"ip4_frag.proterr": 1}
    bench.ping_ok()


def _check_fragments(frames, size, mtu, src, dst, sport, dport, data):
    """RFC 791 3.2: fragments of at most mtu bytes, data a multiple of 8 in
    all but the last, MF on all but the last, the same identification,
    offsets without gaps, right header checksums; together the UDP datagram
    with a valid checksum."""
    assert len({f[IP].id for f in frames}) == 1
    whole = b""
    for i, f in enumerate(frames):
        ip = raw_ip(f)
        assert len(ip) <= mtu and checksum_ok(ip[:20])
        fo = struct.unpack("!H", ip[6:8])[0]
        more, off = bool(fo & 0x2000), (fo & 0x1FFF) * 8
        assert off == len(whole) and more == (i < len(frames) - 1) and not fo & 0x4000
        if more:
            assert (len(ip) - 20) % 8 == 0
            assert len(ip) - 20 == (mtu - 20) // 8 * 8, "as much data as the MTU allows"
        whole += ip[20:]
    assert len(whole) == size + 8 and whole[8:] == data
    assert struct.unpack("!HH", whole[:4]) == (sport, dport)
    assert ones_sum(udp_pseudo_header(src, dst, len(whole)) + whole) == 0xFFFF


@pytest.mark.parametrize("mtu,size", [(576, 2000), (68, 300)])
def test_output_fragmentation_small_mtu(sim, mtu, size):
    """RFC 791 3.2 (fragmentation to the link's MTU; 68 is the least every
    link must carry, RFC 791 3.2 / RFC 1122 3.3.3): a stack sends a large UDP
    datagram in fragments that fit, correct in every field (checked on the
    wire by a raw host)."""
    from conformance_util import Bench
    b = Bench(sim, mtu=mtu)
    b.prime_arp()
    u = b.dut.udp(port=4321)
    data = letters(size, 1)
    assert u.sendto(data, (TESTER_IP, 4322)) == size
    frames = [f for f in b.run("100ms") if IP in f]
    assert len(frames) == -(-(size + 8) // ((mtu - 20) // 8 * 8))
    _check_fragments(frames, size, mtu, DUT_IP, TESTER_IP, 4321, 4322, data)


@pytest.mark.parametrize("mtu,size", [(576, 3000), (68, 1000)])
def test_fragments_reassembled_by_second_stack(sim, mtu, size):
    """RFC 791 3.2 / RFC 1122 3.3.2 end to end over a small-MTU link: a
    datagram leaves one stack in fragments and reaches the other's socket
    whole; no fragment holder stays in use."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="1ms", rate="10Mbit", mtu=mtu)
    a.iface(link).set_ip4("10.0.0.1/24")
    b.iface(link).set_ip4("10.0.0.2/24")
    sim.run(duration="10ms")
    rx, tx = b.udp(port=4322), a.udp(port=4321)
    # First a small datagram, so that ARP has resolved b: at most 8 packets
    # (fragments included) wait on a resolution in Shoal.
    tx.sendto(b"hi", ("10.0.0.2", 4322))
    sim.run(duration="50ms")
    assert rx.recv() == b"hi"
    data = letters(size, 2)
    tx.sendto(data, ("10.0.0.2", 4322))
    sim.run(duration="500ms")
    assert rx.recvfrom() == (data, ("10.0.0.1", 4321))
    per = (mtu - 20) // 8 * 8
    assert a.stats["ip4_frag"]["xmit"] == -(-(size + 8) // per)
    assert b.stats["ip4_frag"]["recv"] == a.stats["ip4_frag"]["xmit"]
    assert b.stats["pool"]["ip4_frag"]["used"] == 0
