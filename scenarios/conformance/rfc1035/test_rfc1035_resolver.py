"""RFC 1035 (with RFC 1034, 1123 6.1.3, 2181, 2308, 5452) stub resolver on the
wire: the dut (a stack node) resolves names through DNS servers that the
tester raw host plays (answers built with Scapy's DNS layers; malicious ones
byte by byte). Times are exact on the virtual clock: the bench link is 1 ms,
10 Mbit/s, and the servers' MACs are primed in the dut's ARP cache, so a
query leaves in the instant the resolver sends it."""
import struct

import pytest

import shoal
from conformance_util import DUT_IP, SECOND_NS, stats_delta, tx_ns
from rfc1035_util import (QNAME, RESP, SERVER1, SERVER2, STRANGER, T_A, T_CNAME, T_SOA, FakeDns, a_rdata, a_rr,
                          answer_a, cname_rr, header, malicious, ptr, question, rr, scapy_answer, soa_rdata, soa_rr,
                          wname)
from scapy.layers.dns import DNS

MS = 1_000_000


def prime(bench, servers=(SERVER1, SERVER2)):
    """RFC 826: a request from each server for the dut's address puts the
    server in the dut's ARP cache, so queries are not held up by ARP."""
    for s in servers:
        bench.exchange(bench.arp_request(bench.dut_ip, spa=s))


@pytest.fixture
def dns(bench):
    prime(bench)
    return FakeDns(bench)


def dns_stats(node):
    return {k: v for k, v in node.stats["dns"].items()}


def flat(node):
    return {f"dns.{k}": v for k, v in node.stats["dns"].items()}


def query_frame_len(name=QNAME):
    # Ethernet 14 + IP 20 + UDP 8 + DNS header 12 + name + 4
    return 14 + 20 + 8 + 12 + len(wname(name)) + 4


def answer_ok(q, addrs=("192.0.2.1",), ttl=300):
    return scapy_answer(q.dns, [a_rr(q.dns.qd.qname, a, ttl) for a in addrs])


# ---------------------------------------------------------------- queries

def test_query_fields(bench, dns):
    """RFC 1035 4.1.1 / 4.1.2: a standard query: QR 0, OPCODE 0, RD 1 (a stub
    resolver asks for recursion, RFC 1123 6.1.3.1), one question with the
    name, QTYPE A, QCLASS IN, no other records; RFC 1035 4.2.1: over UDP to
    port 53 of the first server, from the dut's address and an ephemeral port."""
    t0 = bench.sim.now_ns
    r = bench.dut.resolve("WWW.Example.com")
    assert not r.done and not r.immediate
    q = dns.wait_query()
    assert q.server == SERVER1
    f = q.frame
    assert f["IP"].src == DUT_IP and f["UDP"].dport == 53
    assert 49152 <= q.sport <= 65535
    raw = q.raw
    ident, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", raw[:12])
    assert flags == 0x0100, f"flags {flags:#06x}: want QR=0 OPCODE=0 AA=0 TC=0 RD=1 RA=0 Z=0 RCODE=0"
    assert (qd, an, ns, ar) == (1, 0, 0, 0)
    # the name goes out as the caller wrote it (RFC 4343: case is kept)
    assert raw[12:] == wname("WWW.Example.com") + struct.pack("!HH", 1, 1)
    assert q.dns.id == ident
    # sent in the instant of the call: arrival = now + serialisation + 1 ms
    assert q.time_ns == t0 + tx_ns(query_frame_len()) + MS
    assert f["UDP"].chksum != 0


