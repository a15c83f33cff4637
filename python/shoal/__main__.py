"""Shoal's command line: python3 -m shoal {run,bench} ...

  run SCENARIO.py [--seed N] [--pcap-dir D] [--check]
      Load the file, call its scenario(sim) with a fresh shoal.Sim, then print
      a per-link summary (frames, bytes, drops by cause) and the pcaps.
      Pcaps go to reports/pcap/<scenario name>/ unless --pcap-dir says.
  bench [NAME ...]
      Run the benchmarks scenarios/bench/*.py (or those whose name contains
      NAME), each with /usr/bin/python3 and PYTHONPATH=python.
"""

import argparse
import importlib.util
import os
import subprocess
import sys

from . import _paths, __version__


def _load_scenario(path):
    spec = importlib.util.spec_from_file_location("shoal_scenario_" + _paths.sanitise(
        os.path.splitext(os.path.basename(path))[0]), path)
    if spec is None:
        raise SystemExit(f"shoal run: cannot load {path!r} as Python")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if not callable(getattr(module, "scenario", None)):
        raise SystemExit(f"shoal run: {path} defines no scenario(sim) function")
    return module


def _shown(path):
    """A path relative to the current directory when it is below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _fmt(value):
    return f"{value:,}".replace(",", " ") if isinstance(value, int) else str(value)


def link_summary(sim, out=sys.stdout):
    """Print each link's counters: frames, bytes, deliveries, drops by cause."""
    from .stats import flatten
    print("\nlinks:", file=out)
    for link in sim.links:
        c = dict(flatten(link.stats))
        params = [f"{link.rate_bps / 1e6:g} Mbit/s" if link.rate_bps else "no rate limit",
                  f"delay {link.delay_ns / 1e6:g} ms"]
        if link.jitter_ns:
            params.append(f"jitter {link.jitter_ns / 1e6:g} ms")
        if link.loss:
            params.append(f"loss {link.loss:.3g}")
        print(f"  {link.name}: {', '.join(params)}", file=out)
        used = set()

        def take(name):
            used.add(name)
            return _fmt(c.get(name, 0))

        a, b = link.a.name, link.b.name
        print(f"    frames    {take('frames')} ({take('bytes')} bytes): {a}->{b} {take('frames_ab')} "
              f"({take('bytes_ab')} bytes), {b}->{a} {take('frames_ba')} ({take('bytes_ba')} bytes)", file=out)
        print(f"    delivered {take('delivered')} ({take('delivered_bytes')} bytes)", file=out)
        causes = [(n[len("drop_"):], v) for n, v in c.items() if n.startswith("drop_") and v]
        used.update(n for n in c if n.startswith("drop_"))
        print(f"    dropped   {take('drop')}" + (": " + ", ".join(f"{n} {_fmt(v)}" for n, v in causes)
                                                  if causes else ""), file=out)
        others = [(n, v) for n, v in c.items() if n not in used and v]
        if others:
            print("    other     " + ", ".join(f"{n} {_fmt(v)}" for n, v in others), file=out)


def cmd_run(args):
    from .sim import Sim
    path = os.path.abspath(args.scenario)
    if not os.path.isfile(path):
        raise SystemExit(f"shoal run: no such file {args.scenario!r}")
    stem = os.path.splitext(os.path.basename(path))[0]
    pcap_dir = args.pcap_dir if args.pcap_dir is not None else os.path.join(_paths.REPORTS_DIR, "pcap", stem)
    if args.no_pcap:
        pcap_dir = None
    module = _load_scenario(path)
    with Sim(seed=args.seed, pcap_dir=pcap_dir) as sim:
        module.scenario(sim)
        sim.flush()
        link_summary(sim)
        print(f"\nvirtual time {sim.now:.6f}s, {sim.events} events, seed {args.seed}")
        bad = 0
        if sim.pcaps:
            print("pcaps: " + ", ".join(_shown(p) for p in sim.pcaps))
            if args.check:
                from .pcapcheck import unexcused_problems
                for p in sim.pcaps:
                    problems = unexcused_problems(p, sim._injected.get(p, ()))
                    bad += bool(problems)
                    print(f"tshark {_shown(p)}: {'clean' if not problems else f'{len(problems)} problem(s)'}")
                    for line in problems[:20]:
                        print("   ", line)
    return 1 if bad else 0


def cmd_bench(args):
    bench_dir = os.path.join(_paths.SCENARIOS_DIR, "bench")
    scripts = sorted(f for f in os.listdir(bench_dir) if f.endswith(".py") and not f.startswith("_")) \
        if os.path.isdir(bench_dir) else []
    if args.names:
        scripts = [s for s in scripts if any(n in s for n in args.names)]
    if not scripts:
        print(f"no benchmarks found in {_shown(bench_dir)}/")
        return 0
    python = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
    env = dict(os.environ)
    py_dir = os.path.dirname(_paths.PACKAGE_DIR)
    env["PYTHONPATH"] = py_dir + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    failed = []
    for script in scripts:
        print(f"== {script}", flush=True)
        rc = subprocess.call([python, os.path.join(bench_dir, script)], cwd=_paths.REPO_ROOT, env=env)
        if rc != 0:
            failed.append(script)
            print(f"== {script} FAILED (exit {rc})", flush=True)
    print(f"{len(scripts) - len(failed)}/{len(scripts)} benchmarks passed" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m shoal", description="Shoal: simulated TCP/IP networks.")
    parser.add_argument("--version", action="version", version=f"shoal {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    run = sub.add_parser("run", help="run a scenario file (defines scenario(sim))",
                         description="Run a scenario file: it defines scenario(sim), given a fresh shoal.Sim.")
    run.add_argument("scenario", help="path of the scenario .py file")
    run.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    run.add_argument("--pcap-dir", metavar="D", help="where to write pcaps (default reports/pcap/<scenario name>/)")
    run.add_argument("--no-pcap", action="store_true", help="write no pcaps")
    run.add_argument("--check", action="store_true", help="check the pcaps with tshark afterwards")
    run.set_defaults(func=cmd_run)
    bench = sub.add_parser("bench", help="run the benchmarks in scenarios/bench/",
                           description="Run scenarios/bench/*.py, each with /usr/bin/python3.")
    bench.add_argument("names", nargs="*", help="only benchmarks whose file name contains one of these")
    bench.set_defaults(func=cmd_bench)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
