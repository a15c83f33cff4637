"""UDP and TCP over IPv6 through the Python socket API (issue 5 item 8):
echo and a 1 MiB transfer over global addresses, dual-stack sockets that
take IPv4 and IPv6 peers (RFC 3493 3.7; IPv4 peers reported as plain
"a.b.c.d"), V6ONLY sockets that refuse IPv4 (RFC 3493 5.3), link-local
peers with their zone (RFC 4007 6), and AAAA lookups through an IPv6 DNS
server (RFC 3596). The DNS server is a Scapy one behind a UDP socket.
"""

import random

import pytest
from scapy.layers.dns import DNS, DNSRR

import shoal

A4, B4 = "10.0.0.1", "10.0.0.2"
A6, B6 = "2001:db8:1::1", "2001:db8:1::2"
SIZE = 1 << 20


def pair(sim, delay="1ms"):
    """a and b on one link, dual-stack: 10.0.0.x/24 and 2001:db8:1::x/64
    (dad=False), their link-local addresses past DAD."""
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b, delay=delay)
    for node, v4, v6 in ((a, A4, A6), (b, B4, B6)):
        node.iface(link).set_ip4(f"{v4}/24")
        node.iface(link).add_ip6(f"{v6}/64", dad=False)
    assert sim.run_until(lambda: a.iface(link).ip6_linklocal and b.iface(link).ip6_linklocal, timeout="5s")
    return a, b, link


def echo_once(sim, client, server, dst, payload=b"ping"):
    """client sends payload to dst; server echoes it back to the sender it
    saw; returns (what the server saw as the sender, what the client got)."""
    client.sendto(payload, dst)
    seen = {}

    def served():
        got = server.recvfrom()
        if got is not None:
            seen["from"] = got[1]
            server.sendto(got[0], got[1])
        back = client.recvfrom()
        if back is not None:
            seen["back"] = back
        return "back" in seen

    assert sim.run_until(served, timeout="2s"), seen
    return seen["from"], seen["back"]


# ---- UDP ----

def test_udp_echo_ip6_global(sim):
    """A datagram to [2001:db8:1::2]:7 and back: both ends see the other's
    global address (RFC 6724 picks the global source for a global
    destination), the ports are kept, the payload intact."""
    a, b, _ = pair(sim)
    server, client = b.udp(7, addr="::"), a.udp(addr="::")
    frm, back = echo_once(sim, client, server, (B6, 7), b"hello over IPv6")
    assert frm == (A6, client.port)
    assert back == (b"hello over IPv6", (B6, 7))
    assert b.stats["ip6"]["recv"] >= 1 and b.stats["udp"]["recv"] >= 1


def test_udp_dual_stack_socket_takes_both_families(sim):
    """node.udp() (addr None) is dual-stack: an IPv4 datagram and an IPv6
    datagram reach the same socket; the IPv4 sender is reported as the plain
    "10.0.0.1" (not ::ffff:10.0.0.1), and replies go back over each family."""
    a, b, _ = pair(sim)
    server = b.udp(7)
    c4, c6 = a.udp(addr="0.0.0.0"), a.udp(addr="::")
    frm4, back4 = echo_once(sim, c4, server, (B4, 7), b"four")
    frm6, back6 = echo_once(sim, c6, server, (B6, 7), b"six")
    assert frm4 == (A4, c4.port) and back4 == (b"four", (B4, 7))
    assert frm6 == (A6, c6.port) and back6 == (b"six", (B6, 7))
    # One dual-stack client talks to both families too.
    cd = a.udp()
    assert echo_once(sim, cd, server, (B4, 7), b"d4")[1] == (b"d4", (B4, 7))
    assert echo_once(sim, cd, server, (B6, 7), b"d6")[1] == (b"d6", (B6, 7))


def test_udp_v4mapped_destination_goes_over_ipv4(sim):
    """RFC 4291 2.5.5.2 / RFC 3493 3.7: ::ffff:10.0.0.2 is the IPv4 peer
    10.0.0.2; the datagram leaves as IPv4 and the sender is seen as IPv4."""
    a, b, _ = pair(sim)
    server = b.udp(7)
    client = a.udp()
    before = b.stats["ip4"]["recv"]
    frm, back = echo_once(sim, client, server, ("::ffff:10.0.0.2", 7), b"mapped")
    assert frm == (A4, client.port)
    assert back[1] == (B4, 7)
    assert b.stats["ip4"]["recv"] > before


