"""RFC 4861 (Neighbor Discovery) on the wire, host side: address resolution,
NA processing, answering NS, message validation, Neighbor Unreachability
Detection. Organised after the IPv6 Ready Phase-2 core "Neighbor Discovery"
groups (address resolution, NUD, validation). Router/redirect/RA processing:
test_rfc4861_router.py. Python: iface.enable_ip6/add_ip6, node.neighbors6()."""
import pytest

from nd6_util import (ALL_NODES, DUT_G, ECHO_REP, ECHO_REQ, DST_UNREACH, NA, NH_ICMP6, NS, OPT_SLLA, OPT_TLLA,
                      OTHER_G, SECOND_NS, TESTER_G, UNSPEC, Bench6, a16, echo_body, eth6, icmp6, icmp6_sent, ip6,
                      lla_of, mcast_mac, na_body, norm, ns_body, ns_target, opt_lla, solicited_node, stats_delta)

OTHER_MAC = "02:00:00:00:be:ef"


@pytest.fixture
def b(sim):
    return Bench6(sim)


def nd_drops(before, after):
    d = stats_delta(before, after)
    return d.get("nd6.drop", 0) + d.get("icmp6.drop", 0)


def ns_frames(frames, target=None):
    return [p for p in icmp6_sent(frames, NS) if target is None or ns_target(p) == norm(target)]


# ============================================================ address resolution

def test_resolution_ns_fields(b):
    """RFC 4861 7.2.2: to resolve a neighbor the node sends an NS to the
    target's solicited-node multicast address (RFC 4291 2.7.1, Ethernet
    33:33:ff:..), with the Source Link-Layer Address option (SHOULD when the
    source is not ::), source = the address of the packet that prompted it
    (SHOULD), 7.1.1 hop limit 255, code 0, reserved 0, target = the
    neighbor."""
    b.tester.recv()
    t0 = b.sim.now_ns
    b.send(b.echo(src=TESTER_G))
    frames = b.run("300ms")
    nss = ns_frames(frames, TESTER_G)
    assert len(nss) == 1, f"one NS at once for the echo's sender: {frames!r}"
    p = nss[0]
    assert p.dst == solicited_node(TESTER_G) and p.eth_dst == "33:33:ff:00:00:02"
    assert p.eth_src == b.dut_mac
    assert p.src == norm(DUT_G), "7.2.2: the prompting packet's source address"
    assert p.hlim == 255 and p.code == 0 and p.body[:4] == bytes(4)
    assert lla_of(p, OPT_SLLA, 20) == b.dut_mac
    assert p.time_ns - t0 < 3_000_000, "7.2.2: NS sent when resolution starts, not later"
    assert not icmp6_sent(frames, ECHO_REP), "no reply before the neighbor is resolved"


def test_solicited_na_completes_resolution(b):
    """RFC 4861 7.2.2/7.2.5: the queued packet is sent once a solicited NA with
    the TLLA arrives; the entry becomes REACHABLE (S flag) with that MAC;
    7.2.2 one NS for several queued packets (no flooding)."""
    b.tester.recv()
    for seq in (1, 2, 3):
        b.send(b.echo(src=TESTER_G, seq=seq))
        b.sim.run(duration="1ms")
    frames = b.run("200ms")
    assert len(ns_frames(frames, TESTER_G)) == 1
    assert b.neighbor(TESTER_G)["state"] == "INCOMPLETE"
    frames = b.exchange(b.na(TESTER_G, dst=DUT_G, S=True, O=True))
    reps = icmp6_sent(frames, ECHO_REP)
    assert [r.body[:4] for r in reps] == [echo_body(0x1234, s)[:4] for s in (1, 2, 3)], "queued, sent in order"
    assert all(r.eth_dst == b.mac and r.dst == norm(TESTER_G) for r in reps)
    n = b.neighbor(TESTER_G)
    assert n["state"] == "REACHABLE" and n["mac"] == b.mac and not n["router"]


