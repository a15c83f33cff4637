"""RFC 4861 (Neighbor Discovery) on the wire: RA processing on a host (router
and prefix lists, parameters, validation), default router selection with two
routers, on-link determination, Redirect (sent by a router, honoured or
ignored by a host), and the router mode of a forwarding node
(iface.advertise / advertise_stop). IPv6 Ready Phase-2 core groups "Router
and Prefix Discovery" and "Redirect Function"."""
import struct

import pytest

from shoal.errors import ShoalError

from nd6_util import (ALL_NODES, ALL_ROUTERS, DUT_G, ECHO_REP, ECHO_REQ, NH_ICMP6, NS, OPT_MTU, OPT_PREFIX,
                      OPT_RDNSS, OPT_REDIR_HDR, OPT_SLLA, OPT_TLLA, RA, REDIRECT, REMOTE, RS, SECOND_NS, TESTER_G,
                      UNSPEC, Bench6, a16, echo_body, eth6, icmp6, icmp6_sent, ip6, linklocal_of, norm,
                      ns_target, opt_lla, opt_mtu, opt_prefix, opt_redirected_header, redirect_body, rs_body,
                      stats_delta)

R2_MAC = "02:00:00:00:00:22"
OTHER_MAC = "02:00:00:00:be:ef"
OTHER_LL = linklocal_of(OTHER_MAC)


@pytest.fixture
def b(sim):
    return Bench6(sim)


def echo_from(b, src, seq=1, mac=None):
    """An echo request to the dut from src (perhaps off-link), through the
    tester's MAC (or mac)."""
    body = echo_body(0x4321, seq, b"where to")
    return eth6(b.dut_mac, mac or b.mac, ip6(src, DUT_G, NH_ICMP6, icmp6(src, DUT_G, ECHO_REQ, 0, body), hlim=60))


def reply_path(b, src, seq=1):
    """Where the dut sends its reply to src: (eth dst, frames) or (None, frames)."""
    frames = b.exchange(echo_from(b, src, seq), "100ms")
    reps = [p for p in icmp6_sent(frames, ECHO_REP) if p.dst == norm(src)]
    assert len(reps) <= 1
    return (reps[0].eth_dst if reps else None), frames


def routers(b):
    return {norm(r["ip"]): r for r in b.dut.routers6()}


def prefixes(b):
    return {p["prefix"]: p for p in b.dut.prefixes6()}


# ================================================================= RA on a host

def test_ra_creates_default_router(b):
    """RFC 4861 6.3.4: a valid RA with a non-zero Router Lifetime enters its
    source in the Default Router List with that lifetime; its SLLA creates a
    STALE neighbor entry with IsRouter set; 5.2 off-link traffic then goes to
    the router; the entry times out after the lifetime (6.3.5)."""
    b.exchange(b.ra(lifetime=600))
    r = routers(b)
    assert list(r) == [norm(b.ll)]
    assert 598 <= r[norm(b.ll)]["lifetime"] <= 600
    n = b.neighbor(b.ll)
    assert n is not None and n["router"] and n["mac"] == b.mac and n["state"] == "STALE"
    mac, frames = reply_path(b, REMOTE)
    assert mac == b.mac, "off-link destination sent to the default router"
    b.sim.run(duration="600s")
    assert routers(b) == {}, "router removed when its lifetime expired"
    mac, _ = reply_path(b, REMOTE, 2)
    assert mac is None, "no default router: off-link destination unreachable (no on-link assumption)"


def test_ra_lifetime_zero_removes_router(b):
    """RFC 4861 6.3.4: an RA with Router Lifetime 0 times the router out at
    once (it is removed from the Default Router List)."""
    b.exchange(b.ra(lifetime=1800))
    assert norm(b.ll) in routers(b)
    b.exchange(b.ra(lifetime=0))
    assert routers(b) == {}
    assert reply_path(b, REMOTE)[0] is None


def test_ra_without_lifetime_not_a_default_router(b):
    """RFC 4861 6.3.4: Router Lifetime 0 in a new router's RA: not a default
    router (its other information is still used)."""
    b.exchange(b.ra(lifetime=0, cur_hlim=33))
    assert routers(b) == {}
    assert b.dif.hop_limit6 == 33


