"""The socket layer over IPv6 (AF_INET6, RFC 3493 / RFC 3542).

sock6_tests.c holds the tests (one C function each, POSIX errnos, Linux
where POSIX leaves a choice); this file runs each one, checks its verdict and
its pcap with tshark, and then checks on the wire what the socket calls
should have caused (RFC sections cited per test).
"""

import os
import subprocess

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, ICMPv6MLDone, ICMPv6MLReport, IPv6
from scapy.utils import rdpcap

from shoal.pcapcheck import tshark_available, tshark_problems
from shoal.pytest_plugin import pcap_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
A6, B6 = "2001:db8:1::1", "2001:db8:1::2"

TESTS = [
    "inet_text", "v6_arguments", "v6_udp_dual", "v6_v6only", "v6_tcp", "v6_scope", "v6_multicast", "v6_raw_icmp6",
    "v6_getaddrinfo_numeric", "v6_getaddrinfo_dns",
]


def build_dir():
    """The build whose library the tests use: SHOAL_LIB's folder (sanitizer run), else build/release."""
    lib = os.environ.get("SHOAL_LIB")
    return os.path.dirname(os.path.abspath(lib)) if lib else os.path.join(REPO, "build", "release")


def program():
    path = os.path.join(build_dir(), "sock6_tests")
    if not os.path.exists(path):
        subprocess.run(["cmake", "--build", build_dir(), "-j2", "--target", "sock6_tests"], check=True,
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
    if name == "inet_text":
        return []  # no network: text conversions only
    if tshark_available():
        assert tshark_problems(path) == []
    return rdpcap(path)


def test_list_matches():
    run = run_c("--list")
    assert run.stdout.split() == TESTS


@pytest.mark.parametrize("name", [t for t in TESTS if t not in (
    "v6_udp_dual", "v6_v6only", "v6_tcp", "v6_multicast", "v6_raw_icmp6", "v6_getaddrinfo_dns")])
def test_socket6_layer(request, name):
    run_test(request, name)


def test_v6_udp_dual(request):
    """RFC 3493 3.7: the IPv4 client's datagram arrives as IPv4 and the
    reply to ::ffff:10.0.0.1 leaves as IPv4 (no IPv6 header around it);
    RFC 3493 5.1: IPV6_UNICAST_HOPS 7 is the hop limit of the first IPv6
    datagram, and the default (the interface's, 64) afterwards."""
    pkts = run_test(request, "v6_udp_dual")
    v6 = [p for p in pkts if IPv6 in p and UDP in p and p[UDP].dport == 7]
    v4 = [p for p in pkts if IP in p and UDP in p]
    assert v6 and v6[0][IPv6].src == A6 and v6[0][IPv6].dst == B6 and v6[0][IPv6].hlim == 7
    assert bytes(v6[0][UDP].payload)[:3] == b"six"
    assert v6[0][UDP].chksum != 0  # RFC 8200 8.1: mandatory over IPv6
    assert [p for p in v4 if p[IP].src == "10.0.0.2" and bytes(p[UDP].payload)[:5] == b"back4"]
    assert [p for p in v4 if p[IP].dst == "10.0.0.2" and p[UDP].dport == 7]


def test_v6_v6only(request):
    """RFC 3493 5.3: the IPv4 datagram to the V6ONLY socket's port finds no
    socket: ICMP port unreachable (RFC 1122 4.1.3.1); the IPv4 SYN to the
    V6ONLY listener's port is reset (RFC 9293 3.10.7.1)."""
    from scapy.layers.inet import ICMP
    pkts = run_test(request, "v6_v6only")
    unreach = [p for p in pkts if ICMP in p and p[ICMP].type == 3 and p[ICMP].code == 3]
    assert len(unreach) >= 1 and unreach[0][IP].src == "10.0.0.2"
    rsts = [p for p in pkts if TCP in p and IP in p and p[TCP].flags.R and p[IP].src == "10.0.0.2"]
    assert rsts and rsts[0][TCP].sport == 80


def test_v6_tcp(request):
    """TCP over IPv6: the SYN carries MSS 1440 (1500 - 40 - 20, RFC 9293
    3.7.1 with RFC 8200's header); the IPv4 client on the same listener
    speaks plain IPv4 with MSS 1460."""
    pkts = run_test(request, "v6_tcp")
    syn6 = [p for p in pkts if IPv6 in p and TCP in p and p[TCP].flags == "S"]
    syn4 = [p for p in pkts if IP in p and TCP in p and p[TCP].flags == "S" and p[TCP].dport == 80]
    assert syn6 and dict(syn6[0][TCP].options)["MSS"] == 1440
    assert syn4 and dict(syn4[0][TCP].options)["MSS"] == 1460
    data6 = [p for p in pkts if IPv6 in p and TCP in p and bytes(p[TCP].payload).startswith(b"hello6")]
    assert data6 and data6[0][IPv6].src == A6


def test_v6_multicast(request):
    """RFC 2710 4: IPV6_JOIN_GROUP sends a Report for ff15::1234 (hop limit
    1, RFC 2710 3), IPV6_LEAVE_GROUP a Done to ff02::2 (we reported last);
    the datagram to the group has IPV6_MULTICAST_HOPS 3 (RFC 3493 5.2) and
    the group's MAC 33:33 + its low 32 bits (RFC 2464 7)."""
    pkts = run_test(request, "v6_multicast")
    reports = [p for p in pkts if ICMPv6MLReport in p and p[ICMPv6MLReport].mladdr == "ff15::1234"]
    dones = [p for p in pkts if ICMPv6MLDone in p and p[ICMPv6MLDone].mladdr == "ff15::1234"]
    assert reports and reports[0][IPv6].hlim == 1
    assert dones and dones[0][IPv6].dst == "ff02::2"
    data = [p for p in pkts if IPv6 in p and UDP in p and p[IPv6].dst == "ff15::1234"]
    assert len(data) == 2 and all(p[IPv6].hlim == 3 for p in data)
    assert data[0].dst == "33:33:00:00:12:34"


def test_v6_raw_icmp6(request):
    """RFC 3542 3.1: the raw socket's Echo Request leaves with the checksum
    the stack filled in (Scapy recomputes and compares); b's Echo Reply echoes
    identifier, sequence and data (RFC 4443 4.2)."""
    pkts = run_test(request, "v6_raw_icmp6")
    req = [p for p in pkts if ICMPv6EchoRequest in p]
    rep = [p for p in pkts if ICMPv6EchoReply in p]
    assert req and rep
    r = req[0][ICMPv6EchoRequest]
    wire = r.cksum
    del r.cksum
    assert IPv6(bytes(req[0][IPv6]))[ICMPv6EchoRequest].cksum == wire
    assert rep[0][ICMPv6EchoReply].id == 0x1234 and rep[0][ICMPv6EchoReply].seq == 1


def test_v6_getaddrinfo_dns(request):
    """RFC 3596: a's queries go over IPv6 to the IPv6 server; AF_INET6 asks
    AAAA (type 28) only, AF_UNSPEC on a dual-stack node asks A and AAAA."""
    from scapy.layers.dns import DNS
    pkts = run_test(request, "v6_getaddrinfo_dns")
    queries = [p for p in pkts if DNS in p and IPv6 in p and p[DNS].qr == 0]
    assert [q[IPv6].src for q in queries] == [A6] * 3
    assert [q[DNS].qd.qtype for q in queries] == [28, 1, 28]
    assert not [p for p in pkts if DNS in p and IP in p]
