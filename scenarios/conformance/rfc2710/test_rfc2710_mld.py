"""RFC 2710 (MLDv1) on the wire: the listener side of a host (reports on
join, answers to queries after a random delay, suppression, Done), the
router side of a forwarding node (queries, querier election, listeners
learned, timed out, and checked with specific queries after a Done), and
multicast UDP delivery on a link and across a router.
Python: iface.join(group) / iface.leave(group), node.udp(port)."""
import struct

import pytest

from nd6_util import (ALL_NODES, ALL_ROUTERS, DUT_G, MLD_DONE, MLD_QUERY, MLD_REPORT, NH_HOPOPT, NH_ICMP6, NH_UDP,
                      SECOND_NS, TESTER_G, UNSPEC, Bench6, a_str, eth6, hbh_router_alert, icmp6, icmp6_sent,
                      ip6, ip6_sent, linklocal_of, mcast_mac, mld_body, norm, solicited_node, stats_delta, udp6)

GROUP = "ff15::1234"
GROUP2 = "ff15::5678"
PORT = 4242
LOW_LL = "fe80::1"                       # lower than any address the dut makes
HIGH_LL = "fe80::ffff:ffff:ffff:ffff"
ROUTER_ALERT_MLD = bytes([5, 2, 0, 0])   # RFC 2711: option 5, length 2, value 0 (MLD)


def mld_frame(b, mtype, group, dst, max_delay=0, src=None, hlim=1, mac=None, chksum=None, body=None):
    """An MLD message from the tester as RFC 2710 3 says: link-local source,
    hop limit 1, Router Alert in a Hop-by-Hop header."""
    src = src or b.ll
    msg = icmp6(src, dst, mtype, 0, body if body is not None else mld_body(max_delay, group), chksum)
    return eth6(mcast_mac(dst), mac or b.mac, ip6(src, dst, NH_HOPOPT, hbh_router_alert(NH_ICMP6) + msg, hlim=hlim))


def general_query(b, max_delay, src=None):
    return mld_frame(b, MLD_QUERY, UNSPEC, ALL_NODES, max_delay, src=src)


def mld_sent(frames, mtype=None):
    """The dut's MLD messages, each checked for RFC 2710 3 form: link-local
    source, hop limit 1, a Hop-by-Hop header with the Router Alert option
    (value 0), ICMPv6 checksum right, 24 bytes, code 0, reserved 0.
    Returns [(time_ns, type, max_delay, group, dst, P6)]."""
    out = []
    for p in icmp6_sent(frames):
        if p.type not in (MLD_QUERY, MLD_REPORT, MLD_DONE) or (mtype is not None and p.type != mtype):
            continue
        assert p.src.startswith("fe80:") or (p.src == UNSPEC and p.type == MLD_REPORT), \
            f"RFC 2710 3: link-local source (RFC 3590 4: :: for a Report before one is valid): {p!r}"
        assert p.hlim == 1, "RFC 2710 3: hop limit 1"
        assert p.exts and p.exts[0][0] == NH_HOPOPT, "RFC 2710 3: Hop-by-Hop Options header"
        assert ROUTER_ALERT_MLD in p.exts[0][1][2:], "RFC 2711: Router Alert (MLD) option"
        assert len(p.upper) == 24 and p.code == 0 and p.body[2:4] == bytes(2)
        mdelay = struct.unpack("!H", p.body[:2])[0]
        out.append((p.time_ns, p.type, mdelay, a_str(p.body[4:20]), p.dst, p))
    return out


@pytest.fixture
def host(sim):
    b = Bench6(sim)
    b.run("12s")  # the start-up reports for the solicited-node groups are over
    b.tester.recv()
    return b


# ======================================================================= host

def test_join_sends_unsolicited_report_and_repeat(host):
    """RFC 2710 4: on joining, a node immediately sends an unsolicited Report
    to the group (IPv6 dst = group, Ethernet 33:33:00:00:12:34, Maximum
    Response Delay 0), and repeats it once after a random delay within the
    Unsolicited Report Interval (7.10: 10 s)."""
    t0 = host.sim.now_ns
    host.dif.join(GROUP)
    reps = mld_sent(host.run("10.1s"))
    assert [(r[1], r[2], r[3], r[4]) for r in reps] == [(MLD_REPORT, 0, GROUP, GROUP)] * 2
    assert reps[0][5].src == host.dut_ll and reps[0][5].eth_dst == "33:33:00:00:12:34"
    assert reps[0][0] - t0 < 2_000_000, "at once"
    assert reps[1][0] - t0 <= 10 * SECOND_NS + 2_000_000
    assert mld_sent(host.run("30s")) == [], "no more unsolicited reports"


