"""What the benchmark modules share: where things are, building the C
benchmarks, running a program that prints one JSON object, best-of-N runs,
and writing reports/bench/<name>.json and .txt.

Not a benchmark itself (leading underscore: `python3 -m shoal bench` skips it).
"""

import json
import os
import platform
import subprocess
import sys
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(BENCH_DIR))
# The plain release build of the README; SHOAL_BENCH_BUILD picks another.
BUILD_DIR = os.environ.get("SHOAL_BENCH_BUILD", os.path.join(REPO, "build", "release"))
# Programs the bench builds itself (the ns-3 peer).
TOOL_DIR = os.path.join(REPO, "build", "bench")
REPORT_DIR = os.path.join(REPO, "reports", "bench")
PYTHON_DIR = os.path.join(REPO, "python")

C_TARGETS = ("bench_tcp", "bench_foundation")


class BenchError(RuntimeError):
    """A benchmark could not run (build failed, program crashed, bad output)."""


def log(msg):
    print(msg, flush=True)


def build(targets=C_TARGETS, quiet=True):
    """Configure (if needed) and build the C benchmarks in BUILD_DIR."""
    # Configuring every time is cheap and re-runs the globs, so a new
    # scenarios/bench/*.c is picked up.
    cmds = [["cmake", "-S", REPO, "-B", BUILD_DIR],
            ["cmake", "--build", BUILD_DIR, "-j2", "--target", *targets]]
    for cmd in cmds:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if r.returncode != 0:
            sys.stdout.write(r.stdout[-4000:])
            raise BenchError(f"build failed: {' '.join(cmd)}")
        if not quiet:
            sys.stdout.write(r.stdout)


def exe(name):
    return os.path.join(BUILD_DIR, name)


def run_json(cmd, timeout=1800, allow_fail=False, env=None):
    """Run cmd; it prints one JSON object on stdout. Returns the dict, with
    'exit_code' added. A non-zero exit is an error unless allow_fail."""
    try:
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"timed out after {timeout}s: {' '.join(cmd)}") from e
    try:
        data = json.loads(r.stdout)
    except ValueError as e:
        raise BenchError(f"{' '.join(cmd)} exited {r.returncode} without JSON:\n"
                         f"{r.stdout[-2000:]}\n{r.stderr[-2000:]}") from e
    data["exit_code"] = r.returncode
    if r.returncode != 0 and not allow_fail:
        raise BenchError(f"{' '.join(cmd)} exited {r.returncode}: {json.dumps(data)}\n{r.stderr[-2000:]}")
    return data


def best_of(n, fn, key="wall_s"):
    """Run fn() n times; return (the run with the smallest key, all runs).
    The machine may be shared: the fastest run is the least disturbed one."""
    runs = [fn() for _ in range(max(1, n))]
    return min(runs, key=lambda d: d.get(key, float("inf"))), runs


def machine():
    """Facts about where the numbers come from."""
    info = {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpus": os.cpu_count(), "date_utc": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["loadavg_1m"] = os.getloadavg()[0]
    except OSError:
        pass
    try:
        info["git_commit"] = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], stdout=subprocess.PIPE,
                                            stderr=subprocess.DEVNULL, text=True).stdout.strip()
    except OSError:
        pass
    return info


def write_report(name, data, text):
    """reports/bench/<name>.json (everything) and <name>.txt (the table)."""
    os.makedirs(REPORT_DIR, exist_ok=True)
    jpath = os.path.join(REPORT_DIR, name + ".json")
    tpath = os.path.join(REPORT_DIR, name + ".txt")
    with open(jpath, "w") as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write("\n")
    with open(tpath, "w") as f:
        f.write(text if text.endswith("\n") else text + "\n")
    return jpath, tpath


# ---- formatting ----

def si(value, unit="", digits=3):
    """1234567 -> '1.23 M<unit>'."""
    if value is None:
        return "-"
    v = float(value)
    for factor, prefix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= factor:
            return f"{v / factor:.{digits}g} {prefix}{unit}"
    return f"{v:.{digits}g} {unit}".rstrip()


def mib(n):
    return f"{n / 1048576:.1f} MiB"


def kib(n):
    return f"{n / 1024:.1f} KiB"


def secs(s):
    if s is None:
        return "-"
    if s < 1e-3:
        return f"{s * 1e6:.0f} us"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    return f"{s:.2f} s"


def table(rows, header=None):
    """Rows of strings -> aligned text (first column left, others right)."""
    all_rows = ([header] if header else []) + rows
    widths = [max(len(r[i]) for r in all_rows) for i in range(len(all_rows[0]))]
    out = []
    for k, r in enumerate(all_rows):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:])]
        out.append("  ".join(cells).rstrip())
        if header and k == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)
