"""Run a suite: prepare every instance, solve it with every solver and baseline,
record one row per run.

Process layout (Linux ``fork``): the main process only schedules and prints.
Each case runs in its own child, which imports or generates the instance and
loads it once; each solve then runs in a grandchild forked from it, so that

- its peak memory is its own (``ru_maxrss`` of the run process, or of a solver
  binary it started, such as CBC under PuLP), not the high-water mark of
  everything run before;
- a solver that ignores its time limit is killed (with its whole process
  group) ``time_limit * KILL_FACTOR + KILL_GRACE`` seconds after it started,
  and the row says ``killed``;
- nothing is imported or loaded twice.

Rows are written to ``results.jsonl`` as they finish; ratios between a case's
rows (engine vs greedy, engine vs fixed tree) are filled in once the case is
done. Row fields are listed in benchmarks/README.md.
"""
from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import re
import resource
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path

from allocator.errors import OptionsError

from .suites import BASELINES, ENGINE_SOLVERS, Case, Suite, known_optimum

SCHEMA_VERSION = 1
#: a run is killed this long after it started: time_limit * KILL_FACTOR + KILL_GRACE
KILL_FACTOR, KILL_GRACE = 1.5, 30.0
#: instance preparation (generation or import, then loading) is killed after this many seconds
PREPARE_LIMIT = 1800.0
#: objectives agree with a known optimum within this relative tolerance
OPTIMUM_RTOL = 1e-6

#: every results.jsonl row has these keys (null when not applicable); see benchmarks/README.md
ROW_FIELDS = (
    # what ran
    "suite", "case", "family", "kind", "source", "instance", "content_hash",
    "villages", "villages_unconnected", "nodes", "edges", "sites", "coverage_pairs", "budget",
    "solver", "role", "solver_version", "mode", "time_limit", "gap_limit", "threads", "seed",
    # outcome
    "status", "objective_kind", "objective_sense", "objective", "bound", "gap", "model_objective",
    "verified_objective", "total_cost", "coverage", "villages_covered",
    "variables", "integer_variables", "constraints", "nonzeros",
    # cost of getting it
    "prepare_seconds", "build_seconds", "solve_seconds", "wall_seconds", "peak_memory_mb",
    # checks
    "known_optimum", "matches_optimum", "bound_valid", "verified", "violations",
    # ratios taken in the same run
    "time_vs_reference", "greedy_objective", "objective_vs_greedy", "fixed_tree_objective",
    "objective_vs_fixed_tree", "time_vs_fixed_tree", "time_vs_fixed_tree_kind",
    "message",
)

#: statuses a row can have beyond the engine's own (optimal, feasible, infeasible, time_limit, error)
KILLED, SKIPPED, PREPARE_FAILED = "killed", "skipped", "prepare_failed"
#: message of a run skipped because --max-minutes ran out (the run is then incomplete); a run the case
#: leaves out on purpose (Case.skip) says "not run: <reason>" instead
OUT_OF_TIME = "suite time budget used up"

#: columns of the live table: (header, row key, width, format)
LIVE_COLUMNS = (("case", "case", 14, "s"), ("solver", "solver", 10, "s"), ("status", "status", 14, "s"),
                ("objective", "objective", 14, ".6g"), ("gap", "gap", 9, ".2%"),
                ("wall s", "wall_seconds", 8, ".2f"), ("MB", "peak_memory_mb", 6, ".0f"),
                ("known opt", "matches_optimum", 9, "s"), ("verified", "verified", 8, "s"))


@dataclass(frozen=True)
class RunSpec:
    """One solve: a solver (engine backend) or a baseline on one case."""

    solver: str
    role: str                 # engine | baseline
    mode: str
    time_limit: float
    gap: float
    threads: int | None = None
    seed: int = 0
    skip: str | None = None   # the case leaves this run out, for this reason (a ``skipped`` row)


# --------------------------------------------------------------------------- solvers
def installed_solvers() -> list[str]:
    """Names of the engine backends usable here, in table order."""
    from allocator.backends import available_backends

    found = available_backends()
    if isinstance(found, dict):
        names = list(found)
    else:
        names = [b if isinstance(b, str) else getattr(b, "name", str(b)) for b in found]
    order = {n: i for i, n in enumerate(ENGINE_SOLVERS)}
    return sorted(names, key=lambda n: (order.get(n, len(order)), n))


