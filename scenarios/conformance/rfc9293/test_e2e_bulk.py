"""End to end, two Shoal stacks: bulk transfers of 4 MB over a 10 Mbit/s,
10 ms link at 0, 1, 5 and 20% random loss (both directions). RFC 9293 1 /
3.4: every byte arrives intact and in order; 3.6: the connection closes
cleanly (the active closer through TIME-WAIT, both ends CLOSED in the end).
Goodput on the clean link must reach 90% of the link rate; identical runs
with the same seed write byte-identical pcaps.

The application loop is the plain one a user writes: connect, then each 10
ms of virtual time offer the socket what is left and read what arrived (data
may be offered before the handshake completes, RFC 9293 3.10.2)."""
import filecmp
import os
import random
import time

import pytest

import shoal

SIZE = 4 * 1024 * 1024
PORT = 47123  # no Wireshark dissector claims it (5000 would decode random data as GSM IPA)
RATE = 10_000_000
# A window big enough for the path (BDP = 10 Mbit/s * ~21 ms = 26 KB, times
# the 10 ms read granularity): 128 KiB, with the pools to back it.
BIG = dict(tcp_wnd=128 * 1024, tcp_snd_buf=128 * 1024, tcp_seg_count=512, pbuf_count=512)


def payload(seed, size):
    """Random lowercase letters: as good as random bytes for checking that
    every byte arrives, but no Wireshark heuristic dissector (Thrift, GSM
    IPA...) mistakes them for its protocol and reports reassembly errors
    when a lost-and-resent segment overlaps what it already buffered."""
    rng = random.Random(seed)
    return bytes(rng.choices(b"abcdefghijklmnopqrstuvwxyz", k=size))


def two_stacks(sim, loss, **link_kw):
    a = sim.node("a", **BIG)
    b = sim.node("b", **BIG)
    link = sim.link(a, b, delay="10ms", rate="10Mbit", loss=loss, **link_kw)
    a.iface(link).set_ip4("10.0.0.1/24")
    b.iface(link).set_ip4("10.0.0.2/24")
    # Resolve ARP first (a ping), so that the SYN leaves the instant connect() is called.
    a.ping("10.0.0.2", count=1, timeout="2s")
    sim.run(duration="2s")
    return a, b, link


def bulk(sim, a, b, data, limit_s):
    """Transfer data from a to b. Returns (client, server, bytes received,
    virtual ns from connect (the first SYN) to the step the last byte was read)."""
    srv = b.tcp_listen(PORT)
    t0 = sim.now_ns
    c = a.tcp_connect("10.0.0.2", PORT)
    sent, got, s = 0, bytearray(), None
    view = memoryview(data)
    while len(got) < len(data) and sim.now_ns - t0 < limit_s * 1e9:
        if s is None:
            s = srv.accept()
        if sent < len(data):
            sent += c.send(view[sent:sent + 65536])
        sim.run(duration="10ms")
        if s is not None:
            d = s.recv()
            if d:
                got += d
    return c, s, bytes(got), sim.now_ns - t0


def close_both(sim, c, s, timeout="600s"):
    """a closes first (active close), b reads EOF and closes. Returns the
    states a went through (sampled every instant)."""
    c.close()
    seen = []

    def eof_then_close():
        seen.append(c.state)
        d = s.recv()
        return d == b""

    assert sim.run_until(eof_then_close, timeout=timeout), "b never saw the FIN"
    s.close()

    def both_closed():
        seen.append(c.state)
        return c.state == "CLOSED" and s.state == "CLOSED"

    assert sim.run_until(both_closed, timeout=timeout), f"not closed: a {c.state}, b {s.state}"
    return seen


@pytest.mark.parametrize("loss", [0.0, 0.01, 0.05, 0.20])
def test_bulk_transfer_intact_and_closed(sim, loss):
    """RFC 9293 3.4 / 3.10.7.4: a 4 MB stream arrives complete, in order and
    unaltered whatever the loss; RFC 9293 3.6: the active closer passes
    TIME-WAIT and both ends reach CLOSED (the passive one via LAST-ACK)."""
    a, b, link = two_stacks(sim, loss)
    data = payload(4242, SIZE)
    wall = time.monotonic()
    c, s, got, _ = bulk(sim, a, b, data, limit_s=20000)
    assert s is not None, "never accepted"
    assert len(got) == len(data), f"{len(got)} of {len(data)} bytes in {sim.now:.1f} s"
    assert got == data
    seen = close_both(sim, c, s)
    assert "TIME_WAIT" in seen
    assert c.error == 0 and s.error == 0
    if loss:
        assert link.stats["drop_loss"] > 0
    print(f"loss {loss}: {SIZE} bytes, {sim.now:.1f} s virtual, {time.monotonic() - wall:.2f} s wall")


def test_goodput_clean_link(sim):
    """Issue 3 / RFC 9293 (no loss, window sized for the path): payload
    bytes over the virtual time from the first SYN to the last byte
    delivered is at least 90% of the 10 Mbit/s link rate."""
    a, b, link = two_stacks(sim, 0.0)
    data = payload(1, SIZE)
    c, s, got, dt = bulk(sim, a, b, data, limit_s=60)
    assert got == data
    goodput = len(data) * 8 / (dt / 1e9)
    assert goodput >= 0.9 * RATE, f"goodput {goodput / 1e6:.2f} Mbit/s over {dt / 1e9:.3f} s"


def lossy_run(seed, folder):
    with shoal.Sim(seed=seed, pcap_dir=str(folder)) as sim:
        a, b, link = two_stacks(sim, 0.05, jitter="1ms")
        data = payload(9, 512 * 1024)
        c, s, got, dt = bulk(sim, a, b, data, limit_s=2000)
        assert got == data
        close_both(sim, c, s)
        obs = (dt, sim.now_ns, sim.events, c.info, link.stats)
        paths = sim.pcaps
    return paths, obs


def test_lossy_transfer_deterministic(tmp_path):
    """DESIGN determinism: two runs of a lossy, jittery TCP transfer with the
    same seed write byte-identical pcaps and observe the same; another seed
    gives another capture."""
    p1, o1 = lossy_run(7, tmp_path / "run1")
    p2, o2 = lossy_run(7, tmp_path / "run2")
    assert [os.path.basename(p) for p in p1] == [os.path.basename(p) for p in p2]
    for x, y in zip(p1, p2):
        assert os.path.getsize(x) > 100_000
        assert filecmp.cmp(x, y, shallow=False), f"{x} and {y} differ"
    assert o1 == o2
    p3, _ = lossy_run(8, tmp_path / "run3")
    assert not filecmp.cmp(p1[0], p3[0], shallow=False)
