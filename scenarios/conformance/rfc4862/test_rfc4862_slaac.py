"""RFC 4862 (IPv6 Stateless Address Autoconfiguration) on the wire: link-local
formation, Duplicate Address Detection (form, timing, tentative behaviour,
collisions), addresses from RA prefixes, lifetimes (deprecation, expiry, the
two-hour rule), prefixes to ignore, and interface identifiers (RFC 7217
stable, EUI-64, random). IPv6 Ready Phase-2 core group "Stateless Address
Autoconfiguration". Python: iface.enable_ip6 / slaac / add_ip6 / ip6_addrs."""
import ipaddress

import pytest

import shoal
from nd6_util import (ALL_NODES, ALL_ROUTERS, ECHO_REP, ECHO_REQ, NA, NS, OPT_SLLA, RS, SECOND_NS, TESTER_G, UNSPEC,
                      Bench6, a16, eui64_iid, icmp6_sent, linklocal_of, mcast_mac, norm, ns_target, opt_prefix,
                      solicited_node, stats_delta)

P7 = "2001:db8:7::"
P8 = "2001:db8:8::"


def in_prefix(addr, prefix, plen=64):
    return ipaddress.IPv6Address(norm(addr)) in ipaddress.IPv6Network(f"{prefix}/{plen}")


def iid(addr) -> bytes:
    return a16(addr)[8:]


def addrs_in(b, prefix):
    return [a for a in b.dif.ip6_addrs if in_prefix(a["addr"], prefix)]


def dad_ns(frames, target=None):
    return [p for p in icmp6_sent(frames, NS) if p.src == UNSPEC and (target is None or ns_target(p) == norm(target))]


def wait_dad_ns(b, target=None, limit_s=1.2):
    """Run in 1 ms steps until the dut's DAD NS (for target) reaches the
    tester, so that a test can answer inside the DAD window (1 s)."""
    frames = []
    end = b.sim.now_ns + int(limit_s * SECOND_NS)
    while b.sim.now_ns < end:
        frames += b.run("1ms")
        ns = dad_ns(frames, target)
        if ns:
            assert len(ns) == 1
            return ns[0], frames
    raise AssertionError(f"no DAD NS within {limit_s} s: {frames!r}")


def check_dad_ns(p, target):
    """RFC 4862 5.4.2: source ::, destination the target's solicited-node
    group, hop limit 255, no SLLA option (7.2.2 of RFC 4861 forbids it from
    ::), target the tentative address."""
    assert p.src == UNSPEC and p.dst == solicited_node(target) and p.eth_dst == mcast_mac(p.dst)
    assert p.hlim == 255 and p.code == 0 and p.body[:4] == bytes(4)
    assert ns_target(p) == norm(target)
    assert [t for t, _ in p.options(20)] == [], "no options (no SLLA) in a DAD NS"


# ============================================================ link-local + DAD

@pytest.fixture
def off(sim):
    """IPv6 still off on the dut."""
    return Bench6(sim, ip6=None)


def test_link_local_eui64(off):
    """RFC 4862 5.3: the link-local address is fe80::/64 and the interface
    identifier; with iid="eui64" the modified EUI-64 of the MAC (RFC 4291
    appendix A); 5.4 it is tentative until DAD completes."""
    off.dif.enable_ip6(iid="eui64")
    a = off.dif.ip6_addrs
    assert len(a) == 1 and a[0]["state"] == "tentative" and a[0]["prefix_len"] == 64
    assert norm(a[0]["addr"]) == linklocal_of(off.dut_mac)
    assert off.dif.ip6_linklocal is None and off.dif.ip6 == [], "a tentative address is not usable"
    off.run("3s")
    assert norm(off.dif.ip6_linklocal) == linklocal_of(off.dut_mac)
    assert "%" in off.dif.ip6_linklocal, "a scoped address carries its zone"
    assert off.dif.ip6_addrs[0]["state"] == "preferred"
    assert off.dif.ip6_addrs[0]["valid_lft"] is None, "link-local: infinite lifetime"


