"""RFC 2131 (DHCP) client, checked on the wire: the tester plays the server
with Scapy and the dut's client is judged by what it sends and when."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dhcp_bench import (ARP, BCAST_MAC, BOOTP, DELAY_NS, DNS, IP, MASK, OTHER_MAC, ROUTER, SECOND_NS,  # noqa: E402
                        SERVER_IP, UDP, YIADDR, ZERO_MAC, DhcpBench, Ether, arp_frame, bootp_bytes, dhcp_options,
                        dhcp_type, is_probe, mac_bytes, opt, option_codes, tx_ns)


@pytest.fixture
def db(sim):
    return DhcpBench(sim)


def dhcp_stats(node):
    return dict(node.stats["dhcp"])


def delta(before, after):
    return {k: after[k] - before[k] for k in after if after[k] != before[k]}


def udp_checksum_ok(f):
    raw = IP(bytes(f[IP]))
    got = raw[UDP].chksum
    del raw[UDP].chksum
    return IP(bytes(raw))[UDP].chksum == got


# ------------------------------------------------------------------ DISCOVER

def test_discover_fields(db):
    """RFC 2131 2, 4.1, 4.4.1 and table 5: DISCOVER: op BOOTREQUEST, htype 1,
    hlen 6, hops 0, a random xid, secs 0, flags 0 (we take unicast), every
    address 0, chaddr = our MAC, no sname/file, the magic cookie, options 53
    (first), 61 (RFC 2132 9.14: type 1 + MAC), 12, 55 asking for 1, 3, 6, and
    neither 50 nor 54; from 0.0.0.0:68 to 255.255.255.255:67, link broadcast,
    at least 300 bytes of BOOTP (RFC 1542 2.1)."""
    db.start(hostname="dut-host")
    f = db.expect("discover", "1s")
    assert f[Ether].dst == BCAST_MAC and f[Ether].src == db.dut_mac
    assert f[IP].src == "0.0.0.0" and f[IP].dst == "255.255.255.255" and f[IP].ttl == 64
    assert f[UDP].sport == 68 and f[UDP].dport == 67 and udp_checksum_ok(f)
    b = f[BOOTP]
    assert (b.op, b.htype, b.hlen, b.hops, b.secs, b.flags) == (1, 1, 6, 0, 0, 0)
    assert b.xid != 0
    assert b.ciaddr == b.yiaddr == b.siaddr == b.giaddr == "0.0.0.0"
    assert b.chaddr == mac_bytes(db.dut_mac) + bytes(10)
    assert b.sname == bytes(64) and b.file == bytes(128)
    assert bytes(b)[236:240] == bytes([99, 130, 83, 99])
    assert len(bytes(b)) >= 300
    codes = option_codes(f)
    assert codes[0] == 53 and codes[-1] == 255
    o = dhcp_options(f)
    assert o["message-type"] == 1
    assert o["client_id"] == b"\x01" + mac_bytes(db.dut_mac)
    assert o["hostname"] == b"dut-host"
    assert {1, 3, 6} <= set(o["param_req_list"])
    assert 50 not in codes and 54 not in codes


def test_discover_without_client_id(db):
    """RFC 2132 9.14: the client identifier is optional; off, it is not sent."""
    db.start(client_id=False)
    f = db.expect("discover", "1s")
    assert 61 not in option_codes(f)


def test_discover_backoff(db):
    """RFC 2131 4.1: with no answer the DISCOVER is retransmitted after 4 s,
    then 8, 16, 32, 64 s (the maximum, repeated), each randomised by +/- 1 s,
    on the virtual clock; the xid stays; secs counts from the first."""
    db.start()
    frames = db.collect(260, lambda f: dhcp_type(f) == "discover")
    times = [f.time_ns for f in frames]
    gaps = [(b - a) / SECOND_NS for a, b in zip(times, times[1:])]
    assert len(gaps) >= 6, gaps
    for k, gap in enumerate(gaps):
        base = min(4 * 2 ** k, 64)
        assert base - 1 <= gap <= base + 1, (k, gaps)
    # randomised: the offsets are not all the same
    assert len({round(g - min(4 * 2 ** k, 64), 3) for k, g in enumerate(gaps)}) > 1
    assert len({f[BOOTP].xid for f in frames}) == 1
    for f, t in zip(frames, times):
        elapsed = (t - times[0]) / SECOND_NS
        assert abs(f[BOOTP].secs - elapsed) <= 1


# ------------------------------------------------------------------ REQUEST

def test_request_after_offer(db):
    """RFC 2131 3.1 step 3, 4.4.1 and table 5: after an OFFER the client
    broadcasts a REQUEST with the offer's xid, ciaddr 0, option 50 = the
    offered address and option 54 = the server; at once (same instant)."""
    db.start()
    disc = db.expect("discover", "1s")
    t_offer = db.sim.now_ns
    offer = db.reply(disc, "offer")
    db.tester.send(offer)
    req = db.expect("request", "1s")
    assert req.time_ns - t_offer == 2 * DELAY_NS + tx_ns(len(bytes(offer))) + tx_ns(len(bytes(req)))
    assert req[Ether].dst == BCAST_MAC and req[IP].src == "0.0.0.0" and req[IP].dst == "255.255.255.255"
    b = req[BOOTP]
    assert b.xid == disc[BOOTP].xid and b.op == 1 and b.ciaddr == "0.0.0.0" and b.yiaddr == "0.0.0.0"
    o = dhcp_options(req)
    assert o["message-type"] == 3
    assert o["requested_addr"] == YIADDR and o["server_id"] == SERVER_IP
    assert db.client.state == "REQUESTING"


def test_offer_unicast_to_offered_address(db):
    """RFC 2131 4.1: with the BROADCAST bit clear the server may unicast the
    OFFER to yiaddr and chaddr; a client without an address still takes it."""
    db.start()
    disc = db.expect("discover", "1s")
    assert disc[BOOTP].flags == 0
    db.tester.send(db.reply(disc, "offer", ip_dst=YIADDR, eth_dst=db.dut_mac))
    assert db.expect("request", "1s")[BOOTP].xid == disc[BOOTP].xid


def test_request_retransmit_then_restart(db):
    """RFC 2131 4.1 and 3.1.5: an unanswered REQUEST is retransmitted with the
    same back-off; when the retransmissions run out the client goes back to
    INIT and DISCOVERs with a new xid."""
    db.start()
    disc = db.expect("discover", "1s")
    db.tester.send(db.reply(disc, "offer"))
    frames = db.collect(130, lambda f: dhcp_type(f) in ("request", "discover"))
    reqs = [f for f in frames if dhcp_type(f) == "request"]
    assert len(reqs) == 5
    gaps = [(b.time_ns - a.time_ns) / SECOND_NS for a, b in zip(reqs, reqs[1:])]
    for k, gap in enumerate(gaps):
        assert 4 * 2 ** k - 1 <= gap <= 4 * 2 ** k + 1, gaps
    again = [f for f in frames if dhcp_type(f) == "discover"]
    assert again and again[0].time_ns > reqs[-1].time_ns
    assert again[0][BOOTP].xid != disc[BOOTP].xid


# ------------------------------------------------------------------ BOUND

def test_bound_sets_address_router_dns(db):
    """RFC 2131 4.4.1: on the ACK the client is configured: address, mask
    (option 1), router (option 3) as the default gateway, DNS servers
    (option 6) learned, lease (51) and T1/T2 defaults of 4.4.5."""
    db.bind(lease=3600)
    c = db.client
    assert c.state == "BOUND"
    assert db.dif.ip4 == YIADDR and db.dif.prefix_len == 24
    info = c.info()
    assert info["router"] == ROUTER and info["dns"] == DNS and info["server"] == SERVER_IP
    assert (info["lease"], info["t1"], info["t2"]) == (3600, 1800, 3150)
    assert 3599 < c.lease_left <= 3600
    assert db.dut.iface(db.link).dhcp_state == "BOUND"
    # the router is the default gateway: an off-link ping resolves it first
    db.collect(0.01)
    db.dut.ping("192.0.2.1", count=1, timeout="100ms")
    got = db.collect(0.05, lambda f: f.haslayer(ARP))
    assert len(got) == 1 and got[0][ARP].pdst == ROUTER and got[0][ARP].psrc == YIADDR


def test_bound_announces_address(db):
    """RFC 2131 4.4.1 / RFC 5227 2.3: once configured, the address is
    announced with a gratuitous ARP."""
    db.bind()
    db.collect(0.01)
    ann = [f for f in db.log if f.haslayer(ARP) and f[ARP].psrc == YIADDR and f[ARP].pdst == YIADDR]
    assert ann and ann[0][ARP].hwsrc == db.dut_mac and ann[0][Ether].dst == BCAST_MAC


def test_explicit_t1_t2(db):
    """RFC 2132 9.11 / 9.12: T1 and T2 given by the server are used."""
    db.bind(lease=1000, t1=100, t2=200)
    info = db.client.info()
    assert (info["t1"], info["t2"]) == (100, 200)


def test_ack_without_lease_dropped(db):
    """RFC 2131 table 3: an ACK to a REQUEST carries the lease time; one
    without it is dropped (dhcp.proterr) and the client keeps REQUESTING."""
    db.start()
    disc = db.expect("discover", "1s")
    db.tester.send(db.reply(disc, "offer"))
    req = db.expect("request", "1s")
    before = dhcp_stats(db.dut)
    db.tester.send(db.reply(req, "ack", lease=None))
    db.collect(0.02)
    assert delta(before, dhcp_stats(db.dut)) == {"drop": 1, "proterr": 1}
    assert db.client.state == "REQUESTING" and db.dif.ip4 is None


# ------------------------------------------------------------------ renew, rebind, expiry

def lease_start_ns(req):
    """When the dut sent the REQUEST that got the lease (RFC 2131 4.4.1)."""
    return req.time_ns - DELAY_NS - tx_ns(len(bytes(req)))


def test_renew_at_t1_unicast(db):
    """RFC 2131 4.4.5: at T1 (lease/2 from when the REQUEST was sent) the
    client enters RENEWING and unicasts a REQUEST to the server: new xid,
    ciaddr = its address, neither option 50 nor 54 (table 5), from its
    address; the ACK extends the lease."""
    _, req, _ = db.bind(lease=400)
    db.prime_arp(YIADDR)
    ren = db.expect("request", "250s")
    assert ren.time_ns == lease_start_ns(req) + 200 * SECOND_NS + DELAY_NS + tx_ns(len(bytes(ren)))
    assert ren[Ether].dst == db.mac
    assert ren[IP].src == YIADDR and ren[IP].dst == SERVER_IP
    b = ren[BOOTP]
    assert b.ciaddr == YIADDR and b.xid != req[BOOTP].xid
    codes = option_codes(ren)
    assert 50 not in codes and 54 not in codes
    assert db.client.state == "RENEWING"
    # RFC 2131 4.1: the server answers a client with an address by unicast.
    db.tester.send(db.reply(ren, "ack", lease=400, ip_dst=YIADDR, eth_dst=db.dut_mac, ciaddr=YIADDR))
    db.collect(0.01)
    assert db.client.state == "BOUND" and db.dif.ip4 == YIADDR
    assert 399 < db.client.lease_left <= 400


def test_renew_retransmission_then_rebind_broadcast(db):
    """RFC 2131 4.4.5: in RENEWING the REQUEST is retransmitted after half
    the time left to T2 (at least 60 s); at T2 the client enters REBINDING
    and broadcasts the REQUEST (ciaddr set, no 50/54)."""
    _, req, _ = db.bind(lease=400)   # T1 200 s, T2 350 s
    db.prime_arp(YIADDR)
    start = lease_start_ns(req)
    reqs = db.collect(352, lambda f: dhcp_type(f) == "request")
    sent = [(f.time_ns - start - DELAY_NS - tx_ns(len(bytes(f)))) / SECOND_NS for f in reqs]
    unicast = [f for f in reqs if f[IP].dst == SERVER_IP]
    bcast = [f for f in reqs if f[IP].dst == "255.255.255.255"]
    assert abs(sent[0] - 200) < 1e-6
    assert abs(sent[1] - 275) < 1e-6          # + (350 - 200) / 2
    assert len(unicast) >= 3 and len(bcast) == 1
    rb = bcast[0]
    # at T2 exactly (a broadcast needs no ARP)
    assert rb.time_ns == start + 350 * SECOND_NS + DELAY_NS + tx_ns(len(bytes(rb)))
    assert rb[Ether].dst == BCAST_MAC and rb[IP].src == YIADDR and rb[BOOTP].ciaddr == YIADDR
    assert 50 not in option_codes(rb) and 54 not in option_codes(rb)
    assert db.client.state == "REBINDING" and db.dif.ip4 == YIADDR


def test_rebind_ack_from_any_server(db):
    """RFC 2131 4.4.5: in REBINDING any server may extend the lease."""
    db.bind(lease=400)
    rb = db.wait(lambda f: dhcp_type(f) == "request" and f[IP].dst == "255.255.255.255", "400s")
    assert rb is not None
    db.tester.send(db.reply(rb, "ack", lease=1000, ip_dst=YIADDR, eth_dst=db.dut_mac, ciaddr=YIADDR,
                            server_id="10.0.0.3"))
    db.collect(0.01)
    assert db.client.state == "BOUND" and db.client.info()["lease"] == 1000


def test_lease_expiry_removes_address(db):
    """RFC 2131 4.4.5: if no ACK comes before the lease runs out the client
    stops using the address and goes back to INIT (a new DISCOVER)."""
    _, req, _ = db.bind(lease=400)
    start = lease_start_ns(req)
    disc = db.wait(lambda f: dhcp_type(f) == "discover", "450s")
    assert disc is not None
    assert disc.time_ns == start + 400 * SECOND_NS + DELAY_NS + tx_ns(len(bytes(disc)))
    assert db.dif.ip4 is None
    assert disc[IP].src == "0.0.0.0"
    assert db.client.state == "SELECTING"


def test_infinite_lease_never_renews(db):
    """RFC 2131 3.3: lease 0xffffffff means infinite: no T1, T2 or expiry."""
    db.bind(lease=0xFFFFFFFF)
    assert db.client.lease_left is None and db.client.state == "BOUND"
    assert db.collect(20000, lambda f: f.haslayer(BOOTP)) == []
    assert db.dif.ip4 == YIADDR


# ------------------------------------------------------------------ NAK

def test_nak_in_requesting_restarts(db):
    """RFC 2131 3.1 step 5 / 4.4.1: a NAK sends the client back to INIT: a
    new DISCOVER with a new xid, no address."""
    db.start()
    disc = db.expect("discover", "1s")
    db.tester.send(db.reply(disc, "offer"))
    req = db.expect("request", "1s")
    t = db.sim.now_ns
    db.tester.send(db.reply(req, "nak"))
    d2 = db.expect("discover", "1s")
    assert d2.time_ns - t < 10 * DELAY_NS
    assert d2[BOOTP].xid not in (disc[BOOTP].xid, req[BOOTP].xid)
    assert db.dif.ip4 is None and db.client.info()["naks"] == 1


def test_nak_in_renewing_drops_address(db):
    """RFC 2131 4.4.5: a NAK while RENEWING: stop using the address, INIT."""
    db.bind(lease=400)
    ren = db.expect("request", "250s")
    db.tester.send(db.reply(ren, "nak", ip_dst=YIADDR, eth_dst=db.dut_mac))
    d2 = db.expect("discover", "1s")
    assert db.dif.ip4 is None and d2[IP].src == "0.0.0.0"


def test_nak_from_other_server_ignored(db):
    """RFC 2131 4.4.1: in REQUESTING only the selected server's answer counts."""
    db.start()
    disc = db.expect("discover", "1s")
    db.tester.send(db.reply(disc, "offer"))
    req = db.expect("request", "1s")
    db.tester.send(db.reply(req, "nak", server_id="10.0.0.3"))
    db.collect(0.02)
    assert db.client.state == "REQUESTING"


