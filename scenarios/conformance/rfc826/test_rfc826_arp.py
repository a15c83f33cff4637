"""RFC 826 (ARP), with RFC 1122 2.3.2 (ARP cache, flooding, queueing) and
RFC 5227 (announcements, conflicts), checked on the wire."""
import pytest

import shoal

from conformance_util import (ARP, BCAST_MAC, DELAY_NS, DUT_IP, ETH_ARP, OTHER_IP, SECOND_NS, TESTER_IP,
                              UDP, ZERO_MAC, Bench, Ether, arp, eth, is_arp, stats_delta, tx_ns, udp_frames)

NEW_MAC = "02:aa:bb:cc:dd:ee"


def check_arp_reply(f, bench, tha, tpa):
    """RFC 826 Packet Reception: the reply swaps the hardware and protocol
    fields, puts our addresses in sender, sets op to reply, and goes to the
    requester's hardware address (not broadcast)."""
    assert f[Ether].dst == tha
    assert f[Ether].src == bench.dut_mac
    assert f[Ether].type == ETH_ARP
    a = f[ARP]
    assert a.hwtype == 1  # ares_hrd$Ethernet
    assert a.ptype == 0x0800  # ares_pro: the EtherType of IPv4
    assert a.hwlen == 6 and a.plen == 4
    assert a.op == 2  # ares_op$REPLY
    assert a.hwsrc == bench.dut_mac and a.psrc == bench.dut_ip
    assert a.hwdst == tha and a.pdst == tpa
    # The stack pads short frames to the Ethernet minimum (60 bytes without FCS) with zeros.
    assert len(bytes(f)) == 60
    assert bytes(f)[42:] == bytes(18)


def test_reply_fields(bench):
    """RFC 826, Packet Reception: a request for our protocol address gets a
    reply with every field as the RFC sets it."""
    frames = bench.exchange(bench.arp_request(DUT_IP))
    assert len(frames) == 1
    check_arp_reply(frames[0], bench, bench.mac, TESTER_IP)


def test_reply_to_unicast_request(bench):
    """RFC 826, Packet Reception: the opcode and target decide, not the
    Ethernet destination; a unicast request (as sent when refreshing an
    entry, RFC 1122 2.3.2.1) is answered the same way."""
    frames = bench.exchange(bench.arp_request(DUT_IP, dst_mac=bench.dut_mac))
    assert len(frames) == 1
    check_arp_reply(frames[0], bench, bench.mac, TESTER_IP)


def test_reply_timing(bench):
    """RFC 826 Packet Reception (processing is instantaneous in the model): the
    reply arrives exactly one request time plus one reply time plus two
    propagation delays after the request left."""
    bench.tester.recv()
    req = bench.arp_request(DUT_IP)
    t0 = bench.sim.now_ns
    bench.send(req)
    frames = bench.run("20ms")
    assert len(frames) == 1
    f = frames[0]
    assert f.time_ns - t0 == 2 * DELAY_NS + tx_ns(len(req)) + tx_ns(len(bytes(f)))


def test_no_reply_for_other_address(bench):
    """RFC 826, Packet Reception: "Am I the target protocol address? No: done"
    -- a request for another host gets no reply."""
    before = bench.stats()
    assert bench.exchange(bench.arp_request(OTHER_IP)) == []
    assert bench.exchange(bench.arp_request("10.0.1.1")) == []
    assert bench.stats()["etharp.xmit"] == before["etharp.xmit"]


def test_gratuitous_arp_on_set_ip4(sim):
    """RFC 5227 3 (ARP Announcement) / RFC 826: setting an address on an up
    interface broadcasts one request whose sender and target protocol
    addresses are both the new address and whose target hardware address is zero."""
    b = Bench(sim)
    frames = b.initial_frames
    assert len(frames) == 1, frames
    f = frames[0]
    assert f[Ether].dst == BCAST_MAC and f[Ether].src == b.dut_mac and f[Ether].type == ETH_ARP
    a = f[ARP]
    assert (a.hwtype, a.ptype, a.hwlen, a.plen, a.op) == (1, 0x0800, 6, 4, 1)
    assert a.hwsrc == b.dut_mac and a.psrc == DUT_IP
    assert a.hwdst == ZERO_MAC and a.pdst == DUT_IP
    assert len(bytes(f)) == 60
    assert f.time_ns == b.t_set_ip_ns + tx_ns(60) + DELAY_NS


