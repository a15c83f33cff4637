"""Where Shoal's time goes in the TCP bench: a sampling profile with perf
(software cpu-clock event, so it works where hardware counters are not
exposed, e.g. in VMs), or with valgrind's callgrind on a smaller transfer
when perf cannot record. Returns the top functions and source lines.
"""

import os
import re
import shutil
import subprocess

import _common as c

_PERF_LINE = re.compile(r"^\s*([0-9.]+)%\s+(.*\S)\s*$")


def _perf_works():
    if shutil.which("perf") is None:
        return False
    r = subprocess.run(["perf", "record", "-e", "cpu-clock", "-o", "/dev/null", "true"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
    return r.returncode == 0


def _perf_report(data, sort, limit):
    r = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort, "-q", "-g", "none",
                        "--percent-limit", "0.3"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    rows = []
    for line in r.stdout.splitlines():
        m = _PERF_LINE.match(line)
        if m:
            rows.append((float(m.group(1)), re.sub(r"\s+", " ", m.group(2))))
    return rows[:limit]


def perf_profile(cmd, limit=20):
    data = os.path.join(c.TOOL_DIR, "tcp_bench.perf.data")
    os.makedirs(c.TOOL_DIR, exist_ok=True)
    r = subprocess.run(["perf", "record", "-e", "cpu-clock", "-F", "4000", "-o", data, "--", *cmd],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode not in (0, 1):
        raise c.BenchError("perf record failed: " + r.stderr[-1000:])
    return {"tool": "perf record -e cpu-clock -F 4000", "command": cmd, "data": os.path.relpath(data, c.REPO),
            "functions": _perf_report(data, "dso,sym", limit), "lines": _perf_report(data, "srcline", limit)}


def callgrind_profile(cmd, limit=20):
    out = os.path.join(c.TOOL_DIR, "tcp_bench.callgrind.out")
    os.makedirs(c.TOOL_DIR, exist_ok=True)
    r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *cmd],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not os.path.exists(out):
        raise c.BenchError("callgrind failed: " + r.stderr[-1000:])
    a = subprocess.run(["callgrind_annotate", out], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    total, rows = None, []
    for line in a.stdout.splitlines():
        m = re.match(r"^\s*([0-9,]+)\s+(?:\(\s*([0-9.]+)%\))?\s*(.*\S)\s*$", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        if "PROGRAM TOTALS" in line:
            total = n
        elif total and ":" in m.group(3):
            rows.append((100.0 * n / total, m.group(3)))
    return {"tool": "valgrind --tool=callgrind (instructions)", "command": cmd, "data": os.path.relpath(out, c.REPO),
            "functions": rows[:limit], "lines": []}


def profile(shoal_cmd_for, big_bytes, small_bytes):
    """shoal_cmd_for(nbytes) -> the bench_tcp command line."""
    if _perf_works():
        return perf_profile(shoal_cmd_for(big_bytes))
    if shutil.which("valgrind"):
        return callgrind_profile(shoal_cmd_for(small_bytes))
    return {"tool": None, "functions": [], "lines": [], "error": "neither perf nor valgrind is usable"}


def render(prof, limit=15):
    if not prof or not prof.get("functions"):
        return "profile: " + (prof or {}).get("error", "not taken")
    out = [f"where Shoal's time goes ({prof['tool']}; {' '.join(os.path.basename(x) for x in prof['command'][:1])} "
           f"{' '.join(prof['command'][1:])}):"]
    out += [f"  {pct:6.2f}%  {name}" for pct, name in prof["functions"][:limit]]
    if prof.get("lines"):
        out.append("  hottest source lines:")
        out += [f"  {pct:6.2f}%  {name}" for pct, name in prof["lines"][:8]]
    return "\n".join(out)
