"""The Ethernet link's impairments and scheduled faults, end to end.

Raw hosts measure what the link does to frames (burst loss in runs,
duplicates right after their original, reordering, one flipped bit after
the Ethernet header); stacks ping through it (duplication, reordering,
corruption caught by checksums, a cable pulled and plugged back while a
ping runs, re-impairment at scheduled times). Every pcap stays clean in
tshark (the pytest plugin checks), because a capture holds each frame as
sent, and two runs with the same seed write byte-identical pcaps.
"""

import os

import pytest
from scapy.layers.inet import IP, UDP
from scapy.layers.l2 import Ether

import shoal
from shoal.pcapcheck import read_pcap


def two_stacks(sim, **link_kw):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, **link_kw)
    a.iface(link).set_ip4("10.0.0.1/24")
    b.iface(link).set_ip4("10.0.0.2/24")
    return a, b, link


def two_raw(sim, **link_kw):
    x, y = sim.raw_host("x"), sim.raw_host("y")
    link = sim.link(x, y, **link_kw)
    return x, y, link


def seq_frame(x, y, link, seq, size=64):
    """A frame from x to y (local experimental EtherType) carrying seq in its first two payload bytes."""
    header = bytes.fromhex(y.iface(link).mac.replace(":", "") + x.iface(link).mac.replace(":", "") + "88b5")
    return header + seq.to_bytes(2, "big") + bytes((i * 7 + 1) & 0xFF for i in range(size - 16))


def stream(sim, x, y, link, n, gap="100us", size=64):
    """Send n numbered frames x -> y, one per gap; (seq, time_ns, bytes) of arrivals in order."""
    frames = [seq_frame(x, y, link, i, size) for i in range(n)]
    for f in frames:
        x.send(f)
        sim.run(duration=gap)
    sim.run(duration="2s")
    return frames, [(int.from_bytes(d[14:16], "big"), t, d) for d, t, _ in y.recv_raw()]


def ping_all(sim, pinger, dst, count, interval="20ms", timeout="1s"):
    p = pinger.ping(dst, count=count, interval=interval, timeout=timeout)
    assert sim.run_until(lambda: p.done, timeout="60s")
    return p


# ---- frames between raw hosts ----

def test_burst_loss_comes_in_runs(sim):
    """Gilbert (loss_bad 1, loss_good 0): long-run loss p/(p+r) = 1/6, mean run 1/r = 4."""
    x, y, link = two_raw(sim, burst=dict(p=0.05, r=0.25))
    n = 6000
    _, got = stream(sim, x, y, link, n, gap="10us")
    arrived = {s for s, _, _ in got}
    lost = [i for i in range(n) if i not in arrived]
    runs = sum(1 for i in lost if i == 0 or i - 1 in arrived)
    assert link.stats["drop_burst"] == len(lost) == n - len(got)
    assert abs(len(lost) / n - 1 / 6) < 0.03
    assert 3.0 < len(lost) / runs < 5.2
    assert link.impairments()["burst"] == dict(p=0.05, r=0.25, loss_good=0.0, loss_bad=1.0)


def test_duplicates_arrive_right_after_the_original(sim):
    x, y, link = two_raw(sim, delay="1ms", rate="100Mbit", duplicate=0.2)
    n = 1000
    _, got = stream(sim, x, y, link, n)
    dup = link.stats["duplicated"]
    assert 120 < dup < 280
    assert len(got) == n + dup == link.stats["delivered"]
    assert link.stats["frames"] == n  # the copy takes no wire time, and is not captured
    pairs = [(a, b) for a, b in zip(got, got[1:]) if a[0] == b[0]]
    assert len(pairs) == dup and all(a[1] == b[1] and a[2] == b[2] for a, b in pairs)
    assert [s for s, _, _ in got] == sorted(s for s, _, _ in got)
    sim.flush()
    assert len(read_pcap(link.pcap_path)) == n