def test_queue_bounded_keeps_latest(b):
    """RFC 4861 7.2.2: packets waiting for resolution are kept in a small
    queue; on overflow the newest replaces the oldest: after the NA, the
    replies are the last ones sent, in order, fewer than were sent, and
    the dropped ones are counted."""
    b.tester.recv()
    before = b.stats()
    for seq in range(1, 21):
        b.send(b.echo(src=TESTER_G, seq=seq))
        b.sim.run(duration="1ms")
    b.run("50ms")
    frames = b.exchange(b.na(TESTER_G, dst=DUT_G, S=True, O=True))
    seqs = [int.from_bytes(r.body[2:4], "big") for r in icmp6_sent(frames, ECHO_REP)]
    assert 1 <= len(seqs) < 20
    assert seqs == list(range(21 - len(seqs), 21)), f"the latest, in order: {seqs}"
    d = stats_delta(before, b.stats())
    assert sum(v for k, v in d.items() if k.endswith(".drop") or k.endswith(".memerr")) >= 20 - len(seqs)


def test_resolution_retransmits_then_address_unreachable(sim):
    """RFC 4861 7.2.2: NS retransmitted every RetransTimer (1 s, 10) up to
    MAX_MULTICAST_SOLICIT (3) times; then resolution failed and the node
    MUST return ICMPv6 destination unreachable code 3 (address unreachable,
    RFC 4443 3.1) for each queued packet. Seen on a router: the tester's
    packet to an unused on-link address of the other link."""
    b = Bench6(sim, forwarding=True)
    far = sim.raw_host("far")
    lb = sim.link(far, b.dut, delay="1ms", rate="10Mbit")
    b.dut.iface(lb).add_ip6("2001:db8:2::1/64", dad=False)
    b.run("3s")
    far.recv()
    b.teach_neighbor()
    b.tester.recv()
    dest = "2001:db8:2::5"
    pkt = ip6(TESTER_G, dest, NH_ICMP6, icmp6(TESTER_G, dest, ECHO_REQ, 0, echo_body(7, 7, b"lost")), hlim=64)
    t0 = sim.now_ns
    b.send(eth6(b.dut_mac, b.mac, pkt))
    sim.run(duration="5s")
    nss = ns_frames(far.recv(), dest)
    assert len(nss) == 3, f"MAX_MULTICAST_SOLICIT: {nss!r}"
    assert all(p.dst == solicited_node(dest) and p.hlim == 255 for p in nss)
    assert [p.time_ns - nss[0].time_ns for p in nss] == [0, SECOND_NS, 2 * SECOND_NS]
    errs = icmp6_sent(b.tester.recv(), DST_UNREACH)
    assert len(errs) == 1, "one error for the one queued packet"
    e = errs[0]
    assert e.code == 3 and e.dst == norm(TESTER_G) and e.eth_dst == b.mac
    quote = e.body[4:]
    assert len(quote) == len(pkt) and quote[:7] == pkt[:7] and quote[8:] == pkt[8:], \
        "RFC 4443 3.1: the invoking packet (hop limit aside: before or after the decrement)"
    assert 3 * SECOND_NS <= e.time_ns - t0 <= 3 * SECOND_NS + 10_000_000
    assert b.neighbor(dest) is None or b.neighbor(dest)["state"] == "INCOMPLETE"


# ================================================================ NA processing

def resolve_tester(b):
    """Make the dut resolve the tester (echo -> NS -> solicited NA)."""
    b.tester.recv()
    b.send(b.echo(src=TESTER_G))
    b.run("50ms")
    b.exchange(b.na(TESTER_G, dst=DUT_G, S=True, O=True))
    assert b.neighbor(TESTER_G)["state"] == "REACHABLE"


def test_unsolicited_na_creates_no_entry(b):
    """RFC 4861 7.2.5: an NA for a target with no cache entry is silently
    discarded (no entry created)."""
    b.exchange(b.na(OTHER_G, dst=ALL_NODES, S=False, O=True))
    assert b.neighbor(OTHER_G) is None


