"""Topology helpers (shoal.topology): shapes, addressing and routes of
line, star, tree and mesh; topology files (JSON, YAML when available)
through shoal.load_topology and `python3 -m shoal run --topology`; the
CLI's per-link and per-switch summary and progress reports.
"""

import io
import json
import os
import subprocess
import sys

import pytest

import shoal
from shoal import progress

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def reach(sim, src, dst, count=1):
    p = src.ping(dst, count=count, interval="100ms", timeout="2s")
    assert sim.run_until(lambda: p.done, timeout="60s")
    return p.received == count


def test_line(sim):
    topo = sim.line(4, delay="1ms", rate="100Mbit")
    assert topo.kind == "line" and len(topo) == 4 and len(topo.links) == 3 and topo.switches == []
    assert [n.name for n in topo] == ["n0", "n1", "n2", "n3"]
    assert [l.name for l in topo.links] == ["n0-n1", "n1-n2", "n2-n3"]
    assert topo.subnets == {"n0-n1": "10.0.0.0/24", "n1-n2": "10.0.1.0/24", "n2-n3": "10.0.2.0/24"}
    assert topo.addresses["n1"] == ["10.0.0.2/24", "10.0.1.1/24"]
    assert topo["n0"].iface(topo.links[0]).ip4 == "10.0.0.1"
    assert [n.forwarding for n in topo] == [False, True, True, False]
    assert reach(sim, topo[0], topo.ip("n3"))
    assert reach(sim, topo[3], "10.0.0.1")
    assert reach(sim, topo[1], topo.ip("n3"))
    assert topo.links[0].delay_ns == 1_000_000


def test_line_without_addresses(sim):
    topo = sim.line(3, prefix="r", address=False)
    assert [n.name for n in topo] == ["r0", "r1", "r2"]
    assert all(i.ip4 is None for n in topo for i in n.ifaces)
    assert topo.subnets == {} and not topo[1].forwarding


def test_star(sim):
    topo = sim.star(5, delay="500us")
    sw = topo.switches[0]
    assert sw.name == "sw" and len(topo) == 5 and len(topo.links) == 5 and len(sw.ports) == 5
    assert topo.subnets == {"sw": "10.0.0.0/24"}
    assert [topo.ip(n) for n in topo] == [f"10.0.0.{i}" for i in range(1, 6)]
    assert reach(sim, topo[0], "10.0.0.5", count=2)
    assert [e["node"].name for e in sw.mac_table()] == ["n0", "n1", "n2", "n3", "n4"]  # gratuitous ARPs
    hub = sim.star(3, prefix="h", switch="hub", hub=True, base="10.1.0.0/16")
    assert hub.switches[0].hub and hub.ip("h2") == "10.1.0.3"
    assert reach(sim, hub[0], "10.1.0.3")


def test_tree(sim):
    topo = sim.tree(2, 2, delay="1ms")
    assert len(topo) == 7 and len(topo.links) == 6
    assert [[n.name for n in lvl] for lvl in topo.levels] == [["t0"], ["t1", "t2"], ["t3", "t4", "t5", "t6"]]
    assert [n.forwarding for n in topo] == [True, True, True, False, False, False, False]
    # Leaf to leaf across the root, and leaf to root.
    assert reach(sim, sim["t3"], topo.ip("t6", 0))
    assert reach(sim, sim["t5"], topo.ip("t0", 0))
    assert sim.tree(0, 3, prefix="solo").nodes[0].name == "solo0"


def test_mesh_is_connected_and_deterministic(sim):
    topo = sim.mesh(8, 0.25, seed=4, delay="1ms")
    again = shoal.Sim(seed=99)
    try:
        assert [l.name for l in again.mesh(8, 0.25, seed=4).links] == [l.name for l in topo.links]
    finally:
        again.close()
    assert len(topo) == 8 and len(topo.links) >= 7
    for dst in topo.nodes[1:]:
        assert reach(sim, topo[0], topo.ip(dst)), dst.name
    assert reach(sim, topo[7], topo.ip("m3"))


def test_mesh_full(sim):
    topo = sim.mesh(5, 1.0, prefix="k", routes=False)
    assert len(topo.links) == 10


def test_helpers_refuse_bad_arguments(sim):
    with pytest.raises(ValueError):
        sim.line(0)
    with pytest.raises(ValueError):
        sim.mesh(3, 1.5)
    with pytest.raises(TypeError):
        sim.line(2, colour="red")
    with pytest.raises(ValueError):
        sim.line(3, base="10.0.0.0/25")


TOPO = {
    "nodes": [{"name": "a"}, {"name": "r", "forwarding": True}, {"name": "b"}, {"name": "t", "raw": True}],
    "switches": [{"name": "sw1", "ageing": "60s"}],
    "links": [
        {"a": "a", "b": "r", "delay": "1ms", "rate": "10Mbit", "ip": {"a": "10.0.1.1/24", "r": "10.0.1.2/24"}},
        {"a": "r", "b": "sw1", "delay": "1ms", "ip": {"r": "10.0.2.1/24"}},
        {"a": "b", "b": "sw1", "delay": "1ms", "ip": {"b": "10.0.2.2/24"}},
        {"a": "t", "b": "sw1"},
    ],
    "routes": {"a": [{"prefix": "0.0.0.0/0", "via": "10.0.1.2"}], "b": [["0.0.0.0/0", "10.0.2.1"]]},
}


