"""Build the ns-3 peer (ns3_tcp_bulk.cc) against Debian's ns-3 3.37.

Facts (DESIGN.md, "Benchmarks"): Debian ships no ns-3 example binaries and
its `ns3++` wrapper is broken, so we compile with plain g++ -std=c++17 and
pkg-config, dropping the stray `-I/usr;` that pkg-config prints; libgsl-dev
must be installed for the link.
"""

import os
import shutil
import subprocess

import _common as c

SOURCE = os.path.join(c.BENCH_DIR, "ns3_tcp_bulk.cc")
BINARY = os.path.join(c.TOOL_DIR, "ns3_tcp_bulk")
MODULES = ("ns3-core", "ns3-network", "ns3-internet", "ns3-point-to-point", "ns3-applications",
           "ns3-traffic-control")
PACKAGES = ("libns3-dev", "libgsl-dev", "ns3")


def _pkg_flags():
    r = subprocess.run(["pkg-config", "--cflags", "--libs", *MODULES], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        return None
    # The stray include path comes out as "-I/usr;" or, escaped, "-I/usr\;".
    return [f for f in r.stdout.split() if f not in ("-I/usr;", "-I/usr\\;")]


def available():
    return shutil.which("pkg-config") is not None and _pkg_flags() is not None


def install():
    """apt-get install the ns-3 packages (root only). True when it worked."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return False
    c.log(f"ns-3: installing {' '.join(PACKAGES)} with apt-get ...")
    r = subprocess.run(["apt-get", "install", "-y", *PACKAGES], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if r.returncode != 0:
        c.log(r.stdout[-2000:])
    return r.returncode == 0 and available()


def build(allow_install=True):
    """Path of the ns-3 program, compiled if missing or older than its
    source; None (with a message) when ns-3 is not installed."""
    if not available() and not (allow_install and install()):
        c.log("ns-3: not installed (apt-get install -y libns3-dev libgsl-dev ns3); skipping the ns-3 side")
        return None
    if os.path.exists(BINARY) and os.path.getmtime(BINARY) >= os.path.getmtime(SOURCE):
        return BINARY
    os.makedirs(c.TOOL_DIR, exist_ok=True)
    cmd = ["g++", "-std=c++17", "-O2", "-o", BINARY, SOURCE, *_pkg_flags()]
    c.log("ns-3: compiling " + os.path.relpath(SOURCE, c.REPO) + " ...")
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        c.log(r.stdout[-4000:])
        raise c.BenchError("ns-3 program failed to compile: " + " ".join(cmd))
    return BINARY
