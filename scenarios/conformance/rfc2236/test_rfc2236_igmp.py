"""RFC 2236 (IGMPv2) on the wire: the host side (reports on join, answers to
queries after a random delay, suppression, Leave), the router side of a
forwarding node (queries, querier election, membership learned and
expired, group-specific queries after a Leave), and multicast UDP delivery
on a link and across a router (RFC 1112 6, RFC 5771 link-local groups).
Python: iface.join(group) / iface.leave(group), UdpSocket.set_multicast(ttl, iface)."""
import struct

import pytest

from conformance_util import (DUT_IP, IP, SECOND_NS, TESTER_IP, checksum_ok, eth, inet_checksum, ip4, ip_aton,
                              raw_ip, stats_delta, flat_stats, udp, ETH_IP4)

PROTO_IGMP = 2
QUERY, V1_REPORT, V2_REPORT, LEAVE = 0x11, 0x12, 0x16, 0x17
GROUP = "239.1.2.3"
ALL_HOSTS, ALL_ROUTERS = "224.0.0.1", "224.0.0.2"
ROUTER_ALERT = bytes([0x94, 0x04, 0x00, 0x00])
PORT = 4242


def group_mac(group):
    """RFC 1112 6.4: 01:00:5e and the group's low 23 bits."""
    g = struct.unpack("!I", ip_aton(group))[0]
    return "01:00:5e:%02x:%02x:%02x" % ((g >> 16) & 0x7F, (g >> 8) & 0xFF, g & 0xFF)


def igmp_msg(mtype, max_resp, group, chksum=None):
    m = struct.pack("!BBH4s", mtype, max_resp, 0, ip_aton(group))
    if chksum is None:
        chksum = inet_checksum(m)
    return m[:2] + struct.pack("!H", chksum) + m[4:]


def igmp_frame(bench_mac, src, dst, msg):
    """IGMP from a tester: TTL 1 with Router Alert, as RFC 2236 2 asks."""
    return eth(group_mac(dst), bench_mac, ETH_IP4, ip4(src, dst, PROTO_IGMP, msg, ttl=1, options=ROUTER_ALERT,
                                                        tos=0xC0))


def igmp_sent(frames):
    """(time_ns, type, max_resp, group, dst, frame) of the IGMP frames, all
    checked for RFC 2236 2 form: TTL 1, Router Alert, checksums right,
    Ethernet dst the IP dst's group MAC."""
    out = []
    for f in frames:
        if IP not in f or f[IP].proto != PROTO_IGMP:
            continue
        ip = raw_ip(f)
        ihl = (ip[0] & 15) * 4
        assert ihl == 24 and ip[20:24] == ROUTER_ALERT, "RFC 2236 2: IP Router Alert option"
        assert checksum_ok(ip[:ihl]) and ip[8] == 1, "TTL 1"
        msg = ip[ihl:]
        assert len(msg) == 8 and checksum_ok(msg)
        assert f.dst == group_mac(f[IP].dst)
        out.append((f.time_ns, msg[0], msg[1], ".".join(str(b) for b in msg[4:8]), f[IP].dst, f))
    return out


# ====================================================================== host

@pytest.fixture
def host(bench):
    bench.prime_arp()
    return bench


def test_join_sends_unsolicited_report_and_repeat(host):
    """RFC 2236 3: on joining, a host immediately sends an unsolicited
    Version 2 Membership Report to the group (IP dst = group, max resp 0), and
    repeats it once after a random delay within the Unsolicited Report
    Interval (8.10: 10 s)."""
    host.tester.recv()
    t0 = host.sim.now_ns
    host.dif.join(GROUP)
    reps = igmp_sent(host.run("10.1s"))
    assert len(reps) == 2
    for t, mtype, mr, g, dst, f in reps:
        assert (mtype, mr, g, dst) == (V2_REPORT, 0, GROUP, GROUP)
        assert f[IP].src == DUT_IP
    assert reps[0][0] - t0 < 2_000_000  # at once (plus the link)
    assert reps[1][0] - t0 <= 10 * SECOND_NS + 2_000_000
    assert igmp_sent(host.run("30s")) == [], "no more unsolicited reports"


