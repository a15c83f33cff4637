"""RFC 8200 4.5 (fragmentation and reassembly) with RFC 5722 (overlapping
fragments), RFC 6946 (atomic fragments), RFC 7112 (the first fragment holds
the whole header chain) and RFC 7739 (fragment identifications), on a host:
what the dut puts back together, what it must throw away, the errors it
owes, and how it fragments its own large packets."""
import struct

import pytest

from conformance6_util import excuse as excuse_frame
from conformance6_util import (DELAY_NS, DUT_IP6, ECHO_REPLY, NH_DST, NH_FRAG, NH_HOP, NH_ICMP6, NH_UDP, PARAM_PROBLEM,
                               REASS_TIMEOUT_NS, SECOND_NS, TESTER_IP6, TESTER_LL, TIME_EXCEEDED, Bench6, a6,
                               check_icmp6_error, checksum6, dstopts, each, echo6, echo_replies6, errors6, fragments6,
                               fragments_of, frag_hdr, hbh, icmp6_of, ip6, opt_value, padn, pattern, stats_delta, tx_ns,
                               udp6)

MTU = 1500
MAX_FRAG_DATA = (MTU - 40 - 8) // 8 * 8   # 1448: the most a fragment of a 1500-byte link carries


@pytest.fixture
def bench(sim):
    b = Bench6(sim)
    b.prime_nd()
    return b


def echo_frags(cuts, data, ident, *, seq=1, src=TESTER_IP6, echo_id=0x4444):
    msg = echo6(src, DUT_IP6, echo_id, seq, data)
    return fragments6(src, DUT_IP6, NH_ICMP6, msg, cuts, ident)


def send_all(bench, packets, duration="50ms"):
    bench.run(0)
    for p in packets:
        bench.send(bench.to_dut(p))
    return bench.run(duration)


def frag_pool_used(bench):
    return bench.stats().get("pool.ip6_frag.used", 0)


def check_reply(frames, echo_id, seq, data):
    replies = echo_replies6(frames)
    assert len(replies) == 1, frames
    m = icmp6_of(replies[0])
    assert m[4:8] == struct.pack("!HH", echo_id, seq) and m[8:] == data, "reply data differs"
    return replies[0]


# --------------------------------------------------------------- reassembly

def test_fragmented_echo_reassembled(bench):
    """RFC 8200 4.5: fragments are reassembled whatever their order of
    arrival (in order, reversed, last first, middle first); the echo reply
    carries the whole data. Nothing is held once the packet is complete
    (pool.ip6_frag.used back to its start)."""

    def check(order):
        i = ORDERS.index(order)
        data = pattern(200, salt=5 + i)
        frs = echo_frags([64, 136], data, 0x1001 + i)    # 208-byte message: 64 + 72 + 72
        frs = {"in_order": frs, "reversed": frs[::-1], "last_first": [frs[2], frs[0], frs[1]],
               "middle_first": [frs[1], frs[2], frs[0]]}[order]
        used = frag_pool_used(bench)
        frames = send_all(bench, frs)
        check_reply(frames, 0x4444, 1, data)
        assert errors6(frames) == []
        assert frag_pool_used(bench) == used

    each(ORDERS, check)


ORDERS = ["in_order", "reversed", "last_first", "middle_first"]


def test_exact_duplicate_fragment(bench):
    """RFC 8200 4.5: an exact duplicate MAY be dropped while the rest is kept,
    or treated as an overlap (datagram abandoned). Either way no wrong
    data is delivered and no ICMP error is sent."""
    data = pattern(200, salt=6)
    frs = echo_frags([64, 136], data, 0x1002)
    frames = send_all(bench, [frs[0], frs[1], frs[1], frs[2]])
    assert errors6(frames) == []
    replies = echo_replies6(frames)
    assert len(replies) <= 1
    if replies:
        check_reply(frames, 0x4444, 1, data)
    bench.ping_ok()


