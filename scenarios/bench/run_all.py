"""Shoal's benchmarks: build, run, print the figures, write reports/bench/.

    /usr/bin/python3 scenarios/bench/run_all.py [--quick] [--repeat N]
                                                [--no-profile] [--profile] [--no-python] [--no-install]
                                                [NAME ...]

NAME selects benchmarks by name: foundation (issue 2: events/s, UDP
packets/s, memory per idle instance, 10,000 idle nodes) and tcp (issue 3:
100 MB bulk transfer over 1 Gbit/s against ns-3 3.37, plus a profile).
--quick runs small sizes in seconds (for CI: a smoke test that the
benchmarks build and the transfers complete intact). The exit status is
non-zero when a benchmark failed (a transfer stalled or was corrupted).

`python3 -m shoal bench` runs this file (the only scenarios/bench/*.py
without a leading underscore).
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _common as c  # noqa: E402

BENCHES = ("foundation", "tcp")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Run Shoal's benchmarks.")
    ap.add_argument("names", nargs="*", help=f"benchmarks to run (default all: {', '.join(BENCHES)})")
    ap.add_argument("--quick", action="store_true", help="small sizes, seconds in all (CI smoke run)")
    ap.add_argument("--repeat", type=int, help="runs per measurement, the best is kept (default 3, quick 1)")
    ap.add_argument("--no-profile", action="store_true", help="skip profiling the TCP bench")
    ap.add_argument("--profile", action="store_true", help="profile the TCP bench even with --quick")
    ap.add_argument("--no-python", action="store_true", help="skip the Python API figures")
    ap.add_argument("--no-install", action="store_true", help="never apt-get install ns-3 (the full run installs "
                    "it when missing and running as root; --quick only uses an ns-3 already installed)")
    args = ap.parse_args(argv)
    names = args.names or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        ap.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHES)}")

    t0 = time.time()
    c.log(f"building the C benchmarks in {os.path.relpath(c.BUILD_DIR, c.REPO)} ...")
    targets = list(c.C_TARGETS) + ([] if args.no_python else ["shoal_py"])
    try:
        c.build(targets)
    except c.BenchError as e:
        c.log(str(e))
        return 2

    failed = []
    for name in names:
        c.log(f"\n=== {name} ===")
        try:
            if name == "foundation":
                import _foundation
                res = _foundation.run(quick=args.quick, repeat=args.repeat, with_python=not args.no_python)
            else:
                import _tcp
                profile = False if args.no_profile else (True if args.profile else None)
                res = _tcp.run(quick=args.quick, repeat=args.repeat, profile=profile,
                               allow_install=not (args.no_install or args.quick))
        except c.BenchError as e:
            c.log(f"{name}: {e}")
            res = {"ok": False}
        if not res.get("ok"):
            failed.append(name)
    c.log(f"\nbenchmarks done in {time.time() - t0:.0f} s" +
          (f"; FAILED: {', '.join(failed)}" if failed else "; reports in reports/bench/"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