def test_random_ids_and_ports(bench, dns):
    """RFC 5452 9.2 / 10: the query ID and the UDP source port are random per
    query (not sequential), drawn from the instance's RNG."""
    dns.handler = answer_ok
    ids, ports = [], []
    for i in range(12):
        r = bench.dut.resolve(f"host{i}.example.com")
        assert dns.run("100ms", until=lambda: r.done)
        ids.append(dns.queries[-1].dns.id)
        ports.append(dns.queries[-1].sport)
    assert len(set(ids)) == 12 and len(set(ports)) == 12
    assert all(49152 <= p <= 65535 for p in ports)
    steps = {(b - a) & 0xFFFF for a, b in zip(ids, ids[1:])} | {(b - a) & 0xFFFF for a, b in zip(ports, ports[1:])}
    assert not steps <= {1, 2}, "IDs or ports look sequential"
    assert bench.dut.stats["pool"]["udp_pcb"]["used"] == 0, "each query's PCB is freed when it ends"


def test_ids_and_ports_follow_the_seed():
    """Determinism: the same seed gives the same IDs and ports; another seed
    other ones (they come from the instance's RNG, not a clock)."""
    from conformance_util import Bench

    def run(seed):
        with shoal.Sim(seed=seed) as sim:
            b = Bench(sim)
            prime(b)
            d = FakeDns(b)
            d.handler = answer_ok
            b.dut.resolve(QNAME)
            q = d.wait_query()
            return q.dns.id, q.sport
    assert run(7) == run(7)
    assert run(7) != run(8)


# ------------------------------------------------------- answers and cache

def test_answer_accepted_and_cached(bench, dns):
    """RFC 1035 7.3/7.4: a matching answer gives the addresses and is cached
    for its TTL (RFC 1035 3.2.1); within the TTL a lookup is answered at once
    with no query; once the TTL ran out, the name is queried again."""
    dns.handler = lambda q: answer_ok(q, ("192.0.2.1", "192.0.2.2"), ttl=30)
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert r.error is None and r.addresses == ["192.0.2.1", "192.0.2.2"] and r.ttl == 30
    t_answer = bench.sim.now_ns
    (entry,) = bench.dut.dns_cache()
    assert entry["name"] == QNAME and entry["type"] == "A" and entry["status"] == "OK"
    assert entry["addresses"] == ["192.0.2.1", "192.0.2.2"]
    assert entry["expires_ns"] == t_answer + 30 * SECOND_NS
    dns.run("29s")
    r2 = bench.dut.resolve(QNAME.upper())  # RFC 4343: names compare case-insensitively
    assert r2.immediate and r2.done and r2.addresses == ["192.0.2.1", "192.0.2.2"]
    assert 1 <= r2.ttl <= 2
    assert len(dns.queries) == 1
    assert bench.dut.dns.stats["cache_hits"] == 1
    dns.run("1s")
    assert bench.dut.dns_cache() == []
    r3 = bench.dut.resolve(QNAME)
    assert not r3.immediate
    assert dns.run("100ms", until=lambda: r3.done)
    assert len(dns.queries) == 2


def test_ttl_zero_not_cached(bench, dns):
    """RFC 1035 3.2.1: TTL 0 means the answer is for this transaction only."""
    dns.handler = lambda q: answer_ok(q, ttl=0)
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert r.addresses == ["192.0.2.1"] and r.ttl == 0
    assert bench.dut.dns_cache() == []
    r2 = bench.dut.resolve(QNAME)
    assert not r2.immediate


@pytest.mark.parametrize("ttl,clamps,want", [(3600, {"ttl_max": 10}, 10), (5, {"ttl_min": 20}, 20),
                                             (0x80000001, {}, 0)])
def test_ttl_clamps(bench, dns, ttl, clamps, want):
    """The cache's min/max clamps; RFC 2181 8: a TTL with the top bit set is
    taken as 0 (not cached)."""
    bench.dut.dns.configure(**clamps)
    dns.handler = lambda q: answer_ok(q, ttl=ttl)
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert r.ttl == want
    assert len(bench.dut.dns_cache()) == (1 if want else 0)


