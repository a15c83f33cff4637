"""The foundation figures as a Python user sees them, through the shoal
package (CFFI): node creation and a scripted UDP flood. Run as a script in a
fresh interpreter (so its memory figures start clean); prints one JSON object.

    PYTHONPATH=python /usr/bin/python3 scenarios/bench/_pyapi.py nodes|udp [N]
"""

import json
import sys
import time


def rss_bytes():
    import os
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def bench_nodes(count):
    import shoal
    with shoal.Sim(seed=1) as sim:
        rss0 = rss_bytes()
        t0, c0 = time.perf_counter(), time.process_time()
        for i in range(count):
            sim.node(f"n{i}")
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rss1 = rss_bytes()
        memory = sim.node("probe").memory
        return {"bench": "py_idle_nodes", "ok": True, "nodes": count, "create_wall_s": wall, "create_cpu_s": cpu,
                "nodes_per_wall_s": count / wall, "rss_per_node": (rss1 - rss0) / count,
                "rss_after_create": rss1, "node_memory": memory}


def bench_udp(count, burst=16, payload=64):
    import shoal
    with shoal.Sim(seed=1) as sim:
        a, b = sim.node("a"), sim.node("b")
        link = sim.link(a, b, rate="10Gbit", delay="10us")
        a.iface(link).set_ip4("10.0.0.1/24")
        b.iface(link).set_ip4("10.0.0.2/24")
        rx, tx = b.udp(port=9), a.udp(port=0)
        data = bytes(payload)
        dst = ("10.0.0.2", 9)
        tx.sendto(data, dst)  # resolve the peer's MAC before the clock starts
        sim.run(duration="10ms")
        assert rx.recvfrom() is not None
        got = 0
        t0, c0, ev0 = time.perf_counter(), time.process_time(), sim.events
        sent = 0
        while sent < count:
            for _ in range(min(burst, count - sent)):
                tx.sendto(data, dst)
                sent += 1
            sim.run(duration="2us")
            while rx.recv() is not None:
                got += 1
        sim.run(duration="1ms")
        while rx.recv() is not None:
            got += 1
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return {"bench": "py_udp", "ok": got == count, "packets": count, "received": got, "payload": payload,
                "wall_s": wall, "cpu_s": cpu, "packets_per_wall_s": got / wall, "events": sim.events - ev0,
                "events_per_wall_s": (sim.events - ev0) / wall}


if __name__ == "__main__":
    what = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else None
    if what == "nodes":
        out = bench_nodes(n or 10000)
    elif what == "udp":
        out = bench_udp(n or 100000)
    else:
        raise SystemExit("usage: _pyapi.py nodes|udp [N]")
    print(json.dumps(out, indent=2))
    sys.exit(0 if out["ok"] else 1)
