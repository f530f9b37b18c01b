"""Price-directed decomposition: a bound for the whole problem from exact county
MIPs, and plans combined from the county plans generated along the way.

The parts of :mod:`allocator.solve.decompose.parts` share only the *coupling rows*:
the budget, the group floors and the satellite beams. Dantzig-Wolfe column
generation over county plans (FORMULATION.md, "Price-directed decomposition";
docs/scale.md):

- **Master LP** (HiGHS): choose a convex combination of known plans per part,
  subject to the coupling rows (penalised artificial slacks keep it feasible
  from the first round). Its row duals are the *prices*: pi for money, mu_g
  per covered poor member of floor group g, nu_b per Mbit/s of beam b.
- **Pricing**: each part's MIP (its own rows, none of the coupling rows) with
  the objective ``c - pi*cost + sum_g mu_g*[floor g] - sum_b nu_b*demand_b``,
  solved exactly by the MIP solver (one thread per task, through
  :mod:`allocator.solve.executor`). Its plan is a new column.
- **Bound** (Lagrangian relaxation of the coupling rows, valid for *any*
  prices >= 0): ``pi*B - sum_g mu_g*need_g + sum_b nu_b*cap_b + sum_p U_p``,
  where ``U_p`` is the **proven bound** of part p's pricing MIP (not its
  incumbent), so a part stopped by its time limit keeps the bound valid.
- **Primal**: the master as a MIP over the columns found (one plan per part,
  coupling rows exact), merged and repaired like the share-based plan, and
  verified by the caller.

Prices are stabilised by Wentges smoothing: each round prices a point
between the best prices so far (the stability centre) and the master's
duals; when that finds no improving column, the master's own duals are
priced (no mispricing is left undetected).

Everything is in the maximisation sense inside (min-cost is negated).
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from ...backends import get_backend
from ...backends.base import SolveOptions, Status
from ...backends.linear import LinearModel
from ...formulation import coupling
from ...formulation.coupling import BUDGET_UNITS
from .parts import PartModel

#: smoothing weight of the stability centre (Wentges 1997); 0 prices the master's duals
SMOOTHING = 0.5
#: a column enters the master when its reduced value exceeds this (relative to the objective scale)
REDUCED_TOL = 1e-9
#: penalty of the master's artificial slacks, as a multiple of the objective's scale
PENALTY = 1e4
#: feasibility tolerance charged on each part's MIP bound (HiGHS's mip_feasibility_tolerance)
MIP_TOLERANCE = 1e-6
#: seconds the master MIP may always take, however fast the round's pricing was
MIP_MIN_SECONDS = 5.0


@dataclass
class Column:
    """One part's plan: its objective value and what it puts on each coupling row."""

    part: int
    value: float                 # c.x in the maximisation sense
    cost: float
    floors: dict                 # group -> covered poor members
    beams: dict                  # beam -> Mbit/s
    x: np.ndarray


@dataclass
class Prices:
    """Multipliers of the coupling rows (all >= 0 in the maximisation sense)."""

    budget: float = 0.0
    floors: dict = field(default_factory=dict)
    beams: dict = field(default_factory=dict)

    def mix(self, other: Prices, alpha: float) -> Prices:
        """alpha*self + (1-alpha)*other."""
        return Prices(alpha * self.budget + (1 - alpha) * other.budget,
                      {g: alpha * self.floors.get(g, 0.0) + (1 - alpha) * other.floors.get(g, 0.0)
                       for g in sorted(set(self.floors) | set(other.floors))},
                      {b: alpha * self.beams.get(b, 0.0) + (1 - alpha) * other.beams.get(b, 0.0)
                       for b in sorted(set(self.beams) | set(other.beams))})

    def as_dict(self) -> dict:
        return {"budget": self.budget, "floors": dict(self.floors), "beams": dict(self.beams)}


@dataclass
class Coupling:
    """The coupling rows of the whole problem (only those that can bind)."""

    budget: float | None
    needs: dict                  # group -> covered poor members at least (need > 0)
    caps: dict                   # beam -> capacity (only beams whose total demand exceeds it)