def resolve_solvers(suite: Suite, requested: list[str] | None) -> list[str]:
    """The engine solvers to run: ``requested`` (must be installed), else the suite's, else all installed."""
    installed = installed_solvers()
    if requested:
        unknown = [s for s in requested if s not in installed]
        if unknown:
            raise OptionsError(f"solver(s) not installed: {', '.join(unknown)}",
                               fix=f"installed: {', '.join(installed) or 'none'}")
        return list(dict.fromkeys(requested))
    wanted = suite.solvers if suite.solvers is not None else installed
    return [s for s in wanted if s in installed]


# --------------------------------------------------------------------------- instance preparation
def prepare_instance(case: Case, directory: Path) -> Path:
    """Write ``case``'s instance directory (generator or importer) and return it."""
    if case.kind == "stp":
        from allocator.importers import import_stp
        return Path(import_stp(case.path(), directory))
    if case.kind == "scp":
        from allocator.importers import import_scp
        return Path(import_scp(case.path(), directory))
    if case.kind == "generated":
        return _generate(case.preset, case.seed, directory)
    if case.kind == "instance":  # a copy: runs never write beside the shipped files
        import shutil
        if not (case.path() / "instance.toml").is_file():
            raise OptionsError(f"case {case.name}: no instance.toml in {case.path()}")
        shutil.copytree(case.path(), directory, dirs_exist_ok=True)
        return directory
    raise OptionsError(f"case {case.name}: unknown kind {case.kind!r}")


def _generate(preset: str, seed: int, directory: Path) -> Path:
    import allocator.generator as gen

    write = getattr(gen, "generate", None) or getattr(gen, "generate_instance", None)
    if write is None:  # no Python entry point: the documented CLI
        import subprocess
        proc = subprocess.run([sys.executable, "-m", "allocator", "generate", preset, "--seed", str(seed),
                               "-o", str(directory)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"allocator generate {preset} --seed {seed} failed "
                               f"(exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")
        return directory
    out = write(preset, seed=seed, directory=directory)
    return Path(out) if out is not None else directory


def instance_facts(instance) -> dict:
    return {
        "instance": instance.name,
        "content_hash": instance.content_hash,
        "villages": int(len(instance.villages)),
        "villages_unconnected": int((instance.villages["existing"].astype(str) == "none").sum()),
        "nodes": int(len(instance.nodes)),
        "edges": int(len(instance.edges)),
        "sites": int(len(instance.sites)),
        "coverage_pairs": int(len(instance.coverage)),
        "budget": instance.budget,
        "objective_kind": getattr(instance.objective, "value", str(instance.objective)),
    }


# --------------------------------------------------------------------------- one run (in its own process)
def _peak_memory_mb() -> float:
    """Peak resident memory of this process or any solver binary it waited for (Linux: KiB)."""
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)  # macOS reports bytes


def _run_engine(instance, spec: RunSpec) -> dict:
    from allocator.errors import AllocatorError, InfeasibleError, SolverError, VerificationError
    from allocator.solve import solve

    try:
        plan = solve(instance, solver=spec.solver, mode=spec.mode, time_limit=spec.time_limit, gap=spec.gap,
                     threads=spec.threads, seed=spec.seed)
    except InfeasibleError as err:
        return {"status": "infeasible", "message": str(err).splitlines()[0]}
    except VerificationError as err:
        return {"status": "error", "verified": False, "violations": len(err.violations),
                "message": f"verification failed: {err.violations[0] if err.violations else ''}"}
    except SolverError as err:  # no plan: say whether the clock or the solver was the reason
        text = str(err).splitlines()[0]
        return {"status": "time_limit" if "time limit" in text.lower() else "error", "message": text}
    except AllocatorError as err:
        return {"status": "error", "message": str(err).splitlines()[0]}
    s = plan.summary
    size = s.get("model_size") or {}
    return {"status": s.get("status"), "objective": s.get("objective"), "bound": s.get("bound"),
            "gap": s.get("gap"), "solver_version": s.get("solver_version"),
            "objective_kind": s.get("objective_kind"), "build_seconds": s.get("build_seconds"),
            "solve_seconds": s.get("solve_seconds"), "_decision": plan.decision, "_summary": s,
            **{k: size.get(k) for k in ("variables", "integer_variables", "constraints", "nonzeros")}}