def test_v6only_udp_socket_refuses_ipv4(sim):
    """A socket bound to "::" is V6ONLY (RFC 3493 5.3): an IPv4 datagram to
    its port finds no socket (ICMP port unreachable, counted), and it cannot
    send to an IPv4 address; an IPv4-only socket cannot send to IPv6."""
    a, b, _ = pair(sim)
    server = b.udp(9, addr="::")
    client = a.udp(addr="0.0.0.0")
    client.sendto(b"x", (B4, 9))
    sim.run(duration="100ms")
    assert server.recvfrom() is None
    assert b.stats["icmp"]["xmit"] >= 1  # RFC 1122 4.1.3.1: port unreachable
    with pytest.raises(shoal.ShoalError):
        server.sendto(b"y", (A4, 9))
    with pytest.raises(shoal.ShoalError):
        client.sendto(b"z", (B6, 9))
    # An IPv6 datagram to the V6ONLY socket still arrives.
    a.udp(addr="::").sendto(b"v6", (B6, 9))
    assert sim.run_until(lambda: server.recvfrom() is not None, timeout="1s")


def test_udp_port_unreachable_ip6(sim):
    """No socket on the port: ICMPv6 destination unreachable, code 4 (port
    unreachable, RFC 4443 3.1), goes back to the sender."""
    a, b, _ = pair(sim)
    a.udp(addr="::").sendto(b"nobody", (B6, 4444))
    sim.run(duration="100ms")
    assert b.stats["icmp6"]["xmit"] >= 1


def test_udp_link_local_with_zone(sim):
    """Link-local peers carry their zone (RFC 4007 6): the server sees the
    client as "fe80::...%1" and answers it there; the zone can be left out
    on a node with a single interface."""
    a, b, link = pair(sim)
    ll_a, ll_b = a.iface(link).ip6_linklocal, b.iface(link).ip6_linklocal
    assert ll_a.endswith(f"%{a.iface(link).index}")
    server, client = b.udp(7), a.udp()
    frm, back = echo_once(sim, client, server, (ll_b, 7), b"ll")
    assert frm == (ll_a, client.port)
    assert back == (b"ll", (ll_b, 7))
    bare = ll_b.split("%")[0]
    assert echo_once(sim, client, server, (bare, 7), b"nozone")[1] == (b"nozone", (ll_b, 7))


def test_link_local_without_zone_is_ambiguous_on_two_interfaces(sim):
    """With two interfaces a link-local address needs its zone: without
    one, sendto raises ShoalError (RFC 4007 6); with it, the datagram goes."""
    a, b, link = pair(sim)
    c = sim.node("c")
    link2 = sim.link(a, c, delay="1ms")
    a.iface(link2).enable_ip6()
    c.iface(link2).enable_ip6()
    assert sim.run_until(lambda: a.iface(link2).ip6_linklocal and c.iface(link2).ip6_linklocal, timeout="5s")
    ll_b = b.iface(link).ip6_linklocal
    client = a.udp()
    with pytest.raises(shoal.ShoalError):
        client.sendto(b"?", (ll_b.split("%")[0], 7))
    server = b.udp(7)
    assert echo_once(sim, client, server, (ll_b, 7), b"zoned")[1] == (b"zoned", (ll_b, 7))


# ---- TCP ----

def transfer(sim, sender, receiver, data, timeout="60s"):
    """sender sends data then closes; returns what receiver read up to EOF."""
    got = bytearray()
    state = {"off": 0, "eof": False, "closed": False}

    def step():
        if state["off"] < len(data):
            state["off"] += sender.send(data[state["off"]:state["off"] + 65536])
        elif not state["closed"]:
            sender.close()
            state["closed"] = True
        chunk = receiver.recv()
        if chunk == b"":
            state["eof"] = True
        elif chunk:
            got.extend(chunk)
        return state["eof"]

    assert sim.run_until(step, timeout=timeout), f"{len(got)} of {len(data)} bytes"
    return bytes(got)


def test_tcp_1mib_over_ip6_intact(sim, seed):
    """1 MiB from a to [2001:db8:1::2]:80 arrives intact; the connection's
    ends are the global addresses and the MSS fits IPv6 over Ethernet
    (1500 - 40 - 20 = 1440, RFC 9293 3.7.1 / RFC 8200 5)."""
    a, b, _ = pair(sim)
    listener = b.tcp_listen(80, addr="::")
    conn = a.tcp_connect(B6, 80)
    assert sim.run_until(lambda: conn.state == "ESTABLISHED", timeout="2s")
    assert sim.run_until(lambda: listener_has(listener), timeout="1s")
    peer = listener._accepted
    assert conn.remote == (B6, 80) and conn.local[0] == A6
    assert peer.local == (B6, 80) and peer.remote == conn.local
    assert conn.info["mss"] == 1440 and peer.info["mss"] == 1440
    data = random.Random(seed).randbytes(SIZE)
    assert transfer(sim, conn, peer, data) == data


def listener_has(listener):
    got = listener.accept()
    if got is not None:
        listener._accepted = got
    return got is not None