def test_solicited_node_report_before_dad_ns(sim):
    """RFC 4862 5.4.2: before the DAD NS, the interface MUST join the
    solicited-node group of the tentative address, and the MLD Report is
    required (for MLD-snooping switches); RFC 2710 4: joining sends a Report
    at once; RFC 3590 4: its source is :: while no link-local address is
    valid. So a Report for that group precedes the NS."""
    b = Bench6(sim, ip6=None)
    b.tester.recv()
    b.dif.enable_ip6()
    tentative = b.dif.ip6_addrs[0]["addr"]
    frames = b.run("1.5s")
    ns = [p for p in icmp6_sent(frames, 135) if p.src == UNSPEC]
    assert len(ns) == 1
    reps = [m for m in mld_sent(frames, MLD_REPORT) if m[3] == solicited_node(tentative)]
    assert reps and reps[0][0] <= ns[0].time_ns, "Report for the solicited-node group before the DAD NS"
    assert reps[0][5].src == UNSPEC


@pytest.mark.parametrize("group", [ALL_NODES, "ff01::77"])
def test_all_nodes_and_node_local_never_reported(host, group):
    """RFC 2710 5: no MLD messages for the link-scope all-nodes address or for
    node-local (scope 1) groups, on join or in answer to a query."""
    host.dif.join(group)
    assert mld_sent(host.run("11s")) == []
    host.send(general_query(host, 1000))
    assert [r[3] for r in mld_sent(host.run("2s")) if r[3] == norm(group)] == []


@pytest.mark.parametrize("max_delay", [10000, 1000, 100])
def test_general_query_answered_within_max_delay(host, max_delay):
    """RFC 2710 4: on a General Query, a listener starts for each group
    (except all-nodes) a timer random in [0, Maximum Response Delay] and
    reports each group once it fires: the joined group and the
    solicited-node groups of its addresses (RFC 4861 7.2.1)."""
    host.dif.join(GROUP)
    host.run("11s")
    t0 = host.sim.now_ns
    host.send(general_query(host, max_delay))
    reps = mld_sent(host.run(max_delay / 1000 + 0.01))
    groups = sorted(r[3] for r in reps)
    assert groups == sorted({GROUP, solicited_node(DUT_G), solicited_node(host.dut_ll)})
    for t, mtype, md, g, dst, _ in reps:
        assert (mtype, md, dst) == (MLD_REPORT, 0, g)
        assert t - t0 <= max_delay * 1_000_000 + 2_000_000
    assert mld_sent(host.run("20s")) == []


def test_report_delays_are_random(host):
    """RFC 2710 4: the delays are random: three groups do not all answer at
    the same instant."""
    host.dif.join(GROUP)
    host.dif.join(GROUP2)
    host.run("11s")
    host.send(general_query(host, 10000))
    times = [r[0] for r in mld_sent(host.run("10.1s"))]
    assert len(times) >= 3 and len(set(times)) == len(times)


def test_specific_query_answered_by_that_group_only(host):
    """RFC 2710 4: a Multicast-Address-Specific Query (sent to the group)
    starts the timer of that group only."""
    host.dif.join(GROUP)
    host.dif.join(GROUP2)
    host.run("11s")
    host.send(mld_frame(host, MLD_QUERY, GROUP, GROUP, 1000))
    reps = mld_sent(host.run("1.1s"))
    assert [(r[1], r[3]) for r in reps] == [(MLD_REPORT, GROUP)]
    host.send(mld_frame(host, MLD_QUERY, "ff15::9999", "ff15::9999", 1000))
    assert mld_sent(host.run("1.1s")) == [], "no report for a group not joined"