def test_reorder_lets_later_frames_overtake(sim):
    x, y, link = two_raw(sim, delay="2ms", jitter="300us", reorder=0.05, reorder_delay="1ms")
    assert link.reorder is False  # jitter alone still keeps the order
    n = 2000
    _, got = stream(sim, x, y, link, n)
    seqs = [s for s, _, _ in got]
    assert len(seqs) == n and sorted(seqs) == list(range(n))
    held = link.stats["reordered"]
    assert 50 < held < 160
    inversions = sum(1 for a, b in zip(seqs, seqs[1:]) if b < a)
    assert inversions > 0.5 * held
    for s, t, _ in got:  # never early
        assert t >= s * 100_000 + 2_000_000


def test_corruption_flips_one_bit_after_the_header(sim):
    x, y, link = two_raw(sim, corrupt=1.0)
    frames, got = stream(sim, x, y, link, 200)
    assert len(got) == 200 and link.stats["corrupted"] == 200 == link.stats["bits_flipped"]
    for sent, (_, _, rx) in zip(frames, got):
        assert rx[:14] == sent[:14]
        assert sum(bin(a ^ b).count("1") for a, b in zip(sent, rx)) == 1
    sim.flush()
    assert read_pcap(link.pcap_path) == frames  # the pcap holds them as sent


def test_bit_error_rate(sim):
    x, y, link = two_raw(sim, ber=1e-4)
    frames, got = stream(sim, x, y, link, 500, size=1000)
    flips = sum(bin(a ^ b).count("1") for s, (_, _, r) in zip(frames, got) for a, b in zip(s, r))
    assert flips == link.stats["bits_flipped"]
    assert abs(flips / 500 - 0.7888) < 0.15  # 7888 bits after the header per frame


def test_set_one_direction_at_a_time(sim):
    x, y, link = two_raw(sim, delay="1ms")
    link.set(loss=1.0, sender=x, at="10ms")
    link.set(delay="5ms", sender="y", after="20ms")
    assert link.impairments(x)["loss"] == 0.0  # not yet
    for i in range(30):
        x.send(seq_frame(x, y, link, i))
        y.send(seq_frame(y, x, link, i))
        sim.run(duration="1ms")
    sim.run(duration="100ms")
    assert sorted(int.from_bytes(d[14:16], "big") for d, _, _ in y.recv_raw()) == list(range(10))
    back = {int.from_bytes(d[14:16], "big"): t for d, t, _ in x.recv_raw()}
    assert back == {i: i * 1_000_000 + (1 if i < 20 else 5) * 1_000_000 for i in range(30)}
    assert link.impairments(x)["loss"] == 1.0 and link.impairments(x)["delay_ns"] == 1_000_000
    assert link.impairments(y)["loss"] == 0.0 and link.impairments(y)["delay_ns"] == 5_000_000
    assert link.stats["drop_loss"] == 20


def test_raw_frames_dropped_while_down(sim):
    x, y, link = two_raw(sim, delay="5ms")
    x.send(seq_frame(x, y, link, 0))
    sim.run(duration="1ms")
    link.down()  # frame 0 is in flight: lost with the cable
    assert not link.is_up
    x.send(seq_frame(x, y, link, 1))
    link.up(after="2ms")
    sim.run(duration="2ms")
    assert link.is_up
    x.send(seq_frame(x, y, link, 2))
    sim.run(duration="20ms")
    assert [int.from_bytes(d[14:16], "big") for d, _, _ in y.recv_raw()] == [2]
    assert link.stats["drop_down"] == 2 and link.stats["down_events"] == 1


# ---- stacks through an impaired link ----

def test_ping_through_duplication(sim):
    a, b, link = two_stacks(sim, delay="2ms", rate="10Mbit", duplicate=0.3)
    p = ping_all(sim, a, "10.0.0.2", count=30)
    assert p.received == 30
    assert link.stats["duplicated"] > 5
    # Duplicated requests are answered twice; the extra replies are not new echoes.
    assert b.stats["icmp"]["recv"] > 30


def test_ping_through_reordering(sim):
    a, b, link = two_stacks(sim, delay="2ms", rate="10Mbit")
    assert ping_all(sim, a, "10.0.0.2", count=1).received == 1  # ARP settled: echoes go one by one
    link.set(reorder=0.3, reorder_delay="30ms")
    # 7 ms apart, so a held-back frame never lands on another's instant.
    p = ping_all(sim, a, "10.0.0.2", count=40, interval="7ms")
    assert p.received == 40
    assert link.stats["reordered"] > 5
    ideal = 2 * (2_000_000 + 98 * 8 * 100)
    late = [r for r in p.rtts_ns if r > ideal]
    assert late and all(r in (ideal, ideal + 30_000_000, ideal + 60_000_000) for r in p.rtts_ns)