def test_gratuitous_arp_on_readdress(bench):
    """RFC 5227 3: changing the address announces the new one, once."""
    bench.dif.set_ip4("10.0.0.7/24")
    frames = bench.run("3s")
    arps = [f for f in frames if is_arp(f)]
    assert len(arps) == 1, frames
    assert arps[0][ARP].psrc == "10.0.0.7" and arps[0][ARP].pdst == "10.0.0.7"
    assert arps[0][ARP].op == 1 and arps[0][Ether].dst == BCAST_MAC
    # And the old address is no longer answered; the new one is.
    assert bench.exchange(bench.arp_request(DUT_IP)) == []
    frames = bench.exchange(bench.arp_request("10.0.0.7"))
    assert len(frames) == 1 and frames[0][ARP].psrc == "10.0.0.7" and frames[0][ARP].op == 2


def try_send(u, data, dst):
    """Offer a datagram; True if the stack took it. A refusal (the ARP queue
    is full) may show as 0 bytes taken or as a ShoalError: the RFCs say
    nothing of the API, only that the datagram is not sent."""
    try:
        n = u.sendto(data, dst)
    except shoal.ShoalError:
        return False
    assert n in (0, len(data))
    return n == len(data)


def send_udp_from_dut(bench, data, dst=TESTER_IP, dport=9, sock=None):
    u = sock or bench.dut.udp(port=5000)
    assert u.sendto(data, (dst, dport)) == len(data)
    return u


def test_request_creates_entry_for_requester(bench):
    """RFC 826, Packet Reception: "Am I the target protocol address? Yes: if
    Merge_flag is false, add the triplet" -- after answering, the dut sends to
    the requester without asking for its address."""
    bench.prime_arp()
    send_udp_from_dut(bench, b"hello")
    frames = bench.run("20ms")
    assert not any(is_arp(f) for f in frames)
    u = udp_frames(frames)
    assert len(u) == 1 and u[0][Ether].dst == bench.mac and bytes(u[0][UDP].payload)[:5] == b"hello"


def test_merge_updates_cached_sender(bench):
    """RFC 826, Packet Reception: "If the pair <protocol type, sender protocol
    address> is already in my translation table, update the sender hardware
    address field" -- before even checking the target. A request for some
    other host from a cached IP with a new MAC moves the dut's traffic there."""
    bench.prime_arp()
    u = send_udp_from_dut(bench, b"one")
    f1 = udp_frames(bench.run())
    assert len(f1) == 1 and f1[0][Ether].dst == bench.mac
    # The tester's IP now claims NEW_MAC, in a request that is not for the dut.
    assert bench.exchange(eth(BCAST_MAC, NEW_MAC, ETH_ARP, arp(1, NEW_MAC, TESTER_IP, ZERO_MAC, OTHER_IP))) == []
    send_udp_from_dut(bench, b"two", sock=u)
    frames = bench.run()
    assert not any(is_arp(f) for f in frames), "the entry was updated, no need to ask"
    f2 = udp_frames(frames)
    assert len(f2) == 1 and f2[0][Ether].dst == NEW_MAC


def test_merge_updates_from_reply(bench):
    """RFC 826, Packet Reception: the merge step applies to replies as well as
    requests (the opcode is looked at only afterwards)."""
    bench.prime_arp()
    u = send_udp_from_dut(bench, b"one")
    bench.run()
    assert bench.exchange(eth(bench.dut_mac, NEW_MAC, ETH_ARP,
                              arp(2, NEW_MAC, TESTER_IP, bench.dut_mac, DUT_IP))) == []
    send_udp_from_dut(bench, b"two", sock=u)
    f2 = udp_frames(bench.run())
    assert len(f2) == 1 and f2[0][Ether].dst == NEW_MAC


def test_request_for_other_creates_no_entry(bench):
    """RFC 826, Packet Reception: a packet whose target is not us adds nothing
    to the table (Merge_flag false and not the target). The dut must still
    ask for that sender's address before sending to it."""
    assert bench.exchange(bench.arp_request(OTHER_IP)) == []
    send_udp_from_dut(bench, b"x")
    frames = bench.run("20ms")
    assert len(frames) == 1 and is_arp(frames[0], 1), frames
    req = frames[0]
    assert req[Ether].dst == BCAST_MAC and req[Ether].src == bench.dut_mac
    a = req[ARP]
    assert (a.hwtype, a.ptype, a.hwlen, a.plen) == (1, 0x0800, 6, 4)
    assert a.hwsrc == bench.dut_mac and a.psrc == DUT_IP and a.pdst == TESTER_IP
    assert a.hwdst == ZERO_MAC  # RFC 5227 2.1.1: target hardware address zero in requests
    # Answer it: the queued datagram follows, to the MAC in the reply.
    frames = bench.exchange(bench.arp_reply_to_dut())
    u = udp_frames(frames)
    assert len(u) == 1 and u[0][Ether].dst == bench.mac and bytes(u[0][UDP].payload)[:1] == b"x"


