"""RFC 8201 (Path MTU Discovery for IPv6) on a host, checked on the wire: a
Packet Too Big lowers the path MTU towards that destination only, never
below 1280 (RFC 8200 5) and never upwards, and ages back after 10 minutes;
what the dut sends afterwards (echo replies, UDP, TCP segments) fits the
new path MTU. The IPv6 Ready Phase-2 core area "Section 4: RFC 8201"."""
import struct

from conformance6_util import (DUT_IP6, ECHO_REPLY, NH_FRAG, NH_ICMP6, NH_TCP, PACKET_TOO_BIG, SECOND_NS, TESTER_IP6,
                               TESTER_LL, Bench6, a6, checksum_ok, corrupt, each, echo6, excuse, fragments6,
                               fragments_of, icmp6, icmp6_of, ip6, is_ip6, n6, pattern, pseudo6, raw_ip6, upper)
import pytest

LINK_MTU = 1500
BIG = 1400          # echo data: a 1448-byte reply, fits 1500, not 1300


@pytest.fixture
def bench(sim):
    b = Bench6(sim)
    b.prime_nd()
    return b


def echo_back(bench, size=BIG, src=TESTER_IP6, seq=1):
    """Send an echo request of `size` data bytes (in fragments if it does
    not fit the link) and return the frames of the dut's reply."""
    data = pattern(size, salt=seq)
    msg = echo6(src, DUT_IP6, 0x6161, seq, data)
    cuts = list(range(1448, len(msg), 1448))
    bench.run(0)
    pkts = fragments6(src, DUT_IP6, NH_ICMP6, msg, cuts, 0x7000 + seq) if cuts else [ip6(src, DUT_IP6, NH_ICMP6, msg)]
    for p in pkts:
        bench.send(bench.to_dut(p))
    frames = bench.run("50ms")
    assert frames, "no reply"
    return frames, data


def reply_sizes(frames):
    """IPv6 packet sizes of the reply frames; asserts they carry the echo."""
    return [len(raw_ip6(f)) for f in frames if is_ip6(f)]


def assert_fits(frames, data, mtu, dst=TESTER_IP6):
    """The reply is in packets no larger than mtu; fragmented only if it had
    to be, with the largest 8-byte aligned fragments that fit; it
    reassembles to the echo reply."""
    sizes = reply_sizes(frames)
    assert sizes and max(sizes) <= mtu, f"packets of {sizes} bytes for a path MTU of {mtu}"
    msg_len = 8 + len(data)
    frs = fragments_of(frames)
    if 40 + msg_len <= mtu:
        assert len(frames) == 1 and not frs, f"fragmented although {40 + msg_len} bytes fit {mtu}: {sizes}"
        msg = icmp6_of(frames[0])
    else:
        assert len(frs) == len(frames) >= 2, sizes
        per = (mtu - 48) // 8 * 8
        pieces = sorted((off, d) for _, off, _, _, _, d in frs)
        assert all(len(d) == per for _, d in pieces[:-1]), ([len(d) for _, d in pieces], per)
        msg = b"".join(d for _, d in pieces)
        assert len({ident for _, _, _, ident, _, _ in frs}) == 1
    assert msg[0] == ECHO_REPLY and msg[8:] == data
    for f in frames:
        assert raw_ip6(f)[24:40] == a6(dst) and raw_ip6(f)[8:24] == a6(DUT_IP6)


def ptb(bench, mtu, invoking, src=TESTER_IP6, chksum=None):
    """A Packet Too Big (RFC 4443 3.2) from the tester (playing a router on
    the path) to the dut, quoting what the dut sent (up to 1280 bytes)."""
    body = struct.pack("!I", mtu) + invoking[:1232]
    msg = icmp6(src, DUT_IP6, PACKET_TOO_BIG, 0, body, chksum)
    bench.send(bench.to_dut(ip6(src, DUT_IP6, NH_ICMP6, msg)))
    assert bench.run("20ms") == []


def test_packet_too_big_lowers_path_mtu(bench):
    """RFC 8201 4: on a Packet Too Big the node MUST reduce the size of the
    packets it sends on that path to the MTU in the message: the next
    1448-byte reply goes in fragments of at most 1300 bytes (RFC 8200 4.5:
    the largest multiple of 8 that fits, 1248 data bytes). The path MTU is
    per destination (RFC 8201 5.2): replies to the tester's link-local
    address still go whole."""
    bench.prime_nd(src=TESTER_LL, target=DUT_IP6)
    frames, data = echo_back(bench)
    assert_fits(frames, data, LINK_MTU)
    ptb(bench, 1300, raw_ip6(frames[0]))
    frames, data = echo_back(bench, seq=2)
    assert_fits(frames, data, 1300)
    frames, data = echo_back(bench, src=TESTER_LL, seq=3)
    assert_fits(frames, data, LINK_MTU, dst=TESTER_LL)