def test_link_local_stable_iid(off):
    """RFC 7217 5 / RFC 8064: the default ("stable") IID is not the EUI-64
    one; the address is in fe80::/64."""
    off.dif.enable_ip6()
    off.run("3s")
    ll = off.dif.ip6_linklocal
    assert in_prefix(ll, "fe80::") and norm(ll) != linklocal_of(off.dut_mac)
    assert iid(ll) != eui64_iid(off.dut_mac)


def test_dad_ns_form_and_timing(off):
    """RFC 4862 5.4.2: one DAD NS (DupAddrDetectTransmits 1) for the
    link-local address, after a random delay of 0..MAX_RTR_SOLICITATION_DELAY
    (1 s); 5.4 the address is tentative meanwhile and becomes preferred
    RetransTimer (1 s) after the NS when nothing answers. (The MLD Report
    that must precede the NS: rfc2710 test_solicited_node_report_before_dad_ns.)"""
    off.tester.recv()
    t0 = off.sim.now_ns
    off.dif.enable_ip6()
    tentative = off.dif.ip6_addrs[0]["addr"]
    frames = off.run("0.99s")
    frames += off.run("10ms")
    ns = dad_ns(frames)
    assert len(ns) == 1, f"one DAD NS within 1 s: {frames!r}"
    check_dad_ns(ns[0], tentative)
    assert ns[0].time_ns - t0 <= SECOND_NS + 1_000_000
    t_ns = ns[0].time_ns - 1_000_000  # sent
    while off.sim.now_ns < t_ns + SECOND_NS - 10_000_000:
        assert off.dif.ip6_addrs[0]["state"] == "tentative"
        off.sim.run(duration="50ms")
    off.sim.run(duration="30ms")
    assert off.dif.ip6_addrs[0]["state"] == "preferred"
    assert len(dad_ns(off.run("5s"))) == 0, "DAD NS sent once"


def test_dad_delay_is_random(sim):
    """RFC 4862 5.4.2: the delay before the first DAD NS is random: two
    nodes made the same way draw different delays."""
    delays = []
    for name in ("d1", "d2", "d3"):
        n = sim.node(name)
        t = sim.raw_host("t" + name)
        l = sim.link(t, n, delay="1ms", rate="10Mbit")
        t0 = sim.now_ns
        n.iface(l).enable_ip6()
        sim.run(duration="1.1s")
        ns = dad_ns(t.recv())
        assert len(ns) == 1
        delays.append(ns[0].time_ns - t0)
    assert len(set(delays)) == 3


@pytest.fixture
def b(sim):
    return Bench6(sim)


NEW = "2001:db8:1::5"


def test_tentative_address_not_answered_or_used(b):
    """RFC 4862 5.4: a tentative address is not assigned: the node does not
    answer an NS for it (5.4.3: an NS from a unicast source for a tentative
    target is silently discarded) and does not accept packets sent to it."""
    b.tester.recv()
    b.dif.add_ip6(NEW + "/64")
    assert b.addr_info(NEW)["state"] == "tentative"
    assert norm(NEW) not in [norm(a) for a in b.dif.ip6]
    b.send(b.ns(NEW, src=TESTER_G))
    b.sim.run(duration="5ms")
    b.send(b.echo(dst=NEW, src=TESTER_G))
    frames = b.run("20ms")
    assert icmp6_sent(frames, NA) == []
    assert icmp6_sent(frames, ECHO_REP) == []
    b.run("3s")
    assert b.addr_info(NEW)["state"] == "preferred", "the NS from a unicast source is no collision"
    assert len(icmp6_sent(b.exchange(b.ns(NEW, src=TESTER_G)), NA)) == 1


def test_no_dad_when_disabled(b):
    """RFC 4862 5.4: DAD is skipped when asked (add_ip6 dad=False, like
    DupAddrDetectTransmits 0): no NS, usable at once."""
    b.tester.recv()
    b.dif.add_ip6(NEW + "/64", dad=False)
    assert b.addr_info(NEW)["state"] == "preferred"
    assert dad_ns(b.run("3s"), NEW) == []


