"""Which simulations were created while a recorder (the pytest plugin) listens.

Outside a recording nothing is kept, so ordinary scripts hold no extra
references. The pcap path lists are shared with their Sim, so they survive
the Sim being garbage-collected.
"""

import weakref

_recording = None  # (weakref to Sim, its list of pcap paths, its {pcap path: injected digests})


def start():
    """Begin recording the simulations created from now on."""
    global _recording
    _recording = []


def note(sim, pcap_paths, injected):
    """Called by Sim.__init__."""
    if _recording is not None:
        _recording.append((weakref.ref(sim), pcap_paths, injected))


def live_sims():
    """The recorded simulations still alive and open."""
    for ref, _, _ in _recording or ():
        sim = ref()
        if sim is not None and not sim.closed:
            yield sim


def pcaps():
    """Paths of every pcap the recorded simulations write(/wrote), in order."""
    return [p for _, paths, _ in _recording or () for p in paths]


def injected(path):
    """Digests of the frames raw hosts sent onto the link captured at `path`."""
    found = set()
    for _, _, by_path in _recording or ():
        found |= by_path.get(path, set())
    return found


def stop():
    """End recording; flush what is still open; return all pcap paths."""
    global _recording
    for sim in list(live_sims()):
        sim.flush()
    paths = pcaps()
    _recording = None
    return paths
