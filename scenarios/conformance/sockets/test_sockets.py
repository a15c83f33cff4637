"""The BSD-like socket layer (stack/api) and blocking calls from tasks.

sock_tests.c holds the tests (one C function each, POSIX.1-2017 errno
values, Linux where POSIX leaves a choice); this file runs each one, checks
its verdict, checks its pcap with tshark, and then checks on the wire what
the socket calls should have caused (RFC sections cited per test).
"""

import os
import subprocess

import pytest
from scapy.contrib.igmp import IGMP
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap

from shoal.pcapcheck import tshark_available, tshark_problems
from shoal.pytest_plugin import pcap_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
A, B = "10.0.0.1", "10.0.0.2"

TESTS = [
    "bad_arguments", "nonblocking_eagain", "connect_inprogress", "econnrefused", "epipe_after_peer_close",
    "econnreset", "select_poll", "reuseaddr", "multicast", "broadcast", "emsgsize", "sockopts", "shutdown",
    "backlog", "raw_icmp", "blocking_tasks", "task_dropped", "getaddrinfo_numeric", "getaddrinfo_dns",
    "random_calls",
]


def udp_data(p):
    """A UDP datagram's payload, without the Ethernet padding Scapy keeps after it."""
    return bytes(p[UDP])[8:p[UDP].len]


def tcp_data(p):
    """A TCP segment's payload, without Ethernet padding (IP total length decides)."""
    ip = p[IP]
    return bytes(ip)[ip.ihl * 4 + ip[TCP].dataofs * 4:ip.len]


def build_dir():
    """The build whose library the tests use: SHOAL_LIB's folder (sanitizer run), else build/release."""
    lib = os.environ.get("SHOAL_LIB")
    return os.path.dirname(os.path.abspath(lib)) if lib else os.path.join(REPO, "build", "release")