def _run_baseline(instance, spec: RunSpec) -> dict:
    from . import baselines

    if spec.solver == "greedy":
        result = baselines.greedy_baseline(instance)
    elif spec.solver == "fixed-tree":
        result = baselines.fixed_tree(instance, time_limit=spec.time_limit, gap=spec.gap, threads=spec.threads,
                                      seed=spec.seed)
    elif spec.solver == "fixed-formulation":
        result = baselines.fixed_formulation(instance, time_limit=spec.time_limit, gap=spec.gap)
    elif spec.solver == "restricted":
        result = baselines.restricted_baseline(instance, mode=spec.mode, time_limit=spec.time_limit, gap=spec.gap,
                                               threads=spec.threads, seed=spec.seed)
    else:
        raise OptionsError(f"unknown baseline {spec.solver!r}", fix=f"one of {', '.join(BASELINES)}")
    return {"status": result.status, "objective": result.objective, "bound": result.bound, "gap": result.gap,
            "solver_version": result.solver_version, "build_seconds": result.build_seconds,
            "solve_seconds": result.solve_seconds, "message": result.message, "_decision": result.decision,
            **{k: result.model_size.get(k) for k in ("variables", "integer_variables", "constraints", "nonzeros")}}


def execute_run(instance, spec: RunSpec) -> dict:
    """Solve once and verify the decision; returns the run's measured fields."""
    from allocator.verify import verify

    t0 = time.perf_counter()
    try:
        out = (_run_engine if spec.role == "engine" else _run_baseline)(instance, spec)
    except Exception as err:  # a crash is a result to record, not a reason to stop the suite
        out = {"status": "error", "message": f"{type(err).__name__}: {err}",
               "traceback": traceback.format_exc(limit=8)}
    out["wall_seconds"] = time.perf_counter() - t0
    decision = out.pop("_decision", None)
    summary = out.pop("_summary", None)
    if decision is not None:
        report = verify(instance, decision, summary=summary)
        rec = report.recomputed
        out.update(verified=bool(report.ok), violations=len(report.violations),
                   verified_objective=rec.get("objective"), total_cost=rec.get("total_cost"),
                   coverage=rec.get("coverage"), villages_covered=rec.get("villages_covered"),
                   by_technology=rec.get("by_technology"))
        if not report.ok:
            out["message"] = (out.get("message") or "") + f" | verifier: {report.violations[0]}"
        if spec.role == "baseline":  # a baseline's score is the verifier's price of its plan
            out["model_objective"] = out.get("objective")
            out["objective"] = rec.get("objective")
        out.setdefault("objective_kind", rec.get("objective_kind"))
    return out


def _run_child(instance, spec: RunSpec, conn) -> None:
    os.setsid()  # own process group: a kill on deadline takes solver binaries with it
    try:
        out = execute_run(instance, spec)
    except BaseException as err:  # noqa: BLE001 - report everything to the parent
        out = {"status": "error", "message": f"{type(err).__name__}: {err}"}
    out["peak_memory_mb"] = _peak_memory_mb()
    conn.send(out)
    conn.close()


def _run_isolated(ctx, instance, spec: RunSpec) -> dict:
    kill_after = spec.time_limit * KILL_FACTOR + KILL_GRACE
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run_child, args=(instance, spec, writer), daemon=False)
    t0 = time.perf_counter()
    proc.start()
    writer.close()
    out = None
    try:
        if reader.poll(kill_after):
            try:
                out = reader.recv()
            except EOFError:
                out = None
    except BaseException:  # interrupted: never leave a solver running in its own session
        _kill_group(proc)
        raise
    wall = time.perf_counter() - t0
    if out is None:
        _kill_group(proc)
        proc.join(5)
        if wall >= kill_after:
            return {"status": KILLED, "wall_seconds": wall,
                    "message": f"killed after {kill_after:.0f} s (time limit {spec.time_limit:g} s not kept)"}
        return {"status": "error", "wall_seconds": wall,
                "message": f"run process died (exit code {proc.exitcode}; out of memory?)"}
    proc.join(30)
    if proc.is_alive():
        _kill_group(proc)
    return out


def _kill_group(proc) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        if proc.is_alive():
            proc.kill()


