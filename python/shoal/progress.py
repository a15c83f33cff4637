"""Progress of long runs: virtual time reached and events per wall second.

Sim(progress=True) (or `python3 -m shoal run --progress`) makes sim.run()
advance in slices of virtual time sized so that each takes about a tenth of
a wall second, and print a line to stderr (or the file given as progress=)
at most once per wall second:

    [shoal] t=12.500000s (62%)  1 234 567 events  410 000 ev/s

The slicing never changes what the simulation does: events run in the same
order whatever the slice boundaries (the clock only moves between them).
"""

import sys
import time

__all__ = ["run_with_progress", "ticker"]

_REPORT_EVERY_S = 1.0
_SLICE_WALL_S = 0.1


def _out(sim):
    p = sim._progress
    return p if hasattr(p, "write") else sys.stderr


def _line(sim, start_ns, target_ns, events0, wall0, now_wall):
    lib, ptr = sim._lib, sim._p()
    now = lib.shoal_sim_now(ptr)
    events = lib.shoal_sim_events_run(ptr)
    span = target_ns - start_ns
    pct = f" ({100.0 * (now - start_ns) / span:.0f}%)" if span else ""
    rate = (events - events0) / max(now_wall - wall0, 1e-9)
    return f"[shoal] t={now / 1e9:.6f}s{pct}  {events:,} events  {rate:,.0f} ev/s".replace(",", " ")


def run_with_progress(sim, target_ns):
    """Run sim to virtual time target_ns, reporting progress as it goes."""
    lib, ptr = sim._lib, sim._p()
    start_ns = lib.shoal_sim_now(ptr)
    wall0 = last_report = time.monotonic()
    events0 = lib.shoal_sim_events_run(ptr)
    rep_events, rep_wall = events0, wall0
    slice_ns = 1_000_000  # grows or shrinks to about _SLICE_WALL_S of wall time
    out = _out(sim)
    while True:
        now = lib.shoal_sim_now(ptr)
        if now >= target_ns:
            break
        nxt = lib.shoal_sim_next_event(ptr)
        if nxt > target_ns:  # nothing left to do before the target
            lib.shoal_sim_run_until(ptr, target_ns)
            break
        step_to = min(target_ns, max(now, nxt) + slice_ns)
        t0 = time.monotonic()
        lib.shoal_sim_run_until(ptr, step_to)
        t1 = time.monotonic()
        took = t1 - t0
        if took < _SLICE_WALL_S / 4:
            slice_ns = min(slice_ns * 4, 1 << 62)
        elif took > _SLICE_WALL_S * 2:
            slice_ns = max(slice_ns // 2, 1000)
        if t1 - last_report >= _REPORT_EVERY_S:
            print(_line(sim, start_ns, target_ns, rep_events, rep_wall, t1), file=out, flush=True)
            last_report, rep_wall, rep_events = t1, t1, lib.shoal_sim_events_run(ptr)
    end = time.monotonic()
    if end - wall0 >= _REPORT_EVERY_S and end - last_report >= _REPORT_EVERY_S:
        print(_line(sim, start_ns, target_ns, rep_events, rep_wall, end) + "  done", file=out, flush=True)


def ticker(sim, target_ns):
    """For loops that step the simulation themselves (sim.run_until): a
    function to call after each step; it looks at the wall clock every
    256 calls and reports like run_with_progress."""
    lib, ptr = sim._lib, sim._p()
    start_ns = lib.shoal_sim_now(ptr)
    state = {"calls": 0, "last": time.monotonic(), "events": lib.shoal_sim_events_run(ptr)}
    out = _out(sim)

    def tick():
        state["calls"] += 1
        if state["calls"] % 256:
            return
        now_wall = time.monotonic()
        if now_wall - state["last"] >= _REPORT_EVERY_S:
            print(_line(sim, start_ns, target_ns, state["events"], state["last"], now_wall), file=out, flush=True)
            state["last"], state["events"] = now_wall, lib.shoal_sim_events_run(ptr)
    return tick