@pytest.mark.parametrize("how", ["na", "dad_ns"])
def test_dad_collision(b, how):
    """RFC 4862 5.4.3 / 5.4.4 / 5.4.5: during DAD, an NA for the tentative
    address, or another node's DAD NS (source ::) for it, means the address
    is a duplicate: it is not assigned ("duplicated"), never used, never
    answered for; nd6.dad_failures counts it."""
    b.tester.recv()
    before = b.stats()
    b.dif.add_ip6(NEW + "/64")
    ns, _ = wait_dad_ns(b, NEW)
    check_dad_ns(ns, NEW)
    if how == "na":
        b.send(b.na(NEW, dst=ALL_NODES, S=False, O=True))
    else:
        b.send(b.ns(NEW, src=UNSPEC, slla=False))
    frames = b.run("3s")
    assert b.addr_info(NEW)["state"] == "duplicated"
    assert norm(NEW) not in [norm(a) for a in b.dif.ip6]
    assert icmp6_sent(frames, NA) == [], "no defence of a duplicate"
    assert stats_delta(before, b.stats()).get("nd6.dad_failures") == 1
    assert icmp6_sent(b.exchange(b.ns(NEW, src=TESTER_G)), NA) == []
    b.teach_neighbor()
    assert icmp6_sent(b.exchange(b.echo(dst=NEW, src=TESTER_G)), ECHO_REP) == []
    assert b.addr_info(NEW)["state"] == "duplicated", "stays duplicated"


def test_dad_ns_for_other_address_no_collision(b):
    """RFC 4862 5.4.3: a DAD NS for another target is no collision."""
    b.dif.add_ip6(NEW + "/64")
    wait_dad_ns(b, NEW)
    b.send(b.ns("2001:db8:1::6", src=UNSPEC, slla=False))
    b.run("3s")
    assert b.addr_info(NEW)["state"] == "preferred"


def test_link_local_collision(off):
    """RFC 4862 5.4.5: a duplicate link-local address is not used and is
    counted; RFC 7217 6: a stable-IID node MAY try a new IID (DAD_Counter
    + 1), which must be a different address that runs DAD again."""
    off.tester.recv()
    off.dif.enable_ip6()
    ns, _ = wait_dad_ns(off)
    target = ns_target(ns)
    off.send(off.na(target, dst=ALL_NODES, S=False, O=True))
    frames = off.run("3s")
    ll = off.dif.ip6_linklocal
    assert ll is None or norm(ll) != target, "the duplicate is never used"
    assert [a["state"] for a in off.dif.ip6_addrs if norm(a["addr"]) == target] in ([], ["duplicated"])
    assert off.stats()["nd6.dad_failures"] == 1
    if ll is not None:
        assert [ns_target(p) for p in dad_ns(frames)] == [norm(ll)], "RFC 7217 6: the new address ran DAD"
    assert icmp6_sent(off.exchange(off.ns(target, src=off.ll)), NA) == []


# ======================================================================= SLAAC

@pytest.fixture
def host(sim):
    """The dut with slaac() on (link-local only so far), RSs sent."""
    b = Bench6(sim, ip6=None)
    b.tester.recv()
    b.t_enable = sim.now_ns
    b.dif.slaac()
    b.rs_frames = b.run("12s")
    b.dut_ll = norm(b.dif.ip6_linklocal)
    return b


def test_router_solicitations(host):
    """RFC 4861 6.3.7: after enabling, a host sends up to
    MAX_RTR_SOLICITATIONS (3) RSs to all-routers, RTR_SOLICITATION_INTERVAL
    (4 s) apart, the first after a random 0..1 s delay; hop limit 255; with
    the SLLA when the source is the link-local address, none from ::."""
    rss = icmp6_sent(host.rs_frames, RS)
    assert len(rss) == 3
    for p in rss:
        assert p.dst == ALL_ROUTERS and p.hlim == 255 and p.code == 0 and p.body[:4] == bytes(4)
        opts = [t for t, _ in p.options(4)]
        if p.src == UNSPEC:
            assert opts == []
        else:
            assert p.src == host.dut_ll and opts == [OPT_SLLA]
    assert rss[0].time_ns - host.t_enable <= 3 * SECOND_NS, "first RS soon after enabling (DAD + 0..1 s)"
    gaps = [b.time_ns - a.time_ns for a, b in zip(rss, rss[1:])]
    assert all(abs(g - 4 * SECOND_NS) <= 1_000_000 for g in gaps), gaps
    assert icmp6_sent(host.run("60s"), RS) == []