def test_all_hosts_never_reported(host):
    """RFC 2236 6: 224.0.0.1 is joined from the start and never reported."""
    host.tester.recv()
    host.dif.join(ALL_HOSTS)
    assert igmp_sent(host.run("11s")) == []


@pytest.mark.parametrize("max_resp", [100, 10, 1])
def test_general_query_answered_within_max_resp(host, max_resp):
    """RFC 2236 3: on a General Query (to 224.0.0.1, group 0) a member sets a
    random delay in (0, Max Resp Time] (tenths of a second) and then reports
    each of its groups."""
    host.dif.join(GROUP)
    host.run("11s")
    t0 = host.sim.now_ns
    host.send(igmp_frame(host.mac, TESTER_IP, ALL_HOSTS, igmp_msg(QUERY, max_resp, "0.0.0.0")))
    reps = igmp_sent(host.run(max_resp / 10 + 0.01))
    assert [(r[1], r[3], r[4]) for r in reps] == [(V2_REPORT, GROUP, GROUP)]
    assert reps[0][0] - t0 <= max_resp * SECOND_NS // 10 + 2_000_000
    assert igmp_sent(host.run("20s")) == []


@pytest.mark.parametrize("order", ["long_then_short", "short_then_long"])
def test_running_timer_reset_only_if_shorter(host, order):
    """RFC 2236 3: with a report timer already running, a query resets it to
    a new random value only if its Max Resp Time is less than the time
    left: either way the report comes within the shorter bound, and once."""
    host.dif.join(GROUP)
    host.run("11s")
    first, second = (100, 1) if order == "long_then_short" else (1, 100)
    host.send(igmp_frame(host.mac, TESTER_IP, ALL_HOSTS, igmp_msg(QUERY, first, "0.0.0.0")))
    host.sim.run(duration="1ms")
    t1 = host.sim.now_ns
    host.send(igmp_frame(host.mac, TESTER_IP, GROUP, igmp_msg(QUERY, second, GROUP)))
    reps = igmp_sent(host.run("12s"))
    assert len(reps) == 1
    bound = t1 + 100_000_000 + 2_000_000 if order == "long_then_short" else t1 - 1_000_000 + 100_000_000 + 2_000_000
    assert reps[0][0] <= bound


def test_v1_query_means_ten_seconds(host):
    """RFC 2236 4: a query with Max Resp Time 0 comes from an IGMPv1 router
    and is answered as if it said 100 (10 s)."""
    host.dif.join(GROUP)
    host.run("11s")
    t0 = host.sim.now_ns
    host.send(igmp_frame(host.mac, TESTER_IP, ALL_HOSTS, igmp_msg(QUERY, 0, "0.0.0.0")))
    reps = igmp_sent(host.run("10.01s"))
    assert len(reps) == 1 and reps[0][0] - t0 <= 10 * SECOND_NS + 2_000_000


def test_report_suppressed_by_other_member(host):
    """RFC 2236 3: a member that hears another member's report for the group
    while its own timer runs cancels its report."""
    host.dif.join(GROUP)
    host.run("11s")
    host.send(igmp_frame(host.mac, TESTER_IP, ALL_HOSTS, igmp_msg(QUERY, 100, "0.0.0.0")))
    host.sim.run(duration="1ms")
    host.send(igmp_frame(host.mac, "10.0.0.7", GROUP, igmp_msg(V2_REPORT, 0, GROUP)))
    assert igmp_sent(host.run("11s")) == []


