"""Why there is no plan, in words a budget officer understands.

Checks run before any solve (:func:`structural_problems`: villages that must
be covered but that no allowed technology reaches, floors asking for more
villages than can be reached). After a solver proves there is no plan,
:func:`explain_infeasible` re-solves without the budget:

- the cheapest plan meeting every floor and required facility gives the
  smallest sufficient budget, and (with at most :data:`MAX_FLOOR_BREAKDOWN`
  floors) each floor is costed on its own, so the officer sees which floor
  drives the cost;
- when even unlimited money does not help, each floor (then each pair) is
  checked on its own, which names the floors that cannot be met together
  and the highest floor a group can reach.

Every number is labelled: a proven minimum, or a range [bound, best found]
when the solver did not close the gap in the time allowed.
"""
from __future__ import annotations

import dataclasses
import itertools
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np

#: floors costed (or checked) one by one in an explanation; more would cost too many solves
MAX_FLOOR_BREAKDOWN = 6
#: seconds the extra solves may take in all when the solve had no time limit
#: (at least; twice the time of the first explanation solve when that took longer)
EXTRA_SECONDS = 30.0
#: no solve is started with less time than this
MIN_SOLVE_SECONDS = 0.5
FACILITIES = "schools, clinics and forced technologies"

# proven outcomes (optimal costs, infeasibility) of explanation solves, so that a frontier
# that meets the same infeasible floors at many budgets solves them once
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 128


# --------------------------------------------------------------------------- before solving
def structural_problems(form) -> list[str]:
    """Reasons visible without solving; empty when none."""
    problems = list(form.eligibility.problems)
    for req in form.floors:
        if req["need"] > req["reachable"]:
            most = req["existing"] + req["reachable"]
            problems.append(
                f"group '{req['group']}': the floor of {_pct(req['floor'])} needs "
                f"{req['need'] + req['existing']} of its {req['poor_villages']} registered poor villages covered; "
                f"{req['existing']} already {'is' if req['existing'] == 1 else 'are'} and only {req['reachable']} "
                f"more can be reached by any allowed "
                f"technology (lower the floor to at most {_pct(highest_floor(most, req['poor_villages']))} "
                f"or allow more technologies)")
    return problems


def highest_floor(covered: int, total: int) -> float:
    """The largest floor, in whole hundredths of a percent, that ``covered`` of ``total`` villages meet.

    Rounded down, so that the floor printed is one that can really be met
    (2/3 printed as 66.67% would ask for ceil(0.6667 x 3) = 3 villages)."""
    if total <= 0:
        return 1.0
    return math.floor(covered / total * 10_000 + 1e-9) / 10_000


# --------------------------------------------------------------------------- one re-solve
@dataclass(frozen=True)
class MinCost:
    """The cheapest cost of meeting some requirements, as far as it is known.

    state: 'optimal' (value is the proven minimum), 'range' (the minimum lies
    in [bound, value]: value is the best plan found), 'infeasible' (no plan
    even with unlimited money) or 'unknown' (no plan found in the time
    allowed; bound, when given, is a proven lower bound).
    """

    state: str
    value: float | None = None
    bound: float | None = None

    @property
    def known(self) -> bool:
        return self.state in ("optimal", "range")

    @property
    def low(self) -> float | None:
        """A proven lower bound (the value itself when optimal)."""
        return self.value if self.state == "optimal" else self.bound

    def text(self, currency: str) -> str:
        if self.state == "optimal":
            return _money(self.value, currency)
        if self.state == "range":
            return (f"between {_money(self.bound, currency)} and {_money(self.value, currency)} "
                    f"(not proven optimal in the time allowed)")
        if self.state == "infeasible":
            return "impossible even with unlimited money"
        return "not computed (no time left)" + (
            f"; at least {_money(self.bound, currency)}" if self.bound is not None else "")


