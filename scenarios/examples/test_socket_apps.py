"""Plain POSIX socket programs running inside simulated nodes.

scenarios/examples/app_*.c are an ordinary TCP echo server (poll-based), an
echo client (getaddrinfo, connect, send lines, check each echo) and a UDP
request/response peer (SO_RCVTIMEO retries). They are compiled unmodified
against simcore/shoal_posix.h and run as tasks (simcore/task.c) by the C
driver socket_apps.c: b (10.0.0.2) serves, a (10.0.0.1) is the client, on a
5 ms, 10 Mbit/s Ethernet link. These tests run the driver, check what the
apps print and what went over the wire, and that a run is reproducible.
"""

import os
import subprocess

import pytest
from scapy.layers.inet import IP, TCP, UDP
from scapy.utils import rdpcap

from shoal.pcapcheck import tshark_available, tshark_problems
from shoal.pytest_plugin import pcap_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


def program(name):
    path = os.path.join(build_dir(), name)
    if not os.path.exists(path):
        subprocess.run(["cmake", "--build", build_dir(), "-j2", "--target", name], check=True,
                       stdout=subprocess.DEVNULL)
    return path


def run_apps(*args):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)  # the driver links its own sanitizer runtime when it has one
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    run = subprocess.run([program("socket_apps"), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, timeout=300, env=env)
    return run


@pytest.fixture
def outdir(request):
    d = pcap_dir(request.node)
    os.makedirs(d, exist_ok=True)
    return d


def check_pcap(path):
    assert os.path.getsize(path) > 24
    if tshark_available():
        assert tshark_problems(path) == []


def test_echo_and_udp_apps(outdir):
    pcap = os.path.join(outdir, "a-b.pcap")
    run = run_apps("--seed", "1", "--pcap", pcap, "--lines", "5")
    out = run.stdout
    assert run.returncode == 0, out + run.stderr
    assert "echo_server: listening on port 7" in out
    assert "echo_client: 5/5 lines echoed intact, eof=yes" in out
    assert "echo_server: served 1 clients, echoed 140 bytes" in out
    assert "udp_client: 3/3 answers correct" in out
    assert "udp_server: answered 3 requests" in out
    assert "socket_apps: all tasks finished" in out
    for i in range(5):
        assert f'echo_client: echo {i} ok' in out
    check_pcap(pcap)

    pkts = rdpcap(pcap)
    tcp = [p for p in pkts if TCP in p]
    # RFC 9293 3.5: the three-way handshake, client a -> server b:7.
    syn = [p for p in tcp if p[TCP].flags == "S"]
    assert len(syn) == 1 and syn[0][IP].src == "10.0.0.1" and syn[0][TCP].dport == 7
    assert any(p[TCP].flags == "SA" and p[IP].src == "10.0.0.2" for p in tcp)
    # Every line went out and came back, in order, byte for byte.
    sent = b"".join(tcp_data(p) for p in tcp if p[IP].src == "10.0.0.1")
    back = b"".join(tcp_data(p) for p in tcp if p[IP].src == "10.0.0.2")
    lines = b"".join(b"line %d: the quick brown fox\n" % i for i in range(5))
    assert sent == lines and back == lines
    # Both sides closed with a FIN (shutdown(SHUT_WR) then close; RFC 9293 3.6).
    assert any(p[TCP].flags.F and p[IP].src == "10.0.0.1" for p in tcp)
    assert any(p[TCP].flags.F and p[IP].src == "10.0.0.2" for p in tcp)
    assert not any(p[TCP].flags.R for p in tcp)
    # UDP: three requests, three upper-cased answers, then "quit".
    udp = [p for p in pkts if UDP in p]
    reqs = [udp_data(p) for p in udp if p[UDP].dport == 9000]
    answers = [udp_data(p) for p in udp if p[UDP].sport == 9000]
    assert reqs == [b"request 0", b"request 1", b"request 2", b"quit"]
    assert answers == [b"REQUEST 0", b"REQUEST 1", b"REQUEST 2"]


def test_apps_over_lossy_link(outdir):
    """5% loss each way: TCP retransmits, the UDP client retries on SO_RCVTIMEO."""
    pcap = os.path.join(outdir, "a-b.pcap")
    run = run_apps("--seed", "7", "--pcap", pcap, "--loss", "0.05", "--lines", "20")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "echo_client: 20/20 lines echoed intact, eof=yes" in run.stdout
    assert "udp_client: 3/3 answers correct" in run.stdout
    check_pcap(pcap)


def test_apps_deterministic(outdir):
    """Same seed: the same output and a byte-identical pcap; another seed differs (ISNs, ports)."""
    paths = [os.path.join(outdir, f"run{i}.pcap") for i in range(3)]
    runs = [run_apps("--seed", seed, "--pcap", path) for seed, path in zip(("5", "5", "6"), paths)]
    assert all(r.returncode == 0 for r in runs)
    assert runs[0].stdout == runs[1].stdout
    data = [open(p, "rb").read() for p in paths]
    assert data[0] == data[1]
    assert data[0] != data[2]
