"""Replay (issue 6 item 4): a capture of the traffic sent to a node, replayed into
a fresh simulation's identical node, gets the node's same responses byte for byte.

Sim 1: a raw host ("tester") talks to node "x" over a zero-delay link: ARP,
ICMP echo, UDP to a closed port, a TCP handshake with data to a listener, a
SYN to a closed port, a datagram with a bad header checksum. The link's pcap
holds stimulus and responses. Sim 2 builds the same network, keeps the tester
silent and replays that pcap into x (its own frames in it are skipped): x's
frames are the same bytes at the same times, and so is the whole pcap.
"""

import os
import subprocess
import sys

import pytest
from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, Raw, wrpcap

import shoal
from shoal.pcapcheck import read_pcap

X_IP, T_IP = "10.0.0.1", "10.0.0.2"


def build(sim, x_ip=X_IP):
    """The network of both runs (same creation order: same MACs)."""
    x = sim.node("x")
    tester = sim.raw_host("tester")
    link = sim.link(x, tester)
    x.iface(link).set_ip4(f"{x_ip}/24")
    x.tcp_listen(80)
    return x, tester, link


def drive_tester(sim, x, tester, link, x_ip=X_IP, t_ip=T_IP):
    """What the field saw: stimuli from the tester, answered where a peer must."""
    xm, tm = x.iface(link).mac, tester.iface(link).mac
    eth = Ether(dst=xm, src=tm)
    sim.run(until=0.010)
    tester.send(Ether(dst="ff:ff:ff:ff:ff:ff", src=tm) / ARP(op=1, hwsrc=tm, psrc=t_ip, pdst=x_ip))
    sim.run(until=0.020)
    tester.send(eth / IP(src=t_ip, dst=x_ip) / ICMP(id=7, seq=1) / Raw(b"replay me" * 4))
    sim.run(until=0.030)
    tester.send(eth / IP(src=t_ip, dst=x_ip) / UDP(sport=4000, dport=9999) / Raw(b"anyone?"))
    sim.run(until=0.040)
    tester.recv()
    tester.send(eth / IP(src=t_ip, dst=x_ip) / TCP(sport=5000, dport=80, flags="S", seq=1000))
    synack = None
    sim.run(until=0.050)
    for pkt in tester.recv():
        if TCP in pkt and pkt[TCP].flags == "SA":
            synack = pkt
    assert synack is not None, "x did not answer the SYN"
    isn = synack[TCP].seq
    tester.send(eth / IP(src=t_ip, dst=x_ip) / TCP(sport=5000, dport=80, flags="PA", seq=1001, ack=isn + 1)
                / Raw(b"hello from the field"))
    sim.run(until=0.060)
    tester.send(eth / IP(src=t_ip, dst=x_ip) / TCP(sport=5001, dport=81, flags="S", seq=77))
    sim.run(until=0.070)
    tester.send(eth / IP(src=t_ip, dst=x_ip, chksum=0x1234) / UDP(sport=1, dport=2))
    sim.run(until=1.0)


def frames_from(path, mac):
    src = bytes(int(b, 16) for b in mac.split(":"))
    return [f for f in read_pcap(path) if f[6:12] == src]


def record(tmp_path, seed):
    """Sim 1: the field capture."""
    with shoal.Sim(seed=seed, pcap_dir=tmp_path / "field") as sim:
        x, tester, link = build(sim)
        drive_tester(sim, x, tester, link)
        sim.flush()
        return link.pcap_path, x.iface(link).mac, x.stats


def test_replay_reproduces_responses_byte_for_byte(tmp_path, seed):
    capture, x_mac, field_stats = record(tmp_path, seed)
    field_responses = frames_from(capture, x_mac)
    assert len(field_responses) >= 6  # GARP, ARP reply, echo reply, port unreachable, SYN-ACK, ACK, RST

    with shoal.Sim(seed=seed, pcap_dir=tmp_path / "replayed") as sim:
        x, tester, link = build(sim)
        replay = sim.replay(capture, into=x.iface(link))
        assert replay.wait(timeout="2s")
        sim.run(until=1.0)
        sim.flush()
        stats = replay.stats
        replayed_stats = x.stats
        replayed_pcap = link.pcap_path

    assert stats["injected"] == 7 and stats["skipped_own"] == len(field_responses)
    assert frames_from(replayed_pcap, x_mac) == field_responses
    # Same stimuli at the same virtual times: the whole capture is identical.
    with open(capture, "rb") as a, open(replayed_pcap, "rb") as b:
        assert a.read() == b.read()
    assert replayed_stats == field_stats  # ip4.chkerr of the bad datagram included
    assert replayed_stats["ip4"]["chkerr"] == 1


