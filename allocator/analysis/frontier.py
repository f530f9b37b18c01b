"""Budget frontier: the best weighted coverage each budget buys.

The frontier f(B) = max weighted coverage with cost <= B is a non-decreasing
step function of the budget B (a plan affordable at B is affordable at any
bigger budget). Two ways to trace it between ``--from`` and ``--to``:

- **sampled** (default): solve max-coverage at ``points`` evenly spaced
  budgets (in parallel where the machine allows), each with its gap;
- **exact breakpoints** (``exact=True``): solve *lexicographically* (max
  coverage, then min cost among the plans reaching it). A solve at B returns
  f(B) and c(B), the least budget that reaches f(B): the step holding B
  starts exactly at c(B). Between two solved budgets a < b with different
  coverage, solving just below c(b) -- by one millionth (:func:`probe_below`),
  not by a currency unit, so that real-valued costs (TCO, fractional prices)
  lose no wider step -- either finds f(a) again (c(b) is
  the only breakpoint in between) or a new step to split on. A step narrower
  than that tolerance cannot be told from its neighbour by any plan check; the
  frontier's notes say so. Each breakpoint costs about two solves; the search
  stops after ``max_solves`` and then says it is incomplete (``complete``
  false). Every solve must be proven optimal for a breakpoint to be called exact.

Monotone by construction, whatever the solver returns:

- a plan found at a smaller budget is feasible at a bigger one, so each point
  keeps the best plan found at or below its budget (``carried_from`` names the
  budget it came from when the point's own solve did worse);
- a proven upper bound at a bigger budget bounds every smaller one, so each
  point's bound is the least bound at or above its budget;
- the gap is recomputed from these two. A point is ``optimal`` only when its
  own solve proved it: combining points never promotes one (a gap the
  combination closes is noted). A bound on the wrong side of a verified
  plan's coverage at or below its budget is an engine error
  (:class:`~allocator.errors.CrossedBoundError`, exit 1), never a gap of 0.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..backends.base import PROOF_GAP, relative_gap
from ..errors import AllocatorError, CrossedBoundError, InfeasibleError, OptionsError
from ..solve.executor import open_executor, scheduler_address
from ..verify import ABS_TOL

#: exact search: how far below a step's least cost the next probe lies (relative; see probe_below)
PROBE_REL = 1e-6

COLUMNS = ["budget", "objective", "bound", "gap", "status", "cost", "villages_covered", "poor_share",
           "carried_from", "kind", "solve_seconds", "message"]


@dataclass
class Frontier:
    """Points of the frontier, sorted by budget (see :data:`COLUMNS`), and how they were found."""

    points: pd.DataFrame
    mode: str                       # sampled | exact
    complete: bool = True           # exact mode: every breakpoint in the range found and proven
    notes: list[str] = field(default_factory=list)

    @property
    def breakpoints(self) -> list[float]:
        return self.points.loc[self.points["kind"] == "breakpoint", "budget"].tolist()


# --------------------------------------------------------------------------- one solve
def solve_point(instance, budget: float, objective: str, options: dict) -> dict:
    """Solve at ``budget``; a row of the frontier (never raises for infeasible/solver trouble).

    The default per-budget solve of :func:`trace_frontier`; a ``solve_fn`` that only adds to it
    (progress, counting) calls this one."""
    from ..solve.api import solve

    row = {"budget": float(budget), "objective": None, "bound": None, "gap": None, "status": "",
           "cost": None, "villages_covered": None, "poor_share": None, "solve_seconds": None, "message": ""}
    try:
        # the budget goes into the instance (not solve's budget=) so the verifier checks the same budget
        plan = solve(instance.with_changes(budget=float(budget)), objective=objective, **options)
    except CrossedBoundError:  # an engine error, not a point without a plan
        raise
    except InfeasibleError as err:
        row["status"] = "infeasible"
        row["message"] = " ".join(str(err).split())  # whole: it ends with the least sufficient budget
        return row
    except AllocatorError as err:  # solver trouble, or a plan failing verification: a point without a plan
        row["status"] = "error"
        row["message"] = " ".join(str(err).split())
        return row
    return {**row, **point_from_plan(plan)}


def point_from_plan(plan) -> dict:
    """The frontier columns a plan gives."""
    s = plan.summary
    poor = plan.villages[plan.villages["poor"].astype(bool)]
    # lexicographic too: the coverage the returned plan achieves and the coverage stage's bound
    obj, bound = s.get("objective"), s.get("bound")
    return {"objective": None if obj is None else float(obj),
            "bound": None if bound is None else float(bound),
            "gap": s.get("gap"), "status": str(s.get("status", "")),
            "cost": float(s.get("total_cost", 0.0)),
            "villages_covered": int(plan.villages["covered"].sum()),
            "poor_share": float(poor["covered"].mean()) if len(poor) else math.nan,
            "solve_seconds": s.get("solve_seconds")}


def _run(instance, budgets, objective, options, *, workers: int, solve_fn=None, scheduler=None) -> list[dict]:
    budgets = [float(b) for b in budgets]
    if solve_fn is not None:
        return [solve_fn(instance, b, objective, options) for b in budgets]
    workers = max(1, min(workers, len(budgets)))
    if workers == 1 and scheduler_address(scheduler) is None:
        return [solve_point(instance, b, objective, options) for b in budgets]
    # one solver thread per task; a decomposed solve inside a task runs there, not on the cluster again
    opts = {**options, "threads": 1, "scheduler": ""} if str(options.get("mode", "")).startswith("decomposed") \
        else {**options, "threads": 1}
    with open_executor(workers=workers, scheduler=scheduler) as ex:
        shared = ex.share(instance)  # the instance goes to each worker once, not with every budget
        return ex.map(_point_task, [(b, objective, opts) for b in budgets], shared=shared)


def _point_task(instance, task) -> dict:
    budget, objective, options = task
    return solve_point(instance, budget, objective, options)


# --------------------------------------------------------------------------- monotone repair
def make_monotone(rows: list[dict]) -> pd.DataFrame:
    """Sort by budget; carry better plans up and tighter bounds down; recompute gaps and statuses."""
    df = pd.DataFrame(rows)
    for col in COLUMNS:
        if col not in df:
            df[col] = None
    df = df.sort_values("budget", kind="stable").reset_index(drop=True)
    df["carried_from"] = np.nan
    best = None  # index of the best feasible row so far
    for i in range(len(df)):
        obj = df.at[i, "objective"]
        if obj is None or (isinstance(obj, float) and math.isnan(obj)):
            if best is not None:  # a plan found at a smaller budget still works here
                _carry(df, i, best)
            continue
        if best is not None and float(df.at[best, "objective"]) > float(obj):  # strict: monotone exactly
            _carry(df, i, best)
        else:
            best = i
    bound_after = math.inf
    for i in range(len(df) - 1, -1, -1):
        b = df.at[i, "bound"]
        b = math.inf if b is None or (isinstance(b, float) and math.isnan(b)) else float(b)
        if df.at[i, "status"] == "infeasible" and pd.isna(df.at[i, "objective"]):
            continue  # no plan and no bound: nothing to tighten
        bound_after = min(bound_after, b)
        df.at[i, "bound"] = bound_after if math.isfinite(bound_after) else None
    for i in range(len(df)):
        obj, bound = df.at[i, "objective"], df.at[i, "bound"]
        if obj is None or pd.isna(obj) or bound is None or pd.isna(bound):
            continue
        # a verified plan at or below this budget beating a bound at or above it: an engine error
        gap = relative_gap(float(obj), float(bound), "max", where=f"the frontier at budget {df.at[i, 'budget']:,.6g}")
        df.at[i, "gap"] = gap
        if df.at[i, "status"] == "feasible" and gap <= PROOF_GAP:
            note = "gap closed by combining points (a plan at a smaller budget, a bound at a bigger one)"
            df.at[i, "message"] = (str(df.at[i, "message"]) + "; " if df.at[i, "message"] else "") + note
    return df


def probe_below(cost: float) -> float:
    """The budget just below ``cost`` that the exact search solves at: less by the solvers' integrality
    tolerance (a column at 1 - 1e-6 costs 1e-6 of its price less than the plan it is snapped to, which
    the verifier, at 1e-9 of the budget, then finds over a budget closer to ``cost``) plus ten times the
    verifier's absolute tolerance."""
    return cost - (PROBE_REL * abs(cost) + 10.0 * ABS_TOL)


