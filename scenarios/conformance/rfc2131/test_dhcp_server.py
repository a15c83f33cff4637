"""The simulation DHCP server (stack/apps/dhcp_server.c) against RFC 2131
4.3, driven by a Scapy client on a raw host."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from dhcp_bench import (BCAST_MAC, BOOTP, DHCP, IP, UDP, Ether, bootp_bytes, dhcp_options, dhcp_type,  # noqa: E402
                        mac_bytes, opt)

SRV_IP = "10.0.0.1"
POOL = ("10.0.0.100", "10.0.0.102")
MACS = ["02:10:00:00:00:01", "02:10:00:00:00:02", "02:10:00:00:00:03", "02:10:00:00:00:04"]


class ServerBench:
    def __init__(self, sim, pool=POOL, lease="1h"):
        self.sim = sim
        self.srv_node = sim.node("srv")
        self.tester = sim.raw_host("tester")
        self.link = sim.link(self.tester, self.srv_node, delay="1ms", rate="10Mbit")
        self.sif = self.srv_node.iface(self.link)
        self.sif.set_ip4(f"{SRV_IP}/24")
        self.srv_mac = self.sif.mac
        self.server = self.srv_node.dhcp_server(self.link, pool=pool, lease=lease, router=SRV_IP,
                                                dns=["10.0.0.53"])
        sim.run(duration="10ms")
        self.tester.recv()

    def send(self, mac, msg_type, xid=0x1000, ciaddr="0.0.0.0", src="0.0.0.0", dst="255.255.255.255",
             eth_dst=BCAST_MAC, options=()):
        opts = [("message-type", msg_type)] + list(options) + ["end"]
        f = (Ether(src=mac, dst=eth_dst) / IP(src=src, dst=dst) / UDP(sport=68, dport=67)
             / BOOTP(op=1, xid=xid, ciaddr=ciaddr, chaddr=mac_bytes(mac) + bytes(10)) / DHCP(options=opts))
        self.tester.send(f)
        return f

    def replies(self, duration="20ms"):
        self.sim.run(duration=duration)
        return [f for f in self.tester.recv() if f.haslayer(DHCP)]

    def one(self, duration="20ms"):
        got = self.replies(duration)
        assert len(got) == 1, got
        return got[0]

    def lease(self, mac, xid=0x2000):
        """DISCOVER / OFFER / REQUEST / ACK for mac; the address."""
        self.send(mac, "discover", xid=xid)
        off = self.one()
        ip = off[BOOTP].yiaddr
        self.send(mac, "request", xid=xid, options=[("requested_addr", ip), ("server_id", SRV_IP)])
        ack = self.one()
        assert dhcp_type(ack) == "ack"
        return ip


@pytest.fixture
def sb(sim):
    return ServerBench(sim)


def test_offer_fields(sb):
    """RFC 2131 4.3.1 and table 3: OFFER: op BOOTREPLY, the request's xid and
    chaddr, yiaddr from the pool, ciaddr 0, options 53, 54 (the server's
    address), 51, 58/59 (lease/2, 7/8 lease), 1, 3, 6; broadcast from port 67
    to port 68 (4.1)."""
    sb.send(MACS[0], "discover", xid=0xabcdef01)
    f = sb.one()
    assert f[Ether].dst == BCAST_MAC and f[Ether].src == sb.srv_mac
    assert f[IP].src == SRV_IP and f[IP].dst == "255.255.255.255"
    assert f[UDP].sport == 67 and f[UDP].dport == 68
    b = f[BOOTP]
    assert b.op == 2 and b.xid == 0xabcdef01 and b.yiaddr == POOL[0] and b.ciaddr == "0.0.0.0"
    assert b.chaddr[:6] == mac_bytes(MACS[0])
    o = dhcp_options(f)
    assert o["message-type"] == 2 and o["server_id"] == SRV_IP
    assert (o["lease_time"], o["renewal_time"], o["rebinding_time"]) == (3600, 1800, 3150)
    assert o["subnet_mask"] == "255.255.255.0" and o["router"] == SRV_IP and o["name_server"] == "10.0.0.53"


def test_deterministic_choice(sb):
    """RFC 2131 4.3.1: the lowest free address for a new client; a client
    asking again gets its own address back."""
    assert [sb.lease(m, xid=i) for i, m in enumerate(MACS[:3])] == ["10.0.0.100", "10.0.0.101", "10.0.0.102"]
    sb.send(MACS[1], "discover", xid=9)
    assert sb.one()[BOOTP].yiaddr == "10.0.0.101"
    assert [l["state"] for l in sb.server.leases] == ["BOUND"] * 3


def test_requested_address_honoured(sb):
    """RFC 2131 4.3.1: a free address the client asks for (option 50) is offered."""
    sb.send(MACS[0], "discover", options=[("requested_addr", "10.0.0.102")])
    assert sb.one()[BOOTP].yiaddr == "10.0.0.102"


def test_pool_exhausted_no_offer(sb):
    """RFC 2131 4.3.1: no address to offer -> no OFFER (counted in dhcp.err)."""
    for i, m in enumerate(MACS[:3]):
        sb.lease(m, xid=i)
    before = sb.srv_node.stats["dhcp"]["err"]
    sb.send(MACS[3], "discover")
    assert sb.replies() == []
    assert sb.srv_node.stats["dhcp"]["err"] == before + 1


def test_request_for_other_server_frees_offer(sb):
    """RFC 2131 4.3.2: a REQUEST naming another server means our offer was
    declined: no answer, the offered address is free again."""
    sb.send(MACS[0], "discover")
    sb.one()
    sb.send(MACS[0], "request", options=[("requested_addr", "10.0.0.100"), ("server_id", "10.0.0.9")])
    assert sb.replies() == []
    assert sb.server.leases[0]["state"] == "FREE"


def test_request_wrong_address_nak(sb):
    """RFC 2131 4.3.2: SELECTING with an address that is not the offer -> NAK
    (broadcast, yiaddr 0, option 54, no lease)."""
    sb.send(MACS[0], "discover")
    sb.one()
    sb.send(MACS[0], "request", options=[("requested_addr", "10.0.0.101"), ("server_id", SRV_IP)])
    f = sb.one()
    assert dhcp_type(f) == "nak" and f[BOOTP].yiaddr == "0.0.0.0" and f[IP].dst == "255.255.255.255"
    o = dhcp_options(f)
    assert o["server_id"] == SRV_IP and "lease_time" not in o


@pytest.mark.parametrize("addr,expect", [("10.0.0.101", "ack"), ("10.9.0.5", "nak"), ("10.0.0.1", "nak")])
def test_init_reboot(sb, addr, expect):
    """RFC 2131 4.3.2 INIT-REBOOT (option 50, no 54): ACK a valid free
    address, NAK one on the wrong network or not in the pool."""
    sb.send(MACS[0], "request", options=[("requested_addr", addr)])
    assert dhcp_type(sb.one()) == expect


def test_renew_unicast_ack(sb):
    """RFC 2131 4.3.2 RENEWING: ciaddr set, no 50/54 -> ACK unicast to ciaddr,
    the lease extended."""
    ip = sb.lease(MACS[0])
    sb.sim.run(duration=100)
    sb.tester.recv()
    sb.send(MACS[0], "request", xid=77, ciaddr=ip, src=ip, dst=SRV_IP, eth_dst=sb.srv_mac)
    sb.sim.run(duration="20ms")
    frames = sb.tester.recv()
    # the server resolves the client's address first (ARP), which nobody answers here
    assert any(f.haslayer("ARP") and f["ARP"].pdst == ip for f in frames)
    assert sb.server.leases[0]["expires"] == pytest.approx(sb.sim.now + 3600, abs=1)


def test_decline_marks_address(sb):
    """RFC 2131 4.3.3: DECLINE -> the address is marked in use and not offered again."""
    ip = sb.lease(MACS[0])
    sb.send(MACS[0], "decline", options=[("requested_addr", ip), ("server_id", SRV_IP)])
    assert sb.replies() == []
    assert sb.server.leases[0]["state"] == "DECLINED"
    sb.send(MACS[0], "discover", xid=5)
    assert sb.one()[BOOTP].yiaddr == "10.0.0.101"
    assert sb.server.counts["declines"] == 1


def test_release_frees(sb):
    """RFC 2131 4.3.4: RELEASE of ciaddr by its client frees the lease."""
    ip = sb.lease(MACS[0])
    sb.send(MACS[0], "release", ciaddr=ip, src=ip, dst=SRV_IP, eth_dst=sb.srv_mac,
            options=[("server_id", SRV_IP)])
    assert sb.replies() == []
    assert sb.server.leases[0]["state"] == "FREE"
    # a release from another client changes nothing
    ip2 = sb.lease(MACS[1], xid=3)
    sb.send(MACS[0], "release", ciaddr=ip2, options=[("server_id", SRV_IP)])
    sb.replies()
    assert [l["state"] for l in sb.server.leases if l["address"] == ip2] == ["BOUND"]


def test_inform(sb):
    """RFC 2131 4.3.5: INFORM -> ACK with the configuration, no lease time,
    yiaddr 0, to ciaddr."""
    sb.send(MACS[0], "inform", ciaddr="10.0.0.77", src="10.0.0.77", dst=SRV_IP, eth_dst=sb.srv_mac)
    sb.sim.run(duration="20ms")
    frames = sb.tester.recv()
    arp = [f for f in frames if f.haslayer("ARP")]
    assert arp and arp[0]["ARP"].pdst == "10.0.0.77"  # unicast: it resolves ciaddr
    # answer the ARP so the ACK can leave
    from scapy.layers.l2 import ARP
    sb.tester.send(Ether(src=MACS[0], dst=sb.srv_mac) / ARP(op=2, hwsrc=MACS[0], psrc="10.0.0.77",
                                                          hwdst=sb.srv_mac, pdst=SRV_IP))
    f = sb.one()
    assert dhcp_type(f) == "ack" and f[IP].dst == "10.0.0.77" and f[BOOTP].yiaddr == "0.0.0.0"
    o = dhcp_options(f)
    assert "lease_time" not in o and o["subnet_mask"] == "255.255.255.0"
    assert sb.server.counts["informs"] == 1


@pytest.mark.parametrize("payload,cls", [
    (b"\x01" * 100, "lenerr"),
    (bootp_bytes(op=1, cookie=1, chaddr=mac_bytes(MACS[0]), options=b"\xff"), "proterr"),
    (bootp_bytes(op=1, chaddr=mac_bytes(MACS[0]), options=opt(53, b"\x01") + bytes([55, 9, 1])), "opterr"),
    (bootp_bytes(op=2, chaddr=mac_bytes(MACS[0]), options=opt(53, b"\x01") + b"\xff"), "proterr"),
    (bootp_bytes(op=1, chaddr=mac_bytes(MACS[0]), options=b"\xff"), "proterr"),
], ids=["truncated", "bad_cookie", "option_overruns", "bootreply", "bootp_no_type"])
def test_malformed_to_server(sb, payload, cls):
    """RFC 2131 2: truncated messages, bad cookies, broken options, replies
    and BOOTP without a type are dropped and counted; nothing is answered."""
    before = dict(sb.srv_node.stats["dhcp"])
    sb.tester.send(Ether(src=MACS[0], dst=BCAST_MAC) / IP(src="0.0.0.0", dst="255.255.255.255")
                   / UDP(sport=68, dport=67) / payload)
    assert sb.replies() == []
    after = sb.srv_node.stats["dhcp"]
    assert after[cls] == before[cls] + 1 and after["drop"] == before["drop"] + 1


def test_server_needs_address(sim):
    """The server identifier is the interface's address: none, no server."""
    import shoal
    n = sim.node("srv")
    t = sim.raw_host("t")
    link = sim.link(t, n)
    with pytest.raises(shoal.ShoalError, match="set_ip4"):
        n.dhcp_server(link, pool=POOL)


def test_bad_pool_arguments(sb):
    with pytest.raises(ValueError):
        sb.srv_node.dhcp_server(sb.link, pool=("10.0.0.9", "10.0.0.1"))
    with pytest.raises(ValueError):
        sb.srv_node.dhcp_server(sb.link, pool=POOL, dns=["1.1.1.1", "2.2.2.2", "3.3.3.3"])