def test_ping_through_corruption(sim):
    """Corrupted echoes are dropped by a checksum (or a length/version check),
    never answered wrongly; the pcap, as sent, stays clean in tshark."""
    a, b, link = two_stacks(sim, delay="1ms", rate="10Mbit")
    # ARP first on a clean link: ARP has no checksum, and a flipped bit in
    # a reply would poison the cache, which is not what this test is about.
    assert ping_all(sim, a, "10.0.0.2", count=1).received == 1
    link.set(corrupt=0.3)
    p = ping_all(sim, a, "10.0.0.2", count=60, interval="10ms")
    corrupted = link.stats["corrupted"]
    assert corrupted > 15
    assert 0 < p.received < 60
    assert p.received + corrupted >= 60  # every loss is a corrupted frame
    caught = sum(n.stats[proto][c] for n in (a, b) for proto in ("ip4", "icmp")
                 for c in ("chkerr", "lenerr", "proterr"))
    assert caught > 0
    assert all(r == 2 * (1_000_000 + 98 * 8 * 100) for r in p.rtts_ns if r is not None)


def test_udp_through_full_corruption_is_never_delivered(sim):
    x = sim.raw_host("x")
    b = sim.node("b")
    link = sim.link(x, b, corrupt=1.0)
    b.iface(link).set_ip4("10.0.0.2/24")
    sock = b.udp(port=7)
    sim.run(duration="1ms")
    x.recv()
    for i in range(50):
        x.send(Ether(src=x.iface(link).mac, dst=b.iface(link).mac) / IP(src="10.0.0.9", dst="10.0.0.2")
               / UDP(sport=4000 + i, dport=7) / (b"shoal-%03d" % i + bytes(range(40))))
    sim.run(duration="10ms")
    assert sock.recvfrom() is None
    assert link.stats["corrupted"] >= 50  # and b's announcement
    assert b.stats["ip4"]["drop"] + b.stats["udp"]["chkerr"] + b.stats["udp"]["lenerr"] >= 50


def test_link_down_then_up_with_pings(sim):
    a, b, link = two_stacks(sim, delay="5ms", rate="10Mbit")
    before = ping_all(sim, a, "10.0.0.2", count=3)
    assert before.received == 3
    arp_out = a.stats["etharp"]["xmit"]
    link.down()
    during = ping_all(sim, a, "10.0.0.2", count=3)
    assert during.received == 0
    link.up()
    after = ping_all(sim, a, "10.0.0.2", count=3)
    assert after.received == 3
    # The cable pull flushed the ARP cache: a asked for b again (and both
    # announced themselves on link up).
    assert a.stats["etharp"]["xmit"] >= arp_out + 2
    assert link.stats["down_events"] == 1


def test_scheduled_outage_during_a_ping(sim):
    a, b, link = two_stacks(sim, delay="5ms", rate="10Mbit")
    link.down(at="1.05s")
    link.up(at="1.55s")
    p = a.ping("10.0.0.2", count=30, interval="100ms", timeout="1s")
    sim.run(until="0.5s")
    assert link.is_up
    sim.run(until="1.2s")
    assert not link.is_up
    assert sim.run_until(lambda: p.done, timeout="10s")
    results = [r is not None for r in p.rtts_ns]
    # Echo k leaves at k*100 ms; those leaving in [1.05 s, 1.55 s) are lost.
    assert results == [not (10 < k < 16) for k in range(30)]
    assert link.stats["drop_down"] > 0 or a.stats["ip4"]["rterr"] > 0


