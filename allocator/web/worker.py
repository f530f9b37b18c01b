"""One job, run in its own process: a scenario's plan, a budget frontier or the floor prices.

The process writes its progress (stage, bound, gap) to the job's row through
its own SQLite connection and its result into ``DATA/jobs/<id>/`` in one
atomic step. A crash here (or a cancel: the server terminates the process)
touches no other job and leaves no half-written folder.

A finished run's folder::

    scenario.toml   the scenario exactly as run (the CLI reads it: allocator whatif BASE scenario.toml)
    plan/           the plan (allocator.plan_io layout) and scenario.json, as `allocator whatif` writes it
    report/         report.xlsx, report.html, map.html, layers/ (allocator.reports.bundle)
    web.json        what the plan page shows (summary, groups, ranking, ledger head), pre-computed

A frontier job writes frontier.csv/.json/.png (allocator.analysis.frontier.write_frontier);
a prices job writes prices.csv and budget.json; a generate job writes a preset instance
into ``DATA/instances/<preset>-seed<N>/`` (allocator.generator.generate), which the
server then serves like the instances it was started with.
"""
from __future__ import annotations

import json
import math
import re
import sys
import time
import traceback
from pathlib import Path

from .messages import english

LEDGER_ROWS = 300  # rows of the ledger on the page (the workbook has all)

_NUM = r"([-+]?[\d,]*\.?\d+(?:e[-+]?\d+)?)"
_BOUND_RE = re.compile(r"bound " + _NUM, re.IGNORECASE)
_GAP_RE = re.compile(r"gap " + _NUM + "%", re.IGNORECASE)


def _number(text: str) -> float | None:
    try:
        return float(text.replace(",", ""))
    except ValueError:
        return None


def progress_fields(message: str) -> dict:
    """Stage text, and the bound and gap when the message states them."""
    fields: dict = {"stage": message.strip()[:300]}
    m = _BOUND_RE.search(message)
    if m and _number(m.group(1)) is not None:
        fields["bound"] = _number(m.group(1))
    m = _GAP_RE.search(message)
    if m and _number(m.group(1)) is not None:
        fields["gap"] = _number(m.group(1)) / 100.0
    return fields


def _clean(value):
    """JSON-safe scalar (NaN and infinities become None; numpy scalars plain Python)."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def records(df) -> list[dict]:
    return [{str(k): _clean(v) for k, v in row.items()} for row in df.to_dict("records")]


def solve_options(options: dict) -> dict:
    """The solver options a job may set (the rest of ``options`` is the job's own)."""
    out = {"solver": options.get("solver", "highs"), "mode": options.get("mode", "exact"),
           "gap": float(options.get("gap", 0.0) or 0.0), "seed": int(options.get("seed", 0) or 0), "threads": 1}
    if options.get("time_limit"):
        out["time_limit"] = float(options["time_limit"])
    if options.get("objective"):
        out["objective"] = options["objective"]
    return out


def run_job(db_path: str, jid: str, kind: str, instance_path: str, toml: str, options: dict,
            job_dir: str) -> None:
    """Entry point of the job's process."""
    from ..errors import AllocatorError, InfeasibleError
    from .store import JobWriter

    writer = JobWriter(db_path, jid)
    try:
        say = (lambda m: writer.update(**progress_fields(m)))
        if kind == "run":
            fields = _run_plan(instance_path, toml, options, Path(job_dir), say)
        elif kind == "frontier":
            fields = _run_frontier(instance_path, toml, options, Path(job_dir), say)
        elif kind == "prices":
            fields = _run_prices(instance_path, toml, options, Path(job_dir), say)
        elif kind == "generate":
            fields = _run_generate(instance_path, options, say)
        else:
            raise ValueError(f"unknown job kind {kind!r}")
        writer.update(state="done", finished=time.time(), **fields)
    except InfeasibleError as err:
        headline = english("job.infeasible") if err.min_budget is None else \
            english("job.infeasible_budget", budget=err.min_budget)
        writer.update(state="failed", status="infeasible", stage="infeasible", message=f"{headline}\n{err}",
                      finished=time.time())
    except AllocatorError as err:
        writer.update(state="failed", status="error", stage="error", message=str(err), finished=time.time())
    except Exception as err:  # noqa: BLE001 - a bug: the job fails, the traceback goes to the server's log
        traceback.print_exc(file=sys.stderr)
        writer.update(state="failed", status="internal error", stage="error",
                      message=english("job.internal", detail=f"{type(err).__name__}: {err}"),
                      finished=time.time())
    finally:
        writer.close()


def _scenario_instance(instance_path: str, toml: str):
    from ..analysis.scenario import load_scenario_instance, parse_scenario

    scenario = parse_scenario(text=toml)
    instance, overrides = load_scenario_instance(scenario, instance_path)
    return scenario, instance, overrides


def _run_plan(instance_path: str, toml: str, options: dict, job_dir: Path, say) -> dict:
    from ..analysis.whatif import SCENARIO_FILE
    from ..io.atomic import atomic_output_dir
    from ..plan_io import write_plan
    from ..reports.bundle import write_report
    from ..solve.api import solve

    say(english("stage.loading"))
    scenario, instance, overrides = _scenario_instance(instance_path, toml)
    plan = solve(instance, progress=say, **solve_options(options))
    say(english("stage.writing"))
    with atomic_output_dir(job_dir, kind="web job") as tmp:
        (tmp / "scenario.toml").write_text(toml, encoding="utf-8")
        write_plan(plan, tmp / "plan")
        record = {"name": scenario.name, "description": scenario.description or scenario.describe(),
                  "base": str(Path(instance_path).resolve()), "overrides": overrides,
                  "status": str(plan.summary.get("status"))}
        (tmp / "plan" / SCENARIO_FILE).write_text(json.dumps(record, indent=2, ensure_ascii=False, sort_keys=True)
                                                  + "\n", encoding="utf-8")
        write_report(instance, plan, tmp / "report", title=f"{instance.name}: {scenario.name}")
        (tmp / "web.json").write_text(json.dumps(plan_page(instance, plan, scenario), ensure_ascii=False,
                                                 allow_nan=False), encoding="utf-8")
    s = plan.summary
    return {"status": str(s.get("status", "")), "stage": "done", "bound": _clean(s.get("bound")),
            "gap": _clean(s.get("gap")), "message": ""}


def plan_page(instance, plan, scenario) -> dict:
    """Everything the plan page and the comparison read, as plain JSON."""
    from ..analysis.whatif import Outcome
    from ..reports.ledger import ledger
    from ..reports.ranking import national_row, province_ranking

    s = plan.summary
    level = "province" if instance.villages["province"].nunique() > 1 else "prefecture"
    ranking = province_ranking(instance, plan, level=level)
    todo = ledger(instance, plan)
    groups = plan.groups.reset_index()
    groups = groups.rename(columns={groups.columns[0]: "group"})
    people = float(plan.villages["population"].where(plan.villages["covered"], 0.0).sum())
    outcome = Outcome(scenario.name, scenario.description or scenario.describe(), str(s.get("status")),
                      summary=json.loads(json.dumps(s, default=str)),
                      groups={str(r["group"]): {k: _clean(r[k]) for k in ("poor_villages", "covered", "share",
                                                                           "floor", "met")}
                              for r in records(groups)},
                      people_covered=people, seconds=float(s.get("total_seconds", 0.0) or 0.0))
    keys = ("status", "objective", "objective_kind", "bound", "gap", "total_cost", "budget", "budget_measure",
            "villages_covered", "villages_total", "villages_new", "by_technology", "solver", "mode", "verified",
            "total_seconds", "currency", "instance")
    return {
        "scenario": {"name": scenario.name, "description": scenario.description, "changes": scenario.describe()},
        "summary": {k: plain_json(s.get(k)) for k in keys},
        "people_covered": people,
        "groups": records(groups),
        "ranking_level": level,
        "ranking": records(ranking),
        "ranking_total": {k: _clean(v) for k, v in national_row(ranking).items()},
        "ledger": records(todo.head(LEDGER_ROWS)),
        "ledger_rows": len(todo),
        "outcome": plain_json(outcome.__dict__),
    }


def plain_json(value):
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain_json(v) for v in value]
    return _clean(value)