def test_unfragmentable_part_kept(bench):
    """RFC 8200 4.5: the headers before the Fragment header (here a
    Hop-by-Hop Options header) are the unfragmentable part, present in every
    fragment; the reassembled packet is processed as if it had come whole."""
    data = pattern(150, salt=7)
    msg = echo6(TESTER_IP6, DUT_IP6, 0x4545, 3, data)
    frs = fragments6(TESTER_IP6, DUT_IP6, NH_ICMP6, msg, [80], 0x1003, unfrag=hbh(NH_FRAG, padn(6)),
                     unfrag_nh=NH_HOP)
    check_reply(send_all(bench, frs[::-1]), 0x4545, 3, data)


def test_destination_options_in_fragmentable_part(bench):
    """RFC 8200 4.5: extension headers after the Fragment header are part of
    the fragmentable part and processed after reassembly (a Destination
    Options header here, in the first fragment with the ICMPv6 header)."""
    data = pattern(120, salt=8)
    body = dstopts(NH_ICMP6, padn(6)) + echo6(TESTER_IP6, DUT_IP6, 0x4646, 4, data)
    frs = fragments6(TESTER_IP6, DUT_IP6, NH_DST, body, [64], 0x1004)
    check_reply(send_all(bench, frs), 0x4646, 4, data)


def test_offset_zero_fragment_decides(bench):
    """RFC 8200 4.5: "Only the value from the Offset zero fragment packet is
    used for reassembly": a later fragment whose Fragment header names
    another Next Header (UDP) and that lacks the first fragment's Hop-by-Hop
    header does not change the packet, which is an echo request."""
    data = pattern(120, salt=11)
    msg = echo6(TESTER_IP6, DUT_IP6, 0x4b4b, 6, data)
    first = ip6(TESTER_IP6, DUT_IP6, NH_HOP, hbh(NH_FRAG, padn(6)) + frag_hdr(NH_ICMP6, 0, True, 0x1007) + msg[:64])
    later = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_UDP, 64, False, 0x1007) + msg[64:])
    check_reply(send_all(bench, [later, first]), 0x4b4b, 6, data)


def test_interleaved_packets_kept_apart(bench):
    """RFC 8200 4.5: fragments belong together by source, destination and
    Identification. Two packets from the tester with different ids and one
    from its link-local address with the first one's id, interleaved, come
    back as three correct replies."""
    bench.prime_nd(src=TESTER_LL, target=DUT_IP6)
    d1, d2, d3 = pattern(100, salt=1), pattern(100, salt=2), pattern(100, salt=3)
    a = echo_frags([56], d1, 0x2001, seq=1)
    b = echo_frags([56], d2, 0x2002, seq=2)
    c = echo_frags([56], d3, 0x2001, seq=3, src=TESTER_LL)
    frames = send_all(bench, [a[0], b[0], c[0], b[1], c[1], a[1]])
    replies = echo_replies6(frames)
    assert len(replies) == 3, frames
    got = sorted((icmp6_of(r)[6:8], icmp6_of(r)[8:]) for r in replies)
    assert got == sorted([(b"\0\x01", d1), (b"\0\x02", d2), (b"\0\x03", d3)])


def test_fragmented_udp_delivered(bench):
    """RFC 8200 4.5 / 8.1: a UDP datagram in fragments reaches the socket
    whole, its checksum checked over the reassembled datagram."""
    sock = bench.dut.udp(port=7000)
    data = pattern(300, salt=2)
    seg = udp6(TESTER_IP6, DUT_IP6, 1234, 7000, data)
    assert send_all(bench, fragments6(TESTER_IP6, DUT_IP6, NH_UDP, seg, [96, 200], 0x1005)) == []
    got = sock.recvfrom()
    assert got is not None and got[0] == data and got[1][1] == 1234 and a6(got[1][0]) == a6(TESTER_IP6)


def test_reserved_fields_ignored(bench):
    """RFC 8200 4.5: the Fragment header's two reserved fields are ignored on
    reception."""
    data = pattern(100, salt=4)
    msg = echo6(TESTER_IP6, DUT_IP6, 0x4747, 5, data)
    f0 = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 0, True, 0x1006, res=0xFF, res2=3) + msg[:56])
    f1 = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 56, False, 0x1006, res=0xA5, res2=2) + msg[56:])
    check_reply(send_all(bench, [f0, f1]), 0x4747, 5, data)


# ---------------------------------------------------- what must be refused