def coupling_of(blocks: list[PartModel], *, budget, reqs: list[dict], beams) -> Coupling:
    """The right-hand sides of the rows :mod:`allocator.formulation.coupling` writes (and the same
    choice of beams that can bind), for the master problem."""
    needs = {r["group"]: float(r["need"]) for r in reqs if r["need"] > 0}
    demand = np.concatenate([b.sat_demand for b in blocks] or [np.zeros(0)])
    beam = np.concatenate([b.sat_beam for b in blocks] or [np.zeros(0, dtype=object)])
    caps = coupling.binding_beams(demand, beam, coupling.beam_capacities(beams))
    return Coupling(None if budget is None else float(budget), needs, caps)


def column_of(block: PartModel, part: int, x: np.ndarray, sign: float) -> Column:
    floors = {g: float(x[cols].sum()) for g, cols in block.floor_cols.items() if len(cols)}
    beams = {}
    if len(block.sat_cols):
        xs = x[block.sat_cols]
        for beam in sorted(set(block.sat_beam.tolist())):
            on = block.sat_beam == beam
            beams[beam] = float(block.sat_demand[on] @ xs[on])
    return Column(part, sign * float(block.c @ x), float(block.cost @ x), floors, beams, x)


def priced_objective(block: PartModel, prices: Prices, sign: float) -> np.ndarray:
    """``c - pi*cost + sum_g mu_g*[floor g] - sum_b nu_b*demand_b`` (maximisation sense)."""
    obj = sign * block.c - prices.budget * block.cost
    for g, cols in block.floor_cols.items():
        mu = prices.floors.get(g, 0.0)
        if mu and len(cols):
            np.add.at(obj, cols, mu)
    if len(block.sat_cols) and prices.beams:
        nu = np.array([prices.beams.get(b, 0.0) for b in block.sat_beam.tolist()])
        np.add.at(obj, block.sat_cols, -nu * block.sat_demand)
    return obj