def test_load_json(sim, tmp_path):
    path = tmp_path / "net.json"
    path.write_text(json.dumps(TOPO))
    topo = shoal.load_topology(sim, path)
    assert [n.name for n in topo] == ["a", "r", "b", "t"] and topo.switches[0].ageing_ns == 60 * 10**9
    assert len(topo.links) == 4 and topo.addresses["r"] == ["10.0.1.2/24", "10.0.2.1/24"]
    assert reach(sim, sim["a"], "10.0.2.2", count=2)
    assert any(f.haslayer("ARP") for f in sim["t"].recv())  # flooded to the raw host


def test_load_shape_and_errors(sim, tmp_path):
    path = tmp_path / "shape.json"
    path.write_text(json.dumps({"shape": {"kind": "star", "n": 3, "delay": "1ms"},
                                "nodes": [{"name": "extra"}], "links": [{"a": "extra", "b": "sw"}]}))
    topo = shoal.load_topology(sim, path)
    assert topo.kind == "star" and [n.name for n in topo] == ["n0", "n1", "n2", "extra"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"nodez": []}')
    with pytest.raises(ValueError, match="unknown section"):
        shoal.load_topology(sim, bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        shoal.load_topology(sim, bad)


def test_load_yaml(sim, tmp_path):
    yaml = pytest.importorskip("yaml", reason="Debian's python3-yaml is not installed")
    path = tmp_path / "net.yaml"
    path.write_text(yaml.safe_dump({"shape": {"kind": "line", "n": 3}}))
    topo = shoal.load_topology(sim, path)
    assert reach(sim, topo[0], topo.ip("n2"))


SCENARIO = '''
def scenario(sim, topo):
    a = topo["a"]
    p = a.ping("10.0.2.2", count=3, interval="200ms")
    sim.run(duration="2s")
    assert p.received == 3
    print("scenario saw", len(topo.nodes), "nodes")
'''


def test_cli_run_with_topology(tmp_path):
    (tmp_path / "net.json").write_text(json.dumps(TOPO))
    (tmp_path / "scen.py").write_text(SCENARIO)
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "python"))
    if env.get("SHOAL_LIB"):  # a sanitizer build's library, named relative to where pytest runs
        env["SHOAL_LIB"] = os.path.abspath(env["SHOAL_LIB"])
    out = subprocess.run([sys.executable, "-m", "shoal", "run", "--topology", str(tmp_path / "net.json"),
                          "--pcap-dir", str(tmp_path / "pcap"), "--check", "--progress", str(tmp_path / "scen.py")],
                         capture_output=True, text=True, env=env, cwd=str(tmp_path), timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "scenario saw 4 nodes" in out.stdout
    assert "switches:" in out.stdout and "sw1 (switch, ageing 60 s)" in out.stdout
    assert "r-sw1:" in out.stdout and "forwarded" in out.stdout
    assert "tshark" in out.stdout and "problem" not in out.stdout
    assert sorted(os.listdir(tmp_path / "pcap")) == ["a-r.pcap", "b-sw1.pcap", "r-sw1.pcap", "t-sw1.pcap"]


def test_progress_lines(monkeypatch):
    monkeypatch.setattr(progress, "_REPORT_EVERY_S", 0.0)
    out = io.StringIO()
    with shoal.Sim(seed=1, progress=out) as s:
        topo = s.line(3, delay="1ms")
        p = topo[0].ping(topo.ip("n2"), count=20, interval="100ms")
        s.run(until=3.0)
        assert p.received == 20 and s.now == 3.0
    lines = out.getvalue().splitlines()
    assert lines and all(l.startswith("[shoal] t=") and "ev/s" in l for l in lines)
    assert "t=3.000000s (100%)" in lines[-1]


def test_progress_does_not_change_the_run(tmp_path):
    def run(progress_on, folder):
        with shoal.Sim(seed=5, pcap_dir=str(folder), progress=io.StringIO() if progress_on else False) as s:
            topo = s.mesh(5, 0.5, delay="1ms", loss=0.1)
            pings = [topo[0].ping(topo.ip(n), count=5, interval="50ms") for n in topo.nodes[1:]]
            s.run(duration="2s")
            return [p.received for p in pings], s.events, sorted(s.pcaps)
    r1, e1, p1 = run(False, tmp_path / "plain")
    r2, e2, p2 = run(True, tmp_path / "progress")
    assert r1 == r2 and e1 == e2
    for x, y in zip(p1, p2):
        with open(x, "rb") as fx, open(y, "rb") as fy:
            assert fx.read() == fy.read()
