"""Shoal's command line: python3 -m shoal {run,bench} ...

  run SCENARIO.py [--seed N] [--pcap-dir D] [--check] [--topology FILE] [--progress]
      Load the file, call its scenario(sim) with a fresh shoal.Sim, then print
      a per-link summary (frames, bytes, drops by cause) and the pcaps.
      Pcaps go to reports/pcap/<scenario name>/ unless --pcap-dir says.
  replay CAPTURE --into NODE[:LINK] [--scenario F.py] [--rewrite-mac] [--rewrite-ip OLD=NEW ...]
         [--ip CIDR] [--filter EXPR] [--tail 2s] [--seed N] [--pcap-dir D] [--check]
      Replay a capture's frames into NODE at their recorded relative times
      (shoal.replay). The scenario file's setup(sim) or scenario(sim) builds
      the network; without one NODE is a fresh node joined to a silent raw
      host "wire". Prints the replay's counters, a per-link summary and the
      pcaps (reports/pcap/replay-<capture name>/ unless --pcap-dir says).
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
    switch_summary(sim, out)


# ---- switches, topology files, progress (H12) ----
def switch_summary(sim, out=sys.stdout):
    """Print each switch's counters: frames in, forwarded, flooded, drops by cause, table."""
    switches = getattr(sim, "switches", [])
    if not switches:
        return
    from .stats import flatten
    print("\nswitches:", file=out)
    for sw in switches:
        c = dict(flatten(sw.stats))
        kind = "hub" if sw.hub else f"switch, ageing {sw.ageing_ns / 1e9:g} s" if sw.ageing_ns else "switch"
        ports = ", ".join(l.name for l in sw.ports) or "none"
        print(f"  {sw.name} ({kind}): ports {ports}", file=out)
        print(f"    frames    {_fmt(c.get('frames_in', 0))} in: forwarded {_fmt(c.get('forwarded', 0))}, "
              f"flooded {_fmt(c.get('flooded', 0))}, filtered {_fmt(c.get('filtered', 0))}", file=out)
        causes = [(n[len("drop_"):], v) for n, v in c.items() if n.startswith("drop_") and v]
        print(f"    dropped   {_fmt(c.get('drop', 0))}" + (": " + ", ".join(f"{n} {_fmt(v)}" for n, v in causes)
                                                          if causes else ""), file=out)
        if not sw.hub:
            print(f"    table     {len(sw.mac_table())} now; learned {_fmt(c.get('learned', 0))}, moved "
                  f"{_fmt(c.get('moved', 0))}, aged {_fmt(c.get('aged', 0))}, flushed {_fmt(c.get('flushed', 0))}, "
                  f"table_full {_fmt(c.get('table_full', 0))}", file=out)


def _call_scenario(module, sim, topo):
    """scenario(sim), or scenario(sim, topo) when it takes two arguments."""
    import inspect
    try:
        params = inspect.signature(module.scenario).parameters
    except (TypeError, ValueError):
        params = {}
    if len(params) >= 2:
        return module.scenario(sim, topo)
    return module.scenario(sim)
# ---- end of switches, topology files, progress ----


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
    with Sim(seed=args.seed, pcap_dir=pcap_dir, progress=getattr(args, "progress", False)) as sim:
        topo = None
        if getattr(args, "topology", None):
            from .topology import load_topology
            try:
                topo = load_topology(sim, args.topology)
            except (OSError, ValueError) as e:
                raise SystemExit(f"shoal run: topology {args.topology}: {e}")
        _call_scenario(module, sim, topo)
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


# ---- replay (H13) ----
def _replay_target(sim, into):
    """The Iface that `NODE` or `NODE:LINK` names."""
    node_name, _, link_name = into.partition(":")
    node = sim.get(node_name)
    if link_name:
        return node.iface(link_name)
    ifaces = node.ifaces
    if len(ifaces) != 1:
        raise SystemExit(f"shoal replay: {node_name!r} has {len(ifaces)} interfaces: say which with "
                         f"--into {node_name}:LINK (links: {', '.join(l.name for l in node.links) or 'none'})")
    return ifaces[0]