class _Solver:
    """Re-solves the instance with other floors and no budget, within a time allowance."""

    def __init__(self, instance, form, *, solver: str, mode: str, remaining: Callable[[], float | None]):
        from ..backends import get_backend

        self.instance, self.form, self.mode, self.solver_name = instance, form, mode, solver
        self.backend = get_backend(solver)
        self.remaining = remaining
        self.deadline: float | None = None

    # ------------------------------------------------------------------ time
    def start_extras(self, first_seconds: float) -> None:
        """Open the allowance for extra solves (breakdowns): what is left of the time limit,
        or :data:`EXTRA_SECONDS` (at least twice the first solve) without one."""
        left = self.remaining()
        allowance = max(EXTRA_SECONDS, 2.0 * first_seconds) if left is None else left
        self.deadline = time.perf_counter() + allowance

    def _seconds(self, extra: bool) -> float | None | bool:
        """Time limit of the next solve; False when there is no time for it."""
        left = self.remaining()
        if extra and self.deadline is not None:
            own = self.deadline - time.perf_counter()
            left = own if left is None else min(left, own)
        if left is not None and left < MIN_SOLVE_SECONDS:
            return False
        return left

    # ------------------------------------------------------------------ solves
    def min_cost(self, floors: dict, *, extra: bool = True) -> MinCost:
        """Cheapest plan meeting ``floors`` (group -> floor) and the required facilities, no budget."""
        return self._run(floors, extra=extra, target=None)

    def most_covered(self, group: str) -> int | None:
        """Most of ``group``'s not-yet-connected registered poor villages that can be covered
        at once with the required facilities and no floor; None when not proven in time."""
        r = self._run({}, extra=True, target=group)
        return int(round(r.value)) if r.state == "optimal" else None

    def feasible(self, floors: dict) -> bool | None:
        r = self.min_cost(floors)
        return None if r.state == "unknown" else r.state != "infeasible"

    def _key(self, floors: dict, target):
        inst = self.instance
        if not inst.content_hash:
            return None
        return (inst.content_hash, repr(inst.policy), str(inst.budget_measure), inst.horizon_years,
                inst.discount_rate, repr(inst.costs), self.mode, self.solver_name,
                tuple(sorted(floors.items())), target)

    def _run(self, floors: dict, *, extra: bool, target) -> MinCost:
        key = self._key(floors, target)
        if key is not None and key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
        seconds = self._seconds(extra)
        if seconds is False:
            return MinCost("unknown")
        out = self._solve(floors, extra, target)
        if key is not None and out.state in ("optimal", "infeasible"):
            _CACHE[key] = out
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return out

    def _solve(self, floors: dict, extra: bool, target) -> MinCost:
        from ..backends.base import SolveOptions, Status
        from ..formulation import builder
        from ..formulation import floors as floors_family

        inst = _with_floors(self.instance, floors)
        form = builder.build(inst, objective_kind="min-cost", budget=None, mode=self.mode,
                             network=self.form.network, integer_only=self.backend.requires_integer_columns)
        if form.eligibility.problems or any(r["need"] > r["reachable"] for r in form.floors):
            return MinCost("infeasible")
        model = form.model
        if target is not None:  # count the group's villages covered instead of the cost
            reqs = floors_family.requirements(inst, {target: 0.0})  # the group's registered poor villages
            members = set(reqs[0]["members"]) if reqs else set()
            obj = np.zeros(model.num_vars)
            for i, vid in enumerate(form.columns.candidates):
                if vid in members:
                    obj[form.columns.coverage_cols(i)] = 1.0
            model.sense, model.obj = "max", obj.tolist()
        if model.num_vars == 0:
            return MinCost("optimal", model.obj_offset, model.obj_offset)
        seconds = self._seconds(extra)  # after the build, which takes time too
        if seconds is False:
            return MinCost("unknown")
        r = self.backend.solve(model, SolveOptions(time_limit=seconds, gap=0.0))
        bound = r.bound if r.bound is not None and math.isfinite(r.bound) else None
        if r.x is not None:
            if r.status is Status.OPTIMAL:
                return MinCost("optimal", r.objective, r.objective)
            return MinCost("range", r.objective, bound)
        if r.status is Status.INFEASIBLE:
            return MinCost("infeasible")
        return MinCost("unknown", None, bound if target is None else None)


