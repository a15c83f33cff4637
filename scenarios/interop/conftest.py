"""Interop fixtures: a network namespace with TAP devices, made and removed by each test.

Every test gets its own namespace and TAP names (the pid and a counter make
them unique, so pytest-xdist workers never collide) and removes them in a
finally, whatever happened. Real programs run inside the namespace with
`ip netns exec`; the simulation attaches to the TAPs (shoal.tap) and runs in
realtime. Tests skip, saying why, only where the kernel refuses: not root,
no /dev/net/tun, or namespaces / TAP devices cannot be made.
"""

import itertools
import os
import shutil
import subprocess
import time

import pytest

import shoal
from shoal.pytest_plugin import pcap_dir

_counter = itertools.count(1)
# The sanitizer test run preloads the ASan runtime for the library: the real
# programs are not instrumented and must not inherit that.
_ENV = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS", "UBSAN_OPTIONS")}


def _kernel_refusal():
    """Why TAP or netns cannot work here, or None."""
    if os.geteuid() != 0:
        return "interop tests need root (network namespaces and TAP devices)"
    if not os.path.exists("/dev/net/tun"):
        return "/dev/net/tun is missing: the kernel offers no TUN/TAP"
    if shutil.which("ip") is None:
        return "iproute2's `ip` is not installed (bash .ci/setup installs it)"
    return None


def need(*programs):
    """Fail (not skip) when a peer program is missing: .ci/setup installs them all."""
    for p in programs:
        if shutil.which(p) is None:
            pytest.fail(f"{p} is not installed; `bash .ci/setup` installs the interop peers")


class Netns:
    """One namespace and the TAPs in it; run(), popen() inside it; cleanup()."""

    def __init__(self, request):
        self.request = request
        n = next(_counter)
        tag = f"{os.getpid() % 100000}x{n}"
        self.name = f"shoal-{tag}"
        self.tag = tag
        self.taps = []
        self.procs = []
        self.sims = []

    def sh(self, *args, check=True, timeout=10):
        """Run a command on the host; CalledProcessError with its output if it fails."""
        return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=timeout, env=_ENV)

    def run(self, *args, check=True, timeout=10):
        """Run a command inside the namespace."""
        return self.sh("ip", "netns", "exec", self.name, *args, check=check, timeout=timeout)

    def popen(self, *args, **kwargs):
        """Start a command inside the namespace (killed at cleanup)."""
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.STDOUT)
        p = subprocess.Popen(["ip", "netns", "exec", self.name, *args], env=_ENV, **kwargs)
        self.procs.append(p)
        return p

    def create(self):
        try:
            self.sh("ip", "netns", "add", self.name)
        except subprocess.CalledProcessError as e:
            pytest.skip(f"the kernel refuses network namespaces: {e.stdout.strip()}")
        self.run("ip", "link", "set", "lo", "up")

    def tap(self, addr=None):
        """A persistent TAP made on the host and moved into the namespace,
        up, with addr ("10.0.0.1/24") if given. Returns its name."""
        ifname = f"sh{self.tag}t{len(self.taps)}"
        try:
            self.sh("ip", "tuntap", "add", "dev", ifname, "mode", "tap")
        except subprocess.CalledProcessError as e:
            pytest.skip(f"the kernel refuses TAP devices: {e.stdout.strip()}")
        self.taps.append(ifname)
        self.sh("ip", "link", "set", ifname, "netns", self.name)
        # No IPv6 chatter (router solicitations, MLD): the stack has no IPv6 yet.
        self.run("sysctl", "-q", "-w", f"net.ipv6.conf.{ifname}.disable_ipv6=1", check=False)
        if addr:
            self.run("ip", "addr", "add", addr, "dev", ifname)
        self.run("ip", "link", "set", ifname, "up")
        return ifname

    def wait_running(self, *ifnames, timeout=3.0):
        """Wait until the kernel runs the TAPs (operstate UP) after the
        simulation attached to them: it turns the carrier on at once but
        activates the device's queue in its deferred link-watch work (up to
        a second later), and drops what it sends there until then."""
        deadline = time.monotonic() + timeout
        for ifname in ifnames:
            while True:
                out = self.run("cat", f"/sys/class/net/{ifname}/operstate", check=False).stdout.strip()
                if out == "up":
                    break
                if time.monotonic() > deadline:
                    pytest.fail(f"{ifname} is still {out!r} {timeout}s after the simulation attached to it")
                time.sleep(0.02)

    def sim(self, seed=1):
        """A Sim writing pcaps where the plugin checks them; closed at cleanup."""
        s = shoal.Sim(seed=seed, pcap_dir=pcap_dir(self.request.node))
        self.sims.append(s)
        return s

    def cleanup(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
            for stream in (p.stdout, p.stderr, p.stdin):
                if stream is not None:
                    stream.close()
        for s in self.sims:
            s.close()
        for ifname in self.taps:
            self.run("ip", "link", "del", ifname, check=False)
            self.sh("ip", "link", "del", ifname, check=False)  # in case it never moved
        self.sh("ip", "netns", "del", self.name, check=False)


@pytest.fixture
def netns(request):
    """A fresh network namespace (see Netns), removed after the test."""
    why = _kernel_refusal()
    if why:
        pytest.skip(why)
    ns = Netns(request)
    try:
        ns.create()
        yield ns
    finally:
        ns.cleanup()