def _run_frontier(instance_path: str, toml: str, options: dict, job_dir: Path, say) -> dict:
    from ..analysis.frontier import solve_point, trace_frontier, write_frontier

    say(english("stage.loading"))
    scenario, instance, _ = _scenario_instance(instance_path, toml)
    points = int(options.get("points", 7))
    done = [0]

    def solve_with_progress(inst, budget, objective, opts):  # sequential: one process per job
        say(english("stage.point", budget=budget, done=done[0] + 1, points=points))
        row = solve_point(inst, budget, objective, opts)
        done[0] += 1
        return row

    opts = solve_options(options)
    opts.pop("objective", None)
    frontier = trace_frontier(instance, budget_from=float(options["budget_from"]),
                              budget_to=float(options["budget_to"]), points=points, workers=1,
                              solve_fn=solve_with_progress, **opts)
    write_frontier(frontier, job_dir, title=f"{instance.name}: {scenario.name}", currency=instance.currency,
                   meta={"scenario": scenario.name, "toml": toml})
    return {"status": "complete" if frontier.complete else "incomplete", "stage": "done", "message": ""}


def _run_prices(instance_path: str, toml: str, options: dict, job_dir: Path, say) -> dict:
    from ..analysis.prices import budget_price, floor_prices
    from ..io.atomic import atomic_output_dir

    say(english("stage.loading"))
    _, instance, _ = _scenario_instance(instance_path, toml)
    opts = solve_options(options)
    opts.pop("objective", None)
    say(english("stage.prices_floors"))
    floors = floor_prices(instance, step=float(options.get("step", 0.01)), **opts)
    budget = None
    if instance.budget is not None:
        say(english("stage.prices_budget"))
        budget = budget_price(instance, **opts)
    with atomic_output_dir(job_dir, kind="web job") as tmp:
        floors.to_csv(tmp / "prices.csv", index=False, encoding="utf-8", lineterminator="\n")
        (tmp / "budget.json").write_text(json.dumps(plain_json(budget), ensure_ascii=False), encoding="utf-8")
    return {"status": "done", "stage": "done", "message": ""}


def _run_generate(instance_path: str, options: dict, say) -> dict:
    from ..generator import generate

    say(english("stage.generating", preset=options["preset"], seed=options["seed"]))
    if (Path(instance_path) / "instance.toml").is_file():  # already there: same preset and seed, same files
        return {"status": "done", "stage": "done", "message": english("job.already_generated")}
    generate(options["preset"], seed=int(options["seed"]), directory=instance_path, overwrite=False)
    return {"status": "done", "stage": "done", "message": ""}