# --------------------------------------------------------------------------- one case (in its own process)
def _case_child(case: Case, specs: list[RunSpec], queue, stop_at: float | None, keep_dir: str | None) -> None:
    ctx = mp.get_context("fork")
    base = {"case": case.name, "family": case.family, "kind": case.kind, "source": case.file or
            f"generator:{case.preset}:seed={case.seed}", "known_optimum": known_optimum(case)}
    t0 = time.perf_counter()
    try:
        from allocator.io import load_instance
        if keep_dir:
            directory = prepare_instance(case, Path(keep_dir) / case.name)
            instance = load_instance(directory)
        else:
            with tempfile.TemporaryDirectory(prefix=f"bench-{case.name}-") as tmp:
                directory = prepare_instance(case, Path(tmp) / case.name)
                instance = load_instance(directory)
        facts = instance_facts(instance)
    except Exception as err:  # noqa: BLE001
        msg = f"{type(err).__name__}: {err}".splitlines()[0]
        for spec in specs:
            queue.put(("row", {**base, **_spec_fields(spec), "status": PREPARE_FAILED, "message": msg,
                               "prepare_seconds": time.perf_counter() - t0}))
        queue.put(("done", case.name))
        return
    base.update(facts, prepare_seconds=round(time.perf_counter() - t0, 3))
    queue.put(("prepared", case.name))
    for spec in specs:
        row = {**base, **_spec_fields(spec)}
        if spec.skip:
            row.update(status=SKIPPED, message=f"not run: {spec.skip}")
        elif stop_at is not None and time.time() > stop_at:
            row.update(status=SKIPPED, message=OUT_OF_TIME)
        else:
            queue.put(("start", f"{case.name} {spec.solver}"))
            row.update(_run_isolated(ctx, instance, spec))
        queue.put(("row", row))
    queue.put(("done", case.name))


def _preload() -> None:
    """Import, before forking anything, every engine module (the engine imports some lazily)
    and the solvers: import time is not solve time, and every case of a session runs the
    same code even if files change while it runs."""
    import importlib
    import pkgutil

    import pulp  # noqa: F401

    import allocator
    from allocator.backends import available_backends

    from . import baselines  # noqa: F401

    for info in pkgutil.walk_packages(allocator.__path__, prefix="allocator."):
        if ".cli" in info.name or info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001 - a module that cannot load fails its runs, reported there
            pass
    available_backends()


def _spec_fields(spec: RunSpec) -> dict:
    return {"solver": spec.solver, "role": spec.role, "mode": spec.mode, "time_limit": spec.time_limit,
            "gap_limit": spec.gap, "threads": spec.threads, "seed": spec.seed}


# --------------------------------------------------------------------------- scoring a case's rows
def _sense(kind) -> str:
    return "min" if kind == "min-cost" else "max"


def score_row(r: dict, reference_seconds: float | None) -> dict:
    """Fields of one row alone: objective sense, agreement with the known optimum
    (and whether the dual bound respects it), time relative to the reference solve."""
    kind = r.get("objective_kind")
    r["objective_sense"] = _sense(kind) if kind else None
    obj = _score_objective(r)
    opt = r.get("known_optimum")
    r["matches_optimum"] = r["bound_valid"] = None
    if opt is not None and obj is not None and r.get("verified") is not False:
        tol = OPTIMUM_RTOL * max(1.0, abs(opt))
        r["matches_optimum"] = abs(obj - opt) <= tol
        b = r.get("bound")
        if b is not None and r.get("role") == "engine" and math.isfinite(b):
            r["bound_valid"] = b <= opt + tol if r["objective_sense"] == "min" else b >= opt - tol
    wall = r.get("wall_seconds")
    r["time_vs_reference"] = round(wall / reference_seconds, 3) if wall is not None and reference_seconds else None
    return r


def _score_objective(r: dict):
    """The objective used for scores: the verifier's recomputation when there is one."""
    v = r.get("verified_objective")
    return v if v is not None else r.get("objective")


def score_rows(rows: list[dict], reference_seconds: float | None) -> list[dict]:
    """Score every row (:func:`score_row`), then fill in the engine rows' comparison with
    the baselines of the same case: objective vs greedy and fixed tree, time vs fixed tree."""
    by_solver = {r["solver"]: r for r in rows}
    greedy, tree = by_solver.get("greedy"), by_solver.get("fixed-tree")
    for r in rows:
        score_row(r, reference_seconds)
        if r.get("role") != "engine":
            continue
        obj = _score_objective(r)
        r["greedy_objective"] = greedy.get("objective") if greedy else None
        r["objective_vs_greedy"] = _ratio(obj, r["greedy_objective"])
        r["fixed_tree_objective"] = tree.get("objective") if tree else None
        r["objective_vs_fixed_tree"] = _ratio(obj, r["fixed_tree_objective"])
        r["time_vs_fixed_tree"], r["time_vs_fixed_tree_kind"] = _time_ratio(r, tree)
    return rows


