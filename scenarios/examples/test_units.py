"""The pure-Python parts of shoal: duration/rate units, addresses, stats nesting.

These need no compiled library.
"""

import pytest

from shoal import AddressError, ShoalError, UnknownNode
from shoal.addr import endpoint, iface_cidr, ip4_int, ip4_str, mac_str, route_prefix
from shoal.stats import flatten, nest
from shoal.units import duration_ns, rate_bps


@pytest.mark.parametrize("text, ns", [
    (1, 10**9), (0, 0), (0.5, 500_000_000), (0.1, 100_000_000), (2.000000001, 2_000_000_001),
    ("5ms", 5_000_000), ("2s", 2 * 10**9), ("10us", 10_000), ("10µs", 10_000), ("100ns", 100),
    ("1.5s", 1_500_000_000), (" 20 ms ", 20_000_000), ("3", 3 * 10**9), (".25s", 250_000_000),
    ("2min", 120 * 10**9), ("1h", 3600 * 10**9), ("1e-3s", 1_000_000), ("0.0000000015s", 2),
])
def test_durations(text, ns):
    assert duration_ns(text) == ns


@pytest.mark.parametrize("bad", ["", "ms", "5 parsecs", "5m", "-1s", "1..5s", "5ms5", -1, -0.5,
                                 float("nan"), float("inf"), True, None, "1e30s", [1]])
def test_bad_durations(bad):
    with pytest.raises(ValueError):
        duration_ns(bad)


@pytest.mark.parametrize("text, bps", [
    (10_000_000, 10_000_000), (0, 0), (1.5e6, 1_500_000), ("10Mbit", 10_000_000),
    ("1Gbit", 10**9), ("64kbit", 64_000), ("64Kbit", 64_000), ("1.5Mbps", 1_500_000),
    ("9600bit/s", 9600), ("100bps", 100), ("2 Gbit/s", 2 * 10**9), ("1000", 1000), ("10mbit", 10**7),
])
def test_rates(text, bps):
    assert rate_bps(text) == bps


@pytest.mark.parametrize("bad", ["", "fast", "10M", "10MB/s", "10MBps", "1Mibit", "-1Mbit", -5, None, False])
def test_bad_rates(bad):
    with pytest.raises(ValueError):
        rate_bps(bad)


def test_addresses_cross_as_host_order_ints():
    assert ip4_int("10.0.0.1") == 0x0A000001
    assert ip4_str(0xC0A80101) == "192.168.1.1"
    assert iface_cidr("10.0.0.1/24") == (0x0A000001, 24)
    assert iface_cidr("192.168.1.7/255.255.255.0") == (0xC0A80107, 24)
    assert route_prefix("0.0.0.0/0") == (0, 0)
    assert route_prefix("10.1.0.0/16") == (0x0A010000, 16)
    assert endpoint(("10.0.0.2", 7)) == (0x0A000002, 7)
    assert mac_str(b"\x02\x00\x00\x01\x00\x01") == "02:00:00:01:00:01"


@pytest.mark.parametrize("bad", ["10.0.0.1", "10.0.0.256/24", "10.0.0.1/33", "fe80::1/64", "x/8", "", None, 42])
def test_bad_interface_cidr(bad):
    with pytest.raises(AddressError):
        iface_cidr(bad)


@pytest.mark.parametrize("bad", ["10.1.2.3/16", "0.0.0.0", "1.2.3/8", "::/0"])
def test_bad_route_prefix(bad):
    with pytest.raises(AddressError) as e:
        route_prefix(bad)
    assert isinstance(e.value, ValueError) and isinstance(e.value, ShoalError)


@pytest.mark.parametrize("bad", [("10.0.0.1", 70000), ("10.0.0.1", -1), ("10.0.0.1",), "10.0.0.1:7",
                                 ("nope", 7), ("10.0.0.1", "7")])
def test_bad_endpoints(bad):
    with pytest.raises(AddressError):
        endpoint(bad)


def test_exception_hierarchy():
    assert issubclass(UnknownNode, KeyError) and issubclass(UnknownNode, ShoalError)
    assert str(UnknownNode("no node named 'x'")) == "no node named 'x'"


def test_stats_nest_and_flatten():
    pairs = [("ip4.recv", 3), ("ip4.chkerr", 1), ("pool.pbuf.peak", 2), ("pool.pbuf.used", 0),
             ("icmp.ratelimited", 0)]
    tree = nest(pairs)
    assert tree == {"ip4": {"recv": 3, "chkerr": 1}, "pool": {"pbuf": {"peak": 2, "used": 0}},
                    "icmp": {"ratelimited": 0}}
    assert list(flatten(tree)) == pairs
    assert nest([("a", 1), ("a.b", 2)]) == {"a": {"value": 1, "b": 2}}