def test_no_more_rs_after_ra(sim):
    """RFC 4861 6.3.7: once a valid RA arrives, the host stops soliciting."""
    b = Bench6(sim, ip6=None)
    b.tester.recv()
    b.dif.slaac()
    frames = b.run("1.5s")
    while not icmp6_sent(frames, RS):
        frames = b.run("0.5s")
    b.send(b.ra(lifetime=1800))
    assert icmp6_sent(b.run("20s"), RS) == []


def test_address_from_prefix(host):
    """RFC 4862 5.5.3 (d): a prefix with A set and length 64 forms prefix +
    IID, which runs DAD (5.4) and is then preferred with the advertised
    lifetimes; the IID is the one of the link-local address (5.5.3 (d)
    RFC 4862; RFC 7217 gives per-prefix IIDs, so only the prefix is
    checked)."""
    host.tester.recv()
    host.send(host.ra(opts=opt_prefix(P7, 64, valid=3600, preferred=1800)))
    frames = host.run("20ms")
    a = addrs_in(host, P7)
    assert len(a) == 1 and a[0]["state"] == "tentative" and a[0]["autoconf"] and a[0]["prefix_len"] == 64
    frames += host.run("3s")
    ns = dad_ns(frames, a[0]["addr"])
    assert len(ns) == 1
    check_dad_ns(ns[0], a[0]["addr"])
    a = addrs_in(host, P7)[0]
    assert a["state"] == "preferred" and not a["temporary"]
    assert 1795 <= a["preferred_lft"] <= 1800 and 3595 <= a["valid_lft"] <= 3600
    assert norm(a["addr"]) in [norm(x) for x in host.dif.ip6]
    # the new address works: an NS for it is answered
    assert len(icmp6_sent(host.exchange(host.ns(a["addr"], src=host.ll)), NA)) == 1


def test_refresh_extends_lifetimes(host):
    """RFC 4862 5.5.3 (e): an RA for a prefix already autoconfigured resets
    its preferred lifetime and (above 2 h) its valid lifetime; no second
    address is made."""
    host.exchange(host.ra(opts=opt_prefix(P7, 64, valid=10000, preferred=5000)))
    host.run("100s")
    host.exchange(host.ra(opts=opt_prefix(P7, 64, valid=20000, preferred=9000)))
    a = addrs_in(host, P7)
    assert len(a) == 1
    assert 8995 <= a[0]["preferred_lft"] <= 9000 and 19995 <= a[0]["valid_lft"] <= 20000


def _outgoing(host, frames, mtype, dst):
    """The dut's ICMPv6 messages of mtype to dst in frames and shortly after;
    the tester answers NSs for dst or for itself as the router (so the test
    does not depend on dst being on- or off-link, nor on the router's
    neighbor entry having been probed away by NUD meanwhile)."""
    out = [p for p in icmp6_sent(frames, mtype) if p.dst == norm(dst)]
    for ns in icmp6_sent(frames, NS):
        if ns_target(ns) in (norm(dst), norm(host.ll)):
            host.send(host.na(ns_target(ns), dst=ns.src, S=True, O=True))
            out += [p for p in icmp6_sent(host.run("50ms"), mtype) if p.dst == norm(dst)]
    return out