def test_leave_sent_by_last_reporter(host):
    """RFC 2236 3: on leaving, a host that sent the last report for the group
    sends a Leave Group to all-routers (224.0.0.2)."""
    host.dif.join(GROUP)
    host.run("11s")
    host.dif.leave(GROUP)
    reps = igmp_sent(host.run())
    assert [(r[1], r[2], r[3], r[4]) for r in reps] == [(LEAVE, 0, GROUP, ALL_ROUTERS)]


def test_no_leave_when_another_member_reported_last(host):
    """RFC 2236 3: a host whose report was suppressed (not the last
    reporter) MAY skip the Leave; Shoal does."""
    host.dif.join(GROUP)
    host.run("11s")
    host.send(igmp_frame(host.mac, TESTER_IP, ALL_HOSTS, igmp_msg(QUERY, 100, "0.0.0.0")))
    host.sim.run(duration="1ms")
    host.send(igmp_frame(host.mac, "10.0.0.7", GROUP, igmp_msg(V2_REPORT, 0, GROUP)))
    host.run("1s")
    host.dif.leave(GROUP)
    assert igmp_sent(host.run("11s")) == []


def test_joins_are_counted(host):
    """Two joins need two leaves (the Leave goes with the last one)."""
    host.dif.join(GROUP)
    host.dif.join(GROUP)
    host.run("11s")
    host.dif.leave(GROUP)
    assert igmp_sent(host.run()) == []
    host.dif.leave(GROUP)
    assert [r[1] for r in igmp_sent(host.run())] == [LEAVE]


def test_group_specific_query(host):
    """RFC 2236 3: a Group-Specific Query (to the group, group field set)
    makes members of that group report within its Max Resp Time; members of
    other groups stay quiet."""
    host.dif.join(GROUP)
    host.dif.join("239.9.9.9")
    host.run("11s")
    host.send(igmp_frame(host.mac, TESTER_IP, GROUP, igmp_msg(QUERY, 10, GROUP)))
    reps = igmp_sent(host.run("1.01s"))
    assert [(r[1], r[3]) for r in reps] == [(V2_REPORT, GROUP)]
    host.send(igmp_frame(host.mac, TESTER_IP, "239.7.7.7", igmp_msg(QUERY, 10, "239.7.7.7")))
    assert igmp_sent(host.run("2s")) == []


@pytest.mark.parametrize("case", ["short", "bad_checksum", "general_query_to_group"])
def test_malformed_igmp_dropped(host, case):
    """RFC 2236 2: a message shorter than 8 bytes or with a wrong checksum is
    ignored (igmp.lenerr / igmp.chkerr); a General Query must go to
    224.0.0.1 (igmp.proterr otherwise). None of them draws a report."""
    host.dif.join(GROUP)
    host.run("11s")
    if case == "short":
        frame = igmp_frame(host.mac, TESTER_IP, ALL_HOSTS, igmp_msg(QUERY, 10, "0.0.0.0")[:6])
        want = "igmp.lenerr"
    elif case == "bad_checksum":
        frame = igmp_frame(host.mac, TESTER_IP, ALL_HOSTS, igmp_msg(QUERY, 10, "0.0.0.0", chksum=0x1234))
        want = "igmp.chkerr"
    else:
        frame = igmp_frame(host.mac, TESTER_IP, GROUP, igmp_msg(QUERY, 10, "0.0.0.0"))
        want = "igmp.proterr"
    before = host.stats()
    host.send(frame)
    assert igmp_sent(host.run("2s")) == []
    d = stats_delta(before, host.stats(), prefixes=["igmp."])
    assert d.get(want) == 1 and d.get("igmp.drop") == 1


