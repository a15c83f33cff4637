"""Foundation benchmark (issue 2): events per wall second, UDP packets per
wall second through two stacks, memory per idle stack instance, and 10,000
idle nodes (time and resident memory). The C program bench_foundation.c
measures; this module runs each part in its own process, prints the table
and writes reports/bench/foundation.json and .txt.
"""

import os
import sys

import _common as c

FULL = {"engine_events": 20_000_000, "udp_small": 2_000_000, "udp_large": 500_000, "nodes": 10_000,
        "py_nodes": 10_000, "py_udp": 100_000, "repeat": 3}
QUICK = {"engine_events": 1_000_000, "udp_small": 100_000, "udp_large": 30_000, "nodes": 1_000,
         "py_nodes": 1_000, "py_udp": 5_000, "repeat": 1}


def _py(args):
    """A _pyapi.py part in a fresh interpreter, importing python/shoal."""
    env = dict(os.environ)
    env["PYTHONPATH"] = c.PYTHON_DIR + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    return c.run_json([python, os.path.join(c.BENCH_DIR, "_pyapi.py"), *args], timeout=600, env=env)


def run(quick=False, repeat=None, with_python=True):
    p = QUICK if quick else FULL
    n = repeat or p["repeat"]
    fb = c.exe("bench_foundation")
    res = {"mode": "quick" if quick else "full", "machine": c.machine()}

    c.log(f"foundation: event engine ({p['engine_events']:,} events, best of {n}) ...")
    res["engine"], runs = c.best_of(n, lambda: c.run_json([fb, "engine", "--events", str(p["engine_events"])]))
    res["engine"]["all_wall_s"] = [r["wall_s"] for r in runs]

    for key, payload, count in (("udp_64", 64, p["udp_small"]), ("udp_1472", 1472, p["udp_large"])):
        c.log(f"foundation: UDP flood, {payload}-byte payloads ({count:,} datagrams, best of {n}) ...")
        best, runs = c.best_of(n, lambda: c.run_json([fb, "udp", "--packets", str(count), "--payload", str(payload)]))
        best["all_wall_s"] = [r["wall_s"] for r in runs]
        res[key] = best

    c.log(f"foundation: {p['nodes']:,} idle nodes ...")
    res["nodes"], _ = c.best_of(n, lambda: c.run_json([fb, "nodes", "--nodes", str(p["nodes"])]), "create_wall_s")
    c.log(f"foundation: {p['nodes']:,} nodes as linked pairs with addresses ...")
    res["pairs"], _ = c.best_of(n, lambda: c.run_json([fb, "pairs", "--nodes", str(p["nodes"])]), "create_wall_s")

    if with_python:
        try:
            c.log(f"foundation: the same through the Python API ({p['py_nodes']:,} nodes, {p['py_udp']:,} datagrams) ...")
            res["py_nodes"] = _py(["nodes", str(p["py_nodes"])])
            res["py_udp"] = _py(["udp", str(p["py_udp"])])
        except c.BenchError as e:
            res["py_error"] = str(e)
            c.log(f"foundation: Python API part failed: {e}")

    res["ok"] = all(res[k].get("ok") for k in ("engine", "udp_64", "udp_1472", "nodes", "pairs"))
    text = render(res)
    print(text, flush=True)
    j, t = c.write_report("foundation", res, text)
    c.log(f"wrote {os.path.relpath(j, c.REPO)} and {os.path.relpath(t, c.REPO)}")
    return res


def render(res):
    e, u64, u1472, nd, pr = res["engine"], res["udp_64"], res["udp_1472"], res["nodes"], res["pairs"]
    rows = [
        ["event engine alone (1000 pending)", f"{c.si(e['events_per_wall_s'])} events/s",
         f"{c.si(e['events_per_cpu_s'])} events/cpu-s", f"{e['events']:,} events in {c.secs(e['wall_s'])}"],
        ["UDP flood a->b, 64 B payload, 10 Gbit/s", f"{c.si(u64['packets_per_wall_s'])} pkt/s",
         f"{c.si(u64['packets_per_cpu_s'])} pkt/cpu-s",
         f"{c.si(u64['events_per_wall_s'])} events/s; {u64['received']:,} in {c.secs(u64['wall_s'])}"],
        ["UDP flood a->b, 1472 B payload, 10 Gbit/s", f"{c.si(u1472['packets_per_wall_s'])} pkt/s",
         f"{c.si(u1472['packets_per_cpu_s'])} pkt/cpu-s",
         f"{c.si(u1472['packets_per_wall_s'] * 1472 * 8, 'bit/s')} payload; {c.si(u1472['events_per_wall_s'])} events/s"],
        ["memory per idle stack instance", f"{c.kib(nd['stack_memory_size'])} allocated",
         f"{c.kib(nd['rss_per_node'])} resident", "stack_memory_size / RSS delta per node"],
        [f"{nd['nodes']:,} idle nodes created", c.secs(nd["create_wall_s"]), f"{c.mib(nd['rss_after_create'])} RSS",
         f"{c.si(nd['nodes_per_wall_s'])} nodes/s"],
        [f"{pr['nodes']:,} nodes as {pr['links']:,} linked pairs + 1 s", c.secs(pr["create_wall_s"]),
         f"{c.mib(pr['rss_after_run'])} RSS", f"{c.kib(pr['rss_per_node'])}/node; {pr['events_run']:,} events in 1 s virtual"],
    ]
    if "py_nodes" in res:
        q = res["py_nodes"]
        rows.append([f"Python API: {q['nodes']:,} x sim.node()", c.secs(q["create_wall_s"]),
                     f"{c.kib(q['rss_per_node'])} RSS/node", f"{c.si(q['nodes_per_wall_s'])} nodes/s"])
    if "py_udp" in res:
        q = res["py_udp"]
        rows.append(["Python API: UDP sendto/run/recv, 64 B", f"{c.si(q['packets_per_wall_s'])} pkt/s",
                     f"{c.secs(q['wall_s'])}", f"{q['received']:,} of {q['packets']:,} datagrams"])
    m = res["machine"]
    head = (f"Shoal foundation bench ({res['mode']}; best of {len(e.get('all_wall_s', [1]))}; "
            f"{m.get('cpu', '?')}, {m.get('cpus')} CPUs, load {m.get('loadavg_1m', 0):.1f}; commit {m.get('git_commit', '?')})")
    return head + "\n" + c.table(rows, ["what", "rate / time", "cpu / memory", "notes"]) + \
        ("" if res["ok"] else "\nSOME PARTS FAILED: see foundation.json")