def test_deprecation_and_expiry(host):
    """RFC 4862 5.5.4: when the preferred lifetime expires the address is
    deprecated: still assigned and answering (existing communication,
    echo to it answered from it), but RFC 6724 rule 3 avoids it as the
    source of new communication; when the valid lifetime expires it is
    removed (5.5.4, 5.5.3)."""
    host.exchange(host.ra(lifetime=1800, opts=opt_prefix(P7, 64, L=False, valid=100, preferred=20)
                          + opt_prefix(P8, 64, L=False, valid=10000, preferred=10000)))
    host.run("3s")
    a7 = addrs_in(host, P7)[0]["addr"]
    a8 = addrs_in(host, P8)[0]["addr"]
    dst = "2001:db8:7::99"  # longest match with the P7 address (RFC 6724 rule 8)
    host.tester.recv()
    host.dut.ping(dst, count=1, timeout="0.1s")
    reqs = _outgoing(host, host.run("50ms"), ECHO_REQ, dst)
    assert len(reqs) == 1 and reqs[0].src == norm(a7), "RFC 6724 rule 8 while both are preferred"
    host.sim.run(duration="20s")
    a = addrs_in(host, P7)[0]
    assert a["state"] == "deprecated" and a["preferred_lft"] == 0
    assert norm(a7) in [norm(x) for x in host.dif.ip6], "deprecated addresses are still usable"
    host.tester.recv()
    host.dut.ping(dst, count=1, timeout="0.1s")
    reqs = _outgoing(host, host.run("50ms"), ECHO_REQ, dst)
    assert len(reqs) == 1 and reqs[0].src == norm(a8), "RFC 6724 rule 3: avoid deprecated addresses"
    host.tester.recv()
    host.send(host.echo(dst=a7, src=dst))
    reps = _outgoing(host, host.run("50ms"), ECHO_REP, dst)
    assert len(reps) == 1 and reps[0].src == norm(a7), "a deprecated address still receives and answers"
    host.sim.run(duration="80s")
    assert addrs_in(host, P7) == [], "removed when the valid lifetime expired"
    host.tester.recv()
    host.send(host.echo(dst=a7, src=dst, seq=2))
    assert _outgoing(host, host.run("50ms"), ECHO_REP, dst) == []


def test_autoconf_prefix_without_l_not_on_link(host):
    """RFC 5942 4 (updating RFC 4861 / 4862): forming an address from a
    prefix with L clear MUST NOT make that prefix on-link: other addresses
    in it are reached through the default router, not resolved on the link
    (RFC 4861 6.3.4: L clear says nothing about on-link)."""
    host.exchange(host.ra(lifetime=1800, opts=opt_prefix(P7, 64, L=False)))
    host.run("3s")
    assert addrs_in(host, P7) and addrs_in(host, P7)[0]["state"] == "preferred"
    assert "2001:db8:7::/64" not in [p["prefix"] for p in host.dut.prefixes6()]
    dst = "2001:db8:7::99"
    host.tester.recv()
    host.send(host.echo(dst=addrs_in(host, P7)[0]["addr"], src=dst))
    frames = host.run("50ms")
    assert [p for p in icmp6_sent(frames, NS) if ns_target(p) == norm(dst)] == [], "not resolved on the link"
    reps = [p for p in icmp6_sent(frames, ECHO_REP) if p.dst == norm(dst)]
    assert len(reps) == 1 and reps[0].eth_dst == host.mac, "through the default router"


@pytest.mark.parametrize("first_valid,new_valid,expect", [
    (10000, 100, 7200),    # remaining > 2 h, new < 2 h: set to 2 h
    (3000, 100, 3000),     # remaining <= 2 h: ignore the new lifetime
    (3000, 8000, 8000),    # new > 2 h: take it
    (10000, 0, 7200),      # even 0 cannot cut below 2 h (the attack 5.5.3 e guards against)
    (3000, 5000, 5000),    # new > remaining: take it
])
def test_two_hour_rule(host, first_valid, new_valid, expect):
    """RFC 4862 5.5.3 (e): the valid lifetime of an autoconfigured address is
    set to a received value only if it is above 2 hours or above the
    remaining lifetime; otherwise, if the remaining lifetime is at most 2 h
    it is kept, else set to 2 h."""
    host.exchange(host.ra(opts=opt_prefix(P7, 64, valid=first_valid, preferred=min(first_valid, 60))))
    host.run("3s")
    host.exchange(host.ra(opts=opt_prefix(P7, 64, valid=new_valid, preferred=0)))
    a = addrs_in(host, P7)
    assert len(a) == 1
    assert expect - 5 <= a[0]["valid_lft"] <= expect


@pytest.mark.parametrize("case", ["link_local_prefix", "preferred_gt_valid", "a_flag_clear", "prefix_len_48",
                                  "prefix_len_80", "valid_zero"])
