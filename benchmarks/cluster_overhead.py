"""The same decomposed solve on local worker processes and on a Dask LocalCluster: wall time,
result and peak memory of each (issue 14: the cluster within 20% of the local processes).

    python -m benchmarks.cluster_overhead DIR [--time-limit 600] [--threads 2] [--runs local,dask]
                                          [--out results.json] [-- extra solve options]

Each run is ``allocator solve DIR --mode decomposed-exact --threads N --time-limit T`` in a fresh
process; the Dask run adds ``--scheduler ADDRESS`` of a ``distributed.LocalCluster`` started here
(N worker processes, one thread each, loopback only), so the only difference is the engine that
carries the county tasks.

Peak memory is measured by sampling, every half second, every process of the run (the solve and
its forked workers; for Dask also the cluster's worker processes and this process, which holds the
scheduler) and summing their **PSS** (proportional set size, from ``/proc/PID/smaps_rollup`` via
psutil): a page shared by k processes counts 1/k in each, so the sum is the memory the run really
occupies. The sum of RSS, which counts a page shared by the forked workers once per process, is
reported beside it (``rss_sum``), and the sum of USS (pages private to one process: the least the
run holds). The peak of the sum is over the samples; a spike shorter than the interval can be
missed. PSS needs a Linux kernel; elsewhere the RSS sum is all there is.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil  # a dependency of distributed (the [cluster] extra)

from .machine import load_average, machine_facts

#: seconds between two memory samples
INTERVAL = 0.5


class MemorySampler:
    """Peak over time of the summed PSS / USS / RSS of a set of process trees."""

    def __init__(self, roots, interval: float = INTERVAL) -> None:
        self.roots = [psutil.Process(r) if isinstance(r, int) else r for r in roots]
        self.interval = interval
        self.peak = {"pss_sum": 0, "uss_sum": 0, "rss_sum": 0, "processes": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _processes(self):
        seen = {}
        for root in self.roots:
            try:
                for p in [root] + root.children(recursive=True):
                    seen[p.pid] = p
            except psutil.Error:
                continue
        return list(seen.values())

    def sample(self) -> None:
        pss = uss = rss = n = 0
        for p in self._processes():
            try:
                info = p.memory_full_info()
            except psutil.Error:   # gone between the listing and the read
                continue
            rss += info.rss
            pss += getattr(info, "pss", info.rss)
            uss += getattr(info, "uss", info.rss)
            n += 1
        for key, value in (("pss_sum", pss), ("uss_sum", uss), ("rss_sum", rss), ("processes", n)):
            self.peak[key] = max(self.peak[key], value)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_solve(directory: str, *, threads: int, time_limit: float, extra: list, scheduler=None,
              also_watch=()) -> dict:
    """One ``allocator solve`` in a fresh process; its wall time, summary figures and peak memory."""
    out = tempfile.mkdtemp(prefix="cluster-overhead-")
    cmd = [sys.executable, "-m", "allocator", "solve", directory, "--mode", "decomposed-exact",
           "--threads", str(threads), "--time-limit", str(time_limit), "-o", out, *extra]
    if scheduler is not None:
        cmd += ["--scheduler", scheduler]
    load_before = load_average()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    with MemorySampler([proc.pid, *also_watch]) as mem:
        output, _ = proc.communicate()
    wall = time.perf_counter() - t0
    result = {"command": " ".join(cmd[1:]), "exit": proc.returncode, "wall_seconds": wall,
              "load_before": load_before, "load_after": load_average(),
              "peak_memory_bytes": dict(mem.peak), "tail": output.splitlines()[-12:]}
    summary = Path(out) / "summary.json"
    if summary.exists():
        s = json.loads(summary.read_text())
        d = s.get("decomposition", {})
        price = d.get("price") or {}
        result.update(status=s.get("status"), objective=s.get("objective"), bound=s.get("bound"),
                      gap=s.get("gap"), gap_relative_to=s.get("gap_relative_to"),
                      bound_source=s.get("bound_source"), cpu_seconds=d.get("cpu_seconds"),
                      stages={k: v.get("seconds") for k, v in (d.get("stages") or {}).items()},
                      rounds=len(price.get("rounds") or []), executor=price.get("executor"),
                      total_seconds=s.get("total_seconds"), plan_dir=out)
    return result


def run_local(directory, *, threads, time_limit, extra) -> dict:
    return run_solve(directory, threads=threads, time_limit=time_limit, extra=extra)


def run_dask(directory, *, threads, time_limit, extra) -> dict:
    from distributed import LocalCluster

    t0 = time.perf_counter()
    with LocalCluster(n_workers=threads, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster:
        started = time.perf_counter() - t0
        # the cluster's workers are this process's children; this process holds the scheduler
        result = run_solve(directory, threads=threads, time_limit=time_limit, extra=extra,
                           scheduler=cluster.scheduler_address, also_watch=[os.getpid()])
    result["cluster_start_seconds"] = started
    return result


RUNS = {"local": run_local, "dask": run_dask}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cluster_overhead", description=__doc__.split("\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", default="local,dask", help="comma-separated: local, dask (in this order)")
    parser.add_argument("--out", default=None, help="write the results (JSON) here")
    parser.add_argument("extra", nargs="*", help="more options for allocator solve (after --)")
    args = parser.parse_args(argv)
    runs = [r.strip() for r in args.runs.split(",") if r.strip()]
    unknown = [r for r in runs if r not in RUNS]
    if unknown:
        parser.error(f"unknown run(s) {unknown}; choose from {sorted(RUNS)}")
    report = {"machine": machine_facts(calibrate=True), "directory": args.directory,
              "time_limit": args.time_limit, "threads": args.threads, "runs": {}}
    for name in runs:
        print(f"[{time.strftime('%H:%M:%S')}] {name} run, load {load_average()}", file=sys.stderr, flush=True)
        report["runs"][name] = RUNS[name](args.directory, threads=args.threads, time_limit=args.time_limit,
                                          extra=args.extra)
        r = report["runs"][name]
        print(f"  {name}: exit {r['exit']}, wall {r['wall_seconds']:.1f} s, objective {r.get('objective')}, "
              f"bound {r.get('bound')}, gap {r.get('gap')}, peak PSS {r['peak_memory_bytes']['pss_sum'] / 2**30:.2f} GiB "
              f"(RSS sum {r['peak_memory_bytes']['rss_sum'] / 2**30:.2f} GiB)", file=sys.stderr, flush=True)
        if args.out:   # after each run: a long run is not lost if the next one fails
            Path(args.out).write_text(json.dumps(report, indent=1, default=str))
    if "local" in report["runs"] and "dask" in report["runs"]:
        ratio = report["runs"]["dask"]["wall_seconds"] / report["runs"]["local"]["wall_seconds"]
        report["dask_over_local_wall"] = ratio
        print(f"Dask / local wall time: {ratio:.3f}", file=sys.stderr)
        if args.out:
            Path(args.out).write_text(json.dumps(report, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