def _ratio(a, b):
    if a is None or b is None:
        return None
    if b == 0:
        return 1.0 if a == 0 else None
    return round(a / b, 6)


def _reached_gap(row) -> bool:
    g = _as_float(row.get("gap"))
    return row.get("status") in ("optimal", "feasible") and g is not None and g <= (row.get("gap_limit") or 0) + 1e-6


def _stopped_by_clock(row) -> bool:
    """The run ended because its time ran out (with or without a plan), not because it was done."""
    return row.get("status") in ("feasible", "time_limit", "killed") and not _reached_gap(row)


def _as_float(x):
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, str):
        return math.inf if x == "inf" else None
    return float(x)


def _time_ratio(engine: dict, tree: dict | None):
    """Engine wall time / fixed-tree wall time, each to reach the requested gap.

    kind ``=``: both reached it; ``<``: only the engine did while the baseline ran
    out of time, so the true ratio is smaller than stated; ``>``: the other way round.
    None when a side neither reached the gap nor ran out of time (infeasible, error),
    or neither reached it."""
    if tree is None or engine.get("wall_seconds") is None or not tree.get("wall_seconds"):
        return None, None
    e, t = _reached_gap(engine), _reached_gap(tree)
    if e and t:
        kind = "="
    elif e and _stopped_by_clock(tree):
        kind = "<"
    elif t and _stopped_by_clock(engine):
        kind = ">"
    else:
        return None, None
    return round(engine["wall_seconds"] / tree["wall_seconds"], 4), kind


# --------------------------------------------------------------------------- display
def _fmt(value, width, fmt) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, bool):
        text = "yes" if value else "NO"
    elif fmt == "s":
        text = str(value)
    else:
        try:
            text = format(float(value), fmt) if math.isfinite(float(value)) else str(value)
        except (TypeError, ValueError):
            text = str(value)
    return text[:width].rjust(width) if fmt != "s" else text[:width].ljust(width)


class Display:
    """A live table on stdout (one line per finished run) and a progress line on
    stderr (rewritten in place with a carriage return when stderr is a terminal)."""

    def __init__(self, total: int, *, stream=None, quiet: bool = False) -> None:
        self.total, self.done, self.t0 = total, 0, time.perf_counter()
        self.out = stream or sys.stdout
        self.tty = sys.stderr.isatty()
        self.quiet = quiet
        self.current = ""

    def header(self) -> None:
        if self.quiet:
            return
        line = " ".join(_fmt(h, w, "s") if f == "s" else h.rjust(w) for h, _, w, f in LIVE_COLUMNS)
        self._print(line)
        self._print("-" * len(line))

    def row(self, row: dict) -> None:
        self.done += 1
        if not self.quiet:
            self._print(" ".join(_fmt(row.get(k), w, f) for _, k, w, f in LIVE_COLUMNS))
        self.progress()

    def start(self, what: str) -> None:
        self.current = what
        self.progress()

    def progress(self) -> None:
        if self.quiet:
            return
        elapsed = time.perf_counter() - self.t0
        share = self.done / self.total if self.total else 1.0
        eta = f"~{_clock(elapsed / share - elapsed)} left" if 0 < share < 1 else ""
        bar = ("#" * int(20 * share)).ljust(20, ".")
        text = f"[{bar}] {self.done}/{self.total} {_clock(elapsed)} {eta} {self.current}".rstrip()
        if self.tty:
            sys.stderr.write("\r\x1b[2K" + text)
            sys.stderr.flush()

    def _print(self, line: str) -> None:
        if self.tty:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
        print(line, file=self.out, flush=True)

    def finish(self) -> None:
        if self.tty and not self.quiet:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"