@pytest.mark.parametrize("order", ["long_then_short", "short_then_long"])
def test_running_timer_reset_only_if_shorter(host, order):
    """RFC 2710 4: with a timer running, a query resets it to a random value
    in the new Maximum Response Delay only if that is less than the time
    left: either way the report comes within the shorter bound, once."""
    host.dif.join(GROUP)
    host.run("11s")
    first, second = (10000, 100) if order == "long_then_short" else (100, 10000)
    host.send(mld_frame(host, MLD_QUERY, GROUP, GROUP, first))
    host.sim.run(duration="1ms")
    t1 = host.sim.now_ns
    host.send(mld_frame(host, MLD_QUERY, GROUP, GROUP, second))
    reps = mld_sent(host.run("12s"))
    assert len(reps) == 1
    assert reps[0][0] <= t1 + 100_000_000 + 2_000_000


def test_report_suppressed_by_other_listener(host):
    """RFC 2710 4: a listener that hears another node's Report for the group
    while its timer runs stops the timer and sends nothing."""
    host.dif.join(GROUP)
    host.run("11s")
    host.send(mld_frame(host, MLD_QUERY, GROUP, GROUP, 10000))
    host.sim.run(duration="1ms")
    host.send(mld_frame(host, MLD_REPORT, GROUP, GROUP, src=linklocal_of("02:00:00:00:77:77"),
                        mac="02:00:00:00:77:77"))
    assert mld_sent(host.run("11s")) == []


def test_done_sent_by_last_reporter(host):
    """RFC 2710 4: on leaving, a node whose Report was the last one for the
    group sends a Done to all-routers (ff02::2), group field = the group."""
    host.dif.join(GROUP)
    host.run("11s")
    host.dif.leave(GROUP)
    msgs = mld_sent(host.run("1s"))
    assert [(m[1], m[2], m[3], m[4]) for m in msgs] == [(MLD_DONE, 0, GROUP, ALL_ROUTERS)]
    assert msgs[0][5].eth_dst == mcast_mac(ALL_ROUTERS)
    host.send(general_query(host, 1000))
    assert GROUP not in [r[3] for r in mld_sent(host.run("1.1s"))], "no longer a listener"


@pytest.mark.parametrize("case", ["short", "bad_checksum"])
def test_malformed_query_dropped(host, case):
    """RFC 2710 3 / RFC 4443 2.3: a query shorter than 24 bytes or with a bad
    checksum is dropped and counted; no report follows."""
    host.dif.join(GROUP)
    host.run("11s")
    before = host.stats()
    if case == "short":
        f = mld_frame(host, MLD_QUERY, UNSPEC, ALL_NODES, body=mld_body(100, UNSPEC)[:12])
    else:
        f = mld_frame(host, MLD_QUERY, UNSPEC, ALL_NODES, 100, chksum=0x1111)
    host.send(f)
    assert mld_sent(host.run("1s")) == []
    d = stats_delta(before, host.stats())
    if case == "bad_checksum":
        assert d.get("icmp6.chkerr") == 1
    else:
        assert d.get("mld6.drop", 0) + d.get("icmp6.drop", 0) >= 1


# ============================================================ multicast UDP

def mcast_udp(b, group, data, src=None, hlim=1, sport=5555):
    src = src or TESTER_G
    return eth6(mcast_mac(group), b.mac, ip6(src, group, NH_UDP, udp6(src, group, sport, PORT, data), hlim=hlim))


def test_multicast_udp_delivery(host):
    """RFC 2710 1 / RFC 4291 2.7: a datagram to a group is delivered while
    the interface listens to it, not before or after; RFC 4443 2.4 (e.3):
    no ICMPv6 error (port unreachable) for a multicast destination."""
    sock = host.dut.udp(PORT)
    host.send(mcast_udp(host, GROUP, b"before"))
    frames = host.run("20ms")
    assert sock.recvfrom() is None
    host.dif.join(GROUP)
    host.run("20ms")
    host.send(mcast_udp(host, GROUP, b"member"))
    host.run("20ms")
    got = sock.recvfrom()
    assert got is not None and got[0] == b"member"
    assert norm(got[1][0]) == norm(TESTER_G) and got[1][1] == 5555
    host.send(mcast_udp(host, GROUP2, b"other group"))
    frames += host.run("20ms")
    assert sock.recvfrom() is None
    host.dif.leave(GROUP)
    host.run("20ms")
    host.send(mcast_udp(host, GROUP, b"after"))
    frames += host.run("20ms")
    assert sock.recvfrom() is None
    assert [p for p in icmp6_sent(frames) if p.type < 128] == [], "no ICMPv6 errors for multicast"


