"""RFC 1812 (requirements for IPv4 routers), checked on the wire: a stack
node with forwarding on ("r") between raw-host testers on three subnets.
Forwarding with TTL decrement and an RFC 1624 checksum update, the ICMP
errors a router sends (time exceeded, net unreachable, fragmentation needed
with the next-hop MTU of RFC 1191), fragmentation of forwarded datagrams,
what a router must not forward, and longest-prefix-match routing."""
import struct

import pytest

from conformance_util import (BCAST_MAC, ICMP, IP, PROTO_ICMP, PROTO_UDP, arp, checksum_ok, echo_request, eth,
                              icmp, inet_checksum, ip4, is_arp, ones_sum, raw_ip, stats_delta, flat_stats, udp, ETH_ARP,
                              ETH_IP4, ZERO_MAC)

A_NET, B_NET, C_NET = "10.0.1", "10.0.2", "10.0.3"
R_A, R_B, R_C = A_NET + ".1", B_NET + ".1", C_NET + ".1"
H_A, H_B, H_C = A_NET + ".2", B_NET + ".2", C_NET + ".2"
SPORT, DPORT = 4243, 4242
TEXT = b"ForwardMeThroughTheRouterPlease"  # ASCII: no dissector mistakes it for a protocol


def text(n):
    """n bytes of ASCII letters."""
    return bytes(65 + (i * 7) % 26 for i in range(n))


class RouterBench:
    """Router r with one raw-host tester per subnet: ta on 10.0.1.0/24, tb on
    10.0.2.0/24 (MTU mtu_b), tc on 10.0.3.0/24. r is .1 on each, testers .2;
    every tester is in r's ARP cache (it asked r for its address)."""

    def __init__(self, sim, mtu_b=1500):
        self.sim = sim
        self.r = sim.node("r", forwarding=True)
        self.t = {}
        self.links = {}
        for name, net, mtu in (("a", A_NET, 1500), ("b", B_NET, mtu_b), ("c", C_NET, 1500)):
            t = sim.raw_host("t" + name)
            link = sim.link(t, self.r, delay="1ms", rate="10Mbit", mtu=mtu, name="r-" + name)
            self.r.iface(link).set_ip4(net + ".1/24")
            self.t[name], self.links[name] = t, link
        sim.run(duration="10ms")
        for name, net in (("a", A_NET), ("b", B_NET), ("c", C_NET)):
            self.send(name, eth(BCAST_MAC, self.mac(name), ETH_ARP,
                                arp(1, self.mac(name), net + ".2", ZERO_MAC, net + ".1")))
        sim.run(duration="10ms")
        for name in self.t:
            assert any(is_arp(f, 2) for f in self.recv(name)), "router did not answer ARP"

    def mac(self, name):
        return self.t[name].iface(self.links[name]).mac

    def rmac(self, name):
        return self.r.iface(self.links[name]).mac

    def send(self, name, frame):
        self.t[name].send(frame)

    def recv(self, name):
        return self.t[name].recv()

    def ip_from(self, name, datagram, dst_mac=None):
        """A frame from tester `name` to the router's MAC carrying datagram."""
        self.send(name, eth(dst_mac or self.rmac(name), self.mac(name), ETH_IP4, datagram))

    def run(self, duration="20ms"):
        self.sim.run(duration=duration)
        return {n: [f for f in self.recv(n) if IP in f] for n in self.t}

    def stats(self):
        return flat_stats(self.r)


@pytest.fixture
def rb(sim):
    return RouterBench(sim)


def udp_dgram(src, dst, data=TEXT, **ipkw):
    return ip4(src, dst, PROTO_UDP, udp(src, dst, SPORT, DPORT, data), **ipkw)


def only(frames):
    assert len(frames) == 1, frames
    return frames[0]


def check_icmp_error(f, rb, tester, r_ip, icmp_type, code, original, rest=bytes(4)):
    """An ICMP error from the router to `tester`: Ethernet and IP addresses,
    TTL, checksums, type/code/rest, and the quote (RFC 1812 4.3.2.3: the
    original header and data, at least 8 bytes of it, 576 bytes at most)."""
    assert f[IP].src == r_ip and f[IP].dst == {"a": H_A, "b": H_B, "c": H_C}[tester]
    assert f.src == rb.rmac(tester) and f.dst == rb.mac(tester)
    ip = raw_ip(f)
    assert checksum_ok(ip[:20]) and f[IP].proto == PROTO_ICMP and f[IP].ttl == 64
    assert len(ip) <= 576
    msg = ip[20:]
    assert checksum_ok(msg)
    assert (msg[0], msg[1]) == (icmp_type, code)
    assert msg[4:8] == rest
    quote = msg[8:]
    assert len(quote) >= 28
    assert quote == original[:len(quote)]
    return quote