def cmd_replay(args):
    from .replay import parse_ip_map
    from .sim import Sim
    capture = os.path.abspath(args.capture)
    if not os.path.isfile(capture):
        raise SystemExit(f"shoal replay: no such file {args.capture!r}")
    stem = os.path.splitext(os.path.basename(capture))[0]
    pcap_dir = args.pcap_dir if args.pcap_dir is not None else os.path.join(_paths.REPORTS_DIR, "pcap",
                                                                            "replay-" + _paths.sanitise(stem))
    if args.no_pcap:
        pcap_dir = None
    mapping = parse_ip_map(args.rewrite_ip or [])
    with Sim(seed=args.seed, pcap_dir=pcap_dir) as sim:
        if args.scenario:
            path = os.path.abspath(args.scenario)
            spec = importlib.util.spec_from_file_location("shoal_replay_" + _paths.sanitise(
                os.path.splitext(os.path.basename(path))[0]), path)
            if spec is None or not os.path.isfile(path):
                raise SystemExit(f"shoal replay: cannot load {args.scenario!r} as Python")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            build = getattr(module, "setup", None) or getattr(module, "scenario", None)
            if not callable(build):
                raise SystemExit(f"shoal replay: {args.scenario} defines neither setup(sim) nor scenario(sim)")
            build(sim)
        else:
            node_name = args.into.partition(":")[0]
            node = sim.node(node_name)
            wire = sim.raw_host("wire" if node_name != "wire" else "wire2")
            link = sim.link(node, wire)
            cidr = args.ip
            if cidr is None:
                news = [n for n in mapping.values() if n]
                cidr = f"{news[0]}/24" if news else None
            if cidr is not None:
                node.iface(link).set_ip4(cidr)
        iface = _replay_target(sim, args.into)
        if args.ip and args.scenario:
            iface.set_ip4(args.ip)
        replay = sim.replay(capture, iface, rewrite_mac=args.rewrite_mac, rewrite_ip=mapping or None,
                            filter=args.filter, skip_own=not args.no_skip_own)
        from .units import duration_ns
        started = sim.now
        while not replay.done:
            sim.run(duration="1s")
        sim.run(duration=duration_ns(args.tail, "--tail") / 1e9)
        sim.flush()
        c = replay.stats
        print(f"replayed {_shown(capture)} into {iface.node.name} ({iface.mac}"
              + (f", {iface.ip4}" if iface.ip4 else "") + f") from {started:.6f}s")
        print("replay:   " + ", ".join(f"{k} {_fmt(v)}" for k, v in c.items()))
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


def _add_replay_parser(sub):
    rp = sub.add_parser("replay", help="replay a capture into a simulated node",
                        description="Inject a capture's frames into a node's port at their recorded relative "
                                    "times; the link's pcap records them with the node's responses.")
    rp.add_argument("capture", help="pcap or pcapng file (Ethernet, raw IP or Linux cooked)")
    rp.add_argument("--into", required=True, metavar="NODE[:LINK]", help="the node (and link) to replay into")
    rp.add_argument("--scenario", metavar="F.py", help="file whose setup(sim) or scenario(sim) builds the network")
    rp.add_argument("--rewrite-mac", action="store_true", help="unicast destination MACs become the node's")
    rp.add_argument("--rewrite-ip", action="append", metavar="OLD[=NEW]",
                    help="rewrite IPv4 address OLD to NEW (default: the node's address); repeatable")
    rp.add_argument("--ip", metavar="CIDR", help="give the node's interface this address first")
    rp.add_argument("--filter", metavar="EXPR", help="replay only frames matching this libpcap filter")
    rp.add_argument("--no-skip-own", action="store_true",
                    help="also replay frames whose source MAC is the node's own")
    rp.add_argument("--tail", default="2s", help="virtual time to run after the last frame (default 2s)")
    rp.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    rp.add_argument("--pcap-dir", metavar="D", help="where to write pcaps")
    rp.add_argument("--no-pcap", action="store_true", help="write no pcaps")
    rp.add_argument("--check", action="store_true", help="check the pcaps with tshark afterwards")
    rp.set_defaults(func=cmd_replay)
# ---- end of replay ----


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
    run.add_argument("--topology", metavar="FILE", help="build this topology file (JSON, or YAML with python3-yaml) "
                     "first; scenario(sim, topo) gets it if it takes two arguments")
    run.add_argument("--progress", action="store_true", help="report virtual time and events/s on stderr "
                     "(at most once per wall second)")
    run.set_defaults(func=cmd_run)
    _add_replay_parser(sub)
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
