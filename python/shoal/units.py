"""Durations and rates as Shoal's API accepts them.

Durations are seconds (int or float) or strings with a unit: "100ns", "10us",
"5ms", "1.5s", "2min", "1h". Rates are bits per second (int or float) or
strings with a unit: "64kbit", "10Mbit", "1Gbit", "1.5Mbps", "9600bit/s".
A bare numeric string means seconds or bits per second. Anything else raises
ValueError. Results are integers (nanoseconds, bits per second), rounded to
the nearest, because that is what crosses into C.
"""

from fractions import Fraction
import math
import re

__all__ = ["duration_ns", "rate_bps", "format_duration"]

_NUMBER = r"(?P<num>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)"

_DURATION_RE = re.compile(r"^\s*" + _NUMBER + r"\s*(?P<unit>ns|us|µs|ms|s|sec|min|h)?\s*$")
_NS_PER_UNIT = {
    None: 10**9, "s": 10**9, "sec": 10**9, "ms": 10**6, "us": 10**3, "µs": 10**3, "ns": 1,
    "min": 60 * 10**9, "h": 3600 * 10**9,
}

# Decimal prefixes only: a rate of "10Mbit" is 10 000 000 bits per second.
# Byte units are refused on purpose ("MBps" vs "Mbps" is a classic slip).
_RATE_RE = re.compile(r"^\s*" + _NUMBER + r"\s*(?P<prefix>[kKmMgGtT]?)(?P<unit>bit/s|bit|bps|b/s)?\s*$")
_RATE_PREFIX = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}

_U64_MAX = 2**64 - 1


def _exact(value, what):
    """An exact Fraction from an int/float, refusing bools, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
        raise ValueError(f"{what}: expected a number or a string with a unit, got {value!r}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{what}: {value!r} is not finite")
    return Fraction(value)


def _checked(result, value, what):
    if result < 0:
        raise ValueError(f"{what}: {value!r} is negative")
    if result > _U64_MAX:
        raise ValueError(f"{what}: {value!r} is too large")
    return int(result)


def duration_ns(value, what="duration"):
    """Nanoseconds (int) from seconds (int/float) or a string like "5ms"."""
    if isinstance(value, str):
        m = _DURATION_RE.match(value)
        if not m:
            raise ValueError(f"{what}: cannot parse {value!r} (try '5ms', '1.5s', '10us', '100ns')")
        ns = Fraction(m.group("num")) * _NS_PER_UNIT[m.group("unit")]
    else:
        ns = _exact(value, what) * 10**9
    return _checked(round(ns), value, what)


def rate_bps(value, what="rate"):
    """Bits per second (int) from a number or a string like "10Mbit"."""
    if isinstance(value, str):
        m = _RATE_RE.match(value)
        if not m or (m.group("prefix") and not m.group("unit")):
            raise ValueError(f"{what}: cannot parse {value!r} (try '10Mbit', '1Gbit', '64kbit', '1.5Mbps')")
        bps = Fraction(m.group("num")) * _RATE_PREFIX[m.group("prefix").lower()]
    else:
        bps = _exact(value, what)
    return _checked(round(bps), value, what)


def format_duration(ns):
    """A short human form of a nanosecond count: '20.157ms', '1.5s', '800ns'."""
    for unit, scale in (("s", 10**9), ("ms", 10**6), ("us", 10**3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.6g}{unit}"
    return f"{ns}ns"