def test_packet_too_big_below_minimum_mtu(bench):
    """RFC 8201 4 / RFC 8200 5: a node MUST NOT reduce its path MTU below
    1280 bytes: a Packet Too Big saying 1000 (or 0) leaves 1280; small
    packets then go without a Fragment header (RFC 8021: no atomic
    fragments)."""

    def check(mtu):
        frames, data = echo_back(bench, seq=mtu % 200 + 10)
        ptb(bench, mtu, raw_ip6(frames[0]))
        frames, data = echo_back(bench, seq=mtu % 200 + 11)
        assert_fits(frames, data, 1280)
        assert len(frames) == 2, "1448 bytes at 1280: two fragments"
        frames, data = echo_back(bench, 100, seq=mtu % 200 + 12)
        assert len(frames) == 1 and raw_ip6(frames[0])[6] == NH_ICMP6, "a small packet needs no Fragment header"

    each([1000, 0], check)


def test_packet_too_big_never_raises(bench):
    """RFC 8201 4: a node MUST NOT increase its path MTU estimate in response
    to a Packet Too Big: after 1300, messages saying 1400 and 9000 change
    nothing."""
    frames, _ = echo_back(bench)
    ptb(bench, 1300, raw_ip6(frames[0]))
    for seq, mtu in ((2, 1400), (3, 9000)):
        frames, data = echo_back(bench, seq=seq)
        assert_fits(frames, data, 1300)
        ptb(bench, mtu, raw_ip6(frames[0]))
    frames, data = echo_back(bench, seq=4)
    assert_fits(frames, data, 1300)


def test_packet_too_big_lowers_further(bench):
    """RFC 8201 4: a later Packet Too Big with a smaller MTU lowers the
    estimate again (1400, then 1300)."""
    frames, _ = echo_back(bench)
    ptb(bench, 1440, raw_ip6(frames[0]))
    frames, data = echo_back(bench, seq=2)
    assert_fits(frames, data, 1440)
    ptb(bench, 1300, raw_ip6(frames[0]))
    frames, data = echo_back(bench, seq=3)
    assert_fits(frames, data, 1300)


def test_bad_packet_too_big_ignored(bench):
    """RFC 4443 2.4 / 3.2: a Packet Too Big with a bad checksum is discarded:
    the path MTU stays the link's."""
    frames, _ = echo_back(bench)
    inv = raw_ip6(frames[0])
    good = icmp6(TESTER_IP6, DUT_IP6, PACKET_TOO_BIG, 0, struct.pack("!I", 1300) + inv[:1232])
    ptb(bench, 1300, inv, chksum=corrupt(struct.unpack("!H", good[2:4])[0]))
    frames, data = echo_back(bench, seq=2)
    assert_fits(frames, data, LINK_MTU)


def test_path_mtu_ages_back(bench):
    """RFC 8201 4: a node MUST NOT try to raise its path MTU estimate less
    than 5 minutes after a Packet Too Big, and SHOULD after 10 minutes (Shoal:
    10 minutes): the lowered MTU still holds at 5 min and at 9 min 50 s, the
    link MTU is back at 10 min 10 s."""
    frames, _ = echo_back(bench)
    ptb(bench, 1300, raw_ip6(frames[0]))
    t0 = bench.sim.now_ns
    for seq, at_s, mtu in ((2, 301, 1300), (3, 590, 1300), (4, 610, LINK_MTU)):
        bench.run("%dns" % (t0 + at_s * SECOND_NS - bench.sim.now_ns))
        frames, data = echo_back(bench, seq=seq)
        assert_fits(frames, data, mtu)


def test_udp_follows_path_mtu(bench):
    """RFC 8201 5.4 / RFC 8200 4.5: a UDP datagram from a socket larger than
    the path MTU is fragmented to the lowered path MTU."""
    frames, _ = echo_back(bench)
    ptb(bench, 1300, raw_ip6(frames[0]))
    sock = bench.dut.udp(port=4000)
    sock.sendto(pattern(1400), (TESTER_IP6, 4001))
    frames = bench.run("50ms")
    sizes = reply_sizes(frames)
    assert len(sizes) == 2 and max(sizes) <= 1300, sizes
    frs = fragments_of(frames)
    assert len(frs) == 2 and frs[0][4] == 17