def test_request_retries_then_drop(bench):
    """RFC 826 / RFC 1122 2.3.2.1 (no flooding: at most one request per second
    per address) and 2.3.2.2: an unanswered resolution is retried once a
    second, 5 requests in all; then the queued datagram is dropped and counted
    in etharp.drop, and never sent even if an answer comes late."""
    before = bench.stats()
    t0 = bench.sim.now_ns
    send_udp_from_dut(bench, b"lost", dst="10.0.0.3")
    frames = bench.run("4500ms")
    assert all(is_arp(f, 1) and f[ARP].pdst == "10.0.0.3" for f in frames), frames
    assert len(frames) == 5
    times = [f.time_ns for f in frames]
    assert times[0] == t0 + tx_ns(60) + DELAY_NS
    assert [b - a for a, b in zip(times, times[1:])] == [SECOND_NS] * 4
    assert bench.stats()["etharp.drop"] == before["etharp.drop"], "still waiting after the 5th request"
    frames = bench.run("3s")
    assert frames == [], "no 6th request"
    assert bench.stats()["etharp.drop"] - before["etharp.drop"] == 1
    # A late answer must not resurrect the dropped datagram.
    late = bench.exchange(bench.arp_reply_to_dut(spa="10.0.0.3"))
    assert udp_frames(late) == []


def test_one_request_for_many_queued(bench):
    """RFC 1122 2.3.2.1: several datagrams for the same unresolved address
    cause one request, not one each (ARP flooding prevention)."""
    u = bench.dut.udp(port=5000)
    for i in range(4):
        u.sendto(b"q%d" % i, (TESTER_IP, 9))
    frames = bench.run("200ms")
    assert len(frames) == 1 and is_arp(frames[0], 1)


def test_queue_bounded(bench):
    """RFC 1122 2.3.2.2 (queue while resolving) with Shoal's bound: at most 8
    datagrams wait; each one beyond pushes out the oldest for that address
    (counted in etharp.memerr), so the latest are kept; when the answer comes,
    the 8 kept go out in the order they were sent."""
    before = bench.stats()
    u = bench.dut.udp(port=5000)
    taken = [try_send(u, b"q%d" % i, (TESTER_IP, 9)) for i in range(10)]
    assert taken.count(True) == 10
    frames = bench.run("20ms")
    assert len(frames) == 1 and is_arp(frames[0], 1)
    assert bench.stats()["etharp.memerr"] - before["etharp.memerr"] == 2
    out = udp_frames(bench.exchange(bench.arp_reply_to_dut()))
    idx = [int(bytes(f[UDP].payload)[1:2]) for f in out]
    assert idx == list(range(2, 10))


def test_queue_keeps_latest(bench):
    """RFC 1122 2.3.2.2: the link layer SHOULD save at least the latest packet
    of each set destined to the same unresolved address."""
    u = bench.dut.udp(port=5000)
    for i in range(10):
        try_send(u, b"q%d" % i, (TESTER_IP, 9))
    bench.run("20ms")
    out = udp_frames(bench.exchange(bench.arp_reply_to_dut()))
    payloads = [bytes(f[UDP].payload)[:2] for f in out]
    assert b"q9" in payloads, payloads


def test_queue_bound_shared_across_destinations(bench):
    """Shoal's ARP queue bound (RFC 1122 2.3.2.2): 8 datagrams in all, whatever
    their destinations; both addresses get a request of their own."""
    before = bench.stats()
    u = bench.dut.udp(port=5000)
    for i in range(5):
        try_send(u, b"a%d" % i, (TESTER_IP, 9))
        try_send(u, b"b%d" % i, ("10.0.0.3", 9))
    frames = bench.run("20ms")
    assert sorted(f[ARP].pdst for f in frames if is_arp(f, 1)) == [TESTER_IP, "10.0.0.3"]
    assert len(frames) == 2
    assert bench.stats()["etharp.memerr"] - before["etharp.memerr"] == 2
    bench.send(bench.arp_reply_to_dut())
    bench.send(bench.arp_reply_to_dut(spa="10.0.0.3"))
    out = udp_frames(bench.run("20ms"))
    assert len(out) == 8


def good_arp_request(bench):
    return arp(1, bench.mac, TESTER_IP, ZERO_MAC, DUT_IP)


MALFORMED_ARP = {
    # name: (body builder, class counter)
    "htype_ieee802": (lambda b: arp(1, b.mac, TESTER_IP, ZERO_MAC, DUT_IP, htype=6), "proterr"),
    "ptype_ipv6": (lambda b: arp(1, b.mac, TESTER_IP, ZERO_MAC, DUT_IP, ptype=0x86DD), "proterr"),
    "hlen_8": (lambda b: arp(1, b.mac, TESTER_IP, ZERO_MAC, DUT_IP, hlen=8), "proterr"),
    "plen_16": (lambda b: arp(1, b.mac, TESTER_IP, ZERO_MAC, DUT_IP, plen=16), "proterr"),
    "truncated_27": (lambda b: good_arp_request(b)[:27], "lenerr"),
    "truncated_header_only": (lambda b: good_arp_request(b)[:8], "lenerr"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_ARP))