@pytest.mark.parametrize("s,o,same_mac,state,mac_after", [
    (False, False, False, "STALE", "old"),      # 7.2.5: O clear, different LLA, REACHABLE -> STALE, LLA kept
    (False, True, False, "STALE", "new"),       # O set: LLA replaced; S clear -> STALE
    (True, True, False, "REACHABLE", "new"),    # S set: REACHABLE
    (True, False, True, "REACHABLE", "old"),    # same LLA, S set -> REACHABLE
    (False, False, True, "REACHABLE", "old"),   # same LLA, S clear: state unchanged
])
def test_na_flags_update_entry(b, s, o, same_mac, state, mac_after):
    """RFC 4861 7.2.5 (after resolution): the rules for an NA on an existing
    entry, by Solicited and Override flags and whether the TLLA differs."""
    resolve_tester(b)
    mac = b.mac if same_mac else OTHER_MAC
    b.exchange(b.na(TESTER_G, dst=DUT_G, S=s, O=o, mac=mac))
    n = b.neighbor(TESTER_G)
    assert n["state"] == state
    assert n["mac"] == (b.mac if mac_after == "old" else OTHER_MAC)


def test_na_router_flag_sets_is_router(b):
    """RFC 4861 7.2.5: the R flag sets IsRouter on the entry."""
    resolve_tester(b)
    b.exchange(b.na(TESTER_G, dst=DUT_G, S=False, O=False, R=True))
    assert b.neighbor(TESTER_G)["router"] is True


# ================================================================= answering NS

def check_na(p, b, target, dst, *, solicited=True):
    assert p.src == norm(target), "7.2.4: source = the target address it owns"
    assert p.dst == norm(dst)
    assert p.hlim == 255 and p.code == 0
    flags = p.body[0]
    assert flags & 0x80 == 0, "R clear: a host"
    assert bool(flags & 0x40) == solicited, "S flag"
    assert flags & 0x20, "O flag (not an anycast address)"
    assert p.body[1:4] == bytes(3) and p.body[4:20] == a16(target)
    assert lla_of(p, OPT_TLLA, 20) == b.dut_mac, "TLLA on a multicast-solicited NA"


@pytest.mark.parametrize("target", ["global", "linklocal"])
def test_answers_ns_for_own_address(b, target):
    """RFC 4861 7.2.3/7.2.4: an NS for one of our addresses gets a solicited
    NA (S=1, O=1) to the solicitation's source, with the TLLA; 7.2.3 the
    sender is entered in the cache (STALE) from its SLLA."""
    tgt = DUT_G if target == "global" else b.dut_ll
    src = TESTER_G if target == "global" else b.ll
    t0 = b.sim.now_ns
    b.tester.recv()
    b.send(b.ns(tgt, src=src))
    nas = icmp6_sent(b.run("50ms"), NA)
    assert len(nas) == 1
    check_na(nas[0], b, tgt, src)
    assert nas[0].eth_dst == b.mac
    assert nas[0].time_ns - t0 < 3_000_000
    n = b.neighbor(src)
    # STALE, or DELAY once the NA itself went out through the entry (7.3.3)
    assert n is not None and n["state"] in ("STALE", "DELAY") and n["mac"] == b.mac


def test_answers_unicast_ns(b):
    """RFC 4861 7.2.3: an NS sent to the target address itself (NUD probe)
    is answered too."""
    b.teach_neighbor()
    nas = icmp6_sent(b.exchange(b.ns(DUT_G, src=TESTER_G, dst=DUT_G, dst_mac=b.dut_mac)), NA)
    assert len(nas) == 1 and nas[0].dst == norm(TESTER_G) and nas[0].body[0] & 0x40


def test_answers_dad_ns_to_all_nodes(b):
    """RFC 4861 7.2.4: to an NS from :: the NA goes to all-nodes with S clear;
    no cache entry is made for ::."""
    b.tester.recv()
    b.send(b.ns(DUT_G, src=UNSPEC, slla=False))
    nas = icmp6_sent(b.run("50ms"), NA)
    assert len(nas) == 1
    check_na(nas[0], b, DUT_G, ALL_NODES, solicited=False)
    assert nas[0].eth_dst == mcast_mac(ALL_NODES)


def test_ns_for_other_address_ignored(b):
    """RFC 4861 7.2.3: an NS whose target is not ours is silently discarded."""
    assert icmp6_sent(b.exchange(b.ns(OTHER_G, src=TESTER_G)), NA) == []


# ================================================================= validation

