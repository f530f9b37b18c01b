"""Solve several scenarios on one base instance and compare them side by side.

:func:`run_whatif` checks every scenario against the base first (so a typo in
the fifth file is reported before four solves have run), then solves them in a
process pool of at most ``os.cpu_count()`` workers, or on a Dask cluster
(``scheduler``; :mod:`allocator.solve.executor`), each solver single-threaded, and
writes::

    DIR/
      comparison.csv      metrics (rows) x scenarios (columns)
      comparison.md       the same as a Markdown table
      <scenario>/         the plan (allocator.plan_io layout) and scenario.json:
                          base path, overrides, description (what `allocator diff`
                          needs to rebuild the scenario's instance)

A scenario with no plan (infeasible floors, solver trouble) gets a column with
its status and the reason; the others are still written.
"""
from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import AllocatorError, InfeasibleError, InputError, file_error
from ..solve.executor import open_executor, scheduler_address
from ..reports.numbers import number
from ..io.atomic import atomic_output_dir
from .scenario import Scenario, resolve_base, scenario_overrides

SCENARIO_FILE = "scenario.json"
BASE_NAME = "base"


@dataclass
class Outcome:
    """What one scenario's solve gave (picklable, so it crosses process boundaries)."""

    name: str
    description: str
    status: str                      # optimal | feasible | infeasible | error
    message: str = ""
    summary: dict | None = None
    groups: dict | None = None       # group -> {"share", "floor", "met", "poor_villages", "covered"}
    people_covered: float | None = None
    seconds: float = 0.0


def _solve_one(base: str, name: str, description: str, overrides: dict, options: dict, plan_dir: str) -> Outcome:
    """Load, solve and write one scenario."""
    outcome, plan, record = _solve_scenario(None, (base, name, description, overrides, options))
    _write_outcome(outcome, plan, record, plan_dir)
    return outcome


def _solve_scenario(_shared, job) -> tuple:
    """Load and solve one scenario (an executor task: local process or Dask worker, which must
    read BASE at the same path). Returns (Outcome, plan or None, record); the caller writes them,
    so the plans land where the caller runs."""
    from ..io import load_instance
    from ..solve.api import solve

    base, name, description, overrides, options = job
    start = time.perf_counter()
    record = {"name": name, "description": description, "base": str(Path(base).resolve()),
              "overrides": overrides}

    def failed(status: str, err: Exception) -> tuple:
        return (Outcome(name, description, status, message=str(err), seconds=time.perf_counter() - start), None,
                {**record, "status": status, "message": str(err)})

    try:
        instance = load_instance(base, overrides=overrides or None)
        plan = solve(instance, **options)
    except InfeasibleError as err:
        return failed("infeasible", err)
    except AllocatorError as err:  # solver trouble, bad overrides, a plan failing verification
        return failed("error", err)
    groups = {str(g): {k: (None if pd.isna(v) else (bool(v) if k == "met" else float(v)))
                       for k, v in row.items()}
              for g, row in plan.groups[["poor_villages", "covered", "share", "floor", "met"]].iterrows()}
    people = float(plan.villages["population"].where(plan.villages["covered"], 0.0).sum())
    outcome = Outcome(name, description, str(plan.summary.get("status")), summary=dict(plan.summary),
                      groups=groups, people_covered=people, seconds=time.perf_counter() - start)
    return outcome, plan, {**record, "status": str(plan.summary.get("status"))}


def _write_outcome(outcome: Outcome, plan, record: dict, plan_dir) -> None:
    from ..plan_io import write_plan

    if plan is None:
        Path(plan_dir).mkdir(parents=True, exist_ok=True)
        _write_record(plan_dir, record)
    else:
        write_plan(plan, plan_dir, extra_files={SCENARIO_FILE: _record_text(record)})


def _record_text(record: dict) -> str:
    return json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _write_record(plan_dir, record: dict) -> None:
    (Path(plan_dir) / SCENARIO_FILE).write_text(_record_text(record), encoding="utf-8")


def prepare(base: str | Path, scenarios: list[Scenario], *, include_base: bool = True) -> list[tuple]:
    """Check every scenario against the base: ``[(name, description, overrides)]``.

    Raises
    ------
    InputError
        A bad scenario (naming its file and key), or two scenarios with the same name.
    """
    from ..io import load_instance

    base_instance = load_instance(base)
    jobs = []
    if include_base:
        jobs.append((BASE_NAME, f"the base instance as it is ({base_instance.name})", {}))
    seen = {BASE_NAME} if include_base else set()
    for scenario in scenarios:
        resolve_base(scenario, base)  # a scenario file without base is fine: BASE is given
        if scenario.name in seen:
            raise InputError(f"two scenarios are named '{scenario.name}'", file=scenario.path, column="name",
                             fix="give each scenario its own name = \"...\" (it names the output folder)")
        seen.add(scenario.name)
        overrides = scenario_overrides(scenario, base_instance)
        jobs.append((scenario.name, scenario.description or scenario.describe(), overrides))
    return jobs