# ------------------------------------------------------------------ DECLINE

def test_decline_on_arp_conflict(db):
    """RFC 2131 3.1 step 5 and 3.1.5: the client probes the acknowledged
    address (RFC 5227); when another host answers for it the client sends
    DHCPDECLINE (broadcast, ciaddr 0, options 50 and 54, no 55, secs 0, the
    transaction's xid) and restarts no sooner than 10 s later."""
    db.start(check_address=True)
    disc = db.expect("discover", "1s")
    db.tester.send(db.reply(disc, "offer"))
    req = db.expect("request", "1s")
    db.tester.send(db.reply(req, "ack"))
    probe = db.wait(lambda f: is_probe(f, YIADDR), "2s")
    assert probe is not None and db.dif.ip4 is None and db.client.state == "CHECKING"
    # the owner of the address answers the probe (RFC 5227 2.1.1)
    db.tester.send(arp_frame(2, OTHER_MAC, YIADDR, db.dut_mac, "0.0.0.0", dst=db.dut_mac))
    dec = db.expect("decline", "1s")
    assert dec[Ether].dst == BCAST_MAC and dec[IP].dst == "255.255.255.255" and dec[IP].src == "0.0.0.0"
    b = dec[BOOTP]
    assert b.ciaddr == "0.0.0.0" and b.xid == req[BOOTP].xid and b.secs == 0
    o = dhcp_options(dec)
    assert o["requested_addr"] == YIADDR and o["server_id"] == SERVER_IP
    assert 55 not in option_codes(dec) and 12 not in option_codes(dec)
    assert db.dif.ip4 is None and db.client.info()["declines"] == 1
    d2 = db.expect("discover", "20s")
    assert d2.time_ns - dec.time_ns == 10 * SECOND_NS
    assert d2[BOOTP].xid != req[BOOTP].xid