def test_ra_parameters_applied(b):
    """RFC 4861 6.3.4: non-zero Cur Hop Limit, Reachable Time and Retrans
    Timer are adopted (ReachableTime recomputed as 0.5..1.5 x the new base,
    6.3.2), the MTU option sets the link MTU; Cur Hop Limit goes into the
    hop limit of the dut's packets, Retrans Timer spaces NS retransmits."""
    b.exchange(b.ra(cur_hlim=42, reachable=10000, retrans=2000, opts=opt_mtu(1400)))
    assert b.dif.hop_limit6 == 42
    assert 5 <= b.dif.reachable_time <= 15
    assert b.dif.retrans_timer == 2
    assert b.dif.mtu6 == 1400
    # the echo reply to the tester carries hop limit 42; resolution NSs come 2 s apart
    b.tester.recv()
    b.send(b.echo(src=TESTER_G))
    frames = b.run("7s")
    nss = [p for p in icmp6_sent(frames, NS) if ns_target(p) == norm(TESTER_G)]
    assert len(nss) == 3 and [p.time_ns - nss[0].time_ns for p in nss] == [0, 2 * SECOND_NS, 4 * SECOND_NS]
    b.teach_neighbor()
    b.send(b.echo(src=TESTER_G, seq=9))
    reps = icmp6_sent(b.run("50ms"), ECHO_REP)
    assert len(reps) == 1 and reps[0].hlim == 42


def test_ra_unspecified_parameters_keep_values(b):
    """RFC 4861 6.3.4: zero Cur Hop Limit / Reachable Time / Retrans Timer
    mean unspecified: the values in use stay."""
    b.exchange(b.ra(cur_hlim=42, retrans=2000))
    b.exchange(b.ra(cur_hlim=0, retrans=0))
    assert b.dif.hop_limit6 == 42 and b.dif.retrans_timer == 2


@pytest.mark.parametrize("mtu", [1279, 1501, 9000])
def test_ra_mtu_option_out_of_range_ignored(b, mtu):
    """RFC 4861 6.3.4: the MTU option is used only if >= 1280 (RFC 8200 5)
    and not above the link's maximum (1500 on this Ethernet)."""
    b.exchange(b.ra(opts=opt_mtu(mtu)))
    assert b.dif.mtu6 == 1500


def test_prefix_option_on_link(b):
    """RFC 4861 6.3.4 / 5.2: a Prefix Information option with L set enters
    the Prefix List with its valid lifetime; destinations in it are on-link
    (resolved and sent directly, not through the router); after the
    lifetime, the prefix is gone and they go to the default router."""
    b.exchange(b.ra(lifetime=1800, opts=opt_prefix("2001:db8:5::", 64, L=True, A=False, valid=100, preferred=50)))
    p = prefixes(b)
    assert "2001:db8:5::/64" in p and 98 <= p["2001:db8:5::/64"]["lifetime"] <= 100
    onlink = "2001:db8:5::9"
    mac, frames = reply_path(b, onlink)
    assert mac is None
    nss = [x for x in icmp6_sent(frames, NS) if ns_target(x) == onlink]
    assert len(nss) == 1 and nss[0].dst == "ff02::1:ff00:9", "on-link: resolved on the link"
    b.sim.run(duration="101s")
    assert "2001:db8:5::/64" not in prefixes(b)
    mac, _ = reply_path(b, "2001:db8:5::10", 2)
    assert mac == b.mac, "prefix expired: off-link, through the router"


def test_prefix_option_without_l_not_on_link(b):
    """RFC 4861 6.3.4: a prefix with L clear says nothing about on-link: its
    destinations still go through the router (RFC 5942 4)."""
    b.exchange(b.ra(lifetime=1800, opts=opt_prefix("2001:db8:5::", 64, L=False, A=False)))
    assert "2001:db8:5::/64" not in prefixes(b)
    assert reply_path(b, "2001:db8:5::9")[0] == b.mac


def test_link_local_prefix_option_ignored(b):
    """RFC 4861 6.3.4: a Prefix Information option for the link-local prefix
    is silently ignored."""
    b.exchange(b.ra(opts=opt_prefix("fe80::", 64, L=True, A=False)))
    assert "fe80::/64" not in prefixes(b)