def _bad_ns(b, case):
    """NS for DUT_G from the tester broken one way (RFC 4861 7.1.1)."""
    if case == "hop_limit_254":
        return b.ns(DUT_G, src=TESTER_G, hlim=254)
    if case == "code_1":
        return b.ns(DUT_G, src=TESTER_G, code=1)
    if case == "short_icmp_len_20":  # 24 octets or more
        body = ns_body(DUT_G)[:16]
        return b.icmp6_frame(NS, 0, body, src=TESTER_G, dst=solicited_node(DUT_G))
    if case == "option_length_0":
        opt = bytes([OPT_SLLA, 0]) + bytes(6)
        return b.icmp6_frame(NS, 0, ns_body(DUT_G, opt), src=TESTER_G, dst=solicited_node(DUT_G))
    if case == "target_multicast":
        return b.ns("ff02::1", src=TESTER_G, dst=solicited_node(DUT_G))
    if case == "unspec_src_with_slla":
        return b.ns(DUT_G, src=UNSPEC, slla=True)
    if case == "unspec_src_not_solicited_node":
        return b.ns(DUT_G, src=UNSPEC, slla=False, dst=DUT_G, dst_mac=b.dut_mac)
    if case == "bad_checksum":
        return b.ns(DUT_G, src=TESTER_G, chksum=0x1234)
    raise AssertionError(case)


NS_BAD = ["hop_limit_254", "code_1", "short_icmp_len_20", "option_length_0", "target_multicast",
          "unspec_src_with_slla", "unspec_src_not_solicited_node", "bad_checksum"]


@pytest.mark.parametrize("case", NS_BAD)
def test_invalid_ns_dropped(b, case):
    """RFC 4861 7.1.1: an NS failing validation (hop limit != 255, code != 0,
    ICMP length < 24, an option of length 0, multicast target, source ::
    with an SLLA or not to a solicited-node address, bad checksum) is
    silently discarded and counted: no NA, no cache entry; the dut still
    answers a good NS afterwards."""
    before = b.stats()
    frames = b.exchange(_bad_ns(b, case))
    assert icmp6_sent(frames, NA) == []
    assert b.neighbor(TESTER_G) is None
    assert nd_drops(before, b.stats()) >= 1
    if case == "bad_checksum":
        assert stats_delta(before, b.stats()).get("icmp6.chkerr") == 1
    b.teach_neighbor()


def _bad_na(b, case):
    if case == "hop_limit_254":
        return b.na(TESTER_G, dst=DUT_G, hlim=254)
    if case == "code_1":
        return b.na(TESTER_G, dst=DUT_G, code=1)
    if case == "short_icmp_len_20":
        return b.icmp6_frame(NA, 0, na_body(TESTER_G)[:16], src=TESTER_G, dst=DUT_G)
    if case == "option_length_0":
        return b.icmp6_frame(NA, 0, na_body(TESTER_G, S=True, O=True, opts=bytes([OPT_TLLA, 0]) + bytes(6)),
                             src=TESTER_G, dst=DUT_G)
    if case == "multicast_dst_solicited":
        return b.na(TESTER_G, dst=ALL_NODES, S=True)
    if case == "target_multicast":
        return b.icmp6_frame(NA, 0, na_body("ff02::1", S=True, O=True, opts=opt_lla(OPT_TLLA, b.mac)),
                             src=TESTER_G, dst=DUT_G)
    raise AssertionError(case)


@pytest.mark.parametrize("case", ["hop_limit_254", "code_1", "short_icmp_len_20", "option_length_0",
                                  "multicast_dst_solicited", "target_multicast"])
def test_invalid_na_dropped(b, case):
    """RFC 4861 7.1.2: an NA with hop limit != 255, code != 0, ICMP length
    < 24, an option of length 0, the S flag on a multicast destination, or a
    multicast target is silently discarded: the pending resolution stays
    INCOMPLETE and the queued packet stays queued."""
    b.tester.recv()
    b.send(b.echo(src=TESTER_G))
    b.run("20ms")
    before = b.stats()
    frames = b.exchange(_bad_na(b, case))
    assert icmp6_sent(frames, ECHO_REP) == []
    assert b.neighbor(TESTER_G)["state"] == "INCOMPLETE"
    assert nd_drops(before, b.stats()) >= 1