def test_multicast_udp_delivery(host):
    """RFC 1112 6.2: a datagram to a group reaches the host's sockets only
    while an interface is a member; a socket bound to the group address gets
    it too, one bound to the unicast address does not."""
    s_any = host.dut.udp(port=PORT)
    s_grp = host.dut.udp(port=PORT + 1, addr=GROUP)
    s_uni = host.dut.udp(port=PORT + 2, addr=DUT_IP)

    def send(port):
        host.send(eth(group_mac(GROUP), host.mac, ETH_IP4,
                      ip4(TESTER_IP, GROUP, 17, udp(TESTER_IP, GROUP, 4000, port, b"hello group"))))
        host.run()

    send(PORT)
    assert s_any.recv() is None, "not a member yet"
    host.dif.join(GROUP)
    for port, sock, want in ((PORT, s_any, True), (PORT + 1, s_grp, True), (PORT + 2, s_uni, False)):
        send(port)
        assert (sock.recv() == b"hello group") == want
    before = host.stats()
    send(PORT + 3)  # nobody listens: no port unreachable for a multicast (RFC 1122 3.2.2)
    assert "icmp.xmit" not in stats_delta(before, host.stats())
    host.dif.leave(GROUP)
    send(PORT)
    assert s_any.recv() is None


def test_multicast_send_ttl_and_mac(host):
    """RFC 1112 6.1: a datagram to a group goes to the group's MAC with TTL 1
    unless the socket says otherwise (set_multicast(ttl=...))."""
    s = host.dut.udp(port=PORT)
    s.sendto(b"to the group", (GROUP, PORT))
    s.set_multicast(ttl=7)
    s.sendto(b"further", (GROUP, PORT))
    frames = [f for f in host.run() if IP in f and f[IP].proto == 17]
    assert [(f.dst, f[IP].dst, f[IP].ttl) for f in frames] == [(group_mac(GROUP), GROUP, 1), (group_mac(GROUP), GROUP, 7)]


def test_join_argument_errors(host):
    import shoal
    with pytest.raises(ValueError):
        host.dif.join("10.0.0.5")
    with pytest.raises(shoal.ShoalError):
        host.dif.leave("239.4.4.4")
    with pytest.raises(shoal.ShoalError):
        host.tester.iface(host.link).join(GROUP)


# ==================================================================== router

ROUTER_IP = "10.0.0.5"


@pytest.fixture
def router(sim):
    """A forwarding node at 10.0.0.5 with the tester (10.0.0.2) on one link;
    `frames` holds what the tester heard since the router got its address."""
    r = sim.node("r", forwarding=True)
    t = sim.raw_host("tester")
    link = sim.link(t, r, delay="1ms", rate="10Mbit")
    r.iface(link).set_ip4(f"{ROUTER_IP}/24")
    return sim, r, t, link


def _queries(frames):
    return [x for x in igmp_sent(frames) if x[1] == QUERY]


def test_router_startup_and_periodic_queries(router):
    """RFC 2236 7 / 8: a router starts as querier: a General Query at once
    (to 224.0.0.1, group 0, Max Resp 100), Startup Query Count (2) of them
    Startup Query Interval (125/4 s) apart, then one each Query Interval
    (125 s)."""
    sim, r, t, link = router
    t_up = sim.now_ns
    sim.run(until=300.0)
    qs = _queries(t.recv())
    times = [q[0] for q in qs]
    assert all((q[2], q[3], q[4]) == (100, "0.0.0.0", ALL_HOSTS) for q in qs)
    assert all(q[5][IP].src == ROUTER_IP for q in qs)
    gaps = [b - a for a, b in zip(times, times[1:])]
    # (The first query waits 48 us on the wire behind the gratuitous ARP.)
    want = [31_250_000_000, 125 * SECOND_NS, 125 * SECOND_NS]
    assert len(gaps) >= 3 and all(abs(g - w) <= 48_000 for g, w in zip(gaps, want)), gaps
    assert times[0] - t_up < 50_000 + 2_000_000


