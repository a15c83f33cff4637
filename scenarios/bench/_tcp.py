"""TCP bench (issue 3): a bulk transfer between two Shoal stacks over one
point-to-point link, and the same transfer in ns-3 3.37 in the same run, with
checksums on both sides; the wall-time ratio is the race's result (goal:
Shoal at least 50x faster). Also profiles Shoal's run. Writes
reports/bench/tcp.json and .txt.

Same scenario on both sides: 1 Gbit/s, 1 ms one-way delay, a 1000-frame
drop-tail queue per direction, receive window and send buffer of 1 MiB
(4x the 250 KB bandwidth-delay product, within what the queue absorbs, so
neither side loses a packet), MSS 1460 with timestamps (1448 payload bytes
per segment), SACK and window scaling on, NewReno, delayed ACKs. Timed from
the connection's start to the last payload byte at the receiver.
Differences that remain: Shoal frames are Ethernet (14-byte header), ns-3's
point-to-point device uses PPP (2 bytes); ns-3 carries payload as virtual
zero bytes (no copies), Shoal carries and checks real bytes.
"""

import os

import _common as c
import _ns3
import _profile

MIB = 1 << 20

SCENARIOS_FULL = [
    {"name": "1gbit_100mb", "bytes": 100_000_000, "rate_bps": 1_000_000_000, "delay_ns": 1_000_000, "main": True},
    {"name": "100mbit_25mb", "bytes": 25_000_000, "rate_bps": 100_000_000, "delay_ns": 1_000_000},
]
SCENARIOS_QUICK = [
    {"name": "1gbit_5mb", "bytes": 5_000_000, "rate_bps": 1_000_000_000, "delay_ns": 1_000_000, "main": True},
]
COMMON = {"wnd": MIB, "sndbuf": MIB, "queue": 1000}
# Shoal alone on a lossy link (independent loss, both directions): the cost
# of loss recovery, and a check that every byte still arrives intact.
LOSSY_FULL = {"bytes": 20_000_000, "rate_bps": 1_000_000_000, "delay_ns": 1_000_000, "loss_ppm": 1000,
              "seeds": (1, 2, 3)}
LOSSY_QUICK = {"bytes": 2_000_000, "rate_bps": 1_000_000_000, "delay_ns": 1_000_000, "loss_ppm": 10000,
               "seeds": (1,)}


def shoal_cmd(sc, extra=(), nbytes=None):
    return [c.exe("bench_tcp"), "--bytes", str(nbytes or sc["bytes"]), "--rate-bps", str(sc["rate_bps"]),
            "--delay-ns", str(sc["delay_ns"]), "--wnd", str(COMMON["wnd"]), "--sndbuf", str(COMMON["sndbuf"]),
            "--queue", str(COMMON["queue"]), *extra]


def ns3_cmd(binary, sc, nbytes=None):
    return [binary, "--bytes", str(nbytes or sc["bytes"]), "--rate-bps", str(sc["rate_bps"]),
            "--delay-ns", str(sc["delay_ns"]), "--wnd", str(COMMON["wnd"]), "--sndbuf", str(COMMON["sndbuf"]),
            "--queue", str(COMMON["queue"]), "--mss", "1448"]


def race(sc, ns3_binary, repeat):
    out = {"scenario": sc, "common": COMMON}
    c.log(f"tcp: Shoal, {sc['bytes'] / 1e6:g} MB over {c.si(sc['rate_bps'], 'bit/s')}, "
          f"{sc['delay_ns'] / 1e6:g} ms (best of {repeat}) ...")
    best, runs = c.best_of(repeat, lambda: c.run_json(shoal_cmd(sc), allow_fail=True))
    best["all_wall_s"] = [r["wall_s"] for r in runs]
    best["best_cpu_s"] = min(r["cpu_s"] for r in runs)
    out["shoal"] = best
    if not best.get("ok"):
        c.log("tcp: SHOAL TRANSFER FAILED: " + " ".join(shoal_cmd(sc)))
    if ns3_binary:
        c.log(f"tcp: ns-3, same transfer (best of {repeat}) ...")
        best3, runs3 = c.best_of(repeat, lambda: c.run_json(ns3_cmd(ns3_binary, sc), allow_fail=True))
        best3["all_wall_s"] = [r["wall_s"] for r in runs3]
        best3["best_cpu_s"] = min(r["cpu_s"] for r in runs3)
        out["ns3"] = best3
        if best.get("ok") and best3.get("ok"):
            out["ratio_wall"] = best3["wall_s"] / best["wall_s"]
            out["ratio_cpu"] = best3["best_cpu_s"] / best["best_cpu_s"]
    return out


