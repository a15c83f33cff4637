"""RFC 8415 (DHCPv6), stateless part, on the wire: the client's
Information-request (form, first delay, retransmission back-off), Reply
processing (DNS servers and domain list applied; invalid Replies ignored;
Information Refresh Time), the small stateless server of a node, client and
server nodes together, and DNS AAAA resolution through a server learned this
way. Python: iface.dhcp6(), .dhcp6_state/.dhcp6_dns/.dhcp6_domain,
node.dhcp6_server(link, dns=, domain=)."""
import struct

import pytest
from scapy.layers.dns import DNS, DNSQR, DNSRR

from nd6_util import (DUT_G, NH_UDP, NS, SECOND_NS, TESTER_G, Bench6, a16, eth6, icmp6_sent, ip6,
                      ip6_sent, mcast_mac, norm, ns_target, stats_delta, udp6)

ALL_DHCP = "ff02::1:2"  # All_DHCP_Relay_Agents_and_Servers (RFC 8415 7.1)
CLIENT_PORT, SERVER_PORT = 546, 547
SOLICIT, ADVERTISE, REPLY, INFO_REQUEST = 1, 2, 7, 11
OPT_CLIENTID, OPT_SERVERID, OPT_IA_NA, OPT_ORO, OPT_ELAPSED = 1, 2, 3, 6, 8
OPT_DNS, OPT_DOMAIN, OPT_IRT, OPT_INF_MAX_RT = 23, 24, 32, 83
DNS1, DNS2 = "2001:db8::53", "2001:db8::54"
SERVER_DUID = struct.pack("!HHI", 1, 1, 0x2A2A2A2A) + bytes.fromhex("020000000053")  # DUID-LLT
TESTER_DUID = struct.pack("!HH", 3, 1) + bytes.fromhex("02000000cafe")              # DUID-LL


# ---------------------------------------------------------------- messages

def opt(code, data: bytes) -> bytes:
    return struct.pack("!HH", code, len(data)) + data


def domain_list(*names) -> bytes:
    """RFC 8415 10: uncompressed DNS wire names (RFC 1035 3.1)."""
    out = b""
    for n in names:
        for label in n.strip(".").split("."):
            out += bytes([len(label)]) + label.encode()
        out += b"\0"
    return out


def dhcp6_msg(mtype, xid: int, options: bytes) -> bytes:
    return bytes([mtype]) + xid.to_bytes(3, "big") + options


def parse_options(b: bytes):
    """[(code, data)] of a DHCPv6 option area; asserts every length fits."""
    out = []
    while b:
        assert len(b) >= 4, f"truncated option header: {b.hex()}"
        code, ln = struct.unpack("!HH", b[:4])
        assert len(b) >= 4 + ln, f"option {code} runs past the message"
        out.append((code, b[4:4 + ln]))
        b = b[4 + ln:]
    return out


def valid_duid(d: bytes) -> bool:
    """RFC 8415 11: a DUID of type 1 (LLT), 2 (EN), 3 (LL) or 4 (UUID), at
    most 130 bytes with the type."""
    if len(d) < 2 or len(d) > 130:
        return False
    t = struct.unpack("!H", d[:2])[0]
    return (t == 1 and len(d) >= 8) or (t == 2 and len(d) >= 6) or (t == 3 and len(d) >= 4) or \
        (t == 4 and len(d) == 18)


class Msg:
    """A DHCPv6 message the dut sent: .p (P6), .type, .xid, .opts {code: data},
    .order [codes], .time_ns."""

    def __init__(self, p):
        self.p, self.time_ns = p, p.time_ns
        data = p.upper[8:]
        self.type, self.xid = data[0], int.from_bytes(data[1:4], "big")
        lst = parse_options(data[4:])
        self.order = [c for c, _ in lst]
        self.opts = dict(lst)


def dhcp6_sent(frames, dport=SERVER_PORT):
    out = []
    for p in ip6_sent(frames):
        if p.nh != NH_UDP or struct.unpack("!H", p.upper[2:4])[0] != dport:
            continue
        assert p.udp_checksum_ok(), f"UDP checksum (RFC 8200 8.1): {p!r}"
        assert struct.unpack("!H", p.upper[4:6])[0] == len(p.upper), "UDP length"
        out.append(Msg(p))
    return out


