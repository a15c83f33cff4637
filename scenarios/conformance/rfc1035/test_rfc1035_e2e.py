"""The resolver end to end: a DNS server run by the scenario on another
node's UDP socket (answers built with Scapy), across a router; the pcaps
decoded by tshark as valid DNS; and determinism of the whole exchange."""
import filecmp
import shutil
import subprocess

import pytest

import shoal
from rfc1035_util import a_rr, cname_rr, scapy_answer, soa_rr
from scapy.layers.dns import DNS

ZONE = {
    "www.example.com.": ("A", "198.51.100.10"),
    "alias.example.com.": ("CNAME", "www.example.com."),
}


def serve(sock):
    """Answer every query waiting on the server's socket from ZONE."""
    while True:
        got = sock.recvfrom()
        if got is None:
            return
        data, peer = got
        q = DNS(data)
        name = q.qd.qname.decode().lower()
        if name not in ZONE:
            sock.sendto(scapy_answer(q, rcode=3, authority=[soa_rr(minimum=60)]), peer)
            continue
        recs, cur = [], name
        while cur in ZONE:
            kind, value = ZONE[cur]
            recs.append(cname_rr(cur, value) if kind == "CNAME" else a_rr(cur, value))
            cur = value if kind == "CNAME" else None
        sock.sendto(scapy_answer(q, recs), peer)


def routed(sim):
    """client -- router -- server, 10.1.0.0/24 and 10.2.0.0/24."""
    client, router, server = sim.node("client"), sim.node("router", forwarding=True), sim.node("server")
    l1 = sim.link(client, router, delay="2ms", rate="10Mbit")
    l2 = sim.link(router, server, delay="3ms", rate="10Mbit")
    client.iface(l1).set_ip4("10.1.0.2/24")
    router.iface(l1).set_ip4("10.1.0.1/24")
    router.iface(l2).set_ip4("10.2.0.1/24")
    server.iface(l2).set_ip4("10.2.0.53/24")
    client.route_add("0.0.0.0/0", via="10.1.0.1")
    server.route_add("0.0.0.0/0", via="10.2.0.1")
    sock = server.udp(port=53)
    client.dns_servers(["10.2.0.53"])
    return client, server, sock, [l1, l2]


def resolve_all(sim, client, sock, names):
    lookups = [client.resolve(n) for n in names]
    ok = sim.run_until(lambda: (serve(sock), all(l.done for l in lookups))[1], timeout="2s")
    assert ok, lookups
    return lookups


def test_resolve_through_router_from_udp_server(sim):
    """RFC 1035 4.2.1 end to end: queries cross a router to a server on a
    node's UDP socket; A, CNAME and NXDOMAIN answers come back; the cache
    then answers without the network."""
    client, server, sock, _ = routed(sim)
    www, alias, nx = resolve_all(sim, client, sock, ["www.example.com", "alias.example.com", "nx.example.com"])
    assert www.addresses == ["198.51.100.10"]
    assert alias.addresses == ["198.51.100.10"]
    assert nx.error == "NXDOMAIN"
    st = client.dns.stats
    assert (st["queries"], st["responses"], st["malformed"], st["mismatched"]) == (3, 3, 0, 0)
    again = client.resolve("alias.example.com")
    assert again.immediate and again.addresses == ["198.51.100.10"]
    assert {e["name"] for e in client.dns_cache()} == {"www.example.com", "alias.example.com", "nx.example.com"}


def _tshark_dns(pcap):
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "dns", "-T", "fields", "-E", "separator=|",
                          "-e", "dns.id", "-e", "dns.flags.response", "-e", "dns.flags.recdesired",
                          "-e", "dns.qry.name", "-e", "dns.flags.rcode", "-e", "dns.a", "-e", "_ws.malformed",
                          "-e", "_ws.expert.message"],
                         capture_output=True, text=True, check=True).stdout
    return [line.split("|") for line in out.splitlines() if line]


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
def test_pcaps_show_valid_dns(sim):
    """The captures decode as DNS in tshark: every query (RD set) has a
    response with the same ID, names and addresses as sent, and nothing is
    malformed (the plugin's general pcap check runs too)."""
    client, server, sock, links = routed(sim)
    resolve_all(sim, client, sock, ["www.example.com", "alias.example.com", "nx.example.com"])
    sim.flush()
    rows = _tshark_dns(links[0].pcap_path)
    queries = [r for r in rows if r[1] in ("0", "False")]
    answers = [r for r in rows if r[1] in ("1", "True")]
    assert len(queries) == 3 and len(answers) == 3, rows
    assert {r[0] for r in queries} == {r[0] for r in answers}
    assert all(r[2] in ("1", "True") for r in queries)
    assert sorted(r[3] for r in queries) == ["alias.example.com", "nx.example.com", "www.example.com"]
    by_name = {r[3]: r for r in answers}
    assert by_name["www.example.com"][5] == "198.51.100.10"
    assert by_name["alias.example.com"][5] == "198.51.100.10"
    assert by_name["nx.example.com"][4] == "3"
    assert all(r[6] == "" for r in rows), "tshark found malformed DNS"


def test_determinism(tmp_path):
    """Same seed: byte-identical pcaps (IDs and ports come from the node's
    RNG stream); another seed: different ones."""
    def run(seed, where):
        with shoal.Sim(seed=seed, pcap_dir=str(where)) as sim:
            client, server, sock, links = routed(sim)
            resolve_all(sim, client, sock, ["www.example.com", "alias.example.com"])
            sim.run(duration="100ms")
            return [l.pcap_path for l in links]
    a = run(3, tmp_path / "a")
    b = run(3, tmp_path / "b")
    c = run(4, tmp_path / "c")
    assert all(filecmp.cmp(x, y, shallow=False) for x, y in zip(a, b))
    assert not filecmp.cmp(a[0], c[0], shallow=False)