def test_querier_election_lower_address_wins(router):
    """RFC 2236 7: a router hearing a query from a lower address stops
    querying (Other Querier Present, 255 s); one from a higher address does
    not stop it."""
    sim, r, t, link = router
    tmac = t.iface(link).mac
    sim.run(until=40.0)
    t.recv()
    t.send(igmp_frame(tmac, "10.0.0.9", ALL_HOSTS, igmp_msg(QUERY, 100, "0.0.0.0")))  # higher: ignored
    sim.run(until=170.0)
    assert len(_queries(t.recv())) == 1  # its own at 156.25 s
    t.send(igmp_frame(tmac, "10.0.0.2", ALL_HOSTS, igmp_msg(QUERY, 100, "0.0.0.0")))  # lower: wins
    sim.run(until=170.0 + 250.0)
    assert _queries(t.recv()) == [], "quiet while the other querier is present"
    sim.run(until=170.0 + 256.0 + 1.0)
    assert len(_queries(t.recv())) == 1, "querier again after 255 s without hearing it"


class McastRouterBench:
    """Router r (forwarding) between tester s on 10.0.1.0/24 (the sender) and
    testers m1 on 10.0.2.0/24 and m2 on 10.0.3.0/24 (the members)."""

    def __init__(self, sim):
        self.sim = sim
        self.r = sim.node("r", forwarding=True)
        self.t, self.links = {}, {}
        for name, net in (("s", "10.0.1"), ("m1", "10.0.2"), ("m2", "10.0.3")):
            t = sim.raw_host(name)
            link = sim.link(t, self.r, delay="1ms", rate="10Mbit", name="r-" + name)
            self.r.iface(link).set_ip4(net + ".1/24")
            self.t[name], self.links[name] = t, link
        self.run("1s")

    def mac(self, name):
        return self.t[name].iface(self.links[name]).mac

    def run(self, duration="20ms"):
        self.sim.run(duration=duration)
        return {n: t.recv() for n, t in self.t.items()}

    def report(self, name, group, mtype=V2_REPORT):
        net = {"s": "10.0.1", "m1": "10.0.2", "m2": "10.0.3"}[name]
        self.t[name].send(igmp_frame(self.mac(name), net + ".2", group, igmp_msg(mtype, 0, group)))

    def leave(self, name, group):
        net = {"s": "10.0.1", "m1": "10.0.2", "m2": "10.0.3"}[name]
        self.t[name].send(igmp_frame(self.mac(name), net + ".2", ALL_ROUTERS, igmp_msg(LEAVE, 0, group)))

    def mcast(self, group, ttl=5, data=b"multicast data"):
        self.t["s"].send(eth(group_mac(group), self.mac("s"), ETH_IP4,
                             ip4("10.0.1.2", group, 17, udp("10.0.1.2", group, 4000, PORT, data), ttl=ttl)))

    def got(self, group, duration="20ms"):
        """Which member testers got the UDP datagram to group, with its TTL."""
        out = {}
        for n, fs in self.run(duration).items():
            for f in fs:
                if IP in f and f[IP].proto == 17 and f[IP].dst == group:
                    out[n] = f[IP].ttl
                    assert f.dst == group_mac(group) and f.src == self.r.iface(self.links[n]).mac
                    assert checksum_ok(raw_ip(f)[:20])
        return out


@pytest.fixture
def mr(sim):
    return McastRouterBench(sim)


def test_router_forwards_to_members_only(mr):
    """RFC 2236 7 / RFC 1112: the router learns a group's members per
    interface from reports and forwards the group's datagrams there only,
    TTL decremented; not back to the sender's link."""
    mr.mcast(GROUP)
    assert mr.got(GROUP) == {}
    mr.report("m1", GROUP)
    mr.run()
    mr.mcast(GROUP, ttl=5)
    assert mr.got(GROUP) == {"m1": 4}
    mr.report("m2", GROUP, mtype=V1_REPORT)  # a v1 report counts as well
    mr.run()
    mr.mcast(GROUP, ttl=5)
    assert mr.got(GROUP) == {"m1": 4, "m2": 4}


