"""The Python API's documented errors (DESIGN.md, "Python API contract":
errors in scripts raise Python exceptions with a clear message)."""
import pytest

import shoal


def test_exception_hierarchy():
    """The documented classes and their bases, so that callers can catch
    either the Shoal error or the standard Python one."""
    assert issubclass(shoal.UnknownNode, shoal.ShoalError) and issubclass(shoal.UnknownNode, KeyError)
    assert issubclass(shoal.AddressError, shoal.ShoalError) and issubclass(shoal.AddressError, ValueError)
    assert issubclass(shoal.SocketClosed, shoal.ShoalError)
    assert issubclass(shoal.RuntFrame, shoal.ShoalError) and issubclass(shoal.RuntFrame, ValueError)
    assert issubclass(shoal.ShoalError, Exception)


def test_unknown_node(sim):
    a = sim.node("a")
    assert type(sim["a"]) is type(a) and type(sim.get("a")) is type(a)
    with pytest.raises(shoal.UnknownNode) as e:
        sim["nope"]
    assert "nope" in str(e.value)
    with pytest.raises(KeyError):
        sim.get("nope")
    with pytest.raises(shoal.UnknownNode):
        sim.link("a", "nope")


def test_duplicate_node_name(sim):
    sim.node("a")
    with pytest.raises(ValueError):
        sim.node("a")
    with pytest.raises(ValueError):
        sim.raw_host("a")


@pytest.mark.parametrize("cidr", ["10.0.0.1/33", "10.0.0.256/24", "10.0.0/24", "not an address",
                                  "10.0.0.1/-1", "10.0.0.1/24/1", ""])
def test_bad_cidr(sim, cidr):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b)
    with pytest.raises(shoal.AddressError):
        a.iface(link).set_ip4(cidr)
    assert a.iface(link).ip4 is None, "a refused address leaves the interface as it was"


def test_good_cidr_reads_back(sim):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b)
    a.iface(link).set_ip4("192.168.7.9/20")
    assert a.iface(link).ip4 == "192.168.7.9" and a.iface(link).prefix_len == 20


def test_iface_not_on_link(sim):
    a, b, c = sim.node("a"), sim.node("b"), sim.node("c")
    link = sim.link(a, b)
    with pytest.raises(shoal.ShoalError):
        c.iface(link)


def test_closed_socket(sim):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b)
    a.iface(link).set_ip4("10.0.0.1/24")
    u = a.udp(port=5000)
    u.close()
    for call in (lambda: u.sendto(b"x", ("10.0.0.2", 7)), lambda: u.recvfrom(), lambda: u.recv(),
                 lambda: u.send(b"x"), lambda: u.connect(("10.0.0.2", 7)), lambda: u.set_broadcast(True)):
        with pytest.raises(shoal.SocketClosed):
            call()
    # The port is free again.
    v = a.udp(port=5000)
    assert v.port == 5000


def test_runt_frame(sim):
    """A frame shorter than an Ethernet header cannot be sent; 14 bytes can."""
    a = sim.node("a")
    t = sim.raw_host("t")
    sim.link(t, a)
    for n in (0, 1, 13):
        with pytest.raises(shoal.RuntFrame):
            t.send(b"\xff" * n)
    t.send(b"\xff" * 12 + b"\x88\xb5")  # 14 bytes, local experimental EtherType: accepted
    sim.run(duration="10ms")


@pytest.mark.parametrize("bad", ["fast", "-1s", "5parsecs", "ms"])
def test_bad_duration(sim, bad):
    a, b = sim.node("a"), sim.node("b")
    with pytest.raises(ValueError):
        sim.link(a, b, delay=bad)


def test_bad_rate(sim):
    a, b = sim.node("a"), sim.node("b")
    with pytest.raises(ValueError):
        sim.link(a, b, rate="10Mfurlongs")


def test_broadcast_without_permission(sim):
    a, b = sim.node("a"), sim.node("b")
    link = sim.link(a, b)
    a.iface(link).set_ip4("10.0.0.1/24")
    u = a.udp(port=5000)
    with pytest.raises(shoal.ShoalError):
        u.sendto(b"x", ("10.0.0.255", 9))