def run_whatif(base: str | Path, scenarios: list[Scenario], out_dir: str | Path, *, include_base: bool = True,
               workers: int | None = None, progress=None, scheduler: str | None = None,
               **solve_options) -> pd.DataFrame:
    """Solve ``scenarios`` on ``base`` and write ``out_dir`` (see the module docstring).

    ``scheduler``: a Dask scheduler (``tcp://HOST:8786``; default ``ALLOCATOR_SCHEDULER``) to solve
    the scenarios on; its workers must read ``base`` at the same path (a shared folder). The
    plans are written here.

    Returns the side-by-side table (also written as comparison.csv/.md).
    """
    say = progress or (lambda _m: None)
    jobs = prepare(base, scenarios, include_base=include_base)
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    remote = scheduler_address(scheduler) is not None
    options = {**solve_options, "threads": 1} if workers > 1 or remote else dict(solve_options)
    if remote and str(options.get("mode", "")).startswith("decomposed"):
        options["scheduler"] = ""  # a decomposed solve inside a task runs there, not on the cluster again
    with atomic_output_dir(out_dir, kind="whatif") as tmp:
        outcomes = []
        if workers == 1 and not remote:
            say(f"solving {len(jobs)} scenarios in this process")
            for name, desc, over in jobs:
                outcomes.append(_solve_one(str(base), name, desc, over, options, str(tmp / name)))
                say(f"  {name}: {outcomes[-1].status}")
        else:
            with open_executor(workers=workers, scheduler=scheduler) as ex:
                say(f"solving {len(jobs)} scenarios on {ex.description}")
                tasks = [(str(base), name, desc, over, options) for name, desc, over in jobs]
                results = ex.map(_solve_scenario, tasks,
                                 progress=lambda done, total: say(f"  {done}/{total} scenarios solved"))
            for (name, _desc, _over), (outcome, plan, record) in zip(jobs, results):
                _write_outcome(outcome, plan, record, tmp / name)
                outcomes.append(outcome)
                say(f"  {name}: {outcome.status}")
        table = comparison_table(outcomes)
        table.to_csv(tmp / "comparison.csv", encoding="utf-8", lineterminator="\n")
        (tmp / "comparison.md").write_text(render_markdown(table, outcomes), encoding="utf-8")
    return table