def _bad_ra(b, case):
    if case == "hop_limit_254":
        return b.ra(hlim=254)
    if case == "global_source":
        return b.ra(src=TESTER_G)
    if case == "code_1":
        return b.ra(code=1)
    if case == "short_icmp_len_12":
        return b.icmp6_frame(RA, 0, struct.pack("!BBHI", 64, 0, 1800, 0), src=b.ll, dst=ALL_NODES)
    if case == "option_length_0":
        return b.ra(slla=False, opts=bytes([OPT_SLLA, 0]) + bytes(6))
    if case == "bad_checksum":
        return b.icmp6_frame(RA, 0, struct.pack("!BBHII", 64, 0, 1800, 0, 0), src=b.ll, dst=ALL_NODES, chksum=0x4321)
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["hop_limit_254", "global_source", "code_1", "short_icmp_len_12",
                                  "option_length_0", "bad_checksum"])
def test_invalid_ra_ignored(b, case):
    """RFC 4861 6.1.2: an RA whose source is not link-local, hop limit is not
    255, code is not 0, ICMP length < 16, with an option of length 0, or a
    bad checksum is silently discarded (and counted): no default router, no
    parameter change."""
    before = b.stats()
    b.exchange(_bad_ra(b, case))
    assert routers(b) == {}
    assert b.neighbor(b.ll) is None
    d = stats_delta(before, b.stats())
    assert d.get("nd6.drop", 0) + d.get("icmp6.drop", 0) >= 1


# ======================================================= default router selection

def test_second_router_takes_over(b):
    """RFC 4861 6.3.6: with two default routers, traffic goes to one of them;
    when that one leaves (lifetime 0) the other is used."""
    r2_ll = linklocal_of(R2_MAC)
    b.exchange(b.ra(lifetime=1800))
    b.exchange(b.ra(lifetime=1800, mac=R2_MAC))
    assert set(routers(b)) == {norm(b.ll), r2_ll}
    first, _ = reply_path(b, REMOTE)
    assert first in (b.mac, R2_MAC)
    again, _ = reply_path(b, REMOTE, 2)
    assert again == first, "the same router while it works (destination cache)"
    gone_mac = first
    b.exchange(b.ra(lifetime=0, mac=gone_mac))
    nxt, _ = reply_path(b, REMOTE, 3)
    assert nxt == ({b.mac, R2_MAC} - {gone_mac}).pop(), "6.3.5: a removed router's destinations use another"


def test_router_probably_reachable_preferred(b):
    """RFC 4861 6.3.6: routers known or probably reachable (an entry in a
    state other than INCOMPLETE) SHOULD be chosen over routers whose
    reachability is unknown: R1 sent no SLLA (no entry), R2 did (STALE)."""
    b.exchange(b.ra(lifetime=1800, slla=False))
    b.exchange(b.ra(lifetime=1800, mac=R2_MAC))
    assert len(routers(b)) == 2
    assert reply_path(b, REMOTE)[0] == R2_MAC


# ====================================================================== redirect

def redirect_frame(b, target, dest, *, src=None, hlim=255, code=0, tlla=OTHER_MAC, extra=b"", body=None):
    opts = (opt_lla(OPT_TLLA, tlla) if tlla else b"") + extra
    return b.icmp6_frame(REDIRECT, code, body if body is not None else redirect_body(target, dest, opts),
                         src=src or b.ll, dst=DUT_G, hlim=hlim)


@pytest.fixture
def host(b):
    """The dut as a host whose default router is the tester."""
    b.exchange(b.ra(lifetime=1800))
    assert reply_path(b, REMOTE)[0] == b.mac
    return b


@pytest.mark.parametrize("kind", ["better_router", "on_link_destination"])
def test_host_honours_redirect(host, kind):
    """RFC 4861 8.3: a valid Redirect from the current first hop updates the
    destination cache: later packets to the destination go to the target
    (a better router, or the destination itself when target == destination);
    the TLLA enters the target in the neighbor cache."""
    b = host
    target = OTHER_LL if kind == "better_router" else REMOTE
    b.exchange(redirect_frame(b, target, REMOTE))
    assert reply_path(b, REMOTE, 2)[0] == OTHER_MAC
    n = b.neighbor(target)
    assert n is not None and n["mac"] == OTHER_MAC
    assert reply_path(b, "2001:db8:99::8", 3)[0] == b.mac, "other destinations unaffected"