def test_multicast_send_hop_limit_and_mac(host):
    """RFC 3493 5.2 (IPV6_MULTICAST_HOPS default 1) and RFC 2464 7: a
    datagram to a group leaves with hop limit 1 to 33:33 + the low 32 bits."""
    sock = host.dut.udp(0)
    sock.sendto(b"hello group", (GROUP, PORT))
    pk = [p for p in ip6_sent(host.run("20ms")) if p.nh == NH_UDP]
    assert len(pk) == 1
    p = pk[0]
    assert p.dst == GROUP and p.eth_dst == "33:33:00:00:12:34" and p.hlim == 1
    assert p.udp_checksum_ok() and p.upper[8:] == b"hello group"


# ===================================================================== router

@pytest.fixture
def rtr(sim):
    """A forwarding dut (MLD router side) on the tester's link."""
    return Bench6(sim, forwarding=True)


def queries(frames):
    return [m for m in mld_sent(frames, MLD_QUERY)]


def test_router_startup_and_periodic_queries(rtr):
    """RFC 2710 7.6/7.7/7.1/7.2/7.3: a querier sends Startup Query Count (2)
    General Queries Startup Query Interval (31.25 s) apart, then one every
    Query Interval (125 s); to ff02::1 with group :: and Maximum Response
    Delay = Query Response Interval (10000 ms)."""
    frames = rtr.initial_frames + rtr.run("320s")
    qs = queries(frames)
    assert len(qs) >= 4
    for t, mtype, md, g, dst, p in qs:
        assert (md, g, dst) == (10000, UNSPEC, ALL_NODES) and p.src == rtr.dut_ll
    gaps = [b[0] - a[0] for a, b in zip(qs, qs[1:])]
    assert abs(gaps[0] - 31_250_000_000) <= 10_000_000, gaps
    assert all(abs(g - 125 * SECOND_NS) <= 10_000_000 for g in gaps[1:]), gaps


def test_querier_election_lower_address_wins(rtr):
    """RFC 2710 5: a querier that hears a Query from a lower address becomes
    a non-querier; it takes over again after the Other Querier Present
    Interval (7.5: 2 x 125 + 10/2 = 255 s) without queries."""
    rtr.run("40s")
    rtr.tester.recv()
    rtr.send(general_query(rtr, 10000, src=LOW_LL))
    t0 = rtr.sim.now_ns
    assert queries(rtr.run("250s")) == [], "non-querier: silent"
    qs = queries(rtr.run("10s"))
    assert len(qs) == 1 and abs(qs[0][0] - t0 - 255 * SECOND_NS) <= 10_000_000


def test_querier_election_higher_address_loses(rtr):
    """RFC 2710 5: a Query from a higher address does not silence the
    querier."""
    rtr.run("40s")
    rtr.tester.recv()
    rtr.send(general_query(rtr, 10000, src=HIGH_LL))
    assert len(queries(rtr.run("130s"))) == 1


@pytest.fixture
def mrouter(sim):
    """Router dut between the tester (sender side, link A) and a raw host
    "far" (listener side, link B, 2001:db8:2::/64)."""
    b = Bench6(sim, forwarding=True)
    far = sim.raw_host("far")
    lb = sim.link(far, b.dut, delay="1ms", rate="10Mbit")
    b.dut.iface(lb).add_ip6("2001:db8:2::1/64", dad=False)
    b.far, b.lb = far, lb
    b.far_mac = far.iface(lb).mac
    b.far_ll = linklocal_of(b.far_mac)
    b.run("50s")
    far.recv()
    return b


def far_mld(b, mtype, group, dst):
    src = b.far_ll
    msg = icmp6(src, dst, mtype, 0, mld_body(0, group))
    b.far.send(eth6(mcast_mac(dst), b.far_mac, ip6(src, dst, NH_HOPOPT, hbh_router_alert(NH_ICMP6) + msg, hlim=1)))


def forwarded(b, data, group=GROUP, hlim=5):
    """Send a datagram from the tester to group; return the copies on link B."""
    b.far.recv()
    b.send(mcast_udp(b, group, data, hlim=hlim))
    b.sim.run(duration="20ms")
    return [p for p in ip6_sent(b.far.recv()) if p.nh == NH_UDP and p.upper[8:] == data]