def test_malformed_arp_dropped(bench, case):
    """RFC 826, Packet Reception: "Do I have the hardware type in ar$hrd? ...
    Do I speak the protocol in ar$pro?" -- anything else, or a packet too
    short for its fields, is discarded (counted in etharp.drop and a class),
    creates no entry, and does not disturb ARP afterwards."""
    build, cls = MALFORMED_ARP[case]
    before = bench.stats()
    frame = eth(BCAST_MAC, bench.mac, ETH_ARP, build(bench))
    assert bench.exchange(frame) == []
    delta = stats_delta(before, bench.stats(), prefixes=["etharp."])
    assert delta == {"etharp.drop": 1, f"etharp.{cls}": 1}
    # No entry was made: sending to the tester needs a request first.
    send_udp_from_dut(bench, b"x")
    frames = bench.run("20ms")
    assert len(frames) == 1 and is_arp(frames[0], 1) and frames[0][ARP].pdst == TESTER_IP
    # ARP still works.
    frames = bench.exchange(bench.arp_request(DUT_IP))
    replies = [f for f in frames if is_arp(f, 2)]
    assert len(replies) == 1
    check_arp_reply(replies[0], bench, bench.mac, TESTER_IP)


def test_unknown_opcode_not_answered(bench):
    """RFC 826, Packet Reception: only ares_op$REQUEST is answered; other
    opcodes (here 3, a RARP request) get no reply."""
    frame = eth(BCAST_MAC, bench.mac, ETH_ARP, arp(3, bench.mac, TESTER_IP, ZERO_MAC, DUT_IP))
    assert bench.exchange(frame) == []


def test_arp_padding_ignored(bench):
    """RFC 826 / RFC 894: Ethernet pads short frames; bytes after the ARP
    fields are not part of the packet and must not make it malformed."""
    frame = bench.arp_request(DUT_IP) + b"\xaa" * 18
    frames = bench.exchange(frame)
    assert len(frames) == 1
    check_arp_reply(frames[0], bench, bench.mac, TESTER_IP)


def test_conflict_counted(bench):
    """RFC 5227 2.4: an ARP packet from another hardware address claiming one
    of our addresses is a conflict (etharp.conflicts)."""
    before = bench.stats()
    frame = eth(BCAST_MAC, NEW_MAC, ETH_ARP, arp(1, NEW_MAC, DUT_IP, ZERO_MAC, DUT_IP))
    bench.exchange(frame, "3s")
    assert bench.stats()["etharp.conflicts"] - before["etharp.conflicts"] == 1


def test_reply_to_us_creates_entry(bench):
    """RFC 826, Packet Reception: the "Am I the target?" step adds the sender
    whatever the opcode, so an (unsolicited) reply aimed at the dut also
    enters the sender: the dut then sends to it without asking."""
    assert bench.exchange(bench.arp_reply_to_dut()) == []
    send_udp_from_dut(bench, b"direct")
    frames = bench.run()
    assert not any(is_arp(f) for f in frames)
    u = udp_frames(frames)
    assert len(u) == 1 and u[0][Ether].dst == bench.mac


def test_probe_answered(bench):
    """RFC 5227 2.1.1 / RFC 826: an ARP probe (sender protocol address 0.0.0.0)
    for the dut's address is a request for it and is answered, to the
    prober's hardware address, with target protocol address 0.0.0.0."""
    frame = eth(BCAST_MAC, NEW_MAC, ETH_ARP, arp(1, NEW_MAC, "0.0.0.0", ZERO_MAC, DUT_IP))
    frames = bench.exchange(frame)
    assert len(frames) == 1
    check_arp_reply(frames[0], bench, NEW_MAC, "0.0.0.0")


def test_entry_expires(bench):
    """RFC 1122 2.3.2.1: cache entries MUST time out (Shoal: 300 s). After the
    lifetime without traffic, sending to the tester needs a new request."""
    bench.prime_arp()
    bench.run("301s")
    send_udp_from_dut(bench, b"late")
    frames = bench.run("20ms")
    assert len(frames) == 1 and is_arp(frames[0], 1), frames
    assert frames[0][ARP].pdst == TESTER_IP and frames[0][Ether].dst == BCAST_MAC


def test_entry_alive_before_lifetime(bench):
    """RFC 1122 2.3.2.1 (the other side of the timeout): well within the
    lifetime, the entry is used without a broadcast request."""
    bench.prime_arp()
    bench.run("200s")
    send_udp_from_dut(bench, b"early")
    frames = bench.run("20ms")
    assert len(udp_frames(frames)) == 1
    assert not any(is_arp(f) and f[Ether].dst == BCAST_MAC for f in frames)