def test_no_decline_without_conflict(db):
    """RFC 2131 3.1.5 / RFC 5227 2.1.1: probes unanswered -> the address is used."""
    db.start(check_address=True)
    disc = db.expect("discover", "1s")
    db.tester.send(db.reply(disc, "offer"))
    req = db.expect("request", "1s")
    db.tester.send(db.reply(req, "ack"))
    assert db.sim.run_until(lambda: db.client.bound, "10s")
    assert db.dif.ip4 == YIADDR
    assert not [f for f in db.log if dhcp_type(f) == "decline"]


def test_defence_lost_declines(db):
    """RFC 5227 2.4 (b) with RFC 2131 3.1.5: a bound address that cannot be
    defended (two conflicts within 10 s) is given up with a DECLINE."""
    db.bind()
    claim = arp_frame(1, OTHER_MAC, YIADDR, ZERO_MAC, "10.0.0.9")
    db.tester.send(claim)
    db.collect(1)
    assert db.dif.ip4 == YIADDR  # defended once
    db.tester.send(claim)
    assert db.expect("decline", "1s") is not None
    assert db.dif.ip4 is None


# ------------------------------------------------------------------ RELEASE

def test_release(db):
    """RFC 2131 4.4.6: DHCPRELEASE is unicast to the server with ciaddr = the
    address and option 54, no option 50, secs 0; the address is dropped."""
    _, req, _ = db.bind()
    db.client.release()
    rel = db.expect("release", "1s")
    assert rel[Ether].dst == db.mac and rel[IP].src == YIADDR and rel[IP].dst == SERVER_IP
    assert rel[BOOTP].ciaddr == YIADDR and rel[BOOTP].secs == 0
    o = dhcp_options(rel)
    assert o["server_id"] == SERVER_IP and 50 not in option_codes(rel)
    db.collect(0.05)
    assert db.dif.ip4 is None and db.client.state == "OFF"