# --------------------------------------------------------------------------- the suite
def plan_runs(suite: Suite, solvers: list[str], *, time_limit: float | None = None, gap: float | None = None,
              baselines: tuple[str, ...] | None = None, threads: int | None = None,
              named: tuple[str, ...] = ()) -> list[tuple[Case, list[RunSpec]]]:
    """Every case with its runs. A run a case leaves out (``Case.skip``) is planned with its reason
    (recorded as a ``skipped`` row), unless its solver or baseline is in ``named`` (--solvers /
    --baselines given explicitly)."""
    limit = float(time_limit if time_limit is not None else suite.time_limit)
    g = float(gap if gap is not None else suite.gap)
    if not (limit > 0 and math.isfinite(limit)):
        raise OptionsError(f"time limit must be a positive number of seconds, got {time_limit!r}")
    if not 0 <= g < 1:
        raise OptionsError(f"gap must be in [0, 1), got {gap!r}")
    chosen = suite.baselines if baselines is None else baselines
    for b in chosen:
        if b not in BASELINES:
            raise OptionsError(f"unknown baseline {b!r}", fix=f"one of {', '.join(BASELINES)}")
    out = []
    for case in suite.cases:  # --gap / --time-limit override every case's own
        cg = g if gap is not None or case.gap is None else float(case.gap)
        cl = limit if time_limit is not None or case.time_limit is None else float(case.time_limit)
        specs = [RunSpec(s, "engine", case.mode, cl, cg, threads, skip=_skip(case, s, named)) for s in solvers]
        specs += [RunSpec(b, "baseline", case.mode, cl, cg, threads, skip=_skip(case, b, named)) for b in chosen]
        out.append((case, specs))
    return out


def _skip(case: Case, solver: str, named) -> str | None:
    """Why ``case`` leaves ``solver`` out, unless the user named it."""
    return None if solver in named else case.skip_reason(solver)


def select_cases(suite: Suite, pattern: str | None) -> Suite:
    """Keep the cases whose name or family matches the regular expression ``pattern``."""
    if not pattern:
        return suite
    try:
        rx = re.compile(pattern)
    except re.error as err:
        raise OptionsError(f"--cases: bad regular expression {pattern!r}: {err}") from None
    cases = tuple(c for c in suite.cases if rx.search(c.name) or rx.search(c.family))
    if not cases:
        raise OptionsError(f"--cases {pattern!r} matches no case of suite {suite.name}")
    return replace(suite, cases=cases)