def restricted_min_cost(instance, form, *, solver: str, remaining: Callable[[], float | None]) -> MinCost:
    """The cheapest plan meeting every floor and required facility with routes along the
    shortest-path tree (no budget): an upper bound on the exact problem's smallest sufficient budget."""
    s = _Solver(instance, form, solver=solver, mode="restricted", remaining=remaining)
    s.start_extras(0.0)
    return s.min_cost({r["group"]: r["floor"] for r in form.floors if r["need"] > 0}, extra=False)


def _with_floors(instance, floors: dict):
    """The instance with exactly ``floors`` (group -> floor) and no other floor."""
    pol = instance.policy
    groups = {name: dataclasses.replace(g, floor=floors.get(name)) for name, g in pol.groups.items()}
    return instance.with_changes(policy=dataclasses.replace(pol, groups=groups))


# --------------------------------------------------------------------------- after the solver says no
@dataclass(frozen=True)
class Explanation:
    headline: str                # first line of the error
    text: str                    # the explanation, several lines
    min_budget: float | None     # the proven smallest sufficient budget, when the budget is the problem


def explain_infeasible(instance, form, *, budget: float | None, solver: str, mode: str,
                       remaining: Callable[[], float | None]) -> Explanation:
    """Why the solver found no plan, in a budget officer's words.

    Parameters
    ----------
    instance, form : the instance and the formulation that was proven infeasible.
    budget : the budget it was solved with (None: none).
    solver, mode : as given to ``solve()``; the re-solves use the same.
    remaining : seconds left of the caller's time limit, or None without one.
    """
    s = _Solver(instance, form, solver=solver, mode=mode, remaining=remaining)
    floors = {r["group"]: r["floor"] for r in form.floors if r["need"] > 0}
    if budget is not None:
        t0 = time.perf_counter()
        total = s.min_cost(floors, extra=False)
        s.start_extras(time.perf_counter() - t0)
        if total.state != "infeasible":
            breakdown, floors_can_help = _cost_breakdown(s, form, budget, instance.currency) if total.known \
                else ([], True)
            lines = [budget_shortfall_text(total, budget, instance.currency, mode=mode,
                                           floors_can_help=floors_can_help), *breakdown]
            return Explanation("no plan meets the floors and required facilities within the budget.",
                               "\n".join(lines), total.value if total.state == "optimal" else None)
    else:
        s.start_extras(0.0)
    return Explanation("no plan meets the floors and required facilities, whatever the budget.",
                       _without_money(s, form, floors), None)


def budget_shortfall_text(total: MinCost, budget: float, currency: str, *, mode: str = "exact",
                          floors_can_help: bool = True) -> str:
    """The budget against the cheapest plan meeting every floor and required facility.

    ``floors_can_help=False``: the required villages alone cost more than the
    budget, so the advice does not suggest lowering the floors."""
    lower = " or lower the floors" if floors_can_help else ""
    what = f"meets every floor and covers every village that must be covered ({FACILITIES})"
    where = (" (routes restricted to a shortest-path tree: --mode exact may need less)"
             if mode == "restricted" else "")
    have = f"the budget is {_money(budget, currency)}"
    if total.state == "optimal":
        return (f"The cheapest plan that {what} costs {_money(total.value, currency)}{where}; {have}. "
                f"The smallest sufficient budget is {_money(total.value, currency)}: raise the budget by "
                f"{_money(max(total.value - budget, 0.0), currency)}{lower}.")
    if total.state == "range":
        return (f"The cheapest plan found that {what} costs {_money(total.value, currency)}{where}, and no such "
                f"plan costs less than {_money(total.bound, currency)} (not proven optimal in the time allowed); "
                f"{have}. The smallest sufficient budget lies between {_money(total.bound, currency)} and "
                f"{_money(total.value, currency)}: a budget of {_money(total.value, currency)} is enough.")
    low = (f" It is at least {_money(total.bound, currency)}." if total.bound is not None and total.bound > budget
           else "")
    return (f"The budget ({_money(budget, currency)}) seems too small for the floors and required facilities; "
            f"the smallest sufficient budget could not be computed in the time left.{low} "
            f"Give the solve more time (--time-limit) to get it.")


