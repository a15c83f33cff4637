"""RFC 2132 (DHCP options) as the client parses them: pad and end, option
overload into file/sname, lists, lengths. The tester's OFFER / ACK are built
byte by byte."""
import os
import socket
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rfc2131"))

from dhcp_bench import BOOTP, SERVER_IP, YIADDR, DhcpBench, bootp_bytes, dhcp_options, mac_bytes, opt  # noqa: E402


def a(ip):
    return socket.inet_aton(ip)


def u32(x):
    return x.to_bytes(4, "big")


@pytest.fixture
def db(sim):
    return DhcpBench(sim)


def offer_then_ack(db, offer_opts, ack_opts, **kw):
    """Send a hand-built OFFER, expect a REQUEST, send a hand-built ACK."""
    db.start(check_address=False)
    disc = db.expect("discover", "1s")
    x, c = disc[BOOTP].xid, mac_bytes(db.dut_mac)
    db.tester.send(db.raw_reply(bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR, options=offer_opts, **kw)))
    req = db.expect("request", "1s")
    db.tester.send(db.raw_reply(bootp_bytes(xid=x, chaddr=c, yiaddr=YIADDR, options=ack_opts, **kw)))
    db.collect(0.02)
    return req


def base(t):
    return opt(53, bytes([t])) + opt(54, a(SERVER_IP)) + opt(51, u32(600))


def test_pad_and_end(db):
    """RFC 2132 3.1 / 3.2: pad (0) has no length and may appear anywhere;
    end (255) ends the options: what follows it is ignored."""
    junk = bytes([51, 4]) + u32(5)  # a lease option after end must not count
    req = offer_then_ack(db, b"\0\0" + base(2) + b"\0" + b"\xff" + junk,
                         base(5) + b"\0\0\0" + opt(1, a("255.255.0.0")) + b"\xff" + junk)
    assert dhcp_options(req)["server_id"] == SERVER_IP
    assert db.client.bound and db.client.lease == 600 and db.dif.prefix_len == 16


def test_missing_end_tolerated(db):
    """RFC 2132 2 requires an end option; a reply whose options simply stop
    at the end of the datagram is still read (robustness)."""
    offer_then_ack(db, base(2), base(5))
    assert db.client.bound


@pytest.mark.parametrize("where", [1, 2, 3])
def test_option_overload(db, where):
    """RFC 2132 9.3 / RFC 2131 4.1: option 52 says the file (1), sname (2) or
    both (3) fields hold options too; they are parsed after the options field."""
    more = opt(54, a(SERVER_IP)) + opt(51, u32(900)) + b"\xff"
    first = opt(53, b"\x02") + opt(52, bytes([where])) + b"\xff"
    kw = {"file": more} if where in (1, 3) else {"sname": more}
    if where == 3:
        kw = {"file": opt(54, a(SERVER_IP)) + b"\xff", "sname": opt(51, u32(900)) + b"\xff"}
    ack_first = opt(53, b"\x05") + opt(52, bytes([where])) + b"\xff"
    req = offer_then_ack(db, first, ack_first, **kw)
    assert dhcp_options(req)["server_id"] == SERVER_IP
    assert db.client.bound and db.client.lease == 900


def test_lists_first_entries(db):
    """RFC 2132 3.5 / 3.8: routers and DNS servers are lists in order of
    preference: the first router, the first two DNS servers are kept."""
    dns = a("10.0.0.7") + a("10.0.0.8") + a("10.0.0.9")
    offer_then_ack(db, base(2) + b"\xff", base(5) + opt(3, a("10.0.0.250") + a("10.0.0.251")) + opt(6, dns)
                   + opt(1, a("255.255.255.128")) + b"\xff")
    assert db.client.router == "10.0.0.250" and db.client.dns == ["10.0.0.7", "10.0.0.8"]
    assert db.dif.prefix_len == 25


def test_unknown_options_skipped(db):
    """RFC 2131 4.1 / RFC 2132 2: options the client does not know are skipped by length."""
    offer_then_ack(db, opt(224, b"x" * 40) + base(2) + opt(43, b"vendor") + b"\xff",
                   opt(250, b"") + base(5) + b"\xff")
    assert db.client.bound


def test_t1_above_t2_corrected(db):
    """RFC 2131 4.4.5: T1 < T2 < lease; inconsistent values fall back to the defaults."""
    offer_then_ack(db, base(2) + b"\xff", base(5) + opt(58, u32(700)) + opt(59, u32(800)) + b"\xff")
    info = db.client.info()
    assert (info["lease"], info["t1"], info["t2"]) == (600, 300, 525)


def test_default_mask_classful(db):
    """Without option 1 the mask follows the address class (RFC 1122 3.3.1.1 era)."""
    offer_then_ack(db, base(2) + b"\xff", base(5) + b"\xff")
    assert db.dif.prefix_len == 8  # 10.0.0.50 is class A