def test_prefix_ignored_for_autoconf(host, case):
    """RFC 4862 5.5.3: no address from a prefix with A clear (a), the
    link-local prefix (b), preferred > valid (c), a length that is not 128
    minus the IID's 64 bits (d), or valid lifetime 0 for a new prefix (d)."""
    opt = {"link_local_prefix": opt_prefix("fe80::", 64),
           "preferred_gt_valid": opt_prefix(P7, 64, valid=100, preferred=200),
           "a_flag_clear": opt_prefix(P7, 64, A=False),
           "prefix_len_48": opt_prefix(P7, 48),
           "prefix_len_80": opt_prefix(P7, 80),
           "valid_zero": opt_prefix(P7, 64, valid=0, preferred=0)}[case]
    before = [a["addr"] for a in host.dif.ip6_addrs]
    host.exchange(host.ra(opts=opt))
    host.run("3s")
    assert [a["addr"] for a in host.dif.ip6_addrs] == before


def test_autoconf_off_forms_no_address(sim):
    """RFC 4862 5.5.3: enable_ip6() (= slaac(autoconf=False)) makes no
    address from a prefix with A set."""
    b = Bench6(sim, ip6="ll")
    b.exchange(b.ra(opts=opt_prefix(P7, 64)))
    b.run("3s")
    assert addrs_in(b, P7) == []


def test_autoconf_address_collision(host):
    """RFC 4862 5.4.5: a collision on an autoconfigured address leaves it
    duplicated and unused (RFC 7217 6: another IID may be tried, a
    different address that runs DAD first)."""
    host.tester.recv()
    host.send(host.ra(opts=opt_prefix(P7, 64)))
    host.sim.run(duration="5ms")
    a = addrs_in(host, P7)[0]["addr"]
    wait_dad_ns(host, a)
    host.send(host.na(a, dst=ALL_NODES, S=False, O=True))
    frames = host.run("3s")
    assert [x["state"] for x in addrs_in(host, P7) if norm(x["addr"]) == norm(a)] in ([], ["duplicated"])
    assert norm(a) not in [norm(x) for x in host.dif.ip6]
    for x in host.dif.ip6:
        if in_prefix(x, P7):
            assert norm(x) in [ns_target(p) for p in dad_ns(frames)], "a retry address ran DAD"
    assert host.stats()["nd6.dad_failures"] == 1


# ===================================================== interface identifiers

def slaac_addrs(seed, iid="stable", prefixes=(P7, P8), reboot=False):
    sim = shoal.Sim(seed=seed)
    try:
        b = Bench6(sim, ip6=None)
        b.dif.slaac(iid=iid)
        b.run("2.5s")
        b.send(b.ra(opts=b"".join(opt_prefix(p, 64) for p in prefixes)))
        b.run("3s")
        out = {p: norm(addrs_in(b, p)[0]["addr"]) for p in prefixes}
        out["ll"] = norm(b.dif.ip6_linklocal)
        if reboot:
            b.dut.reboot()
            sim.run(duration="1s")
            b.tester.recv()
            b.dif.slaac(iid=iid)
            b.run("2.5s")
            b.send(b.ra(opts=b"".join(opt_prefix(p, 64) for p in prefixes)))
            b.run("3s")
            out2 = {p: norm(addrs_in(b, p)[0]["addr"]) for p in prefixes}
            out2["ll"] = norm(b.dif.ip6_linklocal)
            return out, out2
        return out
    finally:
        sim.close()


def test_stable_iid_same_seed_same_addresses():
    """RFC 7217 5: a stable IID is a function of the prefix, the interface and
    a secret key (from the instance's RNG): a second run with the same seed
    gives the same addresses; it differs between prefixes (the prefix is an
    input of F()) and from the link-local one."""
    first = slaac_addrs(7)
    assert slaac_addrs(7) == first
    assert iid(first[P7]) != iid(first[P8])
    assert iid(first["ll"]) not in (iid(first[P7]), iid(first[P8]))


def test_stable_iid_survives_reboot():
    """RFC 7217 5 / 1: stable addresses stay the same when the host reboots
    and attaches to the same network again (the secret key persists)."""
    first, after_reboot = slaac_addrs(7, reboot=True)
    assert first == after_reboot