def run_suite(suite: Suite, out_dir: str | Path, *, solvers: list[str] | None = None,
              time_limit: float | None = None, gap: float | None = None, threads: int | None = None,
              baselines: tuple[str, ...] | None = None, max_minutes: float | None = None,
              keep_instances: str | Path | None = None, plots: bool = True, quiet: bool = False) -> dict:
    """Run ``suite`` and write results.jsonl, machine.json, results.md and plots to ``out_dir``.

    Returns the run's metadata (also in machine.json) with ``complete`` False when
    interrupted or cut short by ``max_minutes``.
    """
    from allocator.io.atomic import atomic_output_dir

    from . import report
    from .machine import load_average, machine_facts, reference_solve

    names = resolve_solvers(suite, solvers)
    work = plan_runs(suite, names, time_limit=time_limit, gap=gap, baselines=baselines, threads=threads,
                     named=tuple(solvers or ()) + tuple(baselines or ()))
    total = sum(len(specs) for _, specs in work)
    started = time.time()
    stop_at = started + 60 * max_minutes if max_minutes else None
    facts = machine_facts()
    ref = facts.get("reference_solve_seconds")
    meta = {"schema_version": SCHEMA_VERSION, "suite": suite.name, "description": suite.description,
            "solvers": names, "baselines": list(baselines if baselines is not None else suite.baselines),
            "time_limit": float(time_limit if time_limit is not None else suite.time_limit),
            "gap": float(gap if gap is not None else suite.gap), "cases": [c.to_dict() for c, _ in work],
            "runs_planned": total, "started_at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
            "machine": facts}
    _preload()  # every case then runs the code as it was now, even if files change during the run
    display = Display(total, quiet=quiet)
    display.header()
    ctx = mp.get_context("fork")
    rows_all: list[dict] = []
    interrupted = False
    with atomic_output_dir(out_dir, kind="bench results", preserve=("README.md",)) as tmp:
        with (tmp / "results.jsonl").open("w", encoding="utf-8") as partial:  # readable while it runs
            try:
                for case, specs in work:
                    rows = _run_case(ctx, case, specs, display, ref, stop_at, keep_instances)
                    for r in score_rows(rows, ref):
                        r["suite"] = suite.name
                        partial.write(json.dumps(_clean(r), ensure_ascii=False) + "\n")
                    partial.flush()
                    rows_all.extend(rows)
            except KeyboardInterrupt:
                interrupted = True
        display.finish()
        # the machine's speed over the whole session: reference solve at start and end (geometric mean)
        end_ref = reference_solve() if ref else None
        speed = math.sqrt(ref * end_ref) if ref and end_ref else ref
        rows_all = [_clean(r) for r in score_rows_by_case(rows_all, speed)]
        with (tmp / "results.jsonl").open("w", encoding="utf-8") as fh:
            fh.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in rows_all)
        meta.update(load_average_at_end=load_average(), reference_solve_seconds_at_end=end_ref,
                    reference_seconds_used=speed, finished_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                    wall_seconds=round(time.time() - started, 1), runs_done=len(rows_all),
                    complete=not interrupted and not any(r["status"] == SKIPPED and r.get("message") == OUT_OF_TIME
                                                         for r in rows_all))
        (tmp / "machine.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        report.write_report(tmp, rows_all, meta, plots=plots)
    if interrupted:
        raise KeyboardInterrupt
    return meta


def score_rows_by_case(rows: list[dict], reference_seconds: float | None) -> list[dict]:
    """:func:`score_rows` applied to each case's rows (in their order)."""
    cases: dict = {}
    for r in rows:
        cases.setdefault(r.get("case"), []).append(r)
    out = []
    for case_rows in cases.values():
        out.extend(score_rows(case_rows, reference_seconds))
    return out


def _run_case(ctx, case: Case, specs: list[RunSpec], display: Display, ref, stop_at, keep_instances) -> list[dict]:
    queue = ctx.Queue()
    proc = ctx.Process(target=_case_child, args=(case, specs, queue, stop_at,
                                                 str(keep_instances) if keep_instances else None))
    display.start(f"{case.name}: preparing")
    proc.start()
    try:
        return _collect(proc, queue, display, case, specs, ref)
    except KeyboardInterrupt:
        proc.join(10)  # the case process got the interrupt too and kills its run
        if proc.is_alive():
            proc.kill()
        raise


def _collect(proc, queue, display: Display, case: Case, specs: list[RunSpec],
             reference_seconds: float | None = None) -> list[dict]:
    """Rows of one case as its process sends them; a case process that dies or hangs
    in preparation is reported, never waited on forever."""
    import queue as queue_mod

    rows: list[dict] = []
    deadline = time.perf_counter() + PREPARE_LIMIT + sum(s.time_limit * KILL_FACTOR + KILL_GRACE for s in specs
                                                           if not s.skip)
    while True:
        try:
            kind, payload = queue.get(timeout=1.0)
        except queue_mod.Empty:
            if not proc.is_alive() or time.perf_counter() > deadline:
                break
            continue
        if kind == "row":
            rows.append(score_row(payload, reference_seconds))
            display.row(payload)
        elif kind == "start":
            display.start(payload)
        elif kind == "prepared":
            display.start(f"{payload}: prepared")
        elif kind == "done":
            break
    proc.join(10)
    if proc.is_alive():
        _kill_group(proc)
        proc.kill()
    done = {r["solver"] for r in rows}
    for spec in specs:  # runs the case process never reported
        if spec.solver not in done:
            row = {"case": case.name, "family": case.family, "kind": case.kind, **_spec_fields(spec),
                   "status": "error", "message": f"case process ended (exit code {proc.exitcode}) before this run",
                   "known_optimum": known_optimum(case)}
            rows.append(row)
            display.row(row)
    return rows


def _clean(row: dict) -> dict:
    """Every ROW_FIELDS key (missing ones null), JSON-safe: no NaN (null), infinities as
    "inf" / "-inf", numpy scalars as Python numbers."""
    out = {}
    for k, v in {**{f: None for f in ROW_FIELDS}, **row}.items():
        if k.startswith("_"):
            continue
        if hasattr(v, "item") and not isinstance(v, (list, dict, str)):
            v = v.item()
        if isinstance(v, float) and not math.isfinite(v):
            v = None if math.isnan(v) else ("inf" if v > 0 else "-inf")
        out[k] = v
    return out


def read_results(path: str | Path) -> list[dict]:
    """Rows of a results.jsonl file (or of the results.jsonl inside a directory)."""
    path = Path(path)
    if path.is_dir():
        path = path / "results.jsonl"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                rows.append(json.loads(line))
    return rows