def _required_facilities(form) -> int:
    why = np.asarray(form.eligibility.why_required, dtype=object)
    return int(sum(1 for w in why if w in ("school", "clinic", "forced")))


def _floor_label(req) -> str:
    covered = req["need"] + req["existing"]
    return (f"floor of group '{req['group']}' ({_pct(req['floor'])}: {covered} of its {req['poor_villages']} "
            f"registered poor villages, {req['existing']} already connected)")


def _cost_breakdown(s: _Solver, form, budget: float, currency: str) -> tuple[list[str], bool]:
    """Each floor costed on its own (with the required facilities), costliest first, and what drives
    the cost; and whether lowering floors can help (False: the required villages alone are over budget)."""
    binding = [r for r in form.floors if r["need"] > 0]
    facilities = _required_facilities(form)
    if not binding or (len(binding) == 1 and not facilities):
        return [], True  # the one floor is the whole cost, already given
    if len(binding) > MAX_FLOOR_BREAKDOWN:
        return [f"({len(binding)} floors bind: too many to cost one by one.)"], True
    base = s.min_cost({}) if facilities else MinCost("optimal", 0.0, 0.0)
    floors = [(r["group"], _floor_label(r), s.min_cost({r["group"]: r["floor"]})) for r in binding]
    # costliest first; what is not known last
    floors.sort(key=lambda e: (not e[2].known, -(e[2].value or 0.0) if e[2].known else 0.0, e[0]))

    def over(cost: MinCost) -> str:
        return (" - more than the budget on its own"
                if cost.low is not None and cost.low > budget * (1 + 1e-9) + 1e-9 else "")

    with_them = f" (with the {FACILITIES})" if facilities else ""
    lines = [f"Cheapest cost of each requirement on its own{with_them}:"]
    for _group, label, cost in floors:
        extra = ""
        if facilities and cost.state == "optimal" and base.state == "optimal":
            extra = f" ({_money(cost.value - base.value, currency)} more than the required villages alone)"
        lines.append(f"  - {label}: {cost.text(currency)}{extra}{over(cost)}")
    if facilities:
        lines.append(f"  - {FACILITIES} only, no floor ({_villages(facilities)} must be covered): "
                     f"{base.text(currency)}{over(base)}")
    if any(c.state == "unknown" for c in [base] + [c for _g, _l, c in floors]):
        lines.append("(Costs marked 'not computed' need more time: give the solve a longer --time-limit.)")
    floors_can_help = not (facilities and base.low is not None and base.low > budget * (1 + 1e-9) + 1e-9)
    if not floors_can_help:
        lines.append(f"The villages that must be covered ({FACILITIES}) already cost more than the budget on "
                     "their own: lowering the floors cannot help; raise the budget or change those rules.")
    elif len(floors) >= 2 and all(c.known for _g, _l, c in floors):
        top_group, _label, top = floors[0]
        if all(top.low > c.value * (1 + 1e-9) for _g, _l, c in floors[1:]):
            lines.append(f"The floor of group '{top_group}' drives the cost.")
    return lines, floors_can_help


