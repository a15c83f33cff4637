"""Scapy glue: frames to and from Scapy packets.

Scapy is imported here, on first use, so that `import shoal` stays quick;
its startup warnings (no routes, no IPv6, crypto) are silenced.
"""

import logging

_Ether = None


def _ether():
    global _Ether
    if _Ether is None:
        logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
        logging.getLogger("scapy.loading").setLevel(logging.ERROR)
        from scapy.layers.l2 import Ether
        import scapy.layers.inet  # noqa: F401  binds IPv4/ICMP/UDP/TCP under Ether
        import scapy.layers.inet6  # noqa: F401  and IPv6
        _Ether = Ether
    return _Ether


def to_packet(data, time_ns, iface):
    """A Scapy Ether packet from frame bytes, stamped with arrival time and iface."""
    pkt = _ether()(data)
    pkt.time = time_ns / 1e9
    # Set as plain attributes: Packet.__setattr__ would look for fields.
    object.__setattr__(pkt, "time_ns", time_ns)
    object.__setattr__(pkt, "iface", iface)
    return pkt