def run(quick=False, repeat=None, profile=None, allow_install=True):
    repeat = repeat or (1 if quick else 3)
    profile = (not quick) if profile is None else profile
    scenarios = SCENARIOS_QUICK if quick else SCENARIOS_FULL
    res = {"mode": "quick" if quick else "full", "machine": c.machine(), "races": []}
    try:
        ns3_binary = _ns3.build(allow_install)
    except c.BenchError as e:
        c.log(str(e))
        ns3_binary = None
    res["ns3_available"] = ns3_binary is not None
    for sc in scenarios:
        res["races"].append(race(sc, ns3_binary, repeat))
    main = next(r for r in res["races"] if r["scenario"].get("main"))
    lossy = LOSSY_QUICK if quick else LOSSY_FULL
    c.log(f"tcp: Shoal on a lossy link ({lossy['loss_ppm'] / 1e4:g}% loss, seeds {list(lossy['seeds'])}) ...")
    res["lossy"] = {"scenario": lossy, "runs": [
        c.run_json(shoal_cmd(lossy, ["--loss-ppm", str(lossy["loss_ppm"]), "--seed", str(seed)]), allow_fail=True)
        for seed in lossy["seeds"]]}
    if not quick:
        c.log("tcp: Shoal without the receiver's byte check (--no-verify) ...")
        nv, _ = c.best_of(repeat, lambda: c.run_json(shoal_cmd(main["scenario"], ["--no-verify"]), allow_fail=True))
        res["shoal_no_verify"] = nv
    if profile:
        c.log("tcp: profiling Shoal's run ...")
        try:
            res["profile"] = _profile.profile(lambda n: shoal_cmd(main["scenario"], nbytes=n),
                                              main["scenario"]["bytes"], 10_000_000)
        except c.BenchError as e:
            res["profile"] = {"error": str(e), "functions": []}
    res["ok"] = all(r["shoal"].get("ok") for r in res["races"]) and all(r.get("ok") for r in res["lossy"]["runs"])
    text = render(res)
    print(text, flush=True)
    j, t = c.write_report("tcp", res, text)
    c.log(f"wrote {os.path.relpath(j, c.REPO)} and {os.path.relpath(t, c.REPO)}")
    return res


def _rows(r):
    s, n = r["shoal"], r.get("ns3")

    def pair(fmt, key, nkey=None):
        return [fmt(s.get(key)) if s.get(key) is not None else "-",
                fmt(n.get(nkey or key)) if n and n.get(nkey or key) is not None else "-"]

    rows = [
        ["result"] + [("ok" if s.get("ok") else "FAILED") + (", verified" if s.get("verified") else ""),
                      ("ok" if n.get("ok") else "FAILED") if n else "not run"],
        ["wall time (best)"] + pair(c.secs, "wall_s"),
        ["wall times of all runs"] + [", ".join(c.secs(x) for x in s["all_wall_s"]),
                                      ", ".join(c.secs(x) for x in n["all_wall_s"]) if n else "-"],
        ["cpu time (best)"] + pair(c.secs, "best_cpu_s"),
        ["simulated time"] + pair(c.secs, "sim_s"),
        ["goodput (simulated)"] + pair(lambda v: c.si(v, "bit/s"), "goodput_bps"),
        ["payload bytes per wall second"] + pair(lambda v: c.si(v, "B/s"), "payload_bytes_per_wall_s"),
        ["simulated seconds per wall second"] + pair(lambda v: f"{v:.3g}", "sim_s_per_wall_s"),
        ["events"] + pair(lambda v: f"{v:,}", "events"),
        ["events per wall second"] + pair(lambda v: c.si(v), "events_per_wall_s"),
        ["retransmissions / timeouts"] + [f"{s.get('retransmits', 0)} / {s.get('timeouts', 0)}", "-"],
    ]
    return rows


def render(res):
    m = res["machine"]
    out = [f"Shoal TCP bench ({res['mode']}; {m.get('cpu', '?')}, {m.get('cpus')} CPUs, "
           f"load {m.get('loadavg_1m', 0):.1f}; commit {m.get('git_commit', '?')})"]
    for r in res["races"]:
        sc = r["scenario"]
        out.append("")
        out.append(f"bulk transfer {sc['bytes'] / 1e6:g} MB, {c.si(sc['rate_bps'], 'bit/s')}, "
                   f"{sc['delay_ns'] / 1e6:g} ms point-to-point, window/send buffer {c.mib(COMMON['wnd'])}, "
                   f"queue {COMMON['queue']} frames, checksums on")
        out.append(c.table(_rows(r), ["", "Shoal", "ns-3 3.37"]))
        if "ratio_wall" in r:
            verdict = "met" if r["ratio_wall"] >= 50 else "NOT met"
            out.append(f"ns-3 wall / Shoal wall = {r['ratio_wall']:.1f}x (goal >= 50x: {verdict}); "
                       f"cpu ratio {r['ratio_cpu']:.1f}x")
        elif not res["ns3_available"]:
            out.append("ns-3 not available: no ratio")
    if "lossy" in res:
        lo = res["lossy"]["scenario"]
        out.append("")
        out.append(f"Shoal alone, {lo['bytes'] / 1e6:g} MB, {c.si(lo['rate_bps'], 'bit/s')}, {lo['delay_ns'] / 1e6:g} ms, "
                   f"{lo['loss_ppm'] / 1e4:g}% independent loss both ways:")
        rows = [[f"seed {sd}", "ok" if r.get("ok") else "FAILED", c.secs(r.get("wall_s")), c.secs(r.get("cpu_s")),
                 c.secs(r.get("sim_s")), c.si(r.get("goodput_bps"), "bit/s"),
                 f"{r.get('retransmits', 0)} / {r.get('fast_retransmits', 0)} / {r.get('timeouts', 0)}"]
                for sd, r in zip(lo["seeds"], res["lossy"]["runs"])]
        out.append(c.table(rows, ["", "result", "wall", "cpu", "simulated", "goodput",
                                  "rtx / fast rec. / RTO"]))
    if "shoal_no_verify" in res:
        nv = res["shoal_no_verify"]
        out.append("")
        out.append(f"Shoal without the receiver's byte-by-byte check: wall {c.secs(nv['wall_s'])}, "
                   f"cpu {c.secs(nv['cpu_s'])}, {c.si(nv['payload_bytes_per_wall_s'], 'B/s')}")
    if "profile" in res:
        out.append("")
        out.append(_profile.render(res["profile"]))
    if not res["ok"]:
        out.append("\nA SHOAL TRANSFER FAILED: see tcp.json for the command line and counters")
    return "\n".join(out)