def test_stop_clears_address(db):
    """A stopped client removes the address DHCP gave and sends nothing more."""
    db.bind()
    db.client.stop()
    assert db.dif.ip4 is None
    assert db.collect(5000, lambda f: f.haslayer(BOOTP)) == []


# ------------------------------------------------------------------ malformed replies

def _valid_opts(server=True, lease=True):
    import socket
    o = opt(53, b"\x02")
    if server:
        o += opt(54, socket.inet_aton(SERVER_IP))
    if lease:
        o += opt(51, (3600).to_bytes(4, "big"))
    return o


MALFORMED = {
    # name: (builder(xid, chaddr) -> payload, counters expected)
    "truncated": (lambda x, c: bootp_bytes(xid=x, chaddr=c, options=_valid_opts())[:200], {"lenerr": 1}),
    "bad_cookie": (lambda x, c: bootp_bytes(xid=x, chaddr=c, cookie=0x63825364, options=_valid_opts() + b"\xff"),
                   {"proterr": 1}),
    "op_request": (lambda x, c: bootp_bytes(op=1, xid=x, chaddr=c, yiaddr=YIADDR, options=_valid_opts() + b"\xff"),
                   {"proterr": 1}),
    "op_zero": (lambda x, c: bootp_bytes(op=0, xid=x, chaddr=c, yiaddr=YIADDR, options=_valid_opts() + b"\xff"),
                {"proterr": 1}),
    "htype_token_ring": (lambda x, c: bootp_bytes(htype=6, xid=x, chaddr=c, yiaddr=YIADDR,
                                                  options=_valid_opts() + b"\xff"), {"proterr": 1}),
    "hlen_too_big": (lambda x, c: bootp_bytes(hlen=17, xid=x, chaddr=c, yiaddr=YIADDR,
                                              options=_valid_opts() + b"\xff"), {"proterr": 1}),
    "option_overruns": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR,
                                                 options=_valid_opts() + bytes([51, 10, 0, 0])), {"opterr": 1}),
    "option_length_missing": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR,
                                                       options=_valid_opts() + bytes([3])), {"opterr": 1}),
    "msg_type_len_2": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR,
                                                options=opt(53, b"\x02\x02") + b"\xff"), {"opterr": 1}),
    "server_id_len_3": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR,
                                                 options=opt(53, b"\x02") + opt(54, b"\x0a\x00\x00") + b"\xff"),
                        {"opterr": 1}),
    "dns_len_6": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR,
                                           options=_valid_opts() + opt(6, bytes(6)) + b"\xff"), {"opterr": 1}),
    "overload_5": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR,
                                            options=_valid_opts() + opt(52, b"\x05") + b"\xff"), {"opterr": 1}),
    "overload_file_overruns": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR, file=bytes([12, 200, 1]),
                                                        options=_valid_opts() + opt(52, b"\x01") + b"\xff"),
                               {"opterr": 1}),
    "bootp_no_type": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR, options=b"\xff"), {"proterr": 1}),
    "offer_no_server_id": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR,
                                                    options=_valid_opts(server=False) + b"\xff"), {"proterr": 1}),
    "offer_yiaddr_zero": (lambda x, c: bootp_bytes(xid=x, chaddr=c, options=_valid_opts() + b"\xff"),
                          {"proterr": 1}),
    "offer_yiaddr_broadcast": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr="255.255.255.255",
                                                        options=_valid_opts() + b"\xff"), {"proterr": 1}),
    "ack_in_selecting": (lambda x, c: bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR,
                                                  options=opt(53, b"\x05") + _valid_opts()[3:] + b"\xff"),
                         {"proterr": 1}),
    "wrong_xid": (lambda x, c: bootp_bytes(xid=x ^ 1, chaddr=c, yiaddr=YIADDR, options=_valid_opts() + b"\xff"), {}),
    "wrong_chaddr": (lambda x, c: bootp_bytes(xid=x, chaddr=bytes(6), yiaddr=YIADDR, options=_valid_opts() + b"\xff"),
                     {}),
    "empty": (lambda x, c: b"", {"lenerr": 1}),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_offer_dropped(db, case):
    """RFC 2131 2 / 4.4.1 and RFC 2132 2: a reply that is truncated, has a
    bad cookie, op, htype/hlen, options that run past their field or have
    wrong lengths, lacks what an OFFER must carry, or is not for our
    transaction is dropped and counted (dhcp.drop plus lenerr / proterr /
    opterr); the client keeps SELECTING and still takes a good OFFER."""
    db.start()
    disc = db.expect("discover", "1s")
    build, classes = MALFORMED[case]
    before = dhcp_stats(db.dut)
    db.tester.send(db.raw_reply(build(disc[BOOTP].xid, mac_bytes(db.dut_mac))))
    got = db.collect(0.02)
    assert not [f for f in got if dhcp_type(f) == "request"]
    expect = dict(classes, drop=1)
    assert delta(before, dhcp_stats(db.dut)) == expect
    assert db.client.state == "SELECTING"
    db.tester.send(db.reply(disc, "offer"))
    assert db.expect("request", "1s") is not None


def test_renewing_ignores_stale_xid(db):
    """RFC 2131 4.4.1: an ACK with the old transaction's xid does not count
    in RENEWING (a new xid per exchange)."""
    _, req, _ = db.bind(lease=400)
    ren = db.expect("request", "250s")
    db.tester.send(db.reply(req, "ack", lease=400, ip_dst=YIADDR, eth_dst=db.dut_mac, ciaddr=YIADDR))
    db.collect(0.01)
    assert db.client.state == "RENEWING"
    assert ren[BOOTP].xid != req[BOOTP].xid
