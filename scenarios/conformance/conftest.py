"""Fixtures for the conformance suites. The `sim` fixture itself (seeded,
pcaps kept, every pcap checked with tshark) comes from scenarios/conftest.py."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from conformance_util import Bench  # noqa: E402


@pytest.fixture
def bench(sim):
    """A stack node "dut" (10.0.0.1/24) and a raw host "tester" on a 1 ms,
    10 Mbit/s Ethernet link; the clock has run 20 ms past set_ip4."""
    return Bench(sim)