def tolerance_margin(obj: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> float:
    """What the MIP solver's tolerances can hide in a part's bound: every column off its bound or
    its integer value by the feasibility tolerance, at its objective coefficient (a small, explicit
    margin: the parts' MIP bounds are the solver's, not safe bounds in the sense of
    allocator/solve/safe_bound.py)."""
    span = np.maximum(np.abs(np.where(np.isfinite(lb), lb, 0.0)), np.abs(np.where(np.isfinite(ub), ub, 0.0)))
    return float(MIP_TOLERANCE * np.abs(obj) @ np.maximum(span, 1.0))


def box_bound(obj: np.ndarray, lb: np.ndarray, ub: np.ndarray) -> float:
    """A bound on ``max obj.x`` over the column bounds alone (a part with no proven bound)."""
    hi = np.where(obj >= 0, ub, lb)
    with np.errstate(invalid="ignore"):
        terms = obj * hi
    terms[obj == 0] = 0.0
    return float(terms.sum())


@dataclass
class Priced:
    """A pricing MIP's outcome (a worker task's result)."""

    part: int
    x: np.ndarray | None
    bound: float                 # proven bound on the priced objective (max sense)
    status: str
    seconds: float
    cpu: float


def price_task(shared, task) -> Priced:
    """Worker task: part ``i``'s MIP with the priced objective. ``shared`` is the list of blocks
    (sent once per worker by the executor)."""
    i, prices, sign, solver, deadline, limit, seed, start, *rest = task
    gap = rest[0] if rest else 0.0   # relative gap at which the MIP may stop (its bound stays proven)
    t0, c0 = time.perf_counter(), time.process_time()
    block = shared[i]
    obj = priced_objective(block, prices, sign)
    if block.num_vars == 0:
        return Priced(i, np.zeros(0), 0.0, Status.OPTIMAL.value, 0.0, 0.0)
    model = LinearModel.from_arrays(obj, block.a, block.row_lo, block.row_hi, block.lb, block.ub, block.integer,
                                    "max")
    seconds = limit
    if deadline is not None:
        left = max(deadline - time.time(), 0.05)
        seconds = left if limit is None else max(min(limit, left), 0.05)
    # the part's best known plan at these prices starts the solver (feasible: the rows are the same)
    r = get_backend(solver).solve(model, SolveOptions(time_limit=seconds, gap=gap, threads=1, seed=seed),
                                  warm_start=start)
    if r.status is Status.INFEASIBLE:
        bound = -math.inf
    elif r.bound is not None and math.isfinite(r.bound):
        bound = float(r.bound)
    else:
        bound = box_bound(obj, block.lb, block.ub)
    if r.x is not None and r.objective is not None:
        bound = max(bound, float(obj @ r.x))  # a solver's bound never below its own plan
    if math.isfinite(bound):
        bound += tolerance_margin(obj, block.lb, block.ub)
    return Priced(i, r.x, bound, r.status.value, time.perf_counter() - t0, time.process_time() - c0)


def lagrangian_bound(coupling: Coupling, prices: Prices, part_bounds: list[float]) -> float:
    """``pi*B - sum mu_g need_g + sum nu_b cap_b + sum_p U_p`` (max sense): valid for any prices >= 0."""
    total = math.fsum(part_bounds)
    if coupling.budget is not None:
        total += prices.budget * coupling.budget
    total -= math.fsum(prices.floors.get(g, 0.0) * n for g, n in coupling.needs.items())
    total += math.fsum(prices.beams.get(b, 0.0) * c for b, c in coupling.caps.items())
    return total


def lp_prices(row_names: list, row_dual, coupling: Coupling) -> Prices | None:
    """The prices the decomposition's LP (:func:`allocator.solve.decompose.lp.stack`: the part models
    side by side with the coupling rows) puts on the coupling rows: its row duals, in the units of
    the master (money per unit of the budget measure, per covered member, per Mbit/s).

    Starting the rounds there makes round 1's Lagrangian bound at least as tight as the LP bound
    (the county MIPs are the LP's county blocks with integrality: each ``U_p`` is at most the LP
    block's value at the same prices). HiGHS reports d(objective)/d(rhs) for a maximisation: >= 0
    on the budget and beam rows (<=), <= 0 on the floor rows (>=). None without duals."""
    if row_dual is None or len(row_dual) != len(row_names):
        return None
    at = {name: k for k, name in enumerate(row_names) if name}
    prices = Prices()
    if coupling.budget is not None and "budget" in at:
        # the budget row is written in BUDGET_UNITS of the budget (allocator.formulation.coupling)
        scale = coupling.budget / BUDGET_UNITS if coupling.budget > 0 else 1.0
        prices.budget = max(float(row_dual[at["budget"]]) / scale, 0.0)
    for g in sorted(coupling.needs):
        k = at.get(f"floor[{g}]")
        prices.floors[g] = 0.0 if k is None else max(-float(row_dual[k]), 0.0) + 0.0
    for b in sorted(coupling.caps):
        k = at.get(f"beam[{b}]")
        prices.beams[b] = 0.0 if k is None else max(float(row_dual[k]), 0.0)
    return prices


def shift_bound(block: PartModel, old: Prices, new: Prices) -> float:
    """How much part ``block``'s priced optimum can rise from prices ``old`` to ``new``: the priced
    objective is linear in the prices, so ``U(new) <= U(old) + max_x (obj_new - obj_old).x``, and the
    last maximum is bounded over the column bounds (a box that holds every plan). A rise of the money
    price alone never raises it (costs are >= 0 and the box's lower bounds are 0)."""
    delta = Prices(new.budget - old.budget,
                   {g: new.floors.get(g, 0.0) - old.floors.get(g, 0.0) for g in set(new.floors) | set(old.floors)},
                   {b: new.beams.get(b, 0.0) - old.beams.get(b, 0.0) for b in set(new.beams) | set(old.beams)})
    diff = priced_objective(block, delta, 0.0)  # the objective's own part does not move
    if not diff.any():
        return 0.0
    return max(box_bound(diff, block.lb, block.ub), 0.0)


#: earlier pricing outcomes kept per part to carry bounds over (the most recent ones)
KEEP_KNOWN = 4


def same_prices(block: PartModel, old: Prices, new: Prices) -> bool:
    """True when the part's priced objective is the same at both prices (the prices of the rows it
    has no column in may differ)."""
    delta = Prices(new.budget - old.budget,
                   {g: new.floors.get(g, 0.0) - old.floors.get(g, 0.0) for g in set(new.floors) | set(old.floors)},
                   {b: new.beams.get(b, 0.0) - old.beams.get(b, 0.0) for b in set(new.beams) | set(old.beams)})
    return not priced_objective(block, delta, 0.0).any()


@dataclass
class Known:
    """A part's pricing MIP outcome at some prices, kept for the next rounds."""

    prices: Prices
    result: Priced


def carried_bound(block: PartModel, known: list, point: Prices) -> tuple[float, Known | None]:
    """The tightest bound on part ``block``'s priced optimum at ``point`` from its earlier outcomes
    (each one's proven bound plus :func:`shift_bound`), and the outcome it came from."""
    best, source = math.inf, None
    for k in known:
        if not math.isfinite(k.result.bound):
            continue
        b = k.result.bound + shift_bound(block, k.prices, point)
        if b < best:
            best, source = b, k
    return best, source


class Master:
    """The restricted master over the columns found: LP (prices) and MIP (a plan)."""

    def __init__(self, n_parts: int, coupling: Coupling) -> None:
        self.n_parts = n_parts
        self.coupling = coupling
        self.columns: list[Column] = []
        self.by_part: dict = {}
        self.scale = 1.0

    def add(self, col: Column) -> bool:
        """Add ``col`` unless the part already has a column with the same x."""
        for c in self.by_part.get(col.part, []):
            if len(c.x) == len(col.x) and np.allclose(c.x, col.x, atol=1e-7):
                return False
        self.columns.append(col)
        self.by_part.setdefault(col.part, []).append(col)
        self.scale = max(self.scale, abs(col.value))
        return True

    def _rows(self):
        """(name, kind, rhs) of the coupling rows; kind 'le' or 'ge'."""
        rows = []
        if self.coupling.budget is not None:
            rows.append((("budget", None), "le", self.coupling.budget))
        rows += [(("floor", g), "ge", n) for g, n in sorted(self.coupling.needs.items())]
        rows += [(("beam", b), "le", c) for b, c in sorted(self.coupling.caps.items())]
        return rows

    def _coef(self, col: Column, row) -> float:
        kind, key = row
        if kind == "budget":
            return col.cost
        if kind == "floor":
            return col.floors.get(key, 0.0)
        return col.beams.get(key, 0.0)

    def solve(self, *, integer: bool, time_limit: float | None = None, seed: int = 0):
        """LP: (value, Prices, duals of the convexity rows). MIP: (value, chosen column per part) or None."""
        import highspy

        rows = self._rows()
        n_cols = len(self.columns)
        # LP: an artificial slack per coupling row (overspend / shortfall) and per part (a part with no
        # plan yet, e.g. its MIP stopped without one), each at a penalty: the master is always feasible
        # MIP: the floors are soft (a shortfall slack at the same penalty): the combined plan is
        # repaired afterwards, and the repair meets a missing floor with the money the MIP leaves
        art_rows = [k for k, (row, _s, _r) in enumerate(rows) if not integer or row[0] == "floor"]
        n_art = len(art_rows) + (0 if integer else self.n_parts)
        # highspy's Python wrapper prints a banner on construction; its core class does not
        h = (getattr(getattr(highspy, "_core", None), "_Highs", None) or highspy.Highs)()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("random_seed", int(seed) % 2147483647)
        if time_limit is not None:
            h.setOptionValue("time_limit", max(float(time_limit), 0.1))
        lp = highspy.HighsLp()
        lp.num_col_ = n_cols + n_art
        lp.num_row_ = self.n_parts + len(rows)
        lp.sense_ = highspy.ObjSense.kMaximize
        # money is scaled to units of the budget: the budget row's duals stay near the values'
        money = self.coupling.budget if self.coupling.budget else 1.0
        penalty = PENALTY * self.scale
        cost = [c.value for c in self.columns] + [-penalty] * n_art
        lp.col_cost_ = np.array(cost, dtype=float)
        lp.col_lower_ = np.zeros(n_cols + n_art)
        lp.col_upper_ = np.concatenate([np.ones(n_cols), np.full(n_art, np.inf)])
        # a part with no plan yet: its artificial (LP), or no plan from it (MIP)
        has = [1.0 if self.by_part.get(p) or not integer else 0.0 for p in range(self.n_parts)]
        lo, hi = list(has), list(has)
        for (kind, _key), sense, rhs in rows:
            r = rhs / money if kind == "budget" else rhs
            lo.append(-np.inf if sense == "le" else r)
            hi.append(r if sense == "le" else np.inf)
        lp.row_lower_, lp.row_upper_ = np.array(lo), np.array(hi)
        starts, index, value = [], [], []
        for c in self.columns:
            starts.append(len(index))
            index.append(c.part)
            value.append(1.0)
            for k, (row, _s, _r) in enumerate(rows):
                a = self._coef(c, row)
                if a:
                    index.append(self.n_parts + k)
                    value.append(a / money if row[0] == "budget" else a)
        for k in art_rows:
            starts.append(len(index))
            index.append(self.n_parts + k)
            value.append(-1.0 if rows[k][1] == "le" else 1.0)
        if not integer:
            for p in range(self.n_parts):
                starts.append(len(index))
                index.append(p)
                value.append(1.0)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(starts + [len(index)], dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * n_cols + [highspy.HighsVarType.kContinuous] * n_art
        h.passModel(lp)
        h.run()
        status = h.getModelStatus()
        sol = h.getSolution()
        if integer:
            if not sol.value_valid or status == highspy.HighsModelStatus.kInfeasible:
                return None
            x = np.asarray(sol.col_value)
            chosen = {}
            for j, c in enumerate(self.columns):
                if x[j] > 0.5:
                    chosen[c.part] = c
            if not chosen:
                return None
            return sum(c.value for c in chosen.values()), [chosen[p] for p in sorted(chosen)]
        if status != highspy.HighsModelStatus.kOptimal:
            return None
        dual = np.asarray(sol.row_dual)
        # HiGHS duals of a maximisation: d(objective)/d(rhs); <= rows give >= 0, >= rows <= 0
        prices = Prices()
        for k, ((kind, key), _s, _r) in enumerate(rows):
            d = float(dual[self.n_parts + k])
            if kind == "budget":
                prices.budget = max(d / money, 0.0)
            elif kind == "floor":
                prices.floors[key] = max(-d, 0.0) + 0.0  # no -0.0 in the report
            else:
                prices.beams[key] = max(d, 0.0)
        return float(h.getInfo().objective_function_value), prices, dual[:self.n_parts].copy()

    def reduced(self, col: Column, prices: Prices, sigma: np.ndarray) -> float:
        return priced_value(col, prices) - sigma[col.part]

    def best_value(self, part: int, prices: Prices) -> float:
        """The highest priced value among the part's known plans (-inf without one)."""
        return max((priced_value(c, prices) for c in self.by_part.get(part, [])), default=-math.inf)

    def best_start(self, part: int, prices: Prices) -> np.ndarray | None:
        """The part's known plan of highest priced value (a start for its pricing MIP)."""
        cols = self.by_part.get(part, [])
        return max(cols, key=lambda c: priced_value(c, prices)).x if cols else None


def priced_value(col: Column, prices: Prices) -> float:
    v = col.value - prices.budget * col.cost
    v += sum(prices.floors.get(g, 0.0) * n for g, n in col.floors.items())
    v -= sum(prices.beams.get(b, 0.0) * d for b, d in col.beams.items())
    return v


@dataclass
class Outcome:
    """What the price loop found (maximisation sense; the caller flips min-cost back)."""

    bound: float
    prices: Prices
    combination: list | None     # best master-MIP choice: one Column per part
    combination_value: float | None
    rounds: list
    columns: int
    converged: bool
    stopped: str
    infeasible_parts: list = field(default_factory=list)   # parts whose own rows have no plan at all


def price_loop(blocks: list[PartModel], coupling: Coupling, executor, *, shared, sign: float, solver: str,
               initial: list[Column], deadline: float | None, max_rounds: int, target_gap: float,
               primal_value, seed: int = 0, say=None, start: Prices | None = None) -> Outcome:
    """Column generation until the bound meets the best plan within ``target_gap``, no column
    improves, ``max_rounds`` pass or the deadline comes.

    ``primal_value(columns) -> float | None``: the verified value (max sense) of the plan made from
    one column per part (merged and repaired by the caller), used for the gap and the stop test.
    ``start``: the prices of round 1 (the decomposition LP's duals, :func:`lp_prices`); without it
    round 1 prices the first master LP's duals.

    Bounds carry over between rounds: a part's bound in a round is the smaller of its pricing MIP's
    proven bound and every earlier proven bound of it shifted to the new prices
    (:func:`carried_bound`), so a part stopped by the clock keeps a bound as good as its last one
    allows; a part whose prices did not move at all (its priced objective is the same) and whose
    last MIP was proven optimal is not solved again.
    """
    say = say or (lambda _m: None)
    master = Master(len(blocks), coupling)
    for col in initial:
        master.add(col)
    best_bound, centre = math.inf, Prices()
    best_combo, best_value = None, -math.inf
    rounds, stopped, converged = [], "rounds", False
    infeasible: list = []
    alpha = SMOOTHING
    known: list[list[Known]] = [[] for _ in blocks]
    sizes = [int(b.integer.sum()) for b in blocks]
    for rnd in range(1, max_rounds + 1):
        t0 = time.perf_counter()
        lp = master.solve(integer=False, seed=seed)
        if lp is None:
            stopped = "master LP failed"
            break
        lp_value, duals, sigma = lp
        if rnd == 1 and start is not None:
            point = start
        else:
            point = centre.mix(duals, alpha) if math.isfinite(best_bound) else duals
        left = None if deadline is None else deadline - time.time()
        if left is not None and left <= 0.5:
            stopped = "time limit"
            break
        carried = [carried_bound(b, known[i], point) for i, b in enumerate(blocks)]
        reused = {i for i, (_bd, src) in enumerate(carried)
                  if src is not None and src.result.status == Status.OPTIMAL.value
                  and same_prices(blocks[i], src.prices, point)}
        # the round's slack: a share of the gap, split over the parts by size. A part whose carried
        # bound is within its slack of a plan it already has is not solved; the others stop at it.
        slack = _round_slack(best_bound, best_value, sizes)
        values = [master.best_value(i, point) for i in range(len(blocks))]
        within = {i for i in range(len(blocks)) if i not in reused and carried[i][1] is not None
                  and carried[i][0] - values[i] <= slack[i]}
        if len(reused) + len(within) == len(blocks):
            within = set()      # a round prices at least one part: no round without new information
        todo = [i for i in range(len(blocks)) if i not in reused and i not in within]
        limits = _limits([blocks[i] for i in todo], left, executor.workers)
        tasks = [(i, point, sign, solver, deadline, lim, seed, master.best_start(i, point),
                  _relative(slack[i], values[i])) for i, lim in zip(todo, limits)]
        step = max(len(tasks) // 10, 1)

        def tick(done, total, _rnd=rnd, _step=step):
            if done % _step == 0 and done < total:
                say(f"round {_rnd}: parts {done}/{total}")

        fresh = executor.map(price_task, tasks, shared=shared, sizes=[sizes[i] for i in todo], progress=tick)
        infeasible = sorted(p.part for p in fresh if p.bound == -math.inf)
        if infeasible:   # a part's own rows (no coupling row) have no plan: neither has the problem
            stopped = "a part has no plan"
            break
        priced: list = [None] * len(blocks)
        for i in reused:   # the same MIP as before: its proven optimum and plan stand
            priced[i] = dataclasses.replace(carried[i][1].result, seconds=0.0, cpu=0.0)
        for i in within:   # the carried bound and the best plan known, within the part's slack
            priced[i] = Priced(i, master.best_start(i, point), carried[i][0], "carried", 0.0, 0.0)
        carried_in = 0
        for p in fresh:
            priced[p.part] = p
            known[p.part] = (known[p.part] + [Known(point, p)])[-KEEP_KNOWN:]
            if carried[p.part][0] < p.bound:   # an earlier proven bound, shifted, is tighter
                priced[p.part] = dataclasses.replace(p, bound=carried[p.part][0])
                carried_in += 1
        bound = lagrangian_bound(coupling, point, [p.bound for p in priced])
        if bound < best_bound:
            best_bound, centre = bound, point
        added = improving = 0
        for p in priced:
            if p.x is None:
                continue
            col = column_of(blocks[p.part], p.part, p.x, sign)
            gain = master.reduced(col, duals, sigma)
            if master.add(col):  # a plan already in the master cannot improve it, whatever the rounding
                added += 1
                improving += gain > REDUCED_TOL * master.scale
        exact = all(p.status == Status.OPTIMAL.value for p in priced)
        # the master MIP (one plan per part) gets at most half the round's pricing time, and never
        # more than a fifth of what is left
        mip_seconds = max(0.5 * (time.perf_counter() - t0), MIP_MIN_SECONDS)
        if deadline is not None:
            mip_seconds = min(mip_seconds, max(deadline - time.time(), 0.1) * 0.2)
        mip = master.solve(integer=True, seed=seed, time_limit=mip_seconds)
        value = None if mip is None else primal_value(mip[1])
        if value is not None and value > best_value:
            best_value, best_combo = value, mip[1]
        if best_combo is None:
            # no combination meets the coupling rows yet (the first round without share-based plans):
            # this round's plans merged, the repair trims what overshoots
            latest = [column_of(blocks[p.part], p.part, p.x, sign) for p in priced if p.x is not None]
            value = primal_value(latest) if latest else None
            if value is not None and value > best_value:
                best_value, best_combo = value, latest
        gap = _gap(best_value, best_bound)
        rounds.append({"round": rnd, "master_lp": lp_value, "bound": bound, "best_bound": best_bound,
                       "best_plan": None if best_combo is None else best_value, "gap": gap,
                       "columns_added": added, "columns": len(master.columns),
                       "parts_proven": sum(p.status == Status.OPTIMAL.value for p in priced),
                       "parts_reused": len(reused), "parts_within_slack": len(within),
                       "bounds_carried": carried_in, "slack": float(sum(slack)),
                       "pricing_seconds_max": max((p.seconds for p in fresh), default=0.0),
                       "smoothing": alpha if point is not duals and point is not start else 0.0,
                       "prices_from": ("the decomposition LP's duals" if point is start else
                                       "the master LP's duals" if point is duals else "smoothed"),
                       "seconds": time.perf_counter() - t0,
                       "worker_cpu": float(sum(p.cpu for p in priced))})
        say(f"round {rnd}: bound {sign * best_bound:,.6g}, best plan "
            f"{'-' if best_combo is None else f'{sign * best_value:,.6g}'}, gap "
            f"{'-' if gap is None else f'{gap:.4%}'}, parts {len(priced)}/{len(blocks)} "
            f"({rounds[-1]['parts_proven']} proven), {len(master.columns)} columns")
        if gap is not None and gap <= target_gap:
            stopped, converged = "gap reached", True
            break
        if not improving:
            if point is duals or alpha == 0.0:
                if exact:   # no column improves the master LP: it equals the Lagrangian dual
                    stopped, converged = "no improving column", True
                    break
            else:
                alpha = 0.0  # mispricing at the smoothed point: price the master's duals next
                continue
        alpha = SMOOTHING
        if deadline is not None and time.time() >= deadline:
            stopped = "time limit"
            break
    return Outcome(best_bound, centre, best_combo, None if best_combo is None else best_value, rounds,
                   len(master.columns), converged, stopped,
                   infeasible if stopped == "a part has no plan" else [])


def _limits(blocks, seconds, workers) -> list:
    """Per-part time limit of a round: the parts share ``seconds`` by integer columns on ``workers``."""
    if seconds is None:
        return [None] * len(blocks)
    weight = [max(int(b.integer.sum()), 1) for b in blocks]
    total = sum(weight)
    least = min(seconds, 1.0, seconds * workers / max(len(blocks), 1))   # as parts.time_share
    return [max(seconds * workers * w / total, least) for w in weight]


#: share of the current gap (bound - best plan) the next round's county MIPs may leave open in all
ROUND_SLACK = 0.1


def _round_slack(best_bound: float, best_value: float, sizes: list) -> list[float]:
    """Each part's share of ``ROUND_SLACK`` x the current gap (by integer columns); 0 before a gap
    is known: the round's MIPs are then solved to optimality."""
    if not (math.isfinite(best_bound) and math.isfinite(best_value)) or best_bound <= best_value:
        return [0.0] * len(sizes)
    total = ROUND_SLACK * (best_bound - best_value)
    weight = [max(s, 1) for s in sizes]
    w = sum(weight)
    return [total * x / w for x in weight]


def _relative(slack: float, value: float) -> float:
    """The relative MIP gap that leaves about ``slack`` open on a part whose priced optimum is about
    ``value`` (its best known plan's; HiGHS measures the gap relative to the objective)."""
    if slack <= 0 or not math.isfinite(value):
        return 0.0
    return min(slack / max(abs(value), 1.0), 0.01)


def _gap(value: float, bound: float) -> float | None:
    if not (math.isfinite(value) and math.isfinite(bound)):
        return None
    return max(bound - value, 0.0) / max(abs(value), 1e-9)