# ======================================================================== NUD

def make_stale(b):
    """REACHABLE by resolution, then STALE after ReachableTime (7.3.3)."""
    resolve_tester(b)
    b.sim.run(duration=b.dif.reachable_time + 0.5)
    assert b.neighbor(TESTER_G)["state"] == "STALE"
    b.tester.recv()


def test_reachable_becomes_stale_after_reachable_time(b):
    """RFC 4861 7.3.3: a REACHABLE entry becomes STALE when ReachableTime
    (6.3.2: random 0.5..1.5 x BaseReachableTime 30 s; iface.reachable_time)
    has passed without confirmation; 7.3.2 no traffic is sent for it."""
    resolve_tester(b)
    rt = b.dif.reachable_time
    assert 15 <= rt <= 45, "RFC 4861 6.3.2 / 10: ReachableTime within 0.5..1.5 x 30 s"
    b.tester.recv()
    b.sim.run(duration=rt - 0.1)
    assert b.neighbor(TESTER_G)["state"] == "REACHABLE"
    b.sim.run(duration=0.2)
    assert b.neighbor(TESTER_G)["state"] == "STALE"
    assert ns_frames(b.run("100s")) == [], "STALE entries are not probed without traffic"
    assert b.neighbor(TESTER_G)["state"] == "STALE"


def test_stale_delay_probe_then_removed(b):
    """RFC 4861 7.3.3: sending to a STALE entry moves it to DELAY; after
    DELAY_FIRST_PROBE_TIME (5 s) without confirmation to PROBE, with unicast
    NSs (to the neighbor's address and MAC) every RetransTimer (1 s),
    MAX_UNICAST_SOLICIT (3) in all; then the entry is deleted (7.3.3)."""
    make_stale(b)
    b.send(b.echo(src=TESTER_G))
    frames = b.run("50ms")
    reps = icmp6_sent(frames, ECHO_REP)
    assert len(reps) == 1 and reps[0].eth_dst == b.mac, "a STALE entry is used at once"
    t_sent = reps[0].time_ns
    assert b.neighbor(TESTER_G)["state"] == "DELAY"
    frames += b.run("4.9s")
    assert ns_frames(frames) == []
    frames = b.run("3s")
    probes = ns_frames(frames, TESTER_G)
    assert len(probes) == 3
    for p in probes:
        assert p.dst == norm(TESTER_G) and p.eth_dst == b.mac and p.hlim == 255
    assert [p.time_ns - probes[0].time_ns for p in probes] == [0, SECOND_NS, 2 * SECOND_NS]
    assert abs(probes[0].time_ns - t_sent - 5 * SECOND_NS) <= 2_000_000
    b.sim.run(duration="1.1s")
    assert b.neighbor(TESTER_G) is None, "entry deleted after MAX_UNICAST_SOLICIT probes"
    assert ns_frames(b.run("10s")) == []


def test_probe_answered_makes_reachable(b):
    """RFC 4861 7.3.3: in PROBE, a solicited NA makes the entry REACHABLE and
    probing stops."""
    make_stale(b)
    b.send(b.echo(src=TESTER_G))
    frames = b.run("5.5s")
    assert len(ns_frames(frames, TESTER_G)) == 1
    assert b.neighbor(TESTER_G)["state"] == "PROBE"
    b.exchange(b.na(TESTER_G, dst=DUT_G, S=True, O=False, mac=b.mac))
    assert b.neighbor(TESTER_G)["state"] == "REACHABLE"
    assert ns_frames(b.run("5s")) == []


def test_unsolicited_na_does_not_confirm(b):
    """RFC 4861 7.3.1: only a solicited NA confirms reachability: in DELAY an
    NA with S clear (same LLA) leaves the probing going."""
    make_stale(b)
    b.send(b.echo(src=TESTER_G))
    b.run("100ms")
    assert b.neighbor(TESTER_G)["state"] == "DELAY"
    b.exchange(b.na(TESTER_G, dst=ALL_NODES, S=False, O=False))
    assert b.neighbor(TESTER_G)["state"] == "DELAY"
    assert len(ns_frames(b.run("5.5s"), TESTER_G)) == 1