def test_router_forwards_to_listeners_only(mrouter):
    """RFC 2710 4/6: a router learns listeners from Reports and forwards the
    group's traffic onto links with listeners (hop limit - 1, RFC 8200 3),
    not before a Report; never link-scope groups (RFC 4291 2.7) or hop
    limit 1."""
    b = mrouter
    assert forwarded(b, b"no listener yet") == []
    far_mld(b, MLD_REPORT, GROUP, GROUP)
    b.sim.run(duration="10ms")
    got = forwarded(b, b"listener")
    assert len(got) == 1 and got[0].hlim == 4 and got[0].eth_dst == "33:33:00:00:12:34"
    assert forwarded(b, b"hop limit 1", hlim=1) == []
    far_mld(b, MLD_REPORT, "ff02::1234", "ff02::1234")
    b.sim.run(duration="10ms")
    assert forwarded(b, b"link scope", group="ff02::1234") == []


def test_listener_times_out(mrouter):
    """RFC 2710 4 / 7.4: with no Report for Multicast Listener Interval
    (2 x 125 + 10 = 260 s), the router forgets the listener (stops
    forwarding); a Report before that refreshes it."""
    b = mrouter
    far_mld(b, MLD_REPORT, GROUP, GROUP)
    b.sim.run(duration="200s")
    assert len(forwarded(b, b"at 200 s")) == 1
    far_mld(b, MLD_REPORT, GROUP, GROUP)
    b.sim.run(duration="250s")
    assert len(forwarded(b, b"refreshed, at 250 s")) == 1
    b.sim.run(duration="15s")
    assert forwarded(b, b"timed out") == []


def test_done_triggers_specific_queries(mrouter):
    """RFC 2710 4 / 7.8 / 7.9: on a Done, the querier sends Last Listener
    Query Count (2) Multicast-Address-Specific Queries (to the group, Max
    Response Delay = Last Listener Query Interval 1000 ms), 1 s apart, on
    that link; with no Report it forgets the group; a Report keeps it."""
    b = mrouter
    far_mld(b, MLD_REPORT, GROUP, GROUP)
    b.sim.run(duration="10ms")
    b.far.recv()
    far_mld(b, MLD_DONE, GROUP, ALL_ROUTERS)
    b.sim.run(duration="3s")
    qs = [q for q in queries(b.far.recv()) if q[3] == GROUP]
    assert len(qs) == 2
    for t, mtype, md, g, dst, p in qs:
        assert (md, dst) == (1000, GROUP)
    assert abs(qs[1][0] - qs[0][0] - SECOND_NS) <= 10_000_000
    assert forwarded(b, b"after done") == []
    # once more, this time a listener answers the first specific query
    far_mld(b, MLD_REPORT, GROUP, GROUP)
    b.sim.run(duration="10ms")
    far_mld(b, MLD_DONE, GROUP, ALL_ROUTERS)
    b.sim.run(duration="200ms")
    far_mld(b, MLD_REPORT, GROUP, GROUP)
    b.sim.run(duration="3s")
    assert len(forwarded(b, b"still a listener")) == 1


def test_group_across_router_between_stacks(sim):
    """RFC 2710 end to end: a stack node joins a group behind a router node
    (its Report teaches the router), and receives a datagram the tester
    sends to the group on the other link."""
    r = sim.node("r", forwarding=True)
    h = sim.node("h")
    t = sim.raw_host("tester")
    la = sim.link(t, r, delay="1ms", rate="10Mbit")
    lb = sim.link(r, h, delay="1ms")
    r.iface(la).add_ip6("2001:db8:1::1/64", dad=False)
    r.iface(lb).add_ip6("2001:db8:2::1/64", dad=False)
    h.iface(lb).enable_ip6()
    sim.run(duration="5s")
    sock = h.udp(PORT)
    h.iface(lb).join(GROUP)
    sim.run(duration="1s")
    b = type("B", (), {})()
    b.mac = t.iface(la).mac
    data = b"across the router"
    t.send(mcast_udp(b, GROUP, data, hlim=8))
    sim.run(duration="50ms")
    got = sock.recvfrom()
    assert got is not None and got[0] == data and norm(got[1][0]) == norm(TESTER_G)
