"""RFC 791 3.2 (fragmentation and reassembly) with RFC 1122 3.3.2 (a host
MUST reassemble; discard and time exceeded on timeout) and RFC 815 / RFC 1858
(fragments that do not fit together)."""
import struct

import pytest

from conformance_util import (DELAY_NS, DUT_IP, ICMP, IP, PROTO_ICMP, PROTO_UDP, SECOND_NS, TESTER_IP,
                              checksum_ok, echo_request, icmp_frames, ip4, ones_sum, pattern, raw_ip,
                              stats_delta, tx_ns, udp, udp_frames, udp_pseudo_header)

REASS_TIMEOUT_NS = 15 * SECOND_NS  # Shoal's SHOAL_IP4_REASS_TIMEOUT_MS


def fragments(payload, cuts, *, proto=PROTO_ICMP, ident=0x5151, src=TESTER_IP, dst=DUT_IP):
    """The IPv4 fragments of one datagram carrying payload, split at the byte
    offsets in cuts (multiples of 8): (offset, datagram) pairs in order."""
    bounds = [0] + list(cuts) + [len(payload)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        assert a % 8 == 0
        more = b < len(payload)
        out.append((a, ip4(src, dst, proto, payload[a:b], ident=ident, flags=0b001 if more else 0, frag=a // 8)))
    return out


def send_all(bench, datagrams):
    bench.tester.recv()
    for d in datagrams:
        bench.send(bench.to_dut(d))
    return bench.run("50ms")


def echo_replies(frames):
    return icmp_frames(frames, 0)


@pytest.mark.parametrize("order", ["in_order", "reversed", "last_first", "with_duplicate"])
def test_fragmented_echo_reassembled(bench, order):
    """RFC 1122 3.3.2: the IP layer MUST reassemble datagrams; fragments may
    come in any order (RFC 791 3.2, reassembly), an exact duplicate is
    harmless. The echo reply carries the whole reassembled data."""
    bench.prime_arp()
    data = pattern(100, salt=5)
    msg = echo_request(0x4444, 9, data)  # 108 bytes: fragments of 40, 40 and 28
    frs = [d for _, d in fragments(msg, [40, 80])]
    if order == "reversed":
        frs = frs[::-1]
    elif order == "last_first":
        frs = [frs[2], frs[0], frs[1]]
    elif order == "with_duplicate":
        frs = [frs[0], frs[1], frs[1], frs[2]]
    before = bench.stats()
    replies = echo_replies(send_all(bench, frs))
    assert len(replies) == 1
    r = replies[0]
    assert (r[ICMP].id, r[ICMP].seq) == (0x4444, 9)
    assert raw_ip(r)[28:] == data
    assert checksum_ok(raw_ip(r)[20:])
    assert not r[IP].flags.MF and r[IP].frag == 0
    d = stats_delta(before, bench.stats())
    assert d.get("ip4.recv") == 1, "one datagram, counted once"
    assert d.get("ip4_frag.recv") == len(frs)


def test_fragmented_udp_delivered(bench):
    """RFC 1122 3.3.2 / RFC 768: a UDP datagram in fragments reaches the socket
    whole, its checksum verified over the reassembled datagram."""
    bench.prime_arp()
    u = bench.dut.udp(port=7000)
    data = pattern(300, salt=2)
    seg = udp(TESTER_IP, DUT_IP, 1234, 7000, data)
    send_all(bench, [d for _, d in fragments(seg, [96, 200], proto=PROTO_UDP)])
    assert u.recvfrom() == (data, (TESTER_IP, 1234))


def test_interleaved_datagrams_kept_apart(bench):
    """RFC 791 3.2: fragments belong together by (source, destination,
    protocol, identification); two datagrams interleaved reassemble apart."""
    bench.prime_arp()
    a = fragments(echo_request(1, 1, pattern(64, 1)), [32], ident=0x0A0A)
    b = fragments(echo_request(2, 2, pattern(64, 2)), [32], ident=0x0B0B)
    replies = echo_replies(send_all(bench, [a[0][1], b[0][1], b[1][1], a[1][1]]))
    assert sorted((r[ICMP].id, raw_ip(r)[28:]) for r in replies) == [(1, pattern(64, 1)), (2, pattern(64, 2))]


@pytest.mark.parametrize("case", ["overlap", "past_last", "second_last"])
def test_inconsistent_fragments_discard_datagram(bench, case):
    """RFC 791 3.2 / RFC 1858 (overlapping fragment attacks): fragments that do
    not fit together (an overlap that is not an exact duplicate, data past
    the end a last fragment set, two different last fragments) discard the
    datagram: no reply, ip4_frag.proterr; the next datagram is unharmed."""
    bench.prime_arp()
    msg = echo_request(7, 7, pattern(56))  # 64 bytes
    f0 = ip4(TESTER_IP, DUT_IP, PROTO_ICMP, msg[:32], flags=0b001, frag=0)
    if case == "overlap":
        rest = [ip4(TESTER_IP, DUT_IP, PROTO_ICMP, msg[24:64], frag=3)]  # starts at 24 < 32
    elif case == "past_last":
        rest = [ip4(TESTER_IP, DUT_IP, PROTO_ICMP, msg[40:64], frag=5),  # last: ends at 64
                ip4(TESTER_IP, DUT_IP, PROTO_ICMP, msg[32:40] + bytes(32), flags=0b001, frag=4)]  # runs to 72
    else:  # two last fragments that disagree on the length; the first fragment comes after
        rest = [ip4(TESTER_IP, DUT_IP, PROTO_ICMP, msg[32:64], frag=4),
                ip4(TESTER_IP, DUT_IP, PROTO_ICMP, msg[32:48], frag=4)]
    sequence = rest + [f0] if case == "second_last" else [f0] + rest
    before = bench.stats()
    assert echo_replies(send_all(bench, sequence)) == []
    d = stats_delta(before, bench.stats())
    assert d.get("ip4_frag.proterr") == 1
    assert "ip4.recv" not in d and "icmp.recv" not in d
    bench.ping_ok()


@pytest.mark.parametrize("n", [12, 1])
def test_non_last_fragment_not_multiple_of_8(bench, n):
    """RFC 791 3.2: every fragment but the last carries a multiple of 8 data
    bytes; one that does not is dropped (ip4_frag.lenerr)."""
    bench.prime_arp()
    before = bench.stats()
    frame = bench.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_ICMP, echo_request(1, 1, pattern(60))[:n], flags=0b001))
    assert bench.exchange(frame) == []
    d = stats_delta(before, bench.stats())
    assert d.get("ip4_frag.lenerr") == 1 and d.get("ip4_frag.drop") == 1
    assert "ip4.recv" not in d
    bench.ping_ok()


def test_ping_of_death_dropped(bench):
    """RFC 791 3.1 (total length is 16 bits): a fragment whose offset and
    length would make the datagram longer than 65535 bytes is dropped."""
    bench.prime_arp()
    before = bench.stats()
    frame = bench.to_dut(ip4(TESTER_IP, DUT_IP, PROTO_ICMP, pattern(64), frag=8189))  # 65512 + 20 + 64 > 65535
    assert bench.exchange(frame) == []
    assert stats_delta(before, bench.stats()).get("ip4_frag.lenerr") == 1
    bench.ping_ok()


def test_reassembly_timeout_time_exceeded(bench):
    """RFC 1122 3.3.2: when the reassembly timer expires, the partial datagram
    MUST be discarded and an ICMP time exceeded (type 11, code 1: RFC 792)
    sent to the source if fragment zero was received, quoting that
    fragment's header and first 8 data bytes. Shoal's timeout is 15 s from the
    first fragment (RFC 1122 recommends 60-120 s)."""
    bench.prime_arp()
    first = ip4(TESTER_IP, DUT_IP, PROTO_UDP, udp(TESTER_IP, DUT_IP, 1, 9, pattern(64))[:40], flags=0b001,
                ident=0x7777)
    frame = bench.to_dut(first)
    bench.tester.recv()
    t0 = bench.sim.now_ns
    bench.send(frame)
    t_rx = t0 + tx_ns(len(frame)) + DELAY_NS
    before = bench.stats()
    assert bench.run(REASS_TIMEOUT_NS / SECOND_NS - 0.1) == [], "nothing while waiting for the rest"
    frames = bench.run("200ms")
    assert len(frames) == 1
    r = frames[0]
    assert r[ICMP].type == 11 and r[ICMP].code == 1
    msg = raw_ip(r)[20:]
    assert checksum_ok(msg) and msg[4:8] == bytes(4)
    assert len(msg[8:]) >= 28 and msg[8:] == first[:len(msg[8:])]
    assert r.time_ns == t_rx + REASS_TIMEOUT_NS + tx_ns(len(bytes(r))) + DELAY_NS
    d = stats_delta(before, bench.stats())
    assert d.get("ip4_frag.drop") == 1
    bench.ping_ok()


def test_reassembly_timeout_silent_without_first_fragment(bench):
    """RFC 1122 3.3.2: no time exceeded when fragment zero never came; the
    partial datagram is still discarded."""
    bench.prime_arp()
    later = ip4(TESTER_IP, DUT_IP, PROTO_UDP, pattern(24), frag=5, ident=0x7778)
    bench.tester.recv()
    before = bench.stats()
    bench.send(bench.to_dut(later))
    assert bench.run("16s") == []
    assert stats_delta(before, bench.stats()).get("ip4_frag.drop") == 1


def test_dut_fragments_large_datagram(bench):
    """RFC 791 3.2 (fragmentation): a UDP datagram larger than the MTU leaves
    in fragments of at most 1500 bytes, each but the last carrying a multiple
    of 8 data bytes with MF set, all with the same identification, correct
    offsets, total lengths and header checksums; together they are the
    original datagram, its UDP checksum valid over the whole."""
    bench.prime_arp()
    u = bench.dut.udp(port=5000)
    data = pattern(3500, salt=9)
    assert u.sendto(data, (TESTER_IP, 9)) == len(data)
    frames = [f for f in bench.run("50ms") if IP in f]
    assert len(frames) == 3  # 3508 bytes of UDP: 1480 + 1480 + 548
    ids = {f[IP].id for f in frames}
    assert len(ids) == 1
    whole = bytearray()
    for i, f in enumerate(frames):
        ip = raw_ip(f)
        assert len(ip) <= 1500 and len(bytes(f)) <= 1514
        assert checksum_ok(ip[:20])
        flags_off = struct.unpack("!H", ip[6:8])[0]
        mf, off = bool(flags_off & 0x2000), (flags_off & 0x1FFF) * 8
        assert not flags_off & 0x4000 and not flags_off & 0x8000
        assert off == len(whole), "fragments leave in order, without gaps"
        assert mf == (i < len(frames) - 1)
        if mf:
            assert (len(ip) - 20) % 8 == 0
        assert f[IP].proto == PROTO_UDP and f[IP].src == DUT_IP and f[IP].dst == TESTER_IP and f[IP].ttl == 64
        whole += ip[20:]
    seg = bytes(whole)
    assert len(seg) == 8 + len(data) and seg[8:] == data
    assert struct.unpack("!HHH", seg[:6]) == (5000, 9, 8 + len(data))
    assert ones_sum(udp_pseudo_header(DUT_IP, TESTER_IP, len(seg)) + seg) == 0xFFFF
    assert udp_frames(frames[:1])  # the first fragment carries the UDP header


def test_fragments_between_stacks(sim):
    """RFC 791 3.2 / RFC 1122 3.3.2 end to end: a 4000-byte datagram from one
    stack reaches the other's socket whole, and a 3000-byte answer comes back."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay="1ms", rate="100Mbit")
    a.iface(link).set_ip4("10.0.0.1/24")
    b.iface(link).set_ip4("10.0.0.2/24")
    sim.run(duration="10ms")
    srv, cli = b.udp(port=7), a.udp(port=0)
    data = pattern(4000, salt=4)
    cli.sendto(data, ("10.0.0.2", 7))
    sim.run(duration="100ms")
    assert srv.recvfrom() == (data, ("10.0.0.1", cli.port))
    back = data[::-1][:3000]
    srv.sendto(back, ("10.0.0.1", cli.port))
    sim.run(duration="100ms")
    assert cli.recvfrom() == (back, ("10.0.0.2", 7))
    assert a.stats["ip4_frag"]["xmit"] == 3 and b.stats["ip4_frag"]["xmit"] == 3