# ------------------------------------------------------ TCP over a narrow path

def test_tcp_segments_follow_path_mtu(sim):
    """RFC 8201 5.4: a packetization layer (TCP) tracks the path MTU and
    should not send segments that make packets larger than it. a and b are
    on 1500-byte links joined by two routers over a 1280-byte link: both ends
    announce an MSS of 1440, the first full-size segment draws a Packet Too
    Big from r1, and from then on a's TCP sends segments that fit 1280 bytes
    (no IP fragments) and use most of it; all of the 40000 bytes arrive in
    order."""
    from shoal.pcapcheck import read_pcap
    a, b = sim.node("a"), sim.node("b")
    r1, r2 = sim.node("r1", forwarding=True), sim.node("r2", forwarding=True)
    l1 = sim.link(a, r1, delay="1ms", rate="100Mbit", name="a-r1")
    lm = sim.link(r1, r2, delay="1ms", rate="100Mbit", mtu=1280, name="r1-r2")
    l3 = sim.link(r2, b, delay="1ms", rate="100Mbit", name="r2-b")
    a.iface(l1).add_ip6("2001:db8:1::2/64", dad=False)
    r1.iface(l1).add_ip6("2001:db8:1::1/64", dad=False)
    r1.iface(lm).add_ip6("2001:db8:12::1/64", dad=False)
    r2.iface(lm).add_ip6("2001:db8:12::2/64", dad=False)
    r2.iface(l3).add_ip6("2001:db8:3::1/64", dad=False)
    b.iface(l3).add_ip6("2001:db8:3::2/64", dad=False)
    a.route_add("::/0", via="2001:db8:1::1")
    b.route_add("::/0", via="2001:db8:3::1")
    r1.route_add("2001:db8:3::/64", via="2001:db8:12::2")
    r2.route_add("2001:db8:1::/64", via="2001:db8:12::1")
    sim.run(duration="3s")
    lis = b.tcp_listen(80)
    conn = a.tcp_connect("2001:db8:3::2", 80)
    sim.run(duration="200ms")
    assert conn.state == "ESTABLISHED", conn.state
    srv = lis.accept()
    assert srv is not None
    payload = pattern(40000, salt=3)
    sent, got = 0, b""
    for _ in range(400):
        if sent < len(payload):
            sent += conn.send(payload[sent:])
        sim.run(duration="20ms")
        got += srv.recv() or b""
        if len(got) == len(payload):
            break
    assert got == payload, f"{len(got)} of {len(payload)} bytes arrived"
    sim.flush()
    amac = a.iface(l1).mac
    frames = read_pcap(l1.pcap_path)
    from_a = [raw for raw in frames if raw[6:12] == bytes(int(x, 16) for x in amac.split(":"))
              and raw[12:14] == b"\x86\xdd"]
    ptb_at = [i for i, raw in enumerate(frames) if raw[12:14] == b"\x86\xdd" and raw[14 + 6] == NH_ICMP6
              and raw[14 + 40] == PACKET_TOO_BIG]
    assert ptb_at, "r1 sent no Packet Too Big: the path was never too narrow?"
    for i in ptb_at:
        # RFC 4443 3.2: MTU 1280, checksum right (checked here); the quote is a
        # TCP segment cut at 1232 bytes, whose TCP checksum tshark cannot
        # verify: excused from the tshark pass once checked.
        pkt = frames[i][14:]
        assert struct.unpack("!I", pkt[44:48])[0] == 1280
        assert checksum_ok(pseudo6(n6(pkt[8:24]), n6(pkt[24:40]), len(pkt) - 40, NH_ICMP6) + pkt[40:])
        excuse(sim, l1, frames[i])
    after = [raw for raw in frames[ptb_at[0] + 1:] if raw in from_a]
    assert after, "a sent nothing after the Packet Too Big"
    n_frags = sum(1 for raw in after if raw[14 + 6] == NH_FRAG)
    assert n_frags == 0, f"a sent {n_frags} IP fragments after the PTB: TCP did not lower its segment size"
    big = [len(raw) - 14 for raw in after if len(raw) - 14 > 1280]
    assert len(big) == 0, f"packets of {big[:5]} bytes after the PTB (path MTU 1280)"
    tcp_sizes = [len(raw) - 14 for raw in after if upper(raw[14:])[0] == NH_TCP]
    assert max(tcp_sizes) > 1200, f"segments should use the path MTU: largest {max(tcp_sizes)}"