def test_redirect_with_redirected_header_honoured(host):
    """RFC 4861 4.5 / 8.1: a Redirected Header option (the packet that caused
    it) is allowed; the redirect is valid with it."""
    b = host
    quoted = ip6(DUT_G, REMOTE, NH_ICMP6, icmp6(DUT_G, REMOTE, ECHO_REP, 0, echo_body(0x4321, 1, b"where to")))
    b.exchange(redirect_frame(b, OTHER_LL, REMOTE, extra=opt_redirected_header(quoted)))
    assert reply_path(b, REMOTE, 2)[0] == OTHER_MAC


@pytest.mark.parametrize("case", ["hop_limit_254", "not_current_first_hop", "global_source", "code_1", "short",
                                  "target_global_not_dest", "dest_multicast", "option_length_0"])
def test_host_ignores_invalid_redirect(host, case):
    """RFC 4861 8.1: a Redirect is silently discarded unless: source
    link-local and the current first hop for the destination, hop limit
    255, code 0, ICMP length >= 40, target link-local or equal to the
    destination, destination not multicast, options of non-zero length."""
    b = host
    if case == "hop_limit_254":
        f = redirect_frame(b, OTHER_LL, REMOTE, hlim=254)
    elif case == "not_current_first_hop":
        f = redirect_frame(b, OTHER_LL, REMOTE, src="fe80::bad")
    elif case == "global_source":
        f = redirect_frame(b, OTHER_LL, REMOTE, src=TESTER_G)
    elif case == "code_1":
        f = redirect_frame(b, OTHER_LL, REMOTE, code=1)
    elif case == "short":
        f = redirect_frame(b, OTHER_LL, REMOTE, body=redirect_body(OTHER_LL, REMOTE)[:32])
    elif case == "target_global_not_dest":
        f = redirect_frame(b, "2001:db8:1::77", REMOTE)
    elif case == "dest_multicast":
        f = redirect_frame(b, OTHER_LL, "ff05::1")
    else:
        f = redirect_frame(b, OTHER_LL, REMOTE, tlla=None, extra=bytes([OPT_TLLA, 0]) + bytes(6))
    before = b.stats()
    b.exchange(f)
    assert reply_path(b, REMOTE, 2)[0] == b.mac
    d = stats_delta(before, b.stats())
    assert d.get("nd6.drop", 0) + d.get("icmp6.drop", 0) >= 1


@pytest.fixture
def router(sim):
    """The dut as a router: DUT_G/64 on the tester's link, and a route to
    2001:db8:99::/64 through another router (OTHER_LL, the tester plays it)
    on the same link."""
    b = Bench6(sim, forwarding=True)
    b.dut.route_add("2001:db8:99::/64", via=OTHER_LL, dev=b.link)
    b.teach_neighbor()
    b.exchange(b.ns(b.dut_ll, src=OTHER_LL, mac=OTHER_MAC))
    assert b.neighbor(OTHER_LL)["mac"] == OTHER_MAC
    b.exchange(b.ns(DUT_G, src="2001:db8:1::77", mac=OTHER_MAC))
    assert b.neighbor("2001:db8:1::77")["mac"] == OTHER_MAC
    return b


