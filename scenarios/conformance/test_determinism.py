"""Determinism (DESIGN.md, "Tests and evidence"): one seed, one outcome. The
same scenario over an impaired link, run twice with the same seed, writes
byte-identical pcaps; another seed changes them."""
import hashlib
import os

import shoal


def scenario(seed, pcap_dir):
    """Two stacks over a lossy, jittery link: a ping train and a UDP exchange.
    Returns (pcap bytes by file name, observations)."""
    sim = shoal.Sim(seed=seed, pcap_dir=str(pcap_dir))
    try:
        a, b = sim.node("a"), sim.node("b")
        link = sim.link(a, b, delay="5ms", rate="10Mbit", loss=0.2, jitter="2ms")
        a.iface(link).set_ip4("10.0.0.1/24")
        b.iface(link).set_ip4("10.0.0.2/24")
        srv = b.udp(port=7)
        cli = a.udp(port=0)
        p = a.ping("10.0.0.2", count=20, interval="50ms", size=56, timeout="500ms")
        got = []
        for i in range(20):
            try:
                cli.sendto(b"datagram %02d" % i, ("10.0.0.2", 7))
            except shoal.ShoalError:
                got.append(b"refused")
            sim.run(duration="50ms")
            while True:
                d = srv.recvfrom()
                if d is None:
                    break
                got.append(d[0])
                try:  # may be refused while b resolves a (full ARP queue): part of the outcome
                    srv.sendto(d[0].upper(), d[1])
                except shoal.ShoalError:
                    got.append(b"refused")
        sim.run(duration="1.5s")
        echoed = []
        while True:
            d = cli.recvfrom()
            if d is None:
                break
            echoed.append(d[0])
        obs = {
            "rtts_ns": list(p.rtts_ns),
            "received": p.received,
            "udp_got": got,
            "udp_echoed": echoed,
            "link": dict(link.stats),
            "events": sim.events,
            "now_ns": sim.now_ns,
        }
        paths = list(sim.pcaps)
    finally:
        sim.close()
    files = {os.path.basename(pth): open(pth, "rb").read() for pth in paths}
    return files, obs


def test_same_seed_same_bytes(tmp_path):
    """Same seed, same scenario: every pcap is byte-identical, and so is
    everything observed from Python (RTTs, deliveries, counters)."""
    f1, o1 = scenario(7, tmp_path / "run1")
    f2, o2 = scenario(7, tmp_path / "run2")
    assert sorted(f1) == sorted(f2) == ["a-b.pcap"]
    # The scenario must exercise the impairments, or the comparison proves little.
    assert len(f1["a-b.pcap"]) > 24 + 40 * 16
    assert 0 < o1["received"] < 20, "loss 0.2 over 20 echoes: some lost, some not"
    assert len(set(x for x in o1["rtts_ns"] if x is not None)) > 1, "jitter must vary the RTTs"
    for name in f1:
        assert hashlib.sha256(f1[name]).hexdigest() == hashlib.sha256(f2[name]).hexdigest(), name
    assert o1 == o2


def test_other_seed_other_bytes(tmp_path):
    """A different seed draws different losses and jitter: the pcaps differ."""
    f7, o7 = scenario(7, tmp_path / "seed7")
    f8, o8 = scenario(8, tmp_path / "seed8")
    assert sorted(f7) == sorted(f8)
    assert f7["a-b.pcap"] != f8["a-b.pcap"]
    assert o7["rtts_ns"] != o8["rtts_ns"]


def test_pcap_header_and_timestamps(tmp_path):
    """DESIGN.md (Capture): pcaps use Ethernet link type 1 and nanosecond
    timestamps from the virtual clock, in non-decreasing order."""
    import struct
    files, _ = scenario(7, tmp_path / "hdr")
    data = files["a-b.pcap"]
    magic, major, minor, _tz, _sig, _snap, linktype = struct.unpack("<IHHiIII", data[:24])
    assert magic == 0xA1B23C4D, "nanosecond-resolution pcap"
    assert (major, minor) == (2, 4)
    assert linktype == 1
    off, last = 24, 0
    count = 0
    while off < len(data):
        sec, nsec, incl, orig = struct.unpack("<IIII", data[off:off + 16])
        t = sec * 1_000_000_000 + nsec
        assert nsec < 1_000_000_000 and t >= last and incl == orig >= 60
        last = t
        off += 16 + incl
        count += 1
    assert off == len(data) and count > 20
    assert last < 3 * 1_000_000_000