def test_cache_is_bounded(bench, dns):
    """The cache holds DNS_CACHE_SIZE (8) answers; more evict the one that
    would expire first."""
    for i in range(10):
        dns.handler = lambda q, i=i: answer_ok(q, ttl=100 + i)
        r = bench.dut.resolve(f"n{i}.example.com")
        assert dns.run("100ms", until=lambda: r.done)
    names = sorted(e["name"] for e in bench.dut.dns_cache())
    assert names == sorted(f"n{i}.example.com" for i in range(2, 10))


# ------------------------------------------------------- retries, failover

def test_retry_backoff_single_server(bench, sim):
    """RFC 1035 4.2.1 / RFC 1123 6.1.3.3: retransmit with exponential backoff
    (1, 2, 4, 8 s), then give up: 4 queries, TIMEOUT 15 s after the call.
    Retransmissions keep the ID and the port (one transaction)."""
    prime(bench, (SERVER1,))
    dns = FakeDns(bench, servers=(SERVER1,))
    t0 = sim.now_ns
    r = bench.dut.resolve(QNAME)
    assert not dns.run("14999ms", until=lambda: r.done)
    times = [q.time_ns - t0 - tx_ns(query_frame_len()) - MS for q in dns.queries]
    assert times == [0, 1 * SECOND_NS, 3 * SECOND_NS, 7 * SECOND_NS]
    assert {q.dns.id for q in dns.queries} == {dns.queries[0].dns.id}
    assert {q.sport for q in dns.queries} == {dns.queries[0].sport}
    dns.run("2ms")
    assert r.done and r.error == "TIMEOUT" and r.addresses == []
    st = bench.dut.dns.stats
    assert (st["sent"], st["retransmits"], st["timeouts"]) == (4, 3, 1)
    assert bench.dut.stats["pool"]["udp_pcb"]["used"] == 0


