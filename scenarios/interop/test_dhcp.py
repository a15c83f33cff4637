"""A dnsmasq DHCPv4 server in the namespace hands a lease to a simulated node (RFC 2131)."""

import ipaddress

import pytest

from conftest import need

SERVER = "10.53.0.1"


def dhcp_client_missing():
    """Why the DHCP client cannot be used (helper H9 is writing it), or None."""
    from shoal.node import Iface
    from shoal import _ffi
    if not hasattr(Iface, "dhcp4"):
        return "the stack's DHCP client (iface.dhcp4(), stack/include/shoal/dhcp.h) is not in this tree yet"
    try:
        lib = _ffi.load()
        lib.shoal_dhcp_start
    except (ImportError, AttributeError):
        return "the built library has no DHCP client (shoal_dhcp_start) yet"
    return None


def test_dnsmasq_leases_an_address_to_simulated_node(netns, tmp_path):
    why = dhcp_client_missing()
    if why:
        pytest.skip(why)
    need("dnsmasq")
    ifname = netns.tap(f"{SERVER}/24")
    # Its own configuration only (no /etc/dnsmasq.conf), no DNS (port 0),
    # in the foreground (--no-daemon: no system service involved), as root.
    server = netns.popen(
        "dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--port=0", "--user=root", "--group=root",
        f"--interface={ifname}", "--bind-interfaces", "--except-interface=lo",
        "--dhcp-range=10.53.0.100,10.53.0.150,255.255.255.0,10m",
        f"--dhcp-option=option:router,{SERVER}", "--dhcp-option=option:dns-server,10.53.0.53",
        f"--dhcp-leasefile={tmp_path / 'leases'}", f"--pid-file={tmp_path / 'pid'}",
        "--no-ping",  # its ICMP check before offering costs seconds; the client probes with ARP anyway
        "--log-dhcp", "--log-facility=-", text=True)
    sim = netns.sim()
    a = sim.node("a")
    tap = sim.tap(a, ifname=ifname, netns=netns.name)
    netns.wait_running(ifname)
    sim.run(duration="0.3s")  # dnsmasq binds its socket meanwhile
    assert server.poll() is None, server.stdout.read()
    client = a.iface(tap).dhcp4(hostname="shoal-a")
    assert sim.run_until(lambda: client.bound, timeout="12s"), f"no lease; client state {client.state}"
    addr = ipaddress.IPv4Address(client.address)
    assert ipaddress.IPv4Address("10.53.0.100") <= addr <= ipaddress.IPv4Address("10.53.0.150")
    assert a.iface(tap).ip4 == client.address and a.iface(tap).prefix_len == 24
    assert client.router == SERVER
    assert client.server == SERVER
    assert "10.53.0.53" in client.dns
    # dnsmasq recorded the lease under the simulated node's MAC and hostname.
    leases = (tmp_path / "leases").read_text()
    assert a.iface(tap).mac in leases and client.address in leases and "shoal-a" in leases, leases
    # And the leased address works: Linux reaches the node there.
    ping = a.ping(SERVER, count=2, interval="100ms")
    sim.run(duration="0.4s")
    assert ping.received == 2