def test_scheduled_reimpairment(sim):
    a, b, link = two_stacks(sim, delay="5ms", rate="10Mbit")
    link.set(delay="20ms", at="1.05s")
    link.set(loss=1.0, at="2.05s")
    link.set(loss=0.0, at="2.55s")
    p = a.ping("10.0.0.2", count=30, interval="100ms", timeout="1s")
    assert sim.run_until(lambda: p.done, timeout="10s")
    ser = 98 * 8 * 100
    for k, r in enumerate(p.rtts_ns):
        if 20 < k < 26:
            assert r is None, k
        elif k != 0:  # echo 0 waited for ARP
            assert r == 2 * ((5_000_000 if k <= 10 else 20_000_000) + ser), k
    assert link.delay_ns == 20_000_000 and link.loss == 0.0


def run_everything(seed, folder):
    """A small run with every impairment on, stacks and a raw host."""
    with shoal.Sim(seed=seed, pcap_dir=folder) as sim:
        a, b, r = sim.node("a"), sim.node("b"), sim.raw_host("r")
        link = sim.link(a, b, delay="2ms", rate="10Mbit", jitter="1ms", loss=0.02, queue=20,
                        burst=dict(p=0.02, r=0.4, loss_bad=0.8, loss_good=0.01), duplicate=0.05,
                        reorder=0.1, reorder_delay="3ms", corrupt=0.05, ber=1e-6)
        side = sim.link(r, b, delay="1ms", duplicate=0.1, corrupt=0.1)
        a.iface(link).set_ip4("10.0.0.1/24")
        b.iface(link).set_ip4("10.0.0.2/24")
        b.iface(side).set_ip4("10.0.1.2/24")
        link.set(loss=0.1, sender=b, at="0.5s")
        link.down(at="1s")
        link.up(at="1.3s")
        sock = b.udp(port=7)
        p = a.ping("10.0.0.2", count=40, interval="50ms")
        for i in range(20):
            r.send(Ether(src=r.iface(side).mac, dst=b.iface(side).mac) / IP(src="10.0.1.9", dst="10.0.1.2")
                   / UDP(sport=5000, dport=7) / (b"x" * i))
            sim.run(duration="100ms")
        sim.run(until="4s")
        sock.close()
        return [p.received] + [sorted(l.stats.items()) for l in sim.links], sim.pcaps


def test_all_impairments_are_deterministic(tmp_path):
    first, pcaps1 = run_everything(7, tmp_path / "one")
    second, pcaps2 = run_everything(7, tmp_path / "two")
    assert first == second
    for p1, p2 in zip(pcaps1, pcaps2):
        with open(p1, "rb") as f1, open(p2, "rb") as f2:
            assert f1.read() == f2.read(), os.path.basename(p1)
    stats = dict(first[1])
    for name in ("duplicated", "reordered", "corrupted", "down_events", "drop_burst", "drop_loss"):
        assert stats[name] > 0, name
    third, _ = run_everything(8, tmp_path / "three")
    assert third != first


def test_bad_arguments(sim):
    x, y = sim.raw_host("x"), sim.raw_host("y")
    z = sim.raw_host("z")
    with pytest.raises(ValueError):
        sim.link(x, y, burst=dict(p=0.1))  # r missing
    with pytest.raises(ValueError):
        sim.link(x, y, burst=dict(p=0.1, r=0.2, q=3))
    with pytest.raises(ValueError):
        sim.link(x, y, burst=(0.1, 0.2))
    with pytest.raises(ValueError):
        sim.link(x, y, reorder=0.1)  # no reorder_delay
    with pytest.raises(ValueError):
        sim.link(x, y, duplicate=1.5)
    with pytest.raises(ValueError):
        sim.link(x, y, corrupt=float("nan"))
    with pytest.raises(ValueError):
        sim.link(x, y, reorder=True, allow_reorder=False)
    link = sim.link(x, y, reorder=True)
    assert link.reorder is True
    sim.run(until="1s")
    with pytest.raises(ValueError):
        link.down(at="0.5s")  # in the past
    with pytest.raises(TypeError):
        link.up(at="2s", after="1s")
    with pytest.raises(ValueError):
        link.set(loss=2)
    with pytest.raises(ValueError):
        link.set(loss=0.1, sender=z)
    with pytest.raises(ValueError):
        link.set(ber=-1e-6)
    link.set()  # nothing to change
    assert link.impairments()["loss"] == 0.0
    sim.close()
    with pytest.raises(shoal.ShoalError):
        link.down()
    assert link.delay_ns == 0  # the last values stay readable