# ---------------------------------------------------------------- forwarding

@pytest.mark.parametrize("ttl", [64, 2, 255])
def test_forward_decrements_ttl(rb, ttl):
    """RFC 1812 5.2.1 / 5.3.1: a datagram for another subnet leaves by the
    interface of its route with TTL one less, the header checksum updated
    (RFC 1624), every other byte unchanged; Ethernet src = the router's MAC on
    that link, dst = the destination's. ip4.fw counts it."""
    d = udp_dgram(H_A, H_B, ttl=ttl, ident=0x1357)
    before = rb.stats()
    rb.ip_from("a", d)
    got = rb.run()
    f = only(got["b"])
    assert got["a"] == [] and got["c"] == []
    assert f.src == rb.rmac("b") and f.dst == rb.mac("b")
    out = raw_ip(f)
    assert len(out) == len(d)
    assert out[8] == ttl - 1
    assert out[:8] == d[:8] and out[9:10] == d[9:10] and out[12:] == d[12:]
    assert checksum_ok(out[:20])
    assert stats_delta(before, rb.stats(), prefixes=["ip4."]) == {"ip4.fw": 1}


def _ident_for_checksum(target_after):
    """An identification that makes the forwarded header's full-recomputed
    checksum equal target_after (after the TTL decrement 64 -> 63): the sum
    of the other words is fixed, so the identification word is solved for."""
    h = bytearray(udp_dgram(H_A, H_B, ttl=63, ident=0)[:20])
    h[10:12] = b"\0\0"
    rest = ones_sum(bytes(h))
    want = ~target_after & 0xFFFF  # the folded sum the header must have
    ident = (want - rest) % 0xFFFF  # one's complement: addition mod 0xffff
    if ident == 0:
        ident = 0xFFFF
    d = udp_dgram(H_A, H_B, ttl=64, ident=ident)
    h = bytearray(d[:20])
    h[8] = 63
    h[10:12] = b"\0\0"
    assert inet_checksum(bytes(h)) == target_after
    return ident, d


@pytest.mark.parametrize("target", [0x0000, 0xFFFE, 0x0100])
def test_incremental_checksum_equals_recomputation(rb, target):
    """RFC 1624 3 (eqn. 3): the incrementally updated checksum equals the one
    a full recomputation gives, including where the old arithmetic of RFC
    1141 produced -0 (0xffff) instead of 0x0000."""
    ident, d = _ident_for_checksum(target)
    rb.ip_from("a", d)
    f = only(rb.run()["b"])
    out = raw_ip(f)
    assert struct.unpack("!H", out[10:12])[0] == target
    assert checksum_ok(out[:20])


@pytest.mark.parametrize("ttl", [1, 0])
def test_ttl_expired_time_exceeded(rb, ttl):
    """RFC 1812 5.3.1: a datagram that would leave with TTL 0 is discarded and
    answered with time exceeded, code 0 (RFC 792), from the address of the
    interface it arrived on (4.3.2.4), quoting the datagram as received."""
    d = udp_dgram(H_A, H_C, ttl=ttl)
    rb.ip_from("a", d)
    got = rb.run()
    assert got["c"] == [] and got["b"] == []
    check_icmp_error(only(got["a"]), rb, "a", R_A, 11, 0, d)


def test_time_exceeded_from_incoming_interface(rb):
    """RFC 1812 4.3.2.4: the source of the error is an address of the
    interface it is sent on: from tester c, R_C."""
    d = udp_dgram(H_C, H_A, ttl=1)
    rb.ip_from("c", d)
    check_icmp_error(only(rb.run()["c"]), rb, "c", R_C, 11, 0, d)


def test_no_route_net_unreachable(rb):
    """RFC 1812 5.2.7.1: no route at all (no default either): destination
    unreachable, code 0 (network unreachable); ip4.rterr."""
    d = udp_dgram(H_A, "192.168.77.5")
    before = rb.stats()
    rb.ip_from("a", d)
    got = rb.run()
    check_icmp_error(only(got["a"]), rb, "a", R_A, 3, 0, d)
    assert got["b"] == [] and got["c"] == []
    assert stats_delta(before, rb.stats(), prefixes=["ip4.rterr"]) == {"ip4.rterr": 1}