def _carry(df: pd.DataFrame, i: int, best: int) -> None:
    for col in ("objective", "cost", "villages_covered", "poor_share"):
        df.at[i, col] = df.at[best, col]
    df.at[i, "carried_from"] = df.at[best, "budget"]
    if df.at[i, "status"] in ("", "infeasible", "error", "time_limit"):
        df.at[i, "status"] = "feasible"
    note = f"plan carried from budget {df.at[best, 'budget']:,.0f}"
    df.at[i, "message"] = (str(df.at[i, "message"]) + "; " if df.at[i, "message"] else "") + note


# --------------------------------------------------------------------------- tracing
def trace_frontier(instance, *, budget_from: float, budget_to: float, points: int = 11, exact: bool = False,
                   max_solves: int = 60, workers: int | None = None, solve_fn=None, scheduler: str | None = None,
                   **solve_options) -> Frontier:
    """Trace weighted coverage against budget between ``budget_from`` and ``budget_to``.

    Parameters
    ----------
    instance : the instance (its own budget is ignored).
    budget_from, budget_to : the range, ``0 <= budget_from < budget_to``.
    points : number of sampled budgets (both ends included), >= 2.
    exact : find the exact breakpoints (lexicographic solves, see the module docstring).
    max_solves : exact mode: give up (and say so) after this many solves.
    workers : processes for sampled solves (default: the machine's cores).
    scheduler : a Dask scheduler (``tcp://HOST:8786``; default ``ALLOCATOR_SCHEDULER``) to run the
        sampled solves on instead of local processes (allocator/solve/executor.py).
    solve_fn : ``(instance, budget, objective, options) -> row dict`` replacing
        :func:`allocator.solve.solve` (tests).
    **solve_options : handed to :func:`allocator.solve.solve` (solver, time_limit, gap, seed ...).

    Raises
    ------
    OptionsError
        A bad range or number of points.
    """
    if not (math.isfinite(budget_from) and math.isfinite(budget_to)) or budget_from < 0 or budget_to <= budget_from:
        raise OptionsError(f"bad budget range {budget_from:g} .. {budget_to:g}", column="--from/--to",
                           fix="give 0 <= --from < --to, e.g. --from 1e8 --to 1.5e9")
    if points < 2:
        raise OptionsError(f"--points {points}: need at least 2", column="--points", fix="use --points 11")
    workers = workers or os.cpu_count() or 1
    budgets = np.linspace(budget_from, budget_to, int(points))
    if not exact:
        rows = _run(instance, budgets, "max-coverage", solve_options, workers=workers, solve_fn=solve_fn,
                    scheduler=scheduler)
        for r in rows:
            r["kind"] = "sample"
        df = make_monotone(rows)
        notes = []
        planned = df[df["objective"].notna()]
        if (planned["status"] != "optimal").any():
            notes.append("some points are not proven optimal: their bound and gap are shown")
        if (df["status"] == "infeasible").any():
            notes.append("at the budgets marked infeasible no plan meets the floors")
        return Frontier(points=df, mode="sampled", complete=bool((planned["status"] == "optimal").all()),
                        notes=notes)
    return _exact(instance, budget_from, budget_to, max_solves=max_solves, solve_fn=solve_fn,
                  options=solve_options)