def _without_money(s: _Solver, form, floors: dict) -> str:
    """No plan even with unlimited money: name what cannot be met, alone or together."""
    instance = s.instance
    head = "Even with unlimited money there is no plan."
    facilities = s.feasible({})
    beams = _beam_text(instance, form)
    if facilities is False:
        return (f"{head} The villages that must be covered ({FACILITIES}) cannot all be served at once"
                f"{': ' + beams if beams else ''}. Allow more technologies for them, or raise beam capacity.")
    if facilities is None or not floors:
        return (f"{head} The floors, {FACILITIES} cannot all be met"
                f"{' (satellite beam capacity: ' + beams + ')' if beams else ''}; the solver found no more "
                "detail in the time left. Lower a floor or allow more technologies.")
    if len(floors) > MAX_FLOOR_BREAKDOWN:
        return (f"{head} The {len(floors)} floors cannot all be met together"
                f"{' (satellite beam capacity: ' + beams + ')' if beams else ''}. "
                "Lower a floor or allow more technologies.")
    reqs = {r["group"]: r for r in form.floors}
    with_them = f" with the {FACILITIES}" if _required_facilities(form) else ""
    lines = [head]
    alone = {g: s.feasible({g: f}) for g, f in sorted(floors.items())}
    impossible = [g for g, ok in alone.items() if ok is False]
    for g in impossible:
        req = reqs[g]
        most = s.most_covered(g)
        line = f"- The {_floor_label(req)} cannot be met even on its own{with_them}"
        if most is not None:
            reach = req["existing"] + most
            line += (f": at most {reach} of the {req['poor_villages']} can be covered at once; lower the floor "
                     f"to at most {_pct(highest_floor(reach, req['poor_villages']))}")
        lines.append(line + ".")
    if not impossible:
        pairs = [(a, b) for a, b in itertools.combinations(sorted(floors), 2)
                 if s.feasible({a: floors[a], b: floors[b]}) is False]
        for a, b in pairs:
            lines.append(f"- The floors of groups '{a}' ({_pct(floors[a])}) and '{b}' ({_pct(floors[b])}) can each "
                         f"be met on its own{with_them}, but not together.")
        if not pairs and (len(floors) < 3 or any(ok is None for ok in alone.values())):
            lines.append(f"- The floors ({', '.join(repr(g) for g in sorted(floors))}) and the {FACILITIES} cannot "
                         "all be met together; the checks found no more detail in the time left.")
        elif not pairs:
            lines.append(f"- The {len(floors)} floors ({', '.join(repr(g) for g in sorted(floors))}) cannot all be "
                         "met together, although each one, and each pair, can.")
    if beams:
        lines.append(f"Without a budget, what villages compete for is satellite beam capacity: {beams}.")
    lines.append("Lower a floor, allow more technologies (fiber or 4G) where only satellite serves, "
                 "or raise the beam capacity.")
    return "\n".join(lines)


def _beam_text(instance, form) -> str:
    """Capacity pools whose candidates only one terminal technology (satellite, LEO ...) can serve ask
    for more than the pool holds, else every pool they use."""
    from ..technologies import pool_id

    elig = form.eligibility
    reg = instance.costs.technologies
    parts = []
    for tech in reg.names_of("terminal"):
        mine = elig.allowed[tech]
        other = np.zeros(len(mine), dtype=bool)
        for t, allowed in elig.allowed.items():
            if t != tech:
                other |= allowed
        only = mine & ~other
        if not only.any():
            continue
        v = instance.villages.loc[elig.candidates[only]]
        pools = v["beam"].astype(str).map(lambda b, t=tech: pool_id(reg, t, b))
        demand = v.groupby(pools)["demand_mbps"].agg(["sum", "count"])
        for beam, row in demand.sort_index().iterrows():
            cap = float(instance.beams["capacity_mbps"].get(beam, float("nan")))
            parts.append(f"beam {beam} holds {cap:,.6g} Mbit/s, and the {int(row['count'])} villages only "
                         f"{tech} can serve there ask for {float(row['sum']):,.6g} Mbit/s")
    return "; ".join(parts)


# --------------------------------------------------------------------------- formatting
def _money(x: float | None, currency: str) -> str:
    if x is None:
        return "n/a"
    if abs(x - round(x)) < 1e-6 * max(1.0, abs(x)):
        return f"{round(x):,.0f} {currency}"
    return f"{x:,.2f} {currency}"


def _villages(n: int) -> str:
    return f"{n} village" if n == 1 else f"{n} villages"


def _pct(share: float) -> str:
    text = f"{share * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