def test_no_icmp_error_about_icmp_error(rb):
    """RFC 1812 4.3.2.7 / RFC 1122 3.2.2: no ICMP error about an ICMP error
    (here a port unreachable with TTL 1, and one to an unroutable address); an
    ICMP query with TTL 1 still gets its time exceeded."""
    inner = udp_dgram(H_B, H_A)
    err = icmp(3, 3, bytes(4), inner[:28])
    rb.ip_from("a", ip4(H_A, H_B, PROTO_ICMP, err, ttl=1))
    rb.ip_from("a", ip4(H_A, "192.168.77.5", PROTO_ICMP, err))
    got = rb.run()
    assert got == {"a": [], "b": [], "c": []}
    q = ip4(H_A, H_B, PROTO_ICMP, echo_request(1, 1, TEXT), ttl=1)
    rb.ip_from("a", q)
    check_icmp_error(only(rb.run()["a"]), rb, "a", R_A, 11, 0, q)


# ------------------------------------------------------------- fragmentation

@pytest.fixture
def rb_small(sim):
    """The bench with a 576-byte MTU towards tester b."""
    return RouterBench(sim, mtu_b=576)


def test_df_too_big_fragmentation_needed(rb_small):
    """RFC 1812 5.2.7.1 / RFC 1191 4: a DF datagram larger than the next
    link's MTU is dropped and answered with destination unreachable code 4
    whose second word carries the next-hop MTU (low 16 bits)."""
    rb = rb_small
    d = udp_dgram(H_A, H_B, text(1000), flags=0b010)
    rb.ip_from("a", d)
    got = rb.run()
    assert got["b"] == []
    check_icmp_error(only(got["a"]), rb, "a", R_A, 3, 4, d, rest=struct.pack("!HH", 0, 576))
    # Exactly the MTU goes through.
    fits = udp_dgram(H_A, H_B, text(576 - 28), flags=0b010)
    rb.ip_from("a", fits)
    f = only(rb.run()["b"])
    assert len(raw_ip(f)) == 576 and f[IP].flags.DF


def _pieces(frames):
    out = []
    for f in frames:
        ip = raw_ip(f)
        assert checksum_ok(ip[:20])
        fo = struct.unpack("!H", ip[6:8])[0]
        out.append((fo & 0x1FFF, bool(fo & 0x2000), bool(fo & 0x4000), ip))
    return out


@pytest.mark.parametrize("case", ["whole", "first_fragment", "middle_fragment", "last_fragment"])
def test_forwarded_datagram_fragmented(rb_small, case):
    """RFC 1812 5.2.6 / RFC 791 3.2: a non-DF datagram larger than the next
    MTU is fragmented: pieces of at most the MTU, data a multiple of 8 in all
    but the last, the same identification, TTL decremented, offsets counted
    from the original datagram. A fragment fragmented again keeps its place:
    its pieces start at its own offset, and all of them carry MF unless it
    was the last fragment, whose last piece alone has MF clear."""
    rb = rb_small
    payload = text(1000)
    base = {"whole": 0, "first_fragment": 0, "middle_fragment": 200, "last_fragment": 200}[case]
    mf = case in ("first_fragment", "middle_fragment")
    d = ip4(H_A, H_B, 253, payload, ident=0x2468, flags=0b001 if mf else 0, frag=base, ttl=9)
    before = rb.stats()
    rb.ip_from("a", d)
    pieces = _pieces(rb.run()["b"])
    assert len(pieces) == 2  # 1000 bytes: 552 + 448 over a 576-byte MTU
    at = base * 8
    data = b""
    for i, (off, more, df, ip) in enumerate(pieces):
        assert len(ip) <= 576 and not df
        assert off * 8 == at, "in order, contiguous, from the fragment's own offset"
        last = i == len(pieces) - 1
        assert more == (not last or mf)
        if not last:
            assert (len(ip) - 20) % 8 == 0
        assert ip[4:6] == b"\x24\x68" and ip[8] == 8 and ip[9] == 253
        assert ip[12:20] == d[12:20]
        at += len(ip) - 20
        data += ip[20:]
    assert data == payload
    d = stats_delta(before, rb.stats(), prefixes=["ip4.fw", "ip4_frag.xmit"])
    assert d == {"ip4.fw": 1, "ip4_frag.xmit": 2}


# --------------------------------------------------- what must not go through

@pytest.mark.parametrize("case", [
    "ll_broadcast", "limited_broadcast", "directed_broadcast",
    "src_0", "src_127", "src_240", "dst_0", "dst_127", "dst_240", "src_directed_broadcast"])