def _exact(instance, lo: float, hi: float, *, max_solves: int, solve_fn, options) -> Frontier:
    objective = "lexicographic"
    solve = (lambda b: solve_fn(instance, b, objective, options)) if solve_fn else \
        (lambda b: solve_point(instance, b, objective, options))
    rows = {}
    notes: list[str] = []
    complete = True

    def at(b: float) -> dict:
        if b not in rows:
            rows[b] = {**solve(b), "kind": "sample"}
        return rows[b]

    def same(x, y) -> bool:
        if x is None or y is None:
            return x is None and y is None
        return abs(float(x) - float(y)) <= 1e-9 * max(1.0, abs(float(x)), abs(float(y)))

    at(lo)
    at(hi)
    stack = [(lo, hi)]
    while stack:
        if len(rows) >= max_solves:
            complete = False
            notes.append(f"stopped after {max_solves} solves: breakpoints may be missing between "
                         + ", ".join(f"{x:,.0f}..{y:,.0f}" for x, y in stack[:5]))
            break
        x, y = stack.pop()
        ra, rb = rows[x], rows[y]
        if any(r["status"] != "optimal" for r in (ra, rb) if r["status"] != "infeasible"):
            complete = False
            notes.append(f"a solve in {x:,.0f}..{y:,.0f} is not proven optimal: breakpoints there are not exact")
            continue
        if same(ra["objective"], rb["objective"]):
            continue  # one step covers [x, y]
        if rb["cost"] is None:
            continue
        start = float(rb["cost"])  # the step holding y starts exactly here
        probe = probe_below(start)
        if probe <= x:
            if start > x:
                _add_breakpoint(rows, start, rb)
            continue
        rp = at(probe)
        _add_breakpoint(rows, start, rb)
        if same(rp["objective"], ra["objective"]):
            continue
        stack.append((x, probe))
    # a breakpoint is the least budget of its step: keep it as a point of its own
    df = make_monotone(list(rows.values()))
    tol = hi - probe_below(hi)
    notes.append(f"breakpoints are exact up to {tol:.3g} (one millionth of the budget: the solvers' integrality "
                 "tolerance): a step narrower than that is not separated from its neighbour")
    if not complete:
        notes.append("exact search incomplete: points shown with their gaps")
    return Frontier(points=df, mode="exact", complete=complete, notes=notes)