OVERLAPS = {
    # (start, end) of the intruding fragment over a 208-byte message cut at 64 and 136
    "partial_overlap": (56, 120),
    "same_start_shorter": (64, 96),
    "nested_inside_first": (8, 32),
    "covering_two": (0, 144),
}


def test_overlapping_fragments_discard_packet(bench):
    """RFC 5722 4 / RFC 8200 4.5: when a fragment overlaps another of the
    same packet, the whole packet is silently discarded, including its
    fragments not yet received: the remaining fragments that arrive later
    do not complete it, and no ICMP error is ever sent about it (not even
    when its reassembly time runs out). A packet with another id is fine.
    Overlaps: partial, same start, nested, covering two fragments."""
    data = pattern(200, salt=9)
    msg = echo6(TESTER_IP6, DUT_IP6, 0x4444, 1, data)

    def check(case):
        ident = 0x3001 + 2 * sorted(OVERLAPS).index(case)
        frs = fragments6(TESTER_IP6, DUT_IP6, NH_ICMP6, msg, [64, 136], ident)
        lo, hi = OVERLAPS[case]
        intruder = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, lo, True, ident) + bytes(hi - lo))
        before = bench.stats()
        assert send_all(bench, [frs[0], intruder]) == []
        assert send_all(bench, [frs[1], frs[2]]) == [], "fragments of a discarded packet completed it"
        assert stats_delta(before, bench.stats(), prefixes=["ip6_frag.drop"]).get("ip6_frag.drop", 0) >= 1
        check_reply(send_all(bench, echo_frags([64, 136], data, ident + 1)), 0x4444, 1, data)

    each(sorted(OVERLAPS), check)
    assert errors6(bench.run(REASS_TIMEOUT_NS / SECOND_NS + 1)) == []
    assert frag_pool_used(bench) == 0


def test_atomic_fragment_processed_in_isolation(bench):
    """RFC 6946 4: a packet with a Fragment header of offset 0 and M = 0 is
    processed at once and on its own, even while a fragmented packet with the
    same source, destination and Identification is being reassembled; that
    one completes undisturbed. The atomic fragment holds no reassembly
    resource."""
    data = pattern(100, salt=10)
    frs = echo_frags([48], data, 0x4001, seq=1)
    used0 = frag_pool_used(bench)
    assert send_all(bench, [frs[0]]) == []
    held = frag_pool_used(bench)
    atomic = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 0, False, 0x4001)
                 + echo6(TESTER_IP6, DUT_IP6, 0x4444, 2, b"atomic"))
    frames = send_all(bench, [atomic])
    check_reply(frames, 0x4444, 2, b"atomic")
    assert frag_pool_used(bench) == held
    check_reply(send_all(bench, [frs[1]]), 0x4444, 1, data)
    assert frag_pool_used(bench) == used0


def test_fragment_length_not_multiple_of_8(bench):
    """RFC 8200 4.5: a fragment with M = 1 whose length (from the Payload
    Length field) is not a multiple of 8 octets (1, 12, 100 bytes here) is
    discarded and a Parameter Problem code 0 pointing at the Payload Length
    field (offset 4) goes to its source, quoting it."""
    msg = echo6(TESTER_IP6, DUT_IP6, 1, 1, pattern(200))

    def check(length):
        pkt = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 0, True, 0x5000 + length) + msg[:length])
        frames = send_all(bench, [pkt])
        assert len(frames) == 1, frames
        check_icmp6_error(frames[0], src=DUT_IP6, dst=TESTER_IP6, src_mac=bench.dut_mac, dst_mac=bench.mac,
                          icmp_type=PARAM_PROBLEM, code=0, param=4, invoking=pkt)
        excuse_frame(bench.sim, bench.link, frames[0])
        assert frag_pool_used(bench) == 0

    each([1, 12, 100], check)