@pytest.mark.parametrize("group,ttl", [("224.0.0.99", 5), ("224.0.0.251", 64), (GROUP, 1)])
def test_router_never_forwards_link_local_or_ttl_1(mr, group, ttl):
    """RFC 5771 / RFC 2236 (link-local 224.0.0.0/24 stays on its link) and
    RFC 1112 6.1 (TTL 1 does not leave the link): not forwarded even with
    members elsewhere."""
    mr.report("m1", group)
    mr.run()
    mr.mcast(group, ttl=ttl)
    assert mr.got(group) == {}


def test_membership_expires(mr):
    """RFC 2236 8.4: without reports, a membership ends after the Group
    Membership Interval (2 x 125 s + 10 s = 260 s)."""
    mr.report("m1", GROUP)
    mr.run()
    mr.sim.run(duration=259.0)
    mr.mcast(GROUP)
    assert mr.got(GROUP) == {"m1": 4}
    mr.sim.run(duration=1.1)
    mr.mcast(GROUP)
    assert mr.got(GROUP) == {}


def test_report_refreshes_membership(mr):
    """RFC 2236 7: each report restarts the group's timer."""
    mr.report("m1", GROUP)
    mr.sim.run(duration=200.0)
    mr.report("m1", GROUP)
    mr.sim.run(duration=200.0)
    mr.mcast(GROUP)
    assert mr.got(GROUP) == {"m1": 4}


def test_leave_group_specific_queries(mr):
    """RFC 2236 7 / 8: on a Leave the querier sends Last Member Query Count
    (2) Group-Specific Queries, Last Member Query Interval (1 s) apart, Max
    Resp 10; with no report the group is forgotten on that interface; a
    report keeps it."""
    mr.report("m1", GROUP)
    mr.report("m2", GROUP)
    mr.run("1s")
    t0 = mr.sim.now_ns
    mr.leave("m1", GROUP)
    got = mr.run("3s")
    qs = _queries(got["m1"])
    assert [(q[2], q[3], q[4]) for q in qs] == [(10, GROUP, GROUP)] * 2
    assert qs[1][0] - qs[0][0] == SECOND_NS and qs[0][0] - t0 < 5_000_000
    assert _queries(got["m2"]) == []
    mr.mcast(GROUP)
    assert mr.got(GROUP) == {"m2": 4}
    # A member answers the group-specific query: the group stays.
    mr.leave("m2", GROUP)
    mr.run("100ms")
    mr.report("m2", GROUP)
    mr.run("3s")
    mr.mcast(GROUP)
    assert mr.got(GROUP) == {"m2": 4}


def test_group_across_router_between_stacks(sim):
    """End to end (issue 4 item 10): a sender on one subnet, receivers on two
    others behind a router: they join (IGMPv2 reports), the router learns,
    the sender's datagrams (multicast TTL 4) reach both sockets; with TTL 1
    they stay on the sender's link; a link-local group never crosses."""
    r = sim.node("r", forwarding=True)
    nodes = {}
    for name, net in (("snd", "10.0.1"), ("rx1", "10.0.2"), ("rx2", "10.0.3")):
        n = sim.node(name)
        link = sim.link(n, r, delay="1ms", rate="10Mbit")
        r.iface(link).set_ip4(net + ".1/24")
        n.iface(link).set_ip4(net + ".2/24", gw=net + ".1")
        nodes[name] = (n, link)
    sim.run(duration="100ms")
    socks = {}
    for name in ("rx1", "rx2"):
        n, link = nodes[name]
        n.iface(link).join(GROUP)
        n.iface(link).join("224.0.0.77")
        socks[name] = n.udp(port=PORT)
    sim.run(duration="100ms")
    tx = nodes["snd"][0].udp(port=0)
    tx.set_multicast(ttl=4, iface=nodes["snd"][1])
    tx.sendto(b"to every member", (GROUP, PORT))
    tx.sendto(b"link-local only", ("224.0.0.77", PORT))
    sim.run(duration="100ms")
    for name in ("rx1", "rx2"):
        assert socks[name].recvfrom() == (b"to every member", ("10.0.1.2", tx.port))
        assert socks[name].recv() is None
    tx.set_multicast(ttl=1)
    tx.sendto(b"stays home", (GROUP, PORT))
    sim.run(duration="100ms")
    assert socks["rx1"].recv() is None and socks["rx2"].recv() is None
    assert flat_stats(r)["ip4.fw"] == 2