# --------------------------------------------------------------------------- the side-by-side table
def _fmt_money(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{float(x):,.0f}"


def comparison_table(outcomes: list[Outcome]) -> pd.DataFrame:
    """Metrics (rows) by scenario (columns), as display strings."""
    groups = sorted({g for o in outcomes if o.groups for g in o.groups})
    # the technologies of the plans' summaries, in their order (the cost model's); none solved: china-2018's
    techs = list(dict.fromkeys(t for o in outcomes for t in ((o.summary or {}).get("by_technology") or {})))
    techs = techs or ["fiber", "4g", "satellite"]
    rows: dict[str, dict] = {}

    def put(metric: str, name: str, value) -> None:
        rows.setdefault(metric, {})[name] = value

    for o in outcomes:
        s = o.summary or {}
        put("status", o.name, o.status)
        put("objective", o.name, "" if s.get("objective") is None else number(s["objective"]))
        put("objective kind", o.name, s.get("objective_kind", ""))
        put("gap", o.name, "" if s.get("gap") is None else f"{float(s['gap']):.4%}")
        put("total cost", o.name, _fmt_money(s.get("total_cost")))
        put("budget", o.name, "none" if o.summary and s.get("budget") is None else _fmt_money(s.get("budget")))
        budget, cost = s.get("budget"), s.get("total_cost")
        put("budget used", o.name, f"{cost / budget:.1%}" if budget and cost is not None else "")
        put("villages covered", o.name, "" if not s else f"{s.get('villages_covered', 0):,} / {s.get('villages_total', 0):,}")
        put("people covered", o.name, "" if o.people_covered is None else f"{o.people_covered:,.0f}")
        for tech in techs:
            t = (s.get("by_technology") or {}).get(tech, {})
            put(f"villages by {tech}", o.name, "" if not s else f"{t.get('villages', 0):,}")
            put(f"cost of {tech}", o.name, "" if not s else _fmt_money(t.get("cost", 0.0)))
        for g in groups:
            info = (o.groups or {}).get(g)
            if info is None or info.get("share") is None:
                put(f"coverage {g}", o.name, "")
                continue
            floor = info.get("floor")
            mark = "" if floor is None else f" (floor {floor:.0%}{'' if info.get('met') else ', NOT MET'})"
            put(f"coverage {g}", o.name, f"{info['share']:.1%}{mark}")
        put("solve seconds", o.name, f"{o.seconds:.1f}")
        put("note", o.name, (_first_reason(o.message) if o.message else o.description)[:200])
    # a group no village of any scenario belongs to says nothing
    rows = {k: r for k, r in rows.items() if not k.startswith("coverage ") or any(v for v in r.values())}
    table = pd.DataFrame(rows).T
    table.index.name = "metric"
    return table[[o.name for o in outcomes]]


def _first_reason(message: str) -> str:
    """First line of an error, with the first detail when the first line only introduces a list."""
    lines = [ln.strip(" -") for ln in message.splitlines() if ln.strip()]
    if not lines:
        return ""
    if len(lines) > 1:  # the first line introduces; the second says why (or what budget would do)
        more = f" (+{len(lines) - 2} more)" if len(lines) > 2 else ""
        return f"{lines[0]} {lines[1]}{more}"
    return lines[0]


def render_markdown(table: pd.DataFrame, outcomes: list[Outcome] | None = None) -> str:
    """The comparison as a Markdown table (plus each scenario's description and any error in full)."""
    head = "| metric | " + " | ".join(table.columns) + " |"
    sep = "|---|" + "---|" * len(table.columns)
    body = ["| " + metric + " | " + " | ".join(str(v).replace("|", "/").replace("\n", " ") for v in row) + " |"
            for metric, row in table.iterrows()]
    text = ["# What-if comparison", "", head, sep, *body, ""]
    for o in outcomes or []:
        text.append(f"- **{o.name}**: {o.description}")
        if o.message:
            text.append("  ```\n  " + o.message.replace("\n", "\n  ") + "\n  ```")
    return "\n".join(text) + "\n"


def read_scenario_record(plan_dir: str | Path) -> dict | None:
    """The scenario.json written next to a what-if plan, or None when the folder has none.

    Raises
    ------
    InputError
        The file is not UTF-8 JSON holding an object whose ``overrides`` (if any) is an object.
    """
    path = Path(plan_dir) / SCENARIO_FILE
    if not path.is_file():
        return None
    fix = ("restore the scenario.json `allocator whatif` wrote, or delete it to treat the plan as one "
           "made on the base instance")
    try:
        record = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg} (character {err.colno})", file=path, line=err.lineno,
                         fix=fix) from None
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text ({err.reason})", file=path, fix=fix) from None
    except OSError as err:
        raise (file_error(err, path) or err) from None
    if not isinstance(record, dict):
        raise InputError("must hold one JSON object ({...})", file=path, line=1, fix=fix)
    if not isinstance(record.get("base"), str) or not record["base"]:
        raise InputError("'base' must be the path of the base instance", file=path, column="base", fix=fix)
    if not isinstance(record.get("overrides") or {}, dict):
        raise InputError("'overrides' must be a JSON object", file=path, column="overrides", fix=fix)
    return record


def instance_for_plan(base: str | Path, plan_dir: str | Path, *, ignore_scenario: bool = False):
    """The instance a plan was solved on, and its scenario record (None for a plan of ``base`` itself).

    A plan written by :func:`run_whatif` carries ``scenario.json``; its overrides are applied to
    ``base`` exactly as the what-if run applied them (``load_instance(base, overrides=...)``), so the
    scenario's budget, floors, prices and rules are the ones a check holds the plan to.
    ``ignore_scenario`` loads ``base`` as it is (to see what a what-if plan breaks of the base rules).

    Raises
    ------
    InputError
        A malformed scenario.json, overrides the base cannot take, or a scenario that ended without a plan.
    """
    from ..io import load_instance

    record = None if ignore_scenario else read_scenario_record(plan_dir)
    if record is None:
        return load_instance(base), None
    villages = Path(plan_dir) / "villages.csv"
    if record.get("status") in ("infeasible", "error") and not villages.exists():
        first = (str(record.get("message") or "").strip().splitlines() or [""])[0]
        raise InputError(f"scenario '{record.get('name', '')}' ended {record['status']} and has no plan"
                         + (f": {first}" if first else ""), file=Path(plan_dir) / SCENARIO_FILE, column="status",
                         fix="verify the plan of a scenario that solved (comparison.md lists each status)")
    return load_instance(base, overrides=record.get("overrides") or None), record