def test_not_forwarded(rb, case):
    """RFC 1812 5.3.4: a datagram that came as a link-layer broadcast is not
    forwarded; 5.3.5.1: the limited broadcast never; 5.3.5.2 / RFC 2644: a
    directed broadcast of the outgoing subnet not by default; 5.3.7 (with
    4.2.2.11): martian sources and destinations 0/8, 127/8, 240/4 are
    discarded, and so is a source that is a directed broadcast of a
    connected subnet (4.2.2.11 {<Network-prefix>, -1}). All silently: no ICMP
    error, nothing on any link."""
    src, dst, mac = H_A, H_B, None
    if case == "ll_broadcast":
        mac = BCAST_MAC
    elif case == "limited_broadcast":
        dst = "255.255.255.255"
    elif case == "directed_broadcast":
        dst = B_NET + ".255"
    elif case.startswith("src_"):
        src = {"src_0": "0.1.2.3", "src_127": "127.0.0.1", "src_240": "240.0.0.7",
               "src_directed_broadcast": C_NET + ".255"}[case]
    else:
        dst = {"dst_0": "0.1.2.3", "dst_127": "127.0.0.1", "dst_240": "240.0.0.7"}[case]
    rb.ip_from("a", ip4(src, dst, PROTO_ICMP, echo_request(9, 9, TEXT), ttl=1 if case != "ll_broadcast" else 64),
               dst_mac=mac)
    rb.ip_from("a", ip4(src, dst, PROTO_ICMP, echo_request(9, 10, TEXT)), dst_mac=mac)
    before = rb.stats()
    got = rb.run()
    assert got == {"a": [], "b": [], "c": []}, f"forwarded or answered: {got}"
    assert "ip4.fw" not in stats_delta(before, rb.stats())
    # The router still forwards an ordinary datagram.
    rb.ip_from("a", udp_dgram(H_A, H_B))
    assert len(rb.run()["b"]) == 1


# ------------------------------------------------------------------- routing

def _where(rb, dst):
    """Send a datagram for dst from a; return (tester that got it, frame) or
    ("a", ICMP error) / None."""
    rb.ip_from("a", udp_dgram(H_A, dst))
    got = rb.run()
    hits = [(n, f) for n, fs in got.items() for f in fs]
    assert len(hits) <= 1, hits
    return hits[0] if hits else None


def test_longest_prefix_match_and_default(rb):
    """RFC 1812 5.2.4.3: the route with the longest matching prefix wins;
    the default route (0.0.0.0/0) catches the rest; route_del takes a route
    out at once; without any route: net unreachable (5.2.7.1)."""
    r = rb.r
    r.route_add("192.168.0.0/16", via=H_B)
    r.route_add("192.168.5.0/24", via=H_C)
    r.route_add("192.168.5.128/25", via=H_B)
    r.route_add("0.0.0.0/0", via=H_C)
    cases = {"192.168.9.9": "b", "192.168.5.9": "c", "192.168.5.200": "b", "8.8.8.8": "c", H_B: "b"}
    for dst, want in cases.items():
        who, f = _where(rb, dst)
        assert who == want, f"{dst} went to {who}, not {want}"
        assert f[IP].dst == dst and f.dst == rb.mac(want) and f[IP].ttl == 63
    r.route_del("192.168.5.0/24")
    assert _where(rb, "192.168.5.9")[0] == "b"  # the /16 again
    r.route_del("0.0.0.0/0")
    who, f = _where(rb, "8.8.8.8")
    assert who == "a" and f[ICMP].type == 3 and f[ICMP].code == 0
    r.route_add("8.8.0.0/16", dev=rb.links["c"])  # on-link route: next hop = destination
    rb.ip_from("a", udp_dgram(H_A, "8.8.8.8"))
    rb.sim.run(duration="20ms")
    asked = [f for f in rb.recv("c") if is_arp(f, 1)]
    assert len(asked) == 1 and asked[0].pdst == "8.8.8.8" and asked[0].psrc == R_C


def test_route_errors():
    """The Python surface: a bad prefix is an AddressError, deleting a route
    that does not exist raises."""
    import shoal
    with shoal.Sim(seed=1) as sim:
        r = sim.node("r", forwarding=True)
        with pytest.raises(shoal.AddressError):
            r.route_add("10.0.0.0/33", via="10.0.0.1")
        with pytest.raises(shoal.ShoalError):
            r.route_del("10.9.0.0/16")
