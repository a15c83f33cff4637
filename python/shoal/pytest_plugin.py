"""pytest plugin for Shoal scenarios (scenarios/conftest.py enables it).

- option --seed N (default 1) and fixture `sim`: a shoal.Sim with that seed
  writing pcaps to reports/pcap/<test id>/, closed after the test;
- every pcap written by any Sim created during a test is checked with tshark
  (shoal.pcapcheck); a problem line fails the test and is shown;
- a failing test's pcaps are copied to reports/failed/<test id>/ and its
  report says "reproduce: --seed N";
- a passing test's pcap folder is deleted, unless --keep-pcaps.
"""

import os
import shutil

import pytest

from . import _paths, _registry
from .pcapcheck import tshark_available, tshark_command, unexcused_problems

_state = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("shoal", "Shoal simulation")
    group.addoption("--seed", type=int, default=1, metavar="N",
                    help="seed of every simulation made by the `sim` fixture (default 1)")
    group.addoption("--keep-pcaps", action="store_true", default=False,
                    help="keep the pcaps of passing tests under reports/pcap/")


def pytest_report_header(config):
    from ._ffi import lib_path
    tshark = "tshark found" if tshark_available() else "tshark MISSING: pcaps are not checked"
    return f"shoal: seed {config.getoption('seed')}, library {lib_path()}, {tshark}"


def _test_dir(item):
    return _paths.sanitise(item.nodeid)


def pcap_dir(item):
    """reports/pcap/<sanitised test id>/ for a test item."""
    return os.path.join(_paths.REPORTS_DIR, "pcap", _test_dir(item))


@pytest.fixture
def seed(request):
    """The --seed value."""
    return request.config.getoption("seed")


@pytest.fixture
def sim(request, seed):
    """A shoal.Sim(seed, pcap_dir=reports/pcap/<test id>), closed after the test."""
    from .sim import Sim
    folder = pcap_dir(request.node)
    shutil.rmtree(folder, ignore_errors=True)  # no stale pcaps from an earlier run
    s = Sim(seed, pcap_dir=folder)
    yield s
    s.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_setup(item):
    _registry.start()
    item.stash[_state] = {"failed": False, "checked": False}
    yield


def _check_pcaps(item, report):
    """tshark every pcap so far; turn a passing call report into a failure on problems."""
    for s in list(_registry.live_sims()):
        s.flush()
    paths = [p for p in _registry.pcaps() if os.path.exists(p)]
    if not paths:
        return
    if not tshark_available():
        item.warn(pytest.PytestWarning("tshark is not installed: pcaps were not checked"))
        return
    found = []
    for path in paths:
        problems = unexcused_problems(path, _registry.injected(path))
        if problems:
            shown = "\n".join("    " + line for line in problems[:50])
            more = f"\n    ... and {len(problems) - 50} more" if len(problems) > 50 else ""
            found.append(f"{_shown(path)}: {len(problems)} problem(s)\n{shown}{more}")
    if not found:
        return
    text = ("tshark found problems in pcaps (frame number, expert message):\n" + "\n".join(found)
            + "\ncommand: " + " ".join(tshark_command("FILE"))
            + "\n(problems in frames that raw hosts sent on purpose are excused)")
    if report.passed:
        report.outcome = "failed"
        report.longrepr = text
    else:
        report.sections.append(("shoal: tshark", text))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    state = item.stash.get(_state, None)
    if state is None:
        return
    if report.when == "call":
        _check_pcaps(item, report)
    if report.failed and not state["failed"]:
        state["failed"] = True
        seed = item.config.getoption("seed")
        failed_dir = _shown(os.path.join(_paths.REPORTS_DIR, "failed", _test_dir(item)))
        report.sections.append(("shoal", f"reproduce: --seed {seed}\n"
                                         f"    pytest '{item.nodeid}' --seed {seed}\n"
                                         f"pcaps: {failed_dir}/"))
    if report.when == "teardown":
        _finish(item, state["failed"])


def _shown(path):
    """A path relative to the current directory when it is below it."""
    rel = os.path.relpath(path)
    return path if rel.startswith("..") else rel


def _finish(item, failed):
    """After teardown: keep a failing test's pcaps, drop a passing test's folder."""
    paths = [p for p in _registry.stop() if os.path.exists(p)]
    dest = os.path.join(_paths.REPORTS_DIR, "failed", _test_dir(item))
    shutil.rmtree(dest, ignore_errors=True)  # what an earlier run left
    if failed:
        if paths:
            os.makedirs(dest, exist_ok=True)
            for p in paths:
                target = os.path.join(dest, os.path.basename(p))
                n = 2
                while os.path.exists(target):  # two Sims with a link of the same name
                    stem, ext = os.path.splitext(os.path.basename(p))
                    target, n = os.path.join(dest, f"{stem}-{n}{ext}"), n + 1
                shutil.copy2(p, target)
    elif not item.config.getoption("keep_pcaps"):
        shutil.rmtree(pcap_dir(item), ignore_errors=True)
