"""``solve_rollout()``: a plan over several years, with a budget per year, the
floors of each year's milestone, and what one year builds serving the next.

Pipeline: rollout spec (arguments or the instance's ``[rollout]`` table) ->
one multi-year model (:mod:`allocator.formulation.multiyear`) -> one solve ->
a cumulative decision per year -> a verified plan per year -> the rollout's
own checks (:mod:`allocator.analysis.rollout_verify`). docs/rollout.md explains the
rules and the output.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..backends import get_backend
from ..backends.base import PROOF_GAP, SolveOptions, Status, relative_gap
from ..decision import Decision
from ..errors import InfeasibleError, OptionsError, SolverError, VerificationError
from .explain import structural_problems
from ..formulation import builder, multiyear
from ..formulation.coupling import cost_vector
from ..formulation.objective import coverage_vector, keep_coverage
from ..plan import Plan
from ..plan_build import assemble
from .rollout_spec import RolloutSpec, check_spec, floors_by_year, year_instance
from .rollout_verify import check_rollout
from ..solve.exact_bound import claims as exact_claims
from ..schema import Objective
from ..solve.monolithic import objective_function, solve_model
from ..solve.options import KEEP, check_options, gap_text, number_text, parse_objective
from ..solve.summary import (cost_stage, mark_verified, model_size, overall_status, run_options, run_summary,
                             stage_record)

ROLLOUT_CSV = "rollout.csv"
SUMMARY = "summary.json"


@dataclass
class RolloutPlan:
    """A verified multi-year plan.

    spec : years, budgets, carry-over and due year it was made for.
    decisions, plans : year -> the cumulative state at the end of that year
        (every plan is an ordinary :class:`~allocator.plan.Plan`, checked
        against that year's floors and the money of the years so far).
    table : one row per year: what was newly built and its cost, the money of
        the year, coverage per floor group against the floor in force
        (columns in :func:`allocator.analysis.rollout_verify.check_rollout`).
    summary : status, objective (people-years, or the rollout's cost), bound,
        gap of the one solve, solver, model size, timings, options.
    """

    spec: RolloutSpec
    decisions: dict[int, Decision]
    plans: dict[int, Plan]
    table: pd.DataFrame
    summary: dict = field(default_factory=dict)

    @property
    def years(self) -> list[int]:
        return list(self.spec.years)

    @property
    def status(self) -> str:
        return self.summary.get("status", "")

    @property
    def objective(self) -> float | None:
        return self.summary.get("objective")


def resolve_spec(instance, *, years=None, budgets=KEEP, carry_over: bool | None = None,
                 required_by: int | None = None) -> RolloutSpec:
    """The rollout asked for: explicit arguments over the instance's ``[rollout]`` table.

    The table's budgets and ``required_by`` apply only when its years are the years asked for.

    Raises
    ------
    OptionsError
    """
    own = getattr(instance, "rollout", None)
    if years is None:
        if own is None:
            raise OptionsError("no rollout years: the instance has no [rollout] table",
                               fix="pass years (CLI: --years 2018,2019,2020) or add a [rollout] table to "
                                   "instance.toml (docs/rollout.md)")
        years = own.years
    years = list(years)
    same = own is not None and list(own.years) == years
    if budgets is KEEP:
        if not same:
            raise OptionsError(f"no budgets for the years {', '.join(map(str, years))}",
                               fix="pass one budget per year (CLI: --budgets 5e8,5e8,5e8; 'none' for no limit); "
                                   "a single budget is not split across years")
        budgets = own.budgets
    if carry_over is None:
        carry_over = own.carry_over if own is not None else False
    if required_by is None and same:
        required_by = own.required_by
    return check_spec(years, budgets, carry_over, required_by)


def solve_rollout(instance, *, years: Sequence[int] | None = None, budgets=KEEP, carry_over: bool | None = None,
                  required_by: int | None = None, objective: str | None = None, solver: str = "highs",
                  mode: str = "exact", time_limit: float | None = None, gap: float = 0.0,
                  threads: int | None = None, seed: int = 0,
                  progress: Callable[[str], None] | None = None) -> RolloutPlan:
    """Plan the rollout over ``years`` in one solve and return it verified.

    Parameters
    ----------
    years : the years (default: the instance's ``[rollout]`` table).
    budgets : one budget per year in the instance's budget measure (None
        entries: no limit that year; ``None``: no limit at all); default the table's.
    carry_over : unspent money moves to the next year (default: the table's, else False).
    required_by : schools, clinics and forced villages are covered from this year (default: the last).
    objective : 'max-coverage' (people-years: weighted coverage summed over the
        years), 'min-cost' (the rollout's cost) or 'lexicographic' (the first,
        then the second); default the instance's.
    solver, mode, time_limit, gap, threads, seed, progress : as for :func:`allocator.solve.solve`.

    Raises
    ------
    OptionsError, InfeasibleError, SolverError, VerificationError
    """
    start = time.perf_counter()
    say = progress or (lambda _msg: None)
    kind = parse_objective(objective or instance.objective)
    spec = resolve_spec(instance, years=years, budgets=budgets, carry_over=carry_over, required_by=required_by)
    if mode not in builder.MODES:
        raise OptionsError(f"unknown mode '{mode}' for a roll-out", fix="use one of: " + ", ".join(builder.MODES))
    check_options(time_limit=time_limit, gap=gap, threads=threads, budget=None, seed=seed)
    backend = get_backend(solver)

    def remaining() -> float | None:
        return None if time_limit is None else max(time_limit - (time.perf_counter() - start), 0.05)

    floors = floors_by_year(instance.policy, spec.years)
    first = Objective.MAX_COVERAGE if kind is Objective.LEXICOGRAPHIC else kind
    say(f"building the rollout model ({len(spec.years)} years, {len(instance.villages)} villages, mode {mode})")
    form = multiyear.build(instance, years=spec.years, budgets=spec.budgets, carry_over=spec.carry_over,
                           floors=floors, due_year=spec.due_year, objective_kind=first.value, mode=mode,
                           integer_only=backend.requires_integer_columns)
    years_of: dict[str, list[int]] = {}  # a problem of several years is listed once
    for k, year in enumerate(spec.years):
        for problem in structural_problems(form.year_formulation(k)):
            years_of.setdefault(problem, []).append(year)
    problems = [f"{', '.join(map(str, ys))}: {p}" for p, ys in years_of.items()]
    if problems:
        raise InfeasibleError("no rollout can meet the policy:", explanation="\n".join(f"- {p}" for p in problems))
    say(f"model: {form.stats['variables']} variables ({form.stats['integer_variables']} integer), "
        f"{form.stats['constraints']} constraints; solving with {solver}")

    span = f"years {spec.years[0]}-{spec.years[-1]}" if len(spec.years) > 1 else f"year {spec.years[0]}"
    stages_total = 2 if kind is Objective.LEXICOGRAPHIC else 1
    stage = f"stage 1 of {stages_total} ({first.value}, {span})"
    say(f"{stage}: solving")
    result = solve_model(backend, form.model, SolveOptions(time_limit=remaining(), gap=gap, threads=threads,
                                                             seed=seed, progress=_solver_progress(progress, stage)),
                          None)
    say(f"{stage}: {result.status.value}, objective {number_text(result.objective)}, bound {number_text(result.bound)}, "
        f"gap {gap_text(result.gap)}")
    stages = [stage_record(first.value, result)]
    routes = any(f.get("terminals") for f in form.stats["fiber"])  # fiber routes to choose
    exact_lp = None
    if mode == "restricted" and routes:
        # the restricted model's numbers say nothing about the problem posed: bound it by the exact LP
        exact_lp = _exact_rollout_lp(instance, spec, floors, first, backend, remaining, seed)
    if result.x is None:
        if exact_lp is not None and not exact_lp.proven_infeasible and result.status is Status.INFEASIBLE:
            known = ("the exact model's LP relaxation has a solution" if exact_lp.value is not None
                     else "the exact model could not be checked in the time left")
            raise SolverError("restricted mode found no rollout (routes along the shortest-path tree); this does not "
                              f"prove the problem infeasible: {known}. Solve with --mode exact to decide.")
        _raise_without_solution(result, instance, spec, floors, solver, "exact" if exact_lp is not None else mode,
                                remaining)
    cover_of = objective_function(form.model)
    if kind is Objective.LEXICOGRAPHIC:
        value = result.objective
        keep_coverage(form.model, form.model.obj, value)
        form.model.sense = "min"
        form.model.obj = cost_vector(form.model, form.blocks[-1].columns).tolist()
        stage = f"stage 2 of 2 (min-cost keeping that coverage, {span})"
        say(f"{stage}: solving")
        second = solve_model(backend, form.model, SolveOptions(time_limit=remaining(), gap=gap, threads=threads,
                                                                 seed=seed,
                                                                 progress=_solver_progress(progress, stage)),
                              result.x if backend.supports_warm_start else None)
        say(f"{stage}: {second.status.value}, cost {number_text(second.objective)}, bound {number_text(second.bound)}, "
            f"gap {gap_text(second.gap)}")
        stages.append(stage_record(Objective.MIN_COST.value, second))
        if second.x is not None:
            result = second

    status = overall_status(stages, result)
    head = stages[0]
    objective = cover_of(result.x) if kind is Objective.LEXICOGRAPHIC else result.objective
    lex_gap = relative_gap(objective, head["bound"], "max", where="rollout coverage") \
        if kind is Objective.LEXICOGRAPHIC else None
    if kind is Objective.LEXICOGRAPHIC and (lex_gap is None or lex_gap > PROOF_GAP):
        status = Status.FEASIBLE if status is Status.OPTIMAL else status
    summary = run_summary(
        instance, status=status, objective=objective, objective_kind=kind.value,
        bound=head["bound"] if kind is Objective.LEXICOGRAPHIC else result.bound,
        gap=lex_gap if kind is Objective.LEXICOGRAPHIC else result.gap, stages=stages,
        backend=backend, mode=mode, build_seconds=form.stats["build_seconds"],
        solve_seconds=sum(s["seconds"] for s in stages), model_size=model_size(form.stats),
        options=run_options(objective=kind.value, solver=solver, mode=mode, time_limit=time_limit,
                            gap=gap, seed=seed, threads=threads, years=list(spec.years),
                            budgets=list(spec.budgets), carry_over=spec.carry_over, required_by=spec.required_by),
        objective_meaning="rollout cost" if kind is Objective.MIN_COST else "people-years (weighted coverage "
                                                                            "summed over the years)",
        years=list(spec.years), budgets=list(spec.budgets), carry_over=spec.carry_over, required_by=spec.due_year,
        floors={str(y): floors[y] for y in spec.years}, currency=instance.currency,
        trenches_ahead_of_use_allowed=form.prebuild, fiber_model=form.stats["fiber"],
        bound_source="the solver's bound on the exact multi-year model" if mode == "exact" else "")
    if kind is Objective.LEXICOGRAPHIC:
        summary.update(cost_stage(stages))
    if mode == "restricted":
        sense = "min" if kind is Objective.MIN_COST else "max"
        claims = exact_claims(summary["objective"], summary["bound"], summary["status"], exact_lp, sense,
                              identical=not routes, where="rollout, restricted mode")
        summary.update(claims)
        if kind is Objective.LEXICOGRAPHIC and routes:  # no bound of the exact cost stage: not proven
            summary.update(status=Status.FEASIBLE.value, cost_bound=None, cost_gap=None)

    x = np.asarray(result.x, dtype=float)
    decisions, year_summaries, views = {}, {}, {}
    for k, year in enumerate(spec.years):
        decisions[year] = builder.decode(form.year_formulation(k), instance, x)
        cols = form.blocks[k].columns
        coverage = float(coverage_vector(form.model, instance, cols) @ x)
        cost = float(cost_vector(form.model, cols) @ x)
        views[year] = year_instance(instance, spec, year, floors[year])
        year_summaries[year] = _year_summary(summary, spec, k, kind, coverage, cost, views[year])
        say(f"year {year}: decoded (coverage {number_text(coverage)}, cost {number_text(cost)})")
    say(f"verifying {span} with the independent checker")
    report = check_rollout(instance, spec, decisions, summary=summary, year_summaries=year_summaries)
    if not report.ok:
        raise VerificationError(report.violations)
    plans = {}
    for year in spec.years:
        plan = assemble(views[year], decisions[year], year_summaries[year])
        plan.summary["verified"] = True
        plan.summary["verifier_warnings"] = list(report.years[year].warnings)
        plans[year] = plan
    mark_verified(summary, report, start)
    say(f"{status.value}: {summary['objective_meaning']} {number_text(summary['objective'])}, bound {number_text(summary['bound'])}, "
        f"gap {gap_text(summary['gap'])}, verified")
    return RolloutPlan(spec, decisions, plans, report.table, summary)


#: seconds between two progress lines of a running solve
PROGRESS_EVERY = 10.0


def _solver_progress(progress, stage: str, every: float = PROGRESS_EVERY):
    """A :class:`SolveOptions` progress function saying the stage, incumbent, bound and gap at
    most every ``every`` seconds (None without ``progress``: the solver is not called back)."""
    if progress is None:
        return None
    last = [0.0]

    def report(state: dict) -> None:
        if state["seconds"] - last[0] < every:
            return
        last[0] = state["seconds"]
        progress(f"{stage}: {state['seconds']:.0f}s in the solver, best plan "
                 f"{'none yet' if state['objective'] is None else number_text(state['objective'])}, "
                 f"bound {number_text(state['bound'])}, gap {gap_text(state['gap'])}")
    return report


def _year_summary(summary: dict, spec: RolloutSpec, k: int, kind: Objective, coverage: float, cost: float,
                  view) -> dict:
    """The summary of one year's plan: the year's own objective value (coverage at its end, or its
    cumulative cost) as the model computed it, and the rollout's status; bound and gap belong to the
    whole rollout (summary key ``rollout``)."""
    year = spec.years[k]
    out = {key: summary[key] for key in ("status", "budget_measure", "solver", "solver_version", "mode",
                                         "content_hash", "instance", "allocator_version")}
    out.update(objective=cost if kind is Objective.MIN_COST else coverage, objective_kind=kind.value,
               bound=None, gap=None, budget=view.budget,
               rollout={"year": year, "years": list(spec.years), "objective": summary["objective"],
                        "bound": summary["bound"], "gap": summary["gap"],
                        "objective_meaning": summary["objective_meaning"]})
    if kind is Objective.LEXICOGRAPHIC:
        out["cost_objective"] = cost
    return out


# ----------------------------------------------------------------------------- no plan
def _exact_rollout_lp(instance, spec, floors, first, backend, remaining, seed):
    """The safe bound of the exact multi-year model's LP (aggregated flows), or a proof that the
    exact rollout has no plan (allocator/solve/exact_bound.py)."""
    import dataclasses

    from ..solve.decompose.lp import solve_lp
    from ..solve.exact_bound import ExactBound

    t0 = time.perf_counter()
    source = "LP relaxation of the exact multi-year model"
    exact = multiyear.build(instance, years=spec.years, budgets=spec.budgets, carry_over=spec.carry_over,
                            floors=floors, due_year=spec.due_year, objective_kind=first.value, mode="exact")
    model = dataclasses.replace(exact.model, integer=[False] * exact.model.num_vars)
    left = remaining()
    r = solve_lp(backend, model, time_limit=None if left is None else max(0.9 * left, 0.05), seed=seed)
    took = time.perf_counter() - t0
    if r.status is Status.INFEASIBLE:
        return ExactBound(None, source, proven_infeasible=True, seconds=took)
    if r.bound is None:
        return ExactBound(None, "none: the exact model's LP did not finish", seconds=took)
    return ExactBound(float(r.bound), source, seconds=took)


def _raise_without_solution(result, instance, spec, floors, solver, mode, remaining) -> None:
    if result.status is Status.NO_SOLUTION:
        raise SolverError(f"{solver} reached the time limit before finding any rollout (bound so far: "
                          f"{result.bound}). Give it more time (--time-limit) or use --mode restricted.")
    if result.status is not Status.INFEASIBLE:
        raise SolverError(f"{solver} failed: {result.message or result.raw_status}")
    raise InfeasibleError("no rollout meets each year's floors and required facilities within the budgets.",
                          explanation=_explain_infeasible(instance, spec, floors, solver, mode, remaining))


def _explain_infeasible(instance, spec: RolloutSpec, floors, solver, mode, remaining) -> str:
    """Compare, year by year, the least cost of meeting that year's rules alone with every budget so far."""
    backend = get_backend(solver)
    lines = []
    cumulative = spec.cumulative_budgets()
    for k, year in enumerate(spec.years):
        one = multiyear.build(instance, years=[year], budgets=[None], carry_over=False, floors={year: floors[year]},
                              due_year=spec.due_year, objective_kind="min-cost", mode=mode,
                              integer_only=backend.requires_integer_columns)
        r = solve_model(backend, one.model, SolveOptions(time_limit=remaining(), gap=0.0), None)
        if r.x is None:
            if r.status is Status.INFEASIBLE:
                return (f"Even with unlimited money the rules of {year} cannot be met (satellite beam capacity "
                        f"or conflicting rules). Lower a floor or allow more technologies.")
            return "The budgets seem too small; the least cost of each year's rules could not be computed in time."
        need = r.objective if r.status is Status.OPTIMAL else r.bound
        have = cumulative[k]
        if have is not None and need > have + 1e-6 * max(1.0, have):
            word = "at least" if r.status is Status.OPTIMAL else "about (not proven)"
            span = str(year) if k == 0 else f"{spec.years[0]}-{year}"
            return (f"By the end of {year} the floors and required facilities cost {word} {need:,.0f} "
                    f"{instance.currency}, but the money of {span} adds up to {have:,.0f} {instance.currency}. "
                    f"Raise it by {need - have:,.0f} {instance.currency} or lower the floors of {year}.")
        lines.append(f"{year}: its rules alone cost {need:,.0f} {instance.currency}; budgets so far "
                     + ("unlimited" if have is None else f"{have:,.0f} {instance.currency}"))
    advice = ("" if spec.carry_over else " Moving money to earlier years, or carry_over = true, may help.")
    return ("Each year's rules are affordable with the money of the years so far, but not with the money "
            "of each year as it comes (what one year builds must be paid within that year's budget)."
            + advice + "\n" + "\n".join(lines))


# ----------------------------------------------------------------------------- files
def write_rollout(rollout: RolloutPlan, directory: str | Path, *, overwrite: bool = True) -> Path:
    """Write ``rollout`` into ``directory`` all at once (or not at all).

    Files: ``<year>/`` one plan directory per year (the cumulative state at
    the end of that year, as :func:`allocator.plan_io.write_plan` writes it),
    ``rollout.csv`` (one row per year) and ``summary.json``.
    """
    from ..io.atomic import atomic_output_dir
    from ..plan_io import summary_json, write_plan

    directory = Path(directory)
    with atomic_output_dir(directory, kind="rollout", overwrite=overwrite) as tmp:
        for year, plan in rollout.plans.items():
            write_plan(plan, tmp / str(year))
        rollout.table.round(9).to_csv(tmp / ROLLOUT_CSV, index=True, encoding="utf-8", lineterminator="\n")
        (tmp / SUMMARY).write_text(summary_json(rollout.summary), encoding="utf-8")
    return directory


def check_written_rollout(directory: str | Path, instance):
    """Re-check a rollout directory written by :func:`write_rollout` (possibly edited by hand)
    with :func:`allocator.analysis.rollout_verify.check_rollout`: years, budgets and carry-over from its
    summary.json, each year's decision from its plan directory.

    Returns
    -------
    RolloutReport

    Raises
    ------
    InputError
        a missing or malformed file, or ids the instance does not have.
    """
    from ..errors import InputError
    from ..plan_io import read_decision

    directory = Path(directory)
    file = directory / SUMMARY
    if not file.is_file():
        raise InputError("file is missing", file=file, fix="give the directory written by `allocator rollout -o OUT`")
    try:
        summary = json.loads(file.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"not valid JSON: {err}", file=file,
                         fix="rewrite it with `allocator rollout -o OUT`") from None
    if not isinstance(summary, dict) or "years" not in summary:
        raise InputError("no 'years' in the rollout summary", file=file,
                         fix="give the directory written by `allocator rollout -o OUT`")

    def error(key, problem, fix):
        return InputError(problem, file=file, column=key, fix=fix)

    spec = check_spec(summary.get("years"), summary.get("budgets"), summary.get("carry_over", False),
                      summary.get("required_by"), error=error)
    decisions, year_summaries = {}, {}
    for year in spec.years:
        decisions[year], year_summaries[year] = read_decision(directory / str(year), instance)
    return check_rollout(instance, spec, decisions, summary=summary, year_summaries=year_summaries)