def test_reassembled_length_beyond_65535(bench):
    """RFC 8200 4.5: a fragment whose offset and length would make the
    reassembled packet's Payload Length (unfragmentable headers + offset +
    length) exceed 65,535 is discarded with Parameter Problem code 0
    pointing at its Fragment Offset field (42, or 50 behind an 8-byte
    Hop-by-Hop header). 65,535 or less is a fragment like any other (held,
    no error)."""

    def check(case):
        offset, length, hbh_before, error = case
        ident = 0x5100 + BEYOND.index(case)
        data = pattern(length, salt=1)
        if hbh_before:
            pkt = ip6(TESTER_IP6, DUT_IP6, NH_HOP, hbh(NH_FRAG, padn(6)) + frag_hdr(NH_ICMP6, offset, False, ident)
                      + data)
            pointer = 50
        else:
            pkt = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, offset, False, ident) + data)
            pointer = 42
        frames = send_all(bench, [pkt])
        if not error:
            assert frames == []
            return
        assert len(frames) == 1, frames
        check_icmp6_error(frames[0], src=DUT_IP6, dst=TESTER_IP6, src_mac=bench.dut_mac, dst_mac=bench.mac,
                          icmp_type=PARAM_PROBLEM, code=0, param=pointer, invoking=pkt)
        excuse_frame(bench.sim, bench.link, frames[0])
        bench.ping_ok()

    each(BEYOND, check)


# (offset, length, Hop-by-Hop header before the Fragment header, error due)
BEYOND = [(65528, 8, False, True), (65520, 16, False, True), (64512, 1024, False, True),
          (65520, 8, True, True), (65520, 8, False, False), (65512, 8, True, False)]


def test_reassembly_resources_bounded(bench):
    """Issue 5 item 2 (bounded buffers; RFC 8200 4.5 leaves the limits to the
    node): with more partial packets than reassembly entries (opt.h
    SHOAL_IP6_REASS_MAX) the oldest gives way (ip6_frag.memerr) and a fresh
    packet still gets through; a packet of more fragments than there are
    holders (SHOAL_IP6_REASS_FRAGS) is not delivered; nothing is held once
    the 60 s have run out, and reassembly works afterwards."""
    entries = opt_value("SHOAL_IP6_REASS_MAX")
    holders = opt_value("SHOAL_IP6_REASS_FRAGS")
    assert entries and holders
    msg = echo6(TESTER_IP6, DUT_IP6, 1, 1, pattern(200))
    mark = bench.mark()
    partial = [ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 0, True, 0xB000 + i) + msg[:64])
               for i in range(entries + 4)]
    assert send_all(bench, partial) == []
    assert 0 < frag_pool_used(bench) <= entries
    assert bench.delta(mark, prefixes=["ip6_frag.memerr"]).get("ip6_frag.memerr", 0) >= 4
    data = pattern(100, salt=12)
    check_reply(send_all(bench, echo_frags([56], data, 0xB100)), 0x4444, 1, data)
    big = echo6(TESTER_IP6, DUT_IP6, 0x4444, 2, pattern(8 * (holders + 8) - 8))
    pieces = fragments6(TESTER_IP6, DUT_IP6, NH_ICMP6, big, range(8, len(big), 8), 0xB200)
    assert len(pieces) > holders
    assert echo_replies6(send_all(bench, pieces, "100ms")) == []
    assert frag_pool_used(bench) <= holders
    bench.run(REASS_TIMEOUT_NS / SECOND_NS + 1)
    assert frag_pool_used(bench) == 0
    check_reply(send_all(bench, echo_frags([56], data, 0xB300)), 0x4444, 1, data)


# ----------------------------------------------------------------- timeouts

def test_reassembly_timeout_time_exceeded(bench):
    """RFC 8200 4.5: if a packet is not complete 60 s after its first
    fragment arrived, reassembly is abandoned and, as the offset-0 fragment
    was received, Time Exceeded code 1 (RFC 4443 3.3) goes to its source,
    quoting that fragment; exactly at 60 s on the virtual clock. Nothing is
    held afterwards."""
    msg = echo6(TESTER_IP6, DUT_IP6, 1, 1, pattern(200))
    first = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 0, True, 0x6001) + msg[:64])
    frame = bench.to_dut(first)
    bench.run(0)
    t0 = bench.sim.now_ns
    bench.send(frame)
    t_rx = t0 + tx_ns(len(frame)) + DELAY_NS
    assert bench.run(REASS_TIMEOUT_NS / SECOND_NS - 0.1) == [], "nothing while waiting for the rest"
    frames = bench.run("200ms")
    assert len(frames) == 1, frames
    r = frames[0]
    check_icmp6_error(r, src=DUT_IP6, dst=TESTER_IP6, src_mac=bench.dut_mac, dst_mac=bench.mac,
                      icmp_type=TIME_EXCEEDED, code=1, param=0, invoking=first)
    assert r.time_ns == t_rx + REASS_TIMEOUT_NS + tx_ns(len(bytes(r))) + DELAY_NS
    assert frag_pool_used(bench) == 0
    bench.ping_ok()