def test_tcp_dual_stack_listener_accepts_both(sim):
    """tcp_listen(port) with addr None accepts an IPv4 and an IPv6 client on
    one port; the IPv4 peer is "10.0.0.1" (not v4-mapped), the IPv6 peer
    "2001:db8:1::1"; data flows on both."""
    a, b, _ = pair(sim)
    listener = b.tcp_listen(8080)
    c4, c6 = a.tcp_connect(B4, 8080), a.tcp_connect(B6, 8080)
    accepted = []

    def both():
        got = listener.accept()
        if got is not None:
            accepted.append(got)
        return len(accepted) == 2

    assert sim.run_until(both, timeout="2s")
    by_family = {(":" in s.remote[0]): s for s in accepted}
    s4, s6 = by_family[False], by_family[True]
    assert s4.remote == (A4, c4.local[1]) and s4.local == (B4, 8080)
    assert s6.remote == (A6, c6.local[1]) and s6.local == (B6, 8080)
    for client, server, msg in ((c4, s4, b"over four"), (c6, s6, b"over six")):
        client.send(msg)
        assert sim.run_until(lambda: server.pending == len(msg), timeout="1s")
        assert server.recv() == msg


def test_tcp_v6only_listener_refuses_ipv4(sim):
    """A listener on "::" is V6ONLY: an IPv4 SYN to its port is answered with
    a reset (RFC 9293 3.10.7.1), so the IPv4 client fails; IPv6 connects."""
    a, b, _ = pair(sim)
    listener = b.tcp_listen(81, addr="::")
    c4 = a.tcp_connect(B4, 81)
    assert sim.run_until(lambda: c4.state == "CLOSED", timeout="2s")
    assert c4.error != 0
    c6 = a.tcp_connect(B6, 81)
    assert sim.run_until(lambda: c6.state == "ESTABLISHED", timeout="2s")
    assert sim.run_until(lambda: listener.accept() is not None, timeout="1s")


def test_tcp_link_local_with_zone(sim):
    """TCP to a link-local address: both ends report "fe80::...%<zone>"."""
    a, b, link = pair(sim)
    ll_a, ll_b = a.iface(link).ip6_linklocal, b.iface(link).ip6_linklocal
    listener = b.tcp_listen(82)
    conn = a.tcp_connect(ll_b, 82)
    assert sim.run_until(lambda: listener_has(listener), timeout="2s")
    assert conn.remote == (ll_b, 82) and conn.local[0] == ll_a
    assert listener._accepted.remote == conn.local


# ---- DNS ----

def dns_aaaa_server(sim, node, answer):
    """A UDP socket on [::]:53 of node answering every AAAA question with one
    record (RFC 3596 2.1), built with Scapy."""
    sock = node.udp(53, addr="::")
    queries = []

    def serve():
        while (got := sock.recvfrom()) is not None:
            q = DNS(got[0])
            queries.append((q.qd.qname, q.qd.qtype, got[1]))
            r = DNS(id=q.id, qr=1, rd=q.rd, ra=1, qd=q.qd,
                    an=DNSRR(rrname=q.qd.qname, type="AAAA", ttl=60, rdata=answer))
            sock.sendto(bytes(r), got[1])

    return serve, queries


def test_resolve_aaaa_over_ipv6_server(sim):
    """node.dns_servers(["2001:db8:1::2"]) and resolve(type="AAAA"): the
    query goes over IPv6 to the server, the AAAA answer comes back as the
    IPv6 address string; the server list reads back as set."""
    a, b, _ = pair(sim)
    serve, queries = dns_aaaa_server(sim, b, "2001:db8:99::5")
    a.dns_servers([B6, "10.0.0.53"])
    assert a.dns_servers() == [B6, "10.0.0.53"]
    look = a.resolve("host.example", type="AAAA")
    assert sim.run_until(lambda: serve() or look.done, timeout="5s")
    assert look.error is None and look.addresses == ["2001:db8:99::5"]
    assert queries and queries[0][1] == 28 and queries[0][2][0] == A6
    # An IPv6 literal answers at once, no query.
    lit = a.resolve("2001:db8::7", type="AAAA")
    assert lit.done and lit.addresses == ["2001:db8::7"]


def test_ipv4_shapes_unchanged(sim):
    """The IPv4 API keeps its shapes: a dual-stack socket's IPv4 peer and a
    TCP connection's ends are plain dotted quads; Listener.addr for an
    IPv4-only listener reads "0.0.0.0"."""
    a, b, _ = pair(sim)
    listener = b.tcp_listen(83, addr="0.0.0.0")
    assert listener.addr == "0.0.0.0"
    conn = a.tcp_connect(B4, 83)
    assert sim.run_until(lambda: listener_has(listener), timeout="2s")
    assert conn.remote == (B4, 83) and conn.local[0] == A4
    assert isinstance(conn.info["remote_addr"], str) and conn.info["remote_addr"] == B4
