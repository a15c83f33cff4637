"""RFC 5227 (IPv4 address conflict detection), checked on the wire through
its two users: AutoIP (probing from the start) and the DHCP client (probing
an acknowledged address). Timings are exact on the virtual clock: every ARP
frame is 60 bytes, so arrival gaps equal sending gaps."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rfc2131"))

from dhcp_bench import (ARP, BCAST_MAC, DELAY_NS, OTHER_MAC, SECOND_NS, YIADDR, ZERO_MAC, DhcpBench,  # noqa: E402
                        Ether, arp_frame, dhcp_type, is_announce, is_probe, tx_ns)

ARP_SEND_NS = DELAY_NS + tx_ns(60)  # arrival - send, for a 60-byte frame from the dut
STIM_NS = DELAY_NS + 42 * 800       # the tester's ARP frames are 42 bytes (raw hosts do not pad)


@pytest.fixture
def db(sim):
    return DhcpBench(sim, auto_arp=False)


def sent_s(f, t0):
    return (f.time_ns - ARP_SEND_NS - t0) / SECOND_NS


def check_probe(f, db, addr):
    """RFC 5227 2.1.1: a probe is a broadcast ARP request with our hardware
    address as sender, sender IP 0, target hardware 0, target IP the candidate."""
    assert f[Ether].dst == BCAST_MAC and f[Ether].src == db.dut_mac
    a = f[ARP]
    assert (a.hwtype, a.ptype, a.hwlen, a.plen, a.op) == (1, 0x0800, 6, 4, 1)
    assert a.hwsrc == db.dut_mac and a.psrc == "0.0.0.0"
    assert a.hwdst == ZERO_MAC and a.pdst == addr


def check_announce(f, db, addr):
    """RFC 5227 2.3: an announcement is a probe with sender IP = target IP = the address."""
    assert f[Ether].dst == BCAST_MAC and f[Ether].src == db.dut_mac
    a = f[ARP]
    assert a.op == 1 and a.hwsrc == db.dut_mac and a.psrc == addr and a.pdst == addr and a.hwdst == ZERO_MAC


def test_probe_and_announce_timing(db):
    """RFC 5227 2.1.1 and 2.3: wait PROBE_WAIT (0-1 s, random), send
    PROBE_NUM (3) probes PROBE_MIN..PROBE_MAX (1-2 s) apart, then after
    ANNOUNCE_WAIT (2 s) take the address and send ANNOUNCE_NUM (2)
    announcements ANNOUNCE_INTERVAL (2 s) apart; nothing more after that."""
    t0 = db.sim.now_ns
    ll = db.dif.autoip()
    frames = db.collect(20, lambda f: f.haslayer(ARP))
    addr = ll.address
    probes = [f for f in frames if is_probe(f)]
    anns = [f for f in frames if is_announce(f)]
    assert len(probes) == 3 and len(anns) == 2 and len(frames) == 5
    for f in probes:
        check_probe(f, db, addr)
    for f in anns:
        check_announce(f, db, addr)
    t = [sent_s(f, t0) for f in probes + anns]
    assert 0 <= t[0] <= 1
    assert 1 <= t[1] - t[0] <= 2 and 1 <= t[2] - t[1] <= 2
    assert t[3] - t[2] == pytest.approx(2, abs=1e-9)
    assert t[4] - t[3] == pytest.approx(2, abs=1e-9)
    assert db.dif.ip4 == addr and ll.state == "BOUND"


def test_address_not_used_while_probing(db):
    """RFC 5227 2.1: the address is not configured until probing ends."""
    ll = db.dif.autoip()
    db.wait(lambda f: is_probe(f), "2s")
    assert ll.state == "CHECKING" and db.dif.ip4 is None
    last = db.wait(lambda f: is_announce(f), "10s")
    assert last is not None and db.dif.ip4 == ll.address


def test_probe_intervals_are_random(sim):
    """RFC 5227 2.1.1: the waits are random (uniform), so hosts desynchronise."""
    gaps = set()
    for i in range(4):
        dut = sim.node(f"h{i}")
        t = sim.raw_host(f"t{i}")
        link = sim.link(t, dut)
        dut.iface(link).autoip()
    sim.run(duration=10)
    for i in range(4):
        frames = [f for f in sim[f"t{i}"].recv() if is_probe(f)]
        assert len(frames) == 3
        gaps.add(round((frames[1].time_ns - frames[0].time_ns) / SECOND_NS, 6))
    assert len(gaps) == 4


@pytest.mark.parametrize("kind", ["reply", "request", "probe"])
def test_conflict_while_probing(db, kind):
    """RFC 5227 2.1.1: during probing, an ARP reply or request whose sender
    IP is the candidate, or another host's probe for it, is a conflict: the
    candidate is abandoned (AutoIP picks another and probes afresh)."""
    ll = db.dif.autoip()
    first = db.wait(lambda f: is_probe(f), "2s")
    cand = first[ARP].pdst
    if kind == "reply":
        stim = arp_frame(2, OTHER_MAC, cand, db.dut_mac, "0.0.0.0", dst=db.dut_mac)
    elif kind == "request":
        stim = arp_frame(1, OTHER_MAC, cand, ZERO_MAC, "169.254.0.1")
    else:
        stim = arp_frame(1, OTHER_MAC, "0.0.0.0", ZERO_MAC, cand)
    before = db.dut.stats["acd"]["err"]
    db.tester.send(stim)
    nxt = db.wait(lambda f: is_probe(f), "3s")
    assert nxt is not None and nxt[ARP].pdst != cand
    assert db.dut.stats["acd"]["err"] == before + 1
    assert ll.info()["tried"] == 2


@pytest.mark.parametrize("kind", ["own_mac_echo", "request_for_candidate", "other_address"])
def test_no_conflict(db, kind):
    """RFC 5227 2.1.1: not conflicts: our own probe seen again (sender
    hardware address is ours), an ordinary request *for* the candidate from a
    configured host, an ARP about another address."""
    ll = db.dif.autoip()
    first = db.wait(lambda f: is_probe(f), "2s")
    cand = first[ARP].pdst
    if kind == "own_mac_echo":
        stim = arp_frame(1, db.dut_mac, "0.0.0.0", ZERO_MAC, cand)
    elif kind == "request_for_candidate":
        stim = arp_frame(1, OTHER_MAC, "169.254.9.9", ZERO_MAC, cand)
    else:
        stim = arp_frame(2, OTHER_MAC, "169.254.9.9", db.dut_mac, "169.254.9.8", dst=db.dut_mac)
    db.tester.send(stim)
    assert db.sim.run_until(lambda: ll.bound, "10s")
    assert ll.address == cand and ll.info()["tried"] == 1


def bind_autoip(db):
    ll = db.dif.autoip()
    assert db.sim.run_until(lambda: ll.bound, "10s")
    db.collect(5)  # the announcements
    return ll, ll.address


def test_defend_once_per_interval(db):
    """RFC 5227 2.4 (b): on a conflicting ARP packet a host in use of the
    address may defend it with one announcement if it has not defended in
    the last DEFEND_INTERVAL (10 s); a second conflict within it makes it
    stop using the address."""
    ll, addr = bind_autoip(db)
    claim = arp_frame(1, OTHER_MAC, addr, ZERO_MAC, "169.254.200.1")
    t = db.sim.now_ns
    db.tester.send(claim)
    got = db.collect(0.01, lambda f: f.haslayer(ARP))
    assert len(got) == 1
    check_announce(got[0], db, addr)
    assert got[0].time_ns - t == STIM_NS + ARP_SEND_NS  # at once
    assert db.dif.ip4 == addr
    # 11 s later: the interval has passed: defended again
    db.collect(11)
    db.tester.send(claim)
    got = db.collect(0.01, lambda f: f.haslayer(ARP))
    assert len(got) == 1 and is_announce(got[0], addr) and db.dif.ip4 == addr
    # a second conflict 5 s later: give the address up
    db.collect(5)
    db.tester.send(claim)
    db.collect(0.01)
    assert db.dif.ip4 != addr
    assert ll.address != addr


def test_rate_limit_after_max_conflicts(db):
    """RFC 5227 2.1.1 (RFC 3927 2.2.1): after MAX_CONFLICTS (10) conflicts,
    a host probes at most one new address per RATE_LIMIT_INTERVAL (60 s)."""
    db.dif.autoip()
    t_conflict = []
    waits = []
    for i in range(12):
        p = db.wait(lambda f: is_probe(f), "70s")
        assert p is not None
        if t_conflict:
            waits.append((p.time_ns - t_conflict[-1]) / SECOND_NS)
        db.tester.send(arp_frame(2, OTHER_MAC, p[ARP].pdst, db.dut_mac, "0.0.0.0", dst=db.dut_mac))
        t_conflict.append(db.sim.now_ns)
    # conflicts 1-9: the next probe within PROBE_WAIT; from the 10th on: 60 s
    for w in waits[:9]:
        assert w <= 1 + (STIM_NS + ARP_SEND_NS) / SECOND_NS
    for w in waits[9:]:
        assert w == pytest.approx(60 + (STIM_NS + ARP_SEND_NS) / SECOND_NS, abs=1e-9)


def test_dhcp_probes_acknowledged_address(db):
    """RFC 5227 2.1 with RFC 2131 3.1.5: the DHCP client probes the address
    of the ACK (3 probes) before configuring it, then announces it twice."""
    db.start(check_address=True)
    disc = db.expect("discover", "1s")
    db.tester.send(db.reply(disc, "offer"))
    req = db.expect("request", "1s")
    db.tester.send(db.reply(req, "ack"))
    frames = db.collect(12, lambda f: f.haslayer(ARP))
    probes = [f for f in frames if is_probe(f)]
    anns = [f for f in frames if is_announce(f)]
    assert len(probes) == 3 and len(anns) == 2
    for f in probes:
        check_probe(f, db, YIADDR)
    for f in anns:
        check_announce(f, db, YIADDR)
    assert db.client.state == "BOUND" and db.dif.ip4 == YIADDR
    assert not [f for f in db.log if dhcp_type(f) == "decline"]