def test_reassembly_timer_starts_with_first_arriving_fragment(bench):
    """RFC 8200 4.5: the 60 s run from the first-arriving fragment, which
    need not be the offset-0 one: a later fragment at t, the offset-0
    fragment at t + 10 s, the Time Exceeded at t + 60 s (quoting the
    offset-0 fragment)."""
    msg = echo6(TESTER_IP6, DUT_IP6, 1, 1, pattern(200))
    first = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 0, True, 0x6002) + msg[:64])
    later = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 128, True, 0x6002) + msg[128:192])
    bench.run(0)
    frame = bench.to_dut(later)
    t0 = bench.sim.now_ns
    bench.send(frame)
    t_rx = t0 + tx_ns(len(frame)) + DELAY_NS
    assert bench.run("10s") == []
    bench.send(bench.to_dut(first))
    assert bench.run(REASS_TIMEOUT_NS / SECOND_NS - 10 - 0.1) == []
    frames = bench.run("200ms")
    assert len(frames) == 1, frames
    r = frames[0]
    check_icmp6_error(r, src=DUT_IP6, dst=TESTER_IP6, src_mac=bench.dut_mac, dst_mac=bench.mac,
                      icmp_type=TIME_EXCEEDED, code=1, param=0, invoking=first)
    assert r.time_ns == t_rx + REASS_TIMEOUT_NS + tx_ns(len(bytes(r))) + DELAY_NS


def test_reassembly_timeout_silent_without_first_fragment(bench):
    """RFC 8200 4.5: no Time Exceeded when the offset-0 fragment never came;
    the partial packet is still discarded (pool.ip6_frag.used back to 0)."""
    msg = echo6(TESTER_IP6, DUT_IP6, 1, 1, pattern(200))
    later = ip6(TESTER_IP6, DUT_IP6, NH_FRAG, frag_hdr(NH_ICMP6, 64, True, 0x6003) + msg[64:128])
    assert send_all(bench, [later]) == []
    assert frag_pool_used(bench) > 0
    assert bench.run(REASS_TIMEOUT_NS / SECOND_NS + 1) == []
    assert frag_pool_used(bench) == 0


def test_first_fragment_without_whole_header_chain(bench):
    """RFC 7112 5: a first fragment that does not hold the whole IPv6 header
    chain (here it ends after a Destination Options header; the ICMPv6
    header is in the second fragment) SHOULD be dropped, with a Parameter
    Problem code 3 (pointer 0) to its source; the packet is never
    delivered, even when the second fragment arrives."""
    body = dstopts(NH_ICMP6, padn(6)) + echo6(TESTER_IP6, DUT_IP6, 0x4848, 1, pattern(40))
    frs = fragments6(TESTER_IP6, DUT_IP6, NH_DST, body, [8], 0x7001)
    frames = send_all(bench, [frs[0]])
    assert len(frames) == 1, frames
    check_icmp6_error(frames[0], src=DUT_IP6, dst=TESTER_IP6, src_mac=bench.dut_mac, dst_mac=bench.mac,
                      icmp_type=PARAM_PROBLEM, code=3, param=0, invoking=frs[0])
    assert echo_replies6(send_all(bench, [frs[1]])) == []
    bench.ping_ok()


# ---------------------------------------------------- fragmenting on output

def reassemble(frags):
    """The fragmentable part put back together from (offset, data) pieces,
    checking they tile it exactly."""
    frags = sorted(frags)
    out = b""
    for off, data in frags:
        assert off == len(out), f"hole or overlap at {off} (have {len(out)})"
        out += data
    return out