# ============================================ IGMPv1 compatibility, non-querier

def test_v1_router_present_v1_reports_no_leave(host):
    """RFC 2236 4: after a Version 1 query (Max Resp 0) a host answers with
    Version 1 Membership Reports and sends no Leave until it has heard no v1
    query for the Version 1 Router Present Timeout (400 s)."""
    host.dif.join(GROUP)
    host.run("11s")
    host.send(igmp_frame(host.mac, TESTER_IP, ALL_HOSTS, igmp_msg(QUERY, 0, "0.0.0.0")))
    reps = igmp_sent(host.run("10.01s"))
    assert [r[1] for r in reps] == [V1_REPORT]
    host.dif.leave(GROUP)
    assert igmp_sent(host.run("1s")) == []


def test_non_querier_sends_no_group_specific_query(router):
    """RFC 2236 7: a router that lost the querier election sends no queries,
    group-specific ones included, and keeps the membership when it hears a
    Leave (the querier's group-specific queries decide)."""
    sim, r, t, link = router
    tmac = t.iface(link).mac
    sim.run(until=1.0)
    t.send(igmp_frame(tmac, "10.0.0.2", ALL_HOSTS, igmp_msg(QUERY, 100, "0.0.0.0")))  # lower address
    t.send(igmp_frame(tmac, "10.0.0.2", GROUP, igmp_msg(V2_REPORT, 0, GROUP)))
    sim.run(until=2.0)
    t.recv()
    t.send(igmp_frame(tmac, "10.0.0.2", ALL_ROUTERS, igmp_msg(LEAVE, 0, GROUP)))
    sim.run(until=5.0)
    assert _queries(t.recv()) == []


# =============================================================== determinism

def _multicast_site(seed, pcap_dir):
    """A router with three stack hosts: two join a group (random report
    delays), the router queries, the third sends; returns the pcaps' bytes."""
    import os
    import shoal
    sim = shoal.Sim(seed=seed, pcap_dir=str(pcap_dir))
    try:
        r = sim.node("r", forwarding=True)
        hosts = []
        for name, net in (("snd", "10.0.1"), ("rx1", "10.0.2"), ("rx2", "10.0.3")):
            n = sim.node(name)
            link = sim.link(n, r, delay="1ms", rate="10Mbit")
            r.iface(link).set_ip4(net + ".1/24")
            n.iface(link).set_ip4(net + ".2/24", gw=net + ".1")
            hosts.append((n, link))
        for n, link in hosts[1:]:
            n.iface(link).join(GROUP)
        tx = hosts[0][0].udp(port=0)
        tx.set_multicast(ttl=3)
        for i in range(5):
            sim.run(duration="20s")
            tx.sendto(b"round %d" % i, (GROUP, PORT))
        sim.run(duration="60s")
    finally:
        sim.close()
    return {os.path.basename(p): open(p, "rb").read() for p in sorted(pcap_dir.glob("*.pcap"))}


def test_same_seed_same_pcaps(tmp_path):
    """DESIGN.md determinism: the IGMP report delays come from the instance's
    RNG, so one seed gives byte-identical pcaps; another seed other delays."""
    runs = []
    for i, seed in enumerate((7, 7, 8)):
        d = tmp_path / str(i)
        d.mkdir()
        runs.append(_multicast_site(seed, d))
    assert runs[0] and runs[0] == runs[1]
    assert runs[0] != runs[2]