def test_replay_rewrites_addresses_of_another_network(tmp_path, seed):
    """A capture from a device at 192.168.7.10 (peer .20) replayed into x at 10.0.0.1:
    MACs and addresses rewritten, checksums still right (the pcap check of
    the plugin verifies IP, UDP and TCP checksums), and x answers as the
    field device did."""
    with shoal.Sim(seed=seed, pcap_dir=tmp_path / "field") as field:
        field.node("spare")  # another creation order: other MACs than in the lab
        x, tester, link = build(field, x_ip="192.168.7.10")
        drive_tester(field, x, tester, link, x_ip="192.168.7.10", t_ip="192.168.7.20")
        field.flush()
        capture = link.pcap_path
        field_kinds = [bytes(f[12:14]) + bytes(f[23:24]) for f in frames_from(capture, x.iface(link).mac)]

    with shoal.Sim(seed=seed, pcap_dir=tmp_path / "lab") as sim:
        x, tester, link = build(sim)
        replay = sim.replay(capture, into=x, rewrite={"192.168.7.10": X_IP, "192.168.7.20": T_IP}, skip_own=False,
                            filter=f"not ether src {field_mac(capture)}")
        assert replay.wait(timeout="2s")
        sim.run(until=1.0)  # as long as the field ran
        sim.flush()
        stats = replay.stats
        assert stats["injected"] == 7 and stats["rewritten"] == 7
        assert x.stats["icmp"]["recv"] == 1 and x.stats["ip4"]["chkerr"] == 1
        kinds = [bytes(f[12:14]) + bytes(f[23:24]) for f in frames_from(link.pcap_path, x.iface(link).mac)]
        # The TCP segments' checksums were fixed: x accepted the data (ACKed it).
        assert x.stats["tcp"]["chkerr"] == 0 and x.stats["tcp"]["recv"] >= 3
    assert kinds == field_kinds


def field_mac(capture):
    """The source MAC of the first frame (the field node's gratuitous ARP)."""
    f = read_pcap(capture)[0]
    return ":".join(f"{b:02x}" for b in f[6:12])


def test_replay_of_raw_ip_capture(tmp_path, sim):
    """Raw IP (link type 101) gets an Ethernet header addressed to the port."""
    path = str(tmp_path / "raw.pcap")
    pkts = [IP(src=T_IP, dst=X_IP) / ICMP(id=1, seq=i) / Raw(b"x" * 8) for i in range(3)]
    for i, p in enumerate(pkts):
        p.time = 100 + i * 0.25
    wrpcap(path, pkts, linktype=101)
    x = sim.node("x")
    peer = sim.raw_host("peer")
    link = sim.link(x, peer)
    x.iface(link).set_ip4(f"{X_IP}/24")
    sim.run(until=0.5)
    r = sim.replay(path, into=x)
    sim.run(until=0.74)
    assert x.stats["icmp"]["recv"] == 1 and not r.done
    sim.run(until=1.1)
    assert r.done and r.stats["injected"] == 3
    assert x.stats["icmp"]["recv"] == 3
    # x wants the sender's MAC before answering: ARP requests, not replies.
    assert any(ARP in p and p[ARP].op == 1 and p[ARP].pdst == T_IP for p in peer.recv())


def test_replay_errors(tmp_path, sim):
    x = sim.node("x")
    sim.link(x, sim.raw_host("peer"))
    with pytest.raises(FileNotFoundError):
        sim.replay(tmp_path / "nope.pcap", into=x)
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a pcap at all, really")
    with pytest.raises(shoal.ShoalError):
        sim.replay(bad, into=x)
    ok = tmp_path / "ok.pcap"
    wrpcap(str(ok), [Ether() / IP()])
    with pytest.raises(shoal.ShoalError, match="filter"):
        sim.replay(ok, into=x, filter="this is not bpf")
    y = sim.node("y")
    with pytest.raises(ValueError):
        sim.replay(ok, into=y)  # no interface


def test_replay_cli(tmp_path, seed):
    capture, x_mac, _ = record(tmp_path, seed)
    scenario = tmp_path / "net.py"
    scenario.write_text("def setup(sim):\n"
                        "    x = sim.node('x')\n"
                        "    t = sim.raw_host('tester')\n"
                        "    l = sim.link(x, t)\n"
                        "    x.iface(l).set_ip4('10.0.0.1/24')\n"
                        "    x.tcp_listen(80)\n")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "python")
    out = subprocess.run([sys.executable, "-m", "shoal", "replay", str(capture), "--into", "x", "--scenario",
                          str(scenario), "--pcap-dir", str(tmp_path / "cli"), "--seed", str(seed), "--tail", "1s"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stdout
    assert "injected 7" in out.stdout and "x-tester" in out.stdout
    replayed = str(tmp_path / "cli" / "x-tester.pcap")
    assert frames_from(replayed, x_mac) == frames_from(capture, x_mac)

    # Without a scenario: a fresh node with the address the rewrite names.
    out = subprocess.run([sys.executable, "-m", "shoal", "replay", str(capture), "--into", "x",
                          "--rewrite-mac", "--rewrite-ip", f"{X_IP}=10.9.9.9", "--pcap-dir", str(tmp_path / "cli2"),
                          "--no-skip-own", "--filter", f"not ether src {x_mac}"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stdout
    assert "10.9.9.9" in out.stdout and "injected 7" in out.stdout