def large_echo(bench, size, ident, echo_id, seq=1, src=TESTER_IP6):
    """Send an echo request of `size` data bytes in 1496-byte fragments;
    return (data, the dut's fragments as fragments_of tuples, frames)."""
    data = pattern(size, salt=size % 251)
    msg = echo6(src, DUT_IP6, echo_id, seq, data)
    cuts = list(range(MAX_FRAG_DATA, len(msg), MAX_FRAG_DATA))
    frames = send_all(bench, fragments6(src, DUT_IP6, NH_ICMP6, msg, cuts, ident), "100ms")
    return data, fragments_of(frames), frames


def test_dut_fragments_large_echo_reply(bench):
    """RFC 8200 4.5 / 5: a reply larger than the link MTU (1500) is sent in
    fragments: each a valid packet no larger than the MTU, Fragment header
    right after the fixed header (nothing unfragmentable here), Next Header
    58, reserved fields zero, one Identification, M on all but the last,
    every fragment but the last carrying a multiple of 8 bytes (the most
    that fits: 1448), offsets that tile the message; put back together it is
    the echo reply, checksum over the whole message (RFC 4443 2.3). Sizes
    1453 (one byte too many for 1500), 3000 and 9000 bytes of data."""

    def check(size):
        data, frs, frames = large_echo(bench, size, 0x8001 + size, 0x4949)
        msg_len = 8 + size
        assert len(frs) == len(frames) == -(-msg_len // MAX_FRAG_DATA), frames
        ids = {ident for _, _, _, ident, _, _ in frs}
        assert len(ids) == 1
        last = max(off for _, off, _, _, _, _ in frs)
        for f, off, more, ident, nh, fdata in frs:
            pkt = bytes(f)[14:]
            assert pkt[0] >> 4 == 6 and pkt[7] == 64 and pkt[8:24] == a6(DUT_IP6) and pkt[24:40] == a6(TESTER_IP6)
            assert len(bytes(f)) - 14 <= 1500
            assert nh == NH_ICMP6 and pkt[41] == 0 and struct.unpack("!H", pkt[42:44])[0] & 0x6 == 0
            assert more == (off != last)
            if more:
                assert len(fdata) == MAX_FRAG_DATA, len(fdata)
        msg = reassemble([(off, fdata) for _, off, _, _, _, fdata in frs])
        assert len(msg) == msg_len
        assert msg[0] == ECHO_REPLY and msg[4:8] == struct.pack("!HH", 0x4949, 1) and msg[8:] == data
        assert checksum6(DUT_IP6, TESTER_IP6, NH_ICMP6, msg[:2] + b"\0\0" + msg[4:]) == struct.unpack("!H", msg[2:4])[0]

    each([1453, 3000, 9000], check)


def test_fragment_ids_differ(bench):
    """RFC 8200 4.5 / RFC 7739: every fragmented packet the dut sends has an
    Identification different from that of the other fragmented packets it
    sent recently, to the same destination and to another."""
    bench.prime_nd(src=TESTER_LL, target=DUT_IP6)
    ids = []
    for i in range(4):
        _, frs, _ = large_echo(bench, 2000, 0x8100 + i, 0x5050, seq=i, src=TESTER_IP6 if i % 2 == 0 else TESTER_LL)
        assert len(frs) == 2
        ids.append(frs[0][3])
    assert len(set(ids)) == 4, ids


def test_fragment_ids_follow_the_seed(seed):
    """RFC 7739 (ids hard to predict: from the instance's RNG) and Shoal's
    determinism: the same seed gives byte-identical fragmented replies, ids
    included; another seed gives another id."""
    import shoal

    def fragmented_reply(sd):
        with shoal.Sim(seed=sd) as sim:
            b = Bench6(sim)
            b.prime_nd()
            _, frs, frames = large_echo(b, 3000, 0x8201, 0x5151)
            assert len(frs) == 3
            return [bytes(f) for f in frames], frs[0][3]

    first, id1 = fragmented_reply(seed)
    again, id2 = fragmented_reply(seed)
    assert first == again and id1 == id2
    _, id3 = fragmented_reply(seed + 1)
    assert id3 != id1