def test_failover_to_second_server(bench, dns, sim):
    """RFC 1035 4.2.1: with several servers, the resolver tries them in turn,
    backing off each round: S1 0 s, S2 1 s, S1 2 s, S2 4 s, S1 6 s, S2 10 s,
    S1 14 s, S2 22 s; TIMEOUT at 30 s."""
    t0 = sim.now_ns
    r = bench.dut.resolve(QNAME)
    assert not dns.run("29999ms", until=lambda: r.done)
    got = [(q.server, (q.time_ns - t0 - tx_ns(query_frame_len()) - MS) // SECOND_NS) for q in dns.queries]
    assert got == [(SERVER1, 0), (SERVER2, 1), (SERVER1, 2), (SERVER2, 4), (SERVER1, 6), (SERVER2, 10),
                   (SERVER1, 14), (SERVER2, 22)]
    dns.run("2ms")
    assert r.error == "TIMEOUT"


def test_second_server_answers(bench, dns):
    """Failover: the first server is silent, the second answers the
    retransmission sent to it; the answer is accepted."""
    dns.handler = lambda q: answer_ok(q, ("198.51.100.2",)) if q.server == SERVER2 else None
    r = bench.dut.resolve(QNAME)
    assert dns.run("2s", until=lambda: r.done)
    assert r.addresses == ["198.51.100.2"]
    assert [q.server for q in dns.queries] == [SERVER1, SERVER2]


def test_late_answer_from_first_server_accepted(bench, dns):
    """RFC 5452 9.1 matches the server the query went to: an answer from the
    first server after failover still belongs to this query."""
    r = bench.dut.resolve(QNAME)
    dns.run("1500ms")
    assert [q.server for q in dns.queries] == [SERVER1, SERVER2]
    dns.reply(dns.queries[0], answer_ok(dns.queries[0], ("203.0.113.1",)))
    assert dns.run("10ms", until=lambda: r.done)
    assert r.addresses == ["203.0.113.1"]


def test_servfail_fails_over_at_once(bench, dns, sim):
    """RFC 1035 7.3: a server failure moves the query to the next server at
    once; the failing server is not asked again for this lookup."""
    dns.handler = lambda q: (scapy_answer(q.dns, rcode=2) if q.server == SERVER1 else answer_ok(q))
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert [q.server for q in dns.queries] == [SERVER1, SERVER2]
    # S1's answer reaches the dut 1 ms + its transmission after the query
    # arrived; S2's query leaves in that same instant.
    fail_len = 14 + 20 + 8 + len(scapy_answer(dns.queries[0].dns, rcode=2))
    assert dns.queries[1].time_ns - dns.queries[0].time_ns == tx_ns(fail_len) + tx_ns(query_frame_len()) + 2 * MS
    assert r.addresses == ["192.0.2.1"]
    assert bench.dut.dns.stats["server_errors"] == 1


@pytest.mark.parametrize("rcode", [1, 2, 4, 5])
def test_every_server_fails(bench, dns, rcode):
    """FORMERR, SERVFAIL, NOTIMP, REFUSED from every server: SERVFAIL to the
    caller as soon as the last server has answered (no waiting)."""
    dns.handler = lambda q: scapy_answer(q.dns, rcode=rcode)
    r = bench.dut.resolve(QNAME)
    assert dns.run("50ms", until=lambda: r.done)
    assert r.error == "SERVFAIL"
    assert [q.server for q in dns.queries] == [SERVER1, SERVER2]


def test_tc_bit_goes_to_next_server(bench, dns):
    """RFC 2181 9: a truncated response (TC) is ignored and asked again over a
    transport that fits; with no TCP fallback the next server is asked."""
    dns.handler = lambda q: (scapy_answer(q.dns, [a_rr(q.dns.qd.qname, "192.0.2.66")], tc=1) if q.server == SERVER1
                             else answer_ok(q))
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert r.addresses == ["192.0.2.1"], "the truncated answer's records are not used"
    assert bench.dut.dns.stats["truncated"] == 1


def test_lookup_timeout_argument(bench, dns):
    """resolve(timeout=...) bounds the lookup: TIMEOUT then, and no more
    retransmissions after it."""
    r = bench.dut.resolve(QNAME, timeout="1500ms")
    dns.run("1499ms")
    assert not r.done
    dns.run("1ms")
    assert r.error == "TIMEOUT"
    n = len(dns.queries)
    dns.run("20s")
    assert len(dns.queries) == n == 2


# ------------------------------------------- what must be ignored (RFC 5452)

def mismatches():
    def wrong_id(dns, q):
        m = bytearray(answer_ok(q))
        m[0:2] = struct.pack("!H", q.dns.id ^ 0x5A5A)
        dns.reply(q, bytes(m))

    def wrong_server(dns, q):
        dns.reply(q, answer_ok(q), src=STRANGER)

    def server_not_asked(dns, q):
        dns.reply(q, answer_ok(q), src=SERVER2)

    def wrong_sport(dns, q):
        dns.reply(q, answer_ok(q), sport=5353)

    def wrong_name(dns, q):
        dns.reply(q, answer_a(q.dns.id, ["192.0.2.66"], qname="www.example.org"))

    def wrong_type(dns, q):
        dns.reply(q, header(q.dns.id, RESP, 1, 1) + question(QNAME, qtype=28) + rr(ptr(12), T_A, a_rdata("1.1.1.1")))

    def wrong_class(dns, q):
        dns.reply(q, header(q.dns.id, RESP, 1, 1) + question(QNAME, qclass=3) + rr(ptr(12), T_A, a_rdata("1.1.1.1")))

    def not_a_response(dns, q):
        dns.reply(q, answer_a(q.dns.id, ["192.0.2.66"], flags=0x0100))

    def wrong_opcode(dns, q):
        dns.reply(q, answer_a(q.dns.id, ["192.0.2.66"], flags=RESP | (2 << 11)))

    return {f.__name__: f for f in (wrong_id, wrong_server, server_not_asked, wrong_sport, wrong_name, wrong_type,
                                     wrong_class, not_a_response, wrong_opcode)}


@pytest.mark.parametrize("case", sorted(mismatches()))
def test_mismatched_reply_ignored(bench, dns, case):
    """RFC 5452 9.1: accept a response only if it matches the query's ID, the
    server address and port it was sent to, and the question (name, type,
    class); RFC 1035 4.1.1 QR and OPCODE. Anything else is dropped
    (dns.drop + dns.proterr, resolver 'mismatched') and the lookup goes on:
    the genuine answer that follows is accepted."""
    r = bench.dut.resolve(QNAME)
    q = dns.wait_query()
    before = flat(bench.dut)
    mismatches()[case](dns, q)
    dns.run("10ms")
    assert not r.done
    assert stats_delta(before, flat(bench.dut)) == {"dns.drop": 1, "dns.proterr": 1}
    assert bench.dut.dns.stats["mismatched"] == 1
    dns.reply(q, answer_ok(q, ("192.0.2.7",)))
    assert dns.run("10ms", until=lambda: r.done)
    assert r.addresses == ["192.0.2.7"]


def test_name_match_is_case_insensitive(bench, dns):
    """RFC 4343 / RFC 1035 2.3.3: the question in the response may differ in
    case; it still matches."""
    r = bench.dut.resolve("www.example.com")
    q = dns.wait_query()
    dns.reply(q, answer_a(q.dns.id, ["192.0.2.8"], qname="WwW.ExAmPlE.CoM"))
    assert dns.run("10ms", until=lambda: r.done)
    assert r.addresses == ["192.0.2.8"]


# ---------------------------------------------------- negative answers

def test_nxdomain(bench, dns):
    """RFC 1035 4.1.1 RCODE 3: the name does not exist; reported to the
    caller, and cached for min(SOA TTL, SOA MINIMUM) (RFC 2308 3, 5)."""
    dns.handler = lambda q: scapy_answer(q.dns, rcode=3, authority=[soa_rr(ttl=600, minimum=45)])
    r = bench.dut.resolve("nope.example.com")
    assert dns.run("100ms", until=lambda: r.done)
    assert r.error == "NXDOMAIN" and r.addresses == [] and r.ttl == 45
    (entry,) = bench.dut.dns_cache()
    assert entry["status"] == "NXDOMAIN"
    r2 = bench.dut.resolve("nope.example.com")
    assert r2.immediate and r2.error == "NXDOMAIN"
    assert len(dns.queries) == 1
    assert bench.dut.dns.stats["nxdomain"] == 1


def test_nxdomain_without_soa_not_cached(bench, dns):
    """RFC 2308 5: a negative answer without an SOA is not cached."""
    dns.handler = lambda q: scapy_answer(q.dns, rcode=3)
    r = bench.dut.resolve("nope.example.com")
    assert dns.run("100ms", until=lambda: r.done)
    assert r.error == "NXDOMAIN" and r.ttl == 0
    assert bench.dut.dns_cache() == []


def test_nodata(bench, dns):
    """RFC 2308 2.2: NOERROR with no record of the type asked is NODATA."""
    dns.handler = lambda q: scapy_answer(q.dns, authority=[soa_rr(minimum=30)])
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert r.error == "NODATA" and r.ttl == 30


# ------------------------------------------------------------- CNAMEs

def test_cname_chain_in_response(bench, dns):
    """RFC 1034 3.6.2 / 4.3.2: the answer section's CNAME chain is followed to
    the address records; the cached TTL is the least of the chain's; the
    answer is cached under the name asked."""
    dns.handler = lambda q: scapy_answer(q.dns, [cname_rr(QNAME, "b.example.net", 600),
                                                 cname_rr("b.example.net", "c.example.org", 120),
                                                 a_rr("c.example.org", "198.51.100.7", 900),
                                                 a_rr("unrelated.example.org", "198.51.100.99")])
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert r.addresses == ["198.51.100.7"] and r.ttl == 120
    assert [e["name"] for e in bench.dut.dns_cache()] == [QNAME]


def test_cname_target_requeried(bench, dns):
    """RFC 1034 5.3.3 step 3: a CNAME whose target's data is not in the
    response: the resolver asks again for the canonical name (new ID)."""
    def serve(q):
        if q.dns.qd.qname == b"www.example.com.":
            return scapy_answer(q.dns, [cname_rr(QNAME, "real.example.net", 60)])
        return answer_ok(q, ("203.0.113.5",), ttl=300)
    dns.handler = serve
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert r.addresses == ["203.0.113.5"] and r.ttl == 60
    assert [q.dns.qd.qname for q in dns.queries] == [b"www.example.com.", b"real.example.net."]
    assert dns.queries[0].dns.id != dns.queries[1].dns.id
    assert bench.dut.dns.stats["restarts"] == 1


def test_cname_loop_is_a_failure(bench, dns):
    """A CNAME loop inside the response is a broken answer: no crash, no
    endless walk; the lookup fails over and ends in SERVFAIL."""
    dns.handler = lambda q: scapy_answer(q.dns, [cname_rr(QNAME, "x.example.com"), cname_rr("x.example.com", QNAME)])
    r = bench.dut.resolve(QNAME)
    assert dns.run("100ms", until=lambda: r.done)
    assert r.error == "SERVFAIL"


# ------------------------------------------------ malicious responses

@pytest.mark.parametrize("case", sorted(malicious(0)))
def test_malicious_reply_dropped(bench, dns, case):
    """NAME:WRECK / AMNESIA:33 classes (RFC 1035 2.3.4 sizes, 4.1.4
    compression, 3.2.1 RDLENGTH, 3.4.1 A RDATA): a response with the right
    ID, server, port and question but one structural defect is dropped and
    counted (dns.drop + dns.lenerr, resolver 'malformed'), nothing crashes,
    the lookup goes on, and the genuine answer after it is accepted."""
    r = bench.dut.resolve(QNAME)
    q = dns.wait_query()
    before = flat(bench.dut)
    dns.reply(q, malicious(q.dns.id)[case])
    dns.run("10ms")
    assert not r.done
    assert stats_delta(before, flat(bench.dut)) == {"dns.drop": 1, "dns.lenerr": 1}
    assert bench.dut.dns.stats["malformed"] == 1
    dns.reply(q, answer_ok(q, ("192.0.2.77",)))
    assert dns.run("10ms", until=lambda: r.done)
    assert r.addresses == ["192.0.2.77"]


def test_oversized_reply_dropped(bench, dns):
    """RFC 1035 4.2.1: UDP messages are at most 512 octets (we offer no
    EDNS0); a longer one is dropped as malformed."""
    r = bench.dut.resolve(QNAME)
    q = dns.wait_query()
    big = answer_ok(q) + b"\0" * 600
    dns.reply(q, big)
    dns.run("10ms")
    assert not r.done and bench.dut.dns.stats["malformed"] == 1


def test_many_answers_bounded(bench, dns):
    """Bounded work: the parser reads at most 32 records whatever the counts
    say, and the caller gets at most 4 addresses. A count that claims more
    records than the message holds (within that bound) drops it."""
    r = bench.dut.resolve(QNAME)
    q = dns.wait_query()
    other = b"".join(rr(ptr(12), 99, b"") for _ in range(28))
    addrs = b"".join(rr(ptr(12), T_A, a_rdata(f"10.9.0.{i}")) for i in range(8))
    dns.reply(q, header(q.dns.id, RESP, 1, 20) + question() + addrs)
    dns.run("10ms")
    assert not r.done, "20 claimed, 8 present: the count lies"
    msg = header(q.dns.id, RESP, 1, 36) + question() + other + addrs
    assert len(msg) <= 512
    dns.reply(q, msg)
    assert dns.run("10ms", until=lambda: r.done)
    assert r.addresses == [f"10.9.0.{i}" for i in range(4)]


# ------------------------------------------------------------ the API

def test_dotted_quad_and_bad_names(bench, dns):
    """A dotted quad needs no query; invalid names (empty labels, labels over
    63 octets, names over 255) are refused before anything is sent."""
    r = bench.dut.resolve("192.0.2.33")
    assert r.immediate and r.addresses == ["192.0.2.33"]
    for bad in ["", ".", "a..b", "x" * 64 + ".com", ".".join(["a" * 63] * 4) + ".b", "sp ace.com"]:
        with pytest.raises(shoal.AddressError):
            bench.dut.resolve(bad)
    dns.run("100ms")
    assert dns.queries == []


def test_no_server_and_table_full(bench, sim):
    """No server: refused at once. The table of lookups in flight is bounded
    (DNS_TABLE_SIZE 4): the fifth is refused (dns.memerr)."""
    with pytest.raises(shoal.ShoalError):
        bench.dut.resolve(QNAME)
    prime(bench)
    FakeDns(bench)
    rs = [bench.dut.resolve(f"h{i}.example.com") for i in range(4)]
    with pytest.raises(shoal.ShoalError):
        bench.dut.resolve("h5.example.com")
    assert bench.dut.stats["dns"]["memerr"] == 1 and bench.dut.dns.stats["table_full"] == 1
    assert all(not r.done for r in rs)


def test_cancel(bench, dns):
    """A cancelled lookup sends no more retransmissions and frees its PCB."""
    r = bench.dut.resolve(QNAME)
    dns.run("10ms")
    r.cancel()
    dns.run("20s")
    assert len(dns.queries) == 1 and r.status == "CANCELLED"
    assert bench.dut.stats["pool"]["udp_pcb"]["used"] == 0


def test_aaaa_lookup(bench, dns):
    """RFC 3596 2.1/2.2: QTYPE AAAA (28) asked over IPv4; 16-octet RDATA
    returned as IPv6 addresses; an AAAA record of another length is
    malformed; A and AAAA answers are cached apart."""
    from scapy.layers.dns import DNSRR
    r = bench.dut.resolve(QNAME, type="AAAA")
    q = dns.wait_query()
    assert q.dns.qd.qtype == 28
    bad = header(q.dns.id, RESP, 1, 1) + question(QNAME, qtype=28) + rr(ptr(12), 28, bytes(8))
    dns.reply(q, bad)
    dns.run("10ms")
    assert not r.done and bench.dut.dns.stats["malformed"] == 1
    dns.reply(q, scapy_answer(q.dns, [DNSRR(rrname=QNAME, type="AAAA", ttl=60, rdata="2001:db8::5")]))
    assert dns.run("10ms", until=lambda: r.done)
    assert r.addresses == ["2001:db8::5"]
    dns.handler = answer_ok
    r4 = bench.dut.resolve(QNAME)
    assert not r4.immediate
    assert dns.run("10ms", until=lambda: r4.done) and r4.addresses == ["192.0.2.1"]
    assert sorted(e["type"] for e in bench.dut.dns_cache()) == ["A", "AAAA"]


def test_configured_schedule(bench, sim):
    """The retransmission tunables: first wait 500 ms, 2 rounds: queries at
    0 and 0.5 s, TIMEOUT at 1.5 s."""
    prime(bench, (SERVER1,))
    dns = FakeDns(bench, servers=(SERVER1,))
    bench.dut.dns.configure(timeout="500ms", rounds=2)
    t0 = sim.now_ns
    r = bench.dut.resolve(QNAME)
    assert not dns.run("1499ms", until=lambda: r.done)
    assert [q.time_ns - t0 - tx_ns(query_frame_len()) - MS for q in dns.queries] == [0, 500 * MS]
    dns.run("1ms")
    assert r.error == "TIMEOUT"
    with pytest.raises(ValueError):
        bench.dut.dns.configure(rounds=0)