@pytest.mark.parametrize("kind", ["better_router", "on_link_destination"])
def test_router_sends_redirect(router, kind):
    """RFC 4861 8.2: a router that forwards a packet out of the interface it
    came in on, from a source that is a neighbor, forwards it and sends a
    Redirect to the source: link-local source, hop limit 255, code 0,
    target = the better first hop (or the destination itself when it is
    on-link), destination = the packet's destination, TLLA of the target,
    and a Redirected Header option with the packet (as much as fits in
    1280 bytes)."""
    b = router
    dest = REMOTE if kind == "better_router" else "2001:db8:1::77"
    target = OTHER_LL if kind == "better_router" else dest
    pkt = ip6(TESTER_G, dest, NH_ICMP6, icmp6(TESTER_G, dest, ECHO_REQ, 0, echo_body(5, 5, b"x" * 40)), hlim=64)
    frames = b.exchange(eth6(b.dut_mac, b.mac, pkt))
    fwd = [p for p in icmp6_sent(frames, ECHO_REQ) if p.dst == norm(dest)]
    assert len(fwd) == 1 and fwd[0].eth_dst == OTHER_MAC and fwd[0].hlim == 63, "forwarded too"
    reds = icmp6_sent(frames, REDIRECT)
    assert len(reds) == 1
    r = reds[0]
    assert r.src == b.dut_ll and r.dst == norm(TESTER_G) and r.eth_dst == b.mac
    assert r.hlim == 255 and r.code == 0 and r.body[:4] == bytes(4)
    assert r.body[4:20] == a16(target) and r.body[20:36] == a16(dest)
    opts = dict((t, o) for t, o in r.options(36))
    assert OPT_TLLA in opts and opts[OPT_TLLA][2:8] == bytes.fromhex(OTHER_MAC.replace(":", ""))
    assert OPT_REDIR_HDR in opts
    rh = opts[OPT_REDIR_HDR]
    assert rh[2:8] == bytes(6)
    assert rh[8:8 + len(pkt)][:7] == pkt[:7] and rh[8 + 8:8 + len(pkt)] == pkt[8:], "the invoking packet"
    assert len(r.l3) <= 1280


def test_router_no_redirect_to_other_link(sim):
    """RFC 4861 8.2: no Redirect when the packet leaves by another interface."""
    b = Bench6(sim, forwarding=True)
    far = sim.raw_host("far")
    lb = sim.link(far, b.dut, delay="1ms", rate="10Mbit")
    b.dut.iface(lb).add_ip6("2001:db8:2::1/64", dad=False)
    b.run("3s")
    b.teach_neighbor()
    dest = "2001:db8:2::5"
    pkt = ip6(TESTER_G, dest, NH_ICMP6, icmp6(TESTER_G, dest, ECHO_REQ, 0, echo_body(5, 5)), hlim=64)
    frames = b.exchange(eth6(b.dut_mac, b.mac, pkt), "4s")
    assert icmp6_sent(frames, REDIRECT) == []


# =================================================================== router mode

@pytest.fixture
def rt(sim):
    return Bench6(sim, forwarding=True)


def parse_ra(p):
    cur, flags, life, reach, retrans = struct.unpack("!BBHII", p.body[:12])
    return {"cur_hlim": cur, "flags": flags, "lifetime": life, "reachable": reach, "retrans": retrans,
            "opts": p.options(12)}


def check_ra_form(p, b, dst=ALL_NODES):
    """RFC 4861 6.2.3 / 4.2: source the interface's link-local address, hop
    limit 255, code 0, SLLA of the interface."""
    assert p.src == b.dut_ll and p.dst == norm(dst) and p.hlim == 255 and p.code == 0
    assert p.eth_src == b.dut_mac
    assert [o for t, o in p.options(12) if t == OPT_SLLA] == [opt_lla(OPT_SLLA, b.dut_mac)]


def test_ra_content(rt):
    """RFC 4861 6.2.3 / 4.2 / 4.6.2 / 4.6.4, RFC 8106 5.1: the RA carries the
    configured values: Cur Hop Limit 64, M/O clear, Router Lifetime 1800,
    Reachable Time and Retrans Timer 0 (unspecified), the prefix with L
    and A, valid 30 d, preferred 7 d, the MTU option, the RDNSS option with
    a lifetime of at least 3 x MaxRtrAdvInterval (RFC 8106 5.1; RFC 6106's
    upper bound of 2 x is gone)."""
    rt.tester.recv()
    rt.dif.advertise("2001:db8:1::/64", mtu=1400, rdnss=["2001:db8::53"])
    ras = icmp6_sent(rt.run("17s"), RA)
    assert ras, "an RA within MAX_INITIAL_RTR_ADVERT_INTERVAL (16 s)"
    p = ras[0]
    check_ra_form(p, rt)
    ra = parse_ra(p)
    assert (ra["cur_hlim"], ra["flags"], ra["lifetime"], ra["reachable"], ra["retrans"]) == (64, 0, 1800, 0, 0)
    pio = [o for t, o in ra["opts"] if t == OPT_PREFIX]
    assert pio == [opt_prefix("2001:db8:1::", 64, L=True, A=True, valid=2592000, preferred=604800)]
    assert [o for t, o in ra["opts"] if t == OPT_MTU] == [opt_mtu(1400)]
    rd = [o for t, o in ra["opts"] if t == OPT_RDNSS]
    assert len(rd) == 1 and rd[0][1] == 3 and rd[0][8:24] == a16("2001:db8::53")
    assert struct.unpack("!I", rd[0][4:8])[0] >= 1800