def _add_breakpoint(rows: dict, start: float, row: dict) -> None:
    if start not in rows:
        rows[start] = {**row, "budget": start, "kind": "breakpoint",
                       "message": "least budget reaching this coverage"}
    else:
        rows[start]["kind"] = "breakpoint"


# --------------------------------------------------------------------------- output
def plot_frontier(frontier: Frontier, path, *, title: str = "Budget frontier", currency: str = "CNY") -> None:
    """Step plot of weighted coverage against budget, bounds shaded where a gap is open; PNG or SVG by suffix."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=120)
    draw_frontier(ax, frontier, currency=currency)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def draw_frontier(ax, frontier: Frontier, *, currency: str = "CNY") -> None:
    """Draw the frontier on a matplotlib axis (shared by the PNG and the HTML report)."""
    df = frontier.points
    ok = df[df["objective"].notna()]
    scale, unit = _money_scale(float(df["budget"].max()) if len(df) else 1.0)
    if len(ok):
        x = ok["budget"].astype(float) / scale
        y = ok["objective"].astype(float)
        label = ("frontier (exact steps)" if frontier.mode == "exact" and frontier.complete
                 else "best plan found (a lower bound between points)")
        ax.step(x, y, where="post", color="#1f5fa8", lw=2, label=label)
        ax.plot(x, y, "o", color="#1f5fa8", ms=4)
        bnd = ok["bound"].astype(float)
        open_gap = bnd > y * (1 + PROOF_GAP)
        if open_gap.any():
            ax.fill_between(x, y, bnd, step="post", color="#f0a030", alpha=0.3, label="proven bound (gap open)")
        bp = ok[ok["kind"] == "breakpoint"]
        if len(bp):
            ax.plot(bp["budget"] / scale, bp["objective"], "D", color="#c03020", ms=5, label="exact breakpoint")
    bad = df[df["objective"].isna()]
    if len(bad):  # marked on the axis, so that the coverage scale is not squeezed down to 0
        import matplotlib.transforms as mtransforms
        trans = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
        ax.plot(bad["budget"] / scale, [0.03] * len(bad), "x", color="#c03020", ms=8, transform=trans,
                label="no plan meets the floors" if (bad["status"] == "infeasible").all() else "no plan")
    from matplotlib.ticker import FuncFormatter
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    ax.set_xlabel(f"budget ({unit} {currency})")
    ax.set_ylabel("weighted coverage (objective)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)


def _money_scale(top: float) -> tuple[float, str]:
    if top >= 1e9:
        return 1e9, "bn"
    if top >= 1e6:
        return 1e6, "million"
    if top >= 1e3:
        return 1e3, "thousand"
    return 1.0, ""


def write_frontier(frontier: Frontier, out_dir, *, title: str, currency: str, meta: dict | None = None):
    """frontier.csv, frontier.png and frontier.json (mode, completeness, notes) in ``out_dir``, atomically."""
    import json
    from pathlib import Path

    from ..io.atomic import atomic_output_dir

    out_dir = Path(out_dir)
    with atomic_output_dir(out_dir, kind="frontier") as tmp:
        frontier.points[COLUMNS].to_csv(tmp / "frontier.csv", index=False, encoding="utf-8", lineterminator="\n")
        plot_frontier(frontier, tmp / "frontier.png", title=title, currency=currency)
        info = {"mode": frontier.mode, "complete": frontier.complete, "notes": frontier.notes, **(meta or {})}
        (tmp / "frontier.json").write_text(json.dumps(info, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out_dir


def read_frontier(out_dir) -> Frontier:
    """A frontier written by :func:`write_frontier` (for the HTML report)."""
    import json
    from pathlib import Path

    from ..errors import InputError

    out_dir = Path(out_dir)
    path = out_dir / "frontier.csv"
    if not path.exists():
        raise InputError("no frontier.csv here", file=out_dir,
                         fix="give the directory written by `allocator frontier DIR --from X --to Y -o OUT`")
    points = pd.read_csv(path)
    points["message"] = points["message"].fillna("").astype(str)
    info = json.loads((out_dir / "frontier.json").read_text(encoding="utf-8")) if (out_dir / "frontier.json").exists() else {}
    return Frontier(points=points, mode=info.get("mode", "sampled"), complete=bool(info.get("complete", True)),
                    notes=list(info.get("notes", [])))