def reply_frame(b, req, *, xid=None, mtype=REPLY, server_id=SERVER_DUID, client_id="echo", dns=(DNS1, DNS2),
                domains=("example.test",), extra=b""):
    """A Reply from the tester (as server, port 547) to the dut's request."""
    xid = req.xid if xid is None else xid
    o = b""
    if client_id == "echo":
        o += opt(OPT_CLIENTID, req.opts[OPT_CLIENTID])
    elif client_id is not None:
        o += opt(OPT_CLIENTID, client_id)
    if server_id is not None:
        o += opt(OPT_SERVERID, server_id)
    if dns:
        o += opt(OPT_DNS, b"".join(a16(s) for s in dns))
    if domains:
        o += opt(OPT_DOMAIN, domain_list(*domains))
    o += extra
    src, dst = b.ll, req.p.src
    return eth6(b.dut_mac, b.mac, ip6(src, dst, NH_UDP, udp6(src, dst, SERVER_PORT, CLIENT_PORT,
                                                             dhcp6_msg(mtype, xid, o)), hlim=64))


@pytest.fixture
def b(sim):
    return Bench6(sim, ip6="ll")


def first_request(sim, tester, limit_ns=SECOND_NS + 2_000_000):
    """Run in 5 ms steps until the first Information-request reaches the
    tester (at most INF_MAX_DELAY plus the link); return it."""
    end = sim.now_ns + limit_ns
    while sim.now_ns < end:
        sim.run(duration="5ms")
        reqs = dhcp6_sent(tester.recv())
        if reqs:
            assert len(reqs) == 1
            return reqs[0]
    raise AssertionError("no Information-request within INF_MAX_DELAY (1 s)")


def start(b):
    b.tester.recv()
    b.t0 = b.sim.now_ns
    b.dif.dhcp6()
    return first_request(b.sim, b.tester)


# ===================================================================== client