def test_ra_flags_and_values(rt):
    """RFC 4861 4.2 / 6.2.1: M and O flags, hop limit, router lifetime and
    prefix flags/lifetimes as configured; two prefixes in one RA."""
    rt.tester.recv()
    kw = dict(router_lifetime="0s", hop_limit=17, managed=True, other_config=True)
    rt.dif.advertise("2001:db8:7::/64", on_link=True, autonomous=False, **kw)
    rt.dif.advertise("2001:db8:1::/64", on_link=False, autonomous=True, valid="2h", preferred="1h", **kw)
    rt.tester.recv()
    rt.send(rt.icmp6_frame(RS, 0, rs_body(opt_lla(OPT_SLLA, rt.mac)), src=rt.ll, dst=ALL_ROUTERS))
    ras = icmp6_sent(rt.run("600ms"), RA)
    assert ras
    ra = parse_ra(ras[-1])
    assert (ra["cur_hlim"], ra["flags"] & 0xC0, ra["lifetime"]) == (17, 0xC0, 0)
    pio = sorted(o for t, o in ra["opts"] if t == OPT_PREFIX)
    assert pio == sorted([opt_prefix("2001:db8:1::", 64, L=False, A=True, valid=7200, preferred=3600),
                          opt_prefix("2001:db8:7::", 64, L=True, A=False)])


def test_ra_intervals(rt):
    """RFC 4861 6.2.4: unsolicited RAs at uniformly random intervals in
    [MinRtrAdvInterval, MaxRtrAdvInterval]; the first
    MAX_INITIAL_RTR_ADVERTISEMENTS (3) at most
    MAX_INITIAL_RTR_ADVERT_INTERVAL (16 s) apart."""
    rt.tester.recv()
    t0 = rt.sim.now_ns
    rt.dif.advertise("2001:db8:1::/64", min_interval="10s", max_interval="30s")
    ras = icmp6_sent(rt.run("400s"), RA)
    for p in ras:
        check_ra_form(p, rt)
    times = [t0] + [p.time_ns for p in ras]
    gaps = [(b - a) / 1e9 for a, b in zip(times, times[1:])]
    assert gaps[0] <= 16.01
    assert all(g <= 16.01 for g in gaps[1:3]), f"initial RAs at most 16 s apart: {gaps}"
    later = gaps[3:]
    assert len(later) >= 10
    assert all(9.99 <= g <= 30.01 for g in later), f"intervals in [10, 30] s: {later}"
    assert len({round(g, 3) for g in later}) > 3, "intervals are random"


def test_rs_answered_within_half_second(rt):
    """RFC 4861 6.2.6: a valid RS is answered by an RA within
    MAX_RA_DELAY_TIME (0.5 s), to all-nodes or unicast to the soliciting
    host; the router records the host's SLLA (6.2.6, a STALE entry)."""
    rt.dif.advertise("2001:db8:1::/64")
    rt.run("60s")
    rt.tester.recv()
    t0 = rt.sim.now_ns
    rt.send(rt.icmp6_frame(RS, 0, rs_body(opt_lla(OPT_SLLA, rt.mac)), src=rt.ll, dst=ALL_ROUTERS))
    ras = icmp6_sent(rt.run("1s"), RA)
    assert len(ras) == 1
    check_ra_form(ras[0], rt, dst=ras[0].dst)
    assert ras[0].dst in (ALL_NODES, norm(rt.ll))
    assert ras[0].time_ns - t0 <= 500_000_000 + 2_000_000
    n = rt.neighbor(rt.ll)
    assert n is not None and n["mac"] == rt.mac


def test_rs_from_unspecified_answered_multicast(rt):
    """RFC 4861 6.2.6: an RS from :: (no SLLA) is answered to all-nodes."""
    rt.dif.advertise("2001:db8:1::/64")
    rt.run("60s")
    rt.tester.recv()
    rt.send(rt.icmp6_frame(RS, 0, rs_body(), src=UNSPEC, dst=ALL_ROUTERS))
    ras = icmp6_sent(rt.run("600ms"), RA)
    assert len(ras) == 1 and ras[0].dst == ALL_NODES