def program():
    path = os.path.join(build_dir(), "sock_tests")
    if not os.path.exists(path):
        subprocess.run(["cmake", "--build", build_dir(), "-j2", "--target", "sock_tests"], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def run_c(*args):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    return subprocess.run([program(), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=300, env=env)


def run_test(request, name, seed=1):
    """Run one C test with its pcap in the plugin's folder; returns the pcap's packets."""
    d = pcap_dir(request.node)
    os.makedirs(d, exist_ok=True)
    run = run_c("--pcap-dir", d, "--seed", str(seed), name)
    assert run.returncode == 0 and f"PASS {name}" in run.stdout, run.stdout + run.stderr
    path = os.path.join(d, f"{name}.pcap")
    if tshark_available():
        assert tshark_problems(path) == []
    return rdpcap(path)


def test_list_matches():
    run = run_c("--list")
    assert run.stdout.split() == TESTS


@pytest.mark.parametrize("name", [t for t in TESTS if t not in (
    "econnrefused", "epipe_after_peer_close", "econnreset", "multicast", "broadcast", "emsgsize", "sockopts",
    "backlog", "raw_icmp")])
def test_socket_layer(request, name):
    run_test(request, name)


def rst_from(pkts, src):
    return [p for p in pkts if TCP in p and p[TCP].flags.R and p[IP].src == src]


def test_econnrefused(request):
    """RFC 9293 3.10.7.1: a SYN to a closed port draws <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>;
    the socket reports ECONNREFUSED (POSIX connect)."""
    pkts = run_test(request, "econnrefused")
    syns = [p for p in pkts if TCP in p and p[TCP].flags == "S"]
    rsts = rst_from(pkts, B)
    assert len(syns) == 2 and len(rsts) == 2
    for syn, rst in zip(syns, rsts):
        assert rst[TCP].flags == "RA"
        assert rst[TCP].seq == 0 and rst[TCP].ack == syn[TCP].seq + 1
        assert rst[TCP].sport == 81 and rst[TCP].dport == syn[TCP].sport


def test_epipe_after_peer_close(request):
    """RFC 9293 3.10.7.4 / RFC 1122 4.2.2.13: data to a fully closed socket is answered with RST."""
    pkts = run_test(request, "epipe_after_peer_close")
    data = [p for p in pkts if TCP in p and tcp_data(p) == b"hello"]
    assert len(data) == 1 and data[0][IP].src == A
    rsts = rst_from(pkts, B)
    assert len(rsts) == 1 and rsts[0].time > data[0].time
    assert not [p for p in pkts if TCP in p and tcp_data(p) == b"again"]


def test_econnreset(request):
    """RFC 1122 4.2.2.13: close with unread data sends RST, not FIN."""
    pkts = run_test(request, "econnreset")
    b_tcp = [p for p in pkts if TCP in p and p[IP].src == B]
    assert rst_from(pkts, B)
    assert not any(p[TCP].flags.F for p in b_tcp)


def test_backlog(request):
    """A connection beyond the listen backlog, and one never accepted when the listener closes, are reset."""
    pkts = run_test(request, "backlog")
    assert len(rst_from(pkts, B)) == 2


def test_multicast(request):
    """RFC 2236 3: joining sends an unsolicited v2 Report to the group (TTL 1, Router Alert, RFC 2236 2);
    leaving as the last reporter sends Leave to 224.0.0.2; RFC 1112 6.4: the group's MAC 01:00:5e + low 23 bits;
    IP_MULTICAST_TTL sets the datagrams' TTL."""
    pkts = run_test(request, "multicast")
    igmp = [p for p in pkts if IGMP in p and p[IP].src == B]
    reports = [p for p in igmp if p[IGMP].type == 0x16 and p[IGMP].gaddr == "239.1.2.3"]
    leaves = [p for p in igmp if p[IGMP].type == 0x17 and p[IGMP].gaddr == "239.1.2.3"]
    assert reports and leaves
    assert reports[0][IP].dst == "239.1.2.3" and reports[0][IP].ttl == 1
    assert leaves[0][IP].dst == "224.0.0.2"
    assert leaves[0].time > reports[-1].time
    mc = [p for p in pkts if UDP in p and p[IP].dst == "239.1.2.3"]
    assert [udp_data(p) for p in mc] == [b"before", b"member", b"after"]
    assert all(p[IP].ttl == 4 and p[Ether].dst == "01:00:5e:01:02:03" for p in mc)


def test_broadcast(request):
    """RFC 919 / RFC 922: broadcasts go out to the link broadcast MAC; only once SO_BROADCAST is on."""
    pkts = run_test(request, "broadcast")
    bc = [p for p in pkts if UDP in p and p[IP].src == A]
    assert [udp_data(p) for p in bc] == [b"net", b"all", b"con"]
    assert [p[IP].dst for p in bc] == ["10.0.0.255", "255.255.255.255", "10.0.0.255"]
    assert all(p[Ether].dst == "ff:ff:ff:ff:ff:ff" for p in bc)


def test_emsgsize(request):
    """RFC 791 2.3: a 4008-byte UDP datagram leaves fragmented to the 1500-byte MTU and arrives whole."""
    pkts = run_test(request, "emsgsize")
    frags = [p for p in pkts if IP in p and p[IP].src == A and p[IP].proto == 17 and (p[IP].flags.MF or p[IP].frag)]
    assert len(frags) == 3
    assert all(len(p[IP]) <= 1500 for p in frags)
    assert sum(len(p[IP]) - 20 for p in frags) == 4008


def test_sockopts(request):
    """IP_TTL reaches the wire; SO_KEEPALIVE with TCP_KEEPIDLE 10 s, TCP_KEEPINTVL 2 s probes an idle
    connection with SEG.SEQ = SND.NXT - 1 (RFC 1122 4.2.3.6)."""
    pkts = run_test(request, "sockopts")
    ttl7 = [p for p in pkts if UDP in p and p[UDP].dport == 4242]
    assert len(ttl7) == 1 and ttl7[0][IP].ttl == 7
    a_tcp = [p for p in pkts if TCP in p and p[IP].src == A]
    handshake_ack = [p for p in a_tcp if p[TCP].flags == "A"][0]
    probes = [p for p in a_tcp if p.time - handshake_ack.time >= 9.99]
    assert probes, "no keepalive probe"
    assert abs(float(probes[0].time - handshake_ack.time) - 10.0) < 0.01
    assert probes[0][TCP].seq == handshake_ack[TCP].seq - 1
    if len(probes) > 1:
        assert abs(float(probes[1].time - probes[0].time) - 2.0) < 0.01 or \
            abs(float(probes[1].time - probes[0].time) - 10.0) < 0.01


def test_raw_icmp(request):
    """RFC 792: the hand-built echo request goes out as given; the stack answers it."""
    pkts = run_test(request, "raw_icmp")
    req = [p for p in pkts if ICMP in p and p[ICMP].type == 8]
    rep = [p for p in pkts if ICMP in p and p[ICMP].type == 0]
    assert len(req) == 1 and len(rep) == 1
    assert req[0][ICMP].id == 0x1234 and rep[0][ICMP].id == 0x1234
    assert bytes(rep[0][IP])[28:rep[0][IP].len] == b"pingraw!"


def test_deterministic(request):
    """Same seed, same pcap bytes (DESIGN.md determinism), also with tasks and the POSIX shim."""
    d = pcap_dir(request.node)
    blobs = []
    for sub in ("r1", "r2"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
        run = run_c("--pcap-dir", os.path.join(d, sub), "--seed", "9", "blocking_tasks", "multicast")
        assert run.returncode == 0, run.stdout + run.stderr
        blobs.append([open(os.path.join(d, sub, f"{n}.pcap"), "rb").read()
                      for n in ("blocking_tasks", "multicast")])
    assert blobs[0] == blobs[1]