def test_information_request_fields(b):
    """RFC 8415 18.2.6 / 7.1 / 21: Information-request (type 11) from the
    link-local address, port 546, to All_DHCP_Relay_Agents_and_Servers
    (ff02::1:2) port 547; Client Identifier with a valid DUID (11); Elapsed
    Time 0 in the first message (21.9); an ORO (21.7) asking for DNS
    servers (23, RFC 3646) and the domain search list (24); no IA
    options (16.12); first message within INF_MAX_DELAY (1 s)."""
    m = start(b)
    p = m.p
    assert p.src == b.dut_ll and p.dst == ALL_DHCP and p.eth_dst == mcast_mac(ALL_DHCP)
    assert struct.unpack("!HH", p.upper[:4]) == (CLIENT_PORT, SERVER_PORT)
    assert m.type == INFO_REQUEST
    assert valid_duid(m.opts[OPT_CLIENTID])
    assert m.opts[OPT_ELAPSED] == b"\0\0"
    oro = struct.unpack("!%dH" % (len(m.opts[OPT_ORO]) // 2), m.opts[OPT_ORO])
    assert len(m.opts[OPT_ORO]) % 2 == 0 and OPT_DNS in oro and OPT_DOMAIN in oro
    assert not {OPT_IA_NA, 4, 25} & set(m.order), "no IA options"
    assert len(m.order) == len(set(m.order)), "each option once"
    assert m.time_ns - b.t0 <= SECOND_NS + 2_000_000
    assert b.dif.dhcp6_state == "requesting"


def test_oro_requests_refresh_time_and_inf_max_rt(b):
    """RFC 8415 18.2.6: the ORO MUST request INF_MAX_RT (83) and the
    Information Refresh Time option (32)."""
    m = start(b)
    oro = struct.unpack("!%dH" % (len(m.opts[OPT_ORO]) // 2), m.opts[OPT_ORO])
    assert OPT_IRT in oro and OPT_INF_MAX_RT in oro


def test_first_delay_is_random(sim):
    """RFC 8415 18.2.6: the first Information-request is delayed by a random
    time in [0, INF_MAX_DELAY]: three clients draw different delays."""
    delays = []
    for i in range(3):
        n, t = sim.node(f"c{i}"), sim.raw_host(f"t{i}")
        l = sim.link(t, n, delay="1ms", rate="10Mbit")
        n.iface(l).enable_ip6()
        sim.run(duration="3s")
        t.recv()
        t0 = sim.now_ns
        n.iface(l).dhcp6()
        delays.append(first_request(sim, t).time_ns - t0)
    assert len(set(delays)) == 3 and all(d <= SECOND_NS + 2_000_000 for d in delays)


def test_retransmission_backoff(b):
    """RFC 8415 15 / 18.2.6 / 7.6: retransmission with IRT = INF_TIMEOUT
    (1 s): RT = IRT + RAND*IRT, then 2*RTprev + RAND*RTprev, RAND in
    [-0.1, +0.1]; same transaction id and Client ID; Elapsed Time (21.9)
    the hundredths of a second since the first message."""
    first = start(b)
    msgs = [first] + dhcp6_sent(b.run("70s"))
    assert len(msgs) >= 7
    assert {m.xid for m in msgs} == {first.xid}
    assert {m.opts[OPT_CLIENTID] for m in msgs} == {first.opts[OPT_CLIENTID]}
    gaps = [(y.time_ns - x.time_ns) / 1e9 for x, y in zip(msgs, msgs[1:])]
    assert 0.9 - 1e-6 <= gaps[0] <= 1.1 + 1e-6, gaps
    for g0, g1 in zip(gaps, gaps[1:]):
        assert 1.9 * g0 - 1e-6 <= g1 <= 2.1 * g0 + 1e-6, gaps
    assert len({round(g / 2 ** i, 4) for i, g in enumerate(gaps)}) > 1, "RAND is random"
    for m in msgs:
        el = struct.unpack("!H", m.opts[OPT_ELAPSED])[0]
        assert abs(el - (m.time_ns - first.time_ns) / 1e7) <= 1.01, (el, m.time_ns - first.time_ns)


def test_reply_applied(b):
    """RFC 8415 18.2.10 / RFC 3646 3-4: a valid Reply ends the exchange;
    the DNS servers and domain search list are applied; no more
    Information-requests before the refresh time (21.23: IRT_DEFAULT
    86400 s when the Reply has none)."""
    m = start(b)
    b.send(reply_frame(b, m))
    frames = b.run("50ms")
    assert b.dif.dhcp6_state == "done"
    assert [norm(x) for x in b.dif.dhcp6_dns] == [DNS1, DNS2]
    assert b.dif.dhcp6_domain in ("example.test", "example.test.")
    frames += b.run("3600s")
    assert dhcp6_sent(frames) == []


@pytest.mark.parametrize("irt,expect", [(600, 600), (100, 600), (1000, 1000)])
def test_information_refresh_time(b, irt, expect):
    """RFC 8415 21.23 / 18.2.6: with an Information Refresh Time option the
    client refreshes after that many seconds (at least IRT_MINIMUM, 600 s):
    a new Information-request with a new transaction id."""
    m = start(b)
    t_reply = b.sim.now_ns
    b.send(reply_frame(b, m, extra=opt(OPT_IRT, struct.pack("!I", irt))))
    frames = b.run(expect - 1)
    assert dhcp6_sent(frames) == []
    nxt = dhcp6_sent(b.run("2.2s"))
    assert len(nxt) == 1 and nxt[0].type == INFO_REQUEST and nxt[0].xid != m.xid
    assert expect * SECOND_NS <= nxt[0].time_ns - t_reply <= (expect + 1) * SECOND_NS + 5_000_000


@pytest.mark.parametrize("case", ["wrong_xid", "no_server_id", "wrong_client_id", "advertise", "truncated_option"])
def test_invalid_reply_ignored(b, case):
    """RFC 8415 16.10: the client discards a Reply whose transaction id does
    not match, that has no Server Identifier, or whose Client Identifier is
    not its DUID; 16: only Reply answers an Information-request; 21.1: an
    option running past the message is malformed. Nothing is applied and
    the client keeps retransmitting."""
    m = start(b)
    before = b.stats()
    if case == "wrong_xid":
        f = reply_frame(b, m, xid=m.xid ^ 0x00FF00)
    elif case == "no_server_id":
        f = reply_frame(b, m, server_id=None)
    elif case == "wrong_client_id":
        f = reply_frame(b, m, client_id=TESTER_DUID)
    elif case == "advertise":
        f = reply_frame(b, m, mtype=ADVERTISE)
    else:
        f = reply_frame(b, m, extra=struct.pack("!HH", OPT_DNS, 200) + a16(DNS1))
    b.send(f)
    b.run("50ms")
    assert b.dif.dhcp6_state == "requesting" and b.dif.dhcp6_dns == []
    assert stats_delta(before, b.stats()).get("dhcp6.drop", 0) >= 1
    again = dhcp6_sent(b.run("3s"))
    assert again and again[0].xid == m.xid, "still waiting for a Reply"
    b.send(reply_frame(b, again[-1]))
    b.run("50ms")
    assert b.dif.dhcp6_state == "done"


# ===================================================================== server

@pytest.fixture
def srv(sim):
    b = Bench6(sim, ip6="ll")
    b.server = b.dut.dhcp6_server(b.link, dns=[DNS1, DNS2], domain="example.test")
    return b


def info_request(b, xid=0x123456, *, client_id=TESTER_DUID, extra=b"", oro=(OPT_DNS, OPT_DOMAIN)):
    o = b""
    if client_id is not None:
        o += opt(OPT_CLIENTID, client_id)
    o += opt(OPT_ELAPSED, b"\0\0")
    if oro:
        o += opt(OPT_ORO, struct.pack("!%dH" % len(oro), *oro))
    o += extra
    src = b.ll
    return eth6(mcast_mac(ALL_DHCP), b.mac, ip6(src, ALL_DHCP, NH_UDP,
                                                udp6(src, ALL_DHCP, CLIENT_PORT, SERVER_PORT,
                                                     dhcp6_msg(INFO_REQUEST, xid, o)), hlim=1))


def server_replies(b, duration="200ms"):
    """Run; answer the server's NS for the tester's address (it resolves
    the client before unicasting, RFC 8415 18.3.10); return its Replies."""
    frames = b.run(duration)
    for ns in icmp6_sent(frames, NS):
        if ns_target(ns) == norm(b.ll):
            b.send(b.na(b.ll, dst=ns.src, S=True, O=True))
            frames += b.run(duration)
    return dhcp6_sent(frames, dport=CLIENT_PORT)


def test_server_answers_information_request(srv):
    """RFC 8415 18.3.6 / 16 / 21: the server answers an Information-request
    with a Reply (type 7) to the client's address and port 546, from port
    547: same transaction id, its Server Identifier (a valid DUID), the
    Client Identifier echoed byte for byte, the DNS servers (RFC 3646 3)
    and domain search list (RFC 3646 4, wire format, RFC 8415 10)."""
    b = srv
    b.send(info_request(b))
    reps = server_replies(b)
    assert len(reps) == 1
    r = reps[0]
    assert r.p.src == b.dut_ll and r.p.dst == norm(b.ll) and r.p.eth_dst == b.mac
    assert struct.unpack("!HH", r.p.upper[:4]) == (SERVER_PORT, CLIENT_PORT)
    assert (r.type, r.xid) == (REPLY, 0x123456)
    assert valid_duid(r.opts[OPT_SERVERID])
    assert r.opts[OPT_CLIENTID] == TESTER_DUID
    assert r.opts[OPT_DNS] == a16(DNS1) + a16(DNS2)
    assert r.opts[OPT_DOMAIN] == domain_list("example.test")
    assert not {OPT_IA_NA, 4, 25} & set(r.order)


def test_server_reply_without_client_id(srv):
    """RFC 8415 18.3.6: an Information-request without a Client Identifier
    is answered by a Reply without one."""
    b = srv
    b.send(info_request(b, client_id=None))
    reps = server_replies(b)
    assert len(reps) == 1 and OPT_CLIENTID not in reps[0].opts and OPT_DNS in reps[0].opts


@pytest.mark.parametrize("case", ["other_server_id", "ia_na"])
def test_server_discards(srv, case):
    """RFC 8415 16.12: a server discards an Information-request that names
    another server's DUID, or carries an IA option."""
    b = srv
    extra = opt(OPT_SERVERID, SERVER_DUID) if case == "other_server_id" else \
        opt(OPT_IA_NA, struct.pack("!III", 1, 0, 0))
    b.send(info_request(b, extra=extra))
    assert server_replies(b, "300ms") == []
    b.send(info_request(b, xid=0x654321))
    assert [r.xid for r in server_replies(b)] == [0x654321], "a valid one afterwards is answered"


def test_client_and_server_nodes(sim):
    """RFC 8415 18.2.6 / 18.3.6 end to end: a client node learns the DNS
    servers and domain from a server node on the same link."""
    s, c = sim.node("server"), sim.node("client")
    l = sim.link(s, c, delay="1ms")
    s.iface(l).enable_ip6()
    c.iface(l).enable_ip6()
    sim.run(duration="3s")
    s.dhcp6_server(l, dns=[DNS1], domain="example.test")
    c.iface(l).dhcp6()
    sim.run(duration="2s")
    assert c.iface(l).dhcp6_state == "done"
    assert [norm(x) for x in c.iface(l).dhcp6_dns] == [DNS1]
    assert c.iface(l).dhcp6_domain in ("example.test", "example.test.")


def test_learned_servers_reach_the_resolver(sim):
    """RFC 3646 3 / RFC 8415 21.10: the DNS servers of a Reply become the
    node's resolver servers without the script copying them (a resolver
    attached before the Reply; the Reply lists two servers, in order)."""
    b = Bench6(sim)
    assert b.dut.dns_servers() == []
    m = start(b)
    other = "2001:db8::53"
    b.send(reply_frame(b, m, dns=(TESTER_G, other)))
    b.run("50ms")
    assert [norm(x) for x in b.dif.dhcp6_dns] == [TESTER_G, other]
    assert [norm(x) for x in b.dut.dns_servers()] == [TESTER_G, other]


def test_aaaa_through_learned_server(sim):
    """RFC 8415 / RFC 3646 with RFC 3596 2.1 and RFC 1035: the client resolves
    an AAAA record through the DNS server it learned over DHCPv6 (the tester
    answers as that server at TESTER_G, port 53, over UDP/IPv6)."""
    b = Bench6(sim)
    m = start(b)
    b.send(reply_frame(b, m, dns=(TESTER_G,)))
    b.run("50ms")
    assert [norm(x) for x in b.dif.dhcp6_dns] == [TESTER_G]
    b.dut.dns_servers(b.dif.dhcp6_dns)
    lk = b.dut.resolve("h.example", type="AAAA")
    frames = b.run("20ms")
    nss = [p for p in icmp6_sent(frames, NS) if ns_target(p) == TESTER_G]
    assert nss, "resolving the DNS server's address"
    b.send(b.na(TESTER_G, dst=nss[0].src, S=True, O=True))
    frames = b.run("20ms")
    qs = [p for p in ip6_sent(frames) if p.nh == NH_UDP and struct.unpack("!H", p.upper[2:4])[0] == 53]
    assert len(qs) == 1
    q = qs[0]
    assert q.dst == TESTER_G and q.src == norm(DUT_G) and q.udp_checksum_ok()
    dq = DNS(q.upper[8:])
    assert dq.qd.qtype == 28 and dq.qd.qname == b"h.example."
    ans = DNS(id=dq.id, qr=1, aa=1, rd=dq.rd, ra=1, qd=DNSQR(qname="h.example.", qtype=28),
              an=DNSRR(rrname="h.example.", type=28, ttl=300, rdata="2001:db8::beef"))
    sport = struct.unpack("!H", q.upper[:2])[0]
    b.send(eth6(b.dut_mac, b.mac, ip6(TESTER_G, DUT_G, NH_UDP, udp6(TESTER_G, DUT_G, 53, sport, bytes(ans)),
                                      hlim=64)))
    b.run("20ms")
    assert lk.done and lk.error is None and [norm(x) for x in lk.addresses] == ["2001:db8::beef"]