def test_random_iids_differ():
    """RFC 8981-style random IIDs (iid="random"): different per prefix and
    unlike the stable ones."""
    r = slaac_addrs(7, iid="random")
    s = slaac_addrs(7)
    assert iid(r[P7]) != iid(r[P8])
    assert iid(r[P7]) != iid(s[P7]) and iid(r[P8]) != iid(s[P8])


def test_eui64_iid():
    """RFC 4862 5.5.3 (d) with RFC 4291 appendix A: iid="eui64" gives prefix
    + modified EUI-64 of the MAC for every prefix."""
    sim = shoal.Sim(seed=3)
    try:
        b = Bench6(sim, ip6=None)
        b.dif.slaac(iid="eui64")
        b.run("2.5s")
        b.send(b.ra(opts=opt_prefix(P7, 64)))
        b.run("3s")
        assert a16(addrs_in(b, P7)[0]["addr"]) == a16(P7)[:8] + eui64_iid(b.dut_mac)
    finally:
        sim.close()


# ================================================================ end to end

def test_hosts_autoconfigure_from_router_node(sim):
    """RFC 4862 5.5 with RFC 4861 6.2: two host nodes autoconfigure from a
    router node's RAs (prefix with A and L), and ping each other and the
    router over the new addresses."""
    r = sim.node("r", forwarding=True)
    sw = sim.switch("sw")
    hosts = [sim.node(n) for n in ("h1", "h2")]
    lr = sim.link(r, sw, delay="1ms")
    links = [sim.link(h, sw, delay="1ms") for h in hosts]
    r.iface(lr).add_ip6("2001:db8:1::1/64", dad=False)
    r.iface(lr).advertise("2001:db8:1::/64")
    for h, l in zip(hosts, links):
        h.iface(l).slaac()
    sim.run(duration="30s")
    addrs = []
    for h, l in zip(hosts, links):
        g = [a for a in h.iface(l).ip6 if in_prefix(a, "2001:db8:1::")]
        assert len(g) == 1
        addrs.append(norm(g[0]))
        assert [norm(x["ip"]) for x in h.routers6()] == [norm(r.iface(lr).ip6_linklocal)]
    assert addrs[0] != addrs[1]
    p1 = hosts[0].ping(addrs[1], count=2, interval="0.5s", timeout="1s")
    p2 = hosts[1].ping("2001:db8:1::1", count=2, interval="0.5s", timeout="1s")
    sim.run(duration="3s")
    assert p1.received == 2 and p2.received == 2


def _slaac_site(seed, pcap_dir):
    """A router node advertising and two SLAAC hosts on a switch, one with a
    group joined (random DAD, RS, MLD and RA delays); returns the pcaps."""
    import os
    sim = shoal.Sim(seed=seed, pcap_dir=str(pcap_dir))
    try:
        r = sim.node("r", forwarding=True)
        sw = sim.switch("sw")
        lr = sim.link(r, sw, delay="1ms", rate="10Mbit")
        r.iface(lr).add_ip6("2001:db8:1::1/64", dad=False)
        r.iface(lr).advertise("2001:db8:1::/64", max_interval="30s")
        for name in ("h1", "h2"):
            h = sim.node(name)
            l = sim.link(h, sw, delay="1ms", rate="10Mbit")
            h.iface(l).slaac()
            if name == "h2":
                h.iface(l).join("ff15::1234")
        sim.run(duration="120s")
    finally:
        sim.close()
    return {os.path.basename(p): open(p, "rb").read() for p in sorted(pcap_dir.glob("*.pcap"))}


def test_same_seed_same_pcaps(tmp_path):
    """DESIGN.md determinism: DAD and RS delays, stable IIDs, MLD report delays
    and RA intervals come from the instances' RNGs: one seed gives
    byte-identical pcaps, another seed other ones."""
    runs = []
    for i, seed in enumerate((7, 7, 8)):
        d = tmp_path / str(i)
        d.mkdir()
        runs.append(_slaac_site(seed, d))
    assert runs[0] and all(runs[0].values()) and runs[0] == runs[1]
    assert runs[0] != runs[2]