def test_multicast_ras_rate_limited(rt):
    """RFC 4861 6.2.6: RAs to all-nodes at most one per MIN_DELAY_BETWEEN_RAS
    (3 s), however many RSs come."""
    rt.dif.advertise("2001:db8:1::/64")
    rt.run("60s")
    rt.tester.recv()
    for _ in range(4):
        rt.send(rt.icmp6_frame(RS, 0, rs_body(), src=UNSPEC, dst=ALL_ROUTERS))
        rt.sim.run(duration="1s")
    ras = [p for p in icmp6_sent(rt.run("5s"), RA) if p.dst == ALL_NODES]
    assert 1 <= len(ras) <= 3
    assert all(b.time_ns - a.time_ns >= 3 * SECOND_NS for a, b in zip(ras, ras[1:]))


@pytest.mark.parametrize("case", ["hop_limit_254", "code_1", "unspec_with_slla", "option_length_0", "short"])
def test_invalid_rs_ignored(rt, case):
    """RFC 4861 6.1.1: an RS with hop limit != 255, code != 0, ICMP length
    < 8, an option of length 0, or source :: with an SLLA is silently
    discarded: no RA."""
    rt.dif.advertise("2001:db8:1::/64")
    rt.run("60s")
    rt.tester.recv()
    slla = opt_lla(OPT_SLLA, rt.mac)
    f = {"hop_limit_254": lambda: rt.icmp6_frame(RS, 0, rs_body(slla), src=rt.ll, dst=ALL_ROUTERS, hlim=254),
         "code_1": lambda: rt.icmp6_frame(RS, 1, rs_body(slla), src=rt.ll, dst=ALL_ROUTERS),
         "unspec_with_slla": lambda: rt.icmp6_frame(RS, 0, rs_body(slla), src=UNSPEC, dst=ALL_ROUTERS),
         "option_length_0": lambda: rt.icmp6_frame(RS, 0, rs_body(bytes([OPT_SLLA, 0]) + bytes(6)), src=rt.ll,
                                                   dst=ALL_ROUTERS),
         "short": lambda: rt.icmp6_frame(RS, 0, b"", src=rt.ll, dst=ALL_ROUTERS)}[case]()
    rt.send(f)
    assert icmp6_sent(rt.run("1s"), RA) == []


def test_advertise_stop_final_ra(rt):
    """RFC 4861 6.2.5: when an interface stops advertising it SHOULD send
    (at most MAX_FINAL_RTR_ADVERTISEMENTS = 3) final RAs with Router
    Lifetime 0; then no more RAs, and RSs are not answered."""
    rt.dif.advertise("2001:db8:1::/64")
    rt.run("60s")
    rt.tester.recv()
    rt.dif.advertise_stop()
    ras = icmp6_sent(rt.run("20s"), RA)
    assert 1 <= len(ras) <= 3
    for p in ras:
        check_ra_form(p, rt)
        assert parse_ra(p)["lifetime"] == 0
    rt.send(rt.icmp6_frame(RS, 0, rs_body(), src=UNSPEC, dst=ALL_ROUTERS))
    assert icmp6_sent(rt.run("700s"), RA) == []


def test_advertise_needs_forwarding(b):
    """RFC 4861 6.2.2: only a router advertises: advertise() on a host node
    raises."""
    with pytest.raises(ShoalError):
        b.dif.advertise("2001:db8:1::/64")


def test_router_ra_updates_host_between_stacks(sim):
    """RFC 4861 6.3.4 end to end: a host node learns the router node's
    link-local address as default router and the prefix as on-link."""
    r = sim.node("r", forwarding=True)
    h = sim.node("h")
    l = sim.link(r, h, delay="1ms")
    r.iface(l).add_ip6("2001:db8:1::1/64", dad=False)
    r.iface(l).advertise("2001:db8:1::/64", router_lifetime="1800s")
    h.iface(l).enable_ip6()
    sim.run(duration="30s")
    rl = h.routers6()
    assert [norm(x["ip"]) for x in rl] == [norm(r.iface(l).ip6_linklocal)]
    assert [p["prefix"] for p in h.prefixes6()] == ["2001:db8:1::/64"]
