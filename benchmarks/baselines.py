"""The baselines every benchmark run measures the engine against.

``greedy``
    The engine's own greedy heuristic (:func:`allocator.heuristics.greedy.greedy`),
    of the kind peers ship (cheapest cost per weighted person until the budget
    is spent, fiber routes grown from the backbone). No bound: its status is
    ``feasible``.

``fixed-tree``
    A monolithic MIP written the way existing planning tools write it (the ITU
    Connectivity Planning Platform is the model): the fiber routes are fixed
    *before* the optimisation by a tree computed with networkx (shortest-path
    tree from the backbone by default, or a minimum spanning tree), each village's
    fiber cost is its whole path cost on that tree plus its drop, and trenches
    are **not** shared inside the MIP; 4G sites (shared by the villages they
    cover, fiber or microwave backhaul, fiber backhaul priced by the site's tree
    path) and satellite (beam capacity) as in the engine's model; built with PuLP
    and solved by CBC.

    The plan it returns builds the union of the tree paths it chose, so trenches
    end up shared after the fact: its *realised* cost (what the verifier
    recomputes, and what the runner reports) is at most what its own MIP counted.

``fixed-formulation``
    The textbook exact model of the rooted (prize-collecting) Steiner problem:
    directed multi-commodity flow (one commodity per village, arc binaries,
    in-degree <= 1) solved by HiGHS through scipy ``milp``
    (:func:`fixed_formulation`); instances with 4G, budgets or rules are
    ``skipped``.

``restricted``
    The engine's own ``--mode restricted`` on the engine's default solver (HiGHS):
    trenches shared, but the routes follow the shortest-path tree from the
    backbone, the cheaper model a user might pick instead of the exact one. Its
    status, bound and gap are those of the restricted model (what it proves about
    itself); the exact problem's bound it also reports goes into the message.

Each returns a :class:`BaselineResult` holding a :class:`~allocator.decision.Decision`
that :func:`allocator.verify.verify` can check and price like any plan.
"""
from __future__ import annotations

import math
import re
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pulp

from allocator.backends.base import Status, relative_gap, status_from_numbers
from allocator.decision import Decision
from allocator.errors import OptionsError
from allocator.objective_coefficients import quality, quality_factors, weight_series
from allocator.schema import ALL_POOR, CELL, FIBER, NO_TECHNOLOGY, SAT, Objective, Technology

TREES = ("spt", "mst")
_SUPER = "__fixed_tree_source__"


@dataclass
class BaselineResult:
    """What a baseline decided, with the numbers of its own model.

    ``objective`` / ``bound`` / ``gap`` are those of the baseline's own model
    (the fixed-tree MIP counts each village's whole tree path); the realised
    objective of ``decision`` comes from the verifier.
    """

    name: str
    decision: Decision | None        # None: no plan (infeasible, or no solution in time)
    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    solver: str = ""
    solver_version: str = ""
    model_size: dict = field(default_factory=dict)
    message: str = ""


# --------------------------------------------------------------------------- greedy
def greedy_baseline(instance, *, budget=None) -> BaselineResult:
    """Run the engine's greedy heuristic at the instance's budget (or ``budget``).

    A greedy plan that leaves a requirement unmet (a floor, a school) has status
    ``infeasible`` and no decision: the heuristic failed, which proves nothing
    about the instance."""
    from allocator.heuristics.greedy import run_greedy

    t0 = time.perf_counter()
    result = run_greedy(instance, budget=budget)
    seconds = time.perf_counter() - t0
    if not result.feasible:
        return BaselineResult(name="greedy", decision=None, status=Status.INFEASIBLE.value, solve_seconds=seconds,
                              solver="greedy", solver_version="allocator",
                              message=f"greedy left requirements unmet: {'; '.join(result.unmet)[:300]}")
    return BaselineResult(name="greedy", decision=result.decision, status=Status.FEASIBLE.value,
                          solve_seconds=seconds, solver="greedy", solver_version="allocator")


# --------------------------------------------------------------------------- fixed tree: the tree
@dataclass(frozen=True)
class FixedTree:
    """Routes fixed before the optimisation: every reachable node's path cost from the
    backbone (budget measure) and the tree edge towards the backbone."""

    dist: dict      # node id -> path cost (backbone nodes: 0)
    parent: dict    # node id -> next node towards the backbone (absent at the backbone)
    edge_up: dict   # node id -> edge id (instance.edges index) to its parent

    def path_edges(self, node) -> list:
        """Edge ids on ``node``'s tree path to the backbone."""
        out = []
        while node in self.edge_up:
            out.append(self.edge_up[node])
            node = self.parent[node]
        return out


def fixed_tree_routes(instance, *, tree: str = "spt") -> FixedTree:
    """The tree peers fix before their MIP, computed with networkx.

    ``spt``: shortest-path tree from the backbone nodes (a super source joined to
    each backbone node at zero cost, then
    :func:`networkx.dijkstra_predecessor_and_distance`). ``mst``: the same search
    run on :func:`networkx.minimum_spanning_tree` of the trench graph, so each
    node's route is its path on the spanning tree. Unreachable nodes are absent.
    """
    if tree not in TREES:
        raise OptionsError(f"unknown fixed tree {tree!r}", fix=f"one of {', '.join(TREES)}")
    g = nx.Graph()
    g.add_nodes_from(instance.graph.nodes)
    for u, v, d in instance.graph.edges(data=True):
        g.add_edge(u, v, cost=float(instance.cost(d["capex"], d["opex"])), edge_id=d["edge_id"])
    if tree == "mst":
        g = nx.minimum_spanning_tree(g, weight="cost")
    backbone = instance.backbone_nodes
    if not backbone:
        return FixedTree({}, {}, {})
    for b in backbone:
        g.add_edge(_SUPER, b, cost=0.0, edge_id=None)
    pred, dist = nx.dijkstra_predecessor_and_distance(g, _SUPER, weight="cost")
    dist.pop(_SUPER, None)
    parent, edge_up = {}, {}
    for node, preds in pred.items():
        if node == _SUPER or not preds or _SUPER in preds:
            continue
        p = min(preds, key=str)  # ties: smallest id, so the tree is deterministic
        parent[node], edge_up[node] = p, g.edges[node, p]["edge_id"]
    return FixedTree(dict(dist), parent, edge_up)


# --------------------------------------------------------------------------- fixed tree: the model
def _rule_scope(villages, rule):
    if rule.scope == "group":
        return villages["groups"].map(lambda gs: rule.value in gs).to_numpy(bool)
    col = {"county": "county_id", "prefecture": "prefecture", "province": "province"}[rule.scope]
    return (villages[col].astype(str) == str(rule.value)).to_numpy(bool)


def _binary_maker(prob):
    """A function making a binary variable: ``prob.add_variable`` (PuLP >= 3.3), else ``LpVariable``."""
    if hasattr(prob, "add_variable"):
        return lambda name: prob.add_variable(name, 0, 1, cat=pulp.LpBinary)
    return lambda name: pulp.LpVariable(name, cat=pulp.LpBinary)


class _FixedTreeModel:
    """The PuLP model; variables are named by position so any id is safe."""

    def __init__(self, instance, dist: dict) -> None:
        self.inst = instance
        inst, pol = instance, instance.policy
        villages = inst.villages
        self.cand = villages.index[(villages["existing"].astype(str) == "none").to_numpy()]
        cv = villages.loc[self.cand]
        n = len(self.cand)
        techs = cv["technologies"].map(lambda ts: {getattr(t, "value", t) for t in ts})
        allowed = {t: np.array(techs.map(lambda s, t=t: t in s), dtype=bool) for t in (FIBER, CELL, SAT)}
        forced = np.full(n, "", dtype=object)
        for rule in pol.rules:
            mask, t = _rule_scope(cv, rule), Technology(rule.technology).value
            if rule.action == "forbid":
                allowed[t] &= ~mask
            else:
                forced[mask] = t
        nodes = cv["node"].fillna("").astype(str).to_numpy()
        allowed[FIBER] &= np.array([bool(x) and x in dist for x in nodes])
        # sites usable as the engine's model allows: microwave, or fiber at a reachable node
        sites = inst.sites
        self.site_ids = list(sites.index)
        s_node = sites["node"].fillna("").astype(str)
        self.site_fiber_ok = {s: str(sites.at[s, "backhaul"]) in ("any", "fiber") and bool(s_node[s])
                              and s_node[s] in dist for s in self.site_ids}
        self.site_micro_ok = {s: str(sites.at[s, "backhaul"]) in ("any", "microwave") for s in self.site_ids}
        usable = {s for s in self.site_ids if self.site_fiber_ok[s] or self.site_micro_ok[s]}
        cov = inst.coverage
        self.covering: dict = {}
        for s, v in zip(cov["site_id"], cov["village_id"]):
            if s in usable:
                self.covering.setdefault(v, []).append(s)
        allowed[CELL] &= np.array([v in self.covering for v in self.cand], dtype=bool)
        cap = inst.beams["capacity_mbps"].reindex(cv["beam"].astype(str)).to_numpy(float)
        demand = cv["demand_mbps"].to_numpy(float)
        allowed[SAT] &= demand <= np.nan_to_num(cap, nan=-1.0) + 1e-9
        required = forced != ""
        if pol.clinics_required:
            required = required | cv["clinic"].to_numpy(bool)
        if pol.schools_required:
            school = cv["school"].to_numpy(bool)
            need = np.maximum(demand, float(pol.school_min_mbps))
            for t in (FIBER, CELL, SAT):
                allowed[t] &= ~school | (inst.costs.mbps(t) >= need - 1e-9)
            required = required | school
        for t in (FIBER, CELL, SAT):
            allowed[t] &= (forced == "") | (forced == t)
        self.allowed, self.required, self.demand = allowed, required, demand
        self.cv = cv
        # costs in the budget measure; fiber: the whole tree path, no sharing
        drop = inst.cost(cv["fiber_capex"].to_numpy(float), cv["fiber_opex"].to_numpy(float))
        path = np.array([dist.get(x, math.inf) if x else math.inf for x in nodes])
        self.cost = {FIBER: np.where(allowed[FIBER], drop + np.where(np.isfinite(path), path, 0.0), 0.0),
                     SAT: inst.cost(cv["satellite_capex"].to_numpy(float), cv["satellite_opex"].to_numpy(float)),
                     CELL: np.zeros(n)}
        self.site_cost_fiber = {s: float(inst.cost(sites.at[s, "capex"], sites.at[s, "opex"])) + dist.get(s_node[s], 0.0)
                                for s in self.site_ids if self.site_fiber_ok[s]}
        self.site_cost_micro = {s: float(inst.cost(sites.at[s, "capex"] + sites.at[s, "backhaul_capex"],
                                                   sites.at[s, "opex"] + sites.at[s, "backhaul_opex"]))
                                for s in self.site_ids if self.site_micro_ok[s]}
        # the engine's objective coefficients (allocator/objective_coefficients.py): the baseline
        # differs in how it routes fiber, never in what a covered village is worth
        self.weight = weight_series(inst).reindex(self.cand).to_numpy(float)
        factors = quality_factors(inst)
        self.quality = {t: quality(factors, t) for t in (FIBER, CELL, SAT)}
        self.site_nodes = s_node

    def build(self, objective: Objective):
        inst, pol = self.inst, self.inst.policy
        sense = pulp.LpMinimize if objective is Objective.MIN_COST else pulp.LpMaximize
        prob = pulp.LpProblem("fixed_tree", sense)
        binary = _binary_maker(prob)
        x = {}
        for t_i, t in enumerate((FIBER, CELL, SAT)):
            for i in np.flatnonzero(self.allowed[t]):
                x[int(i), t] = binary(f"x_{i}_{t_i}")
        yf = {s: binary(f"yf_{k}") for k, s in enumerate(self.site_ids) if s in self.site_cost_fiber}
        ym = {s: binary(f"ym_{k}") for k, s in enumerate(self.site_ids) if s in self.site_cost_micro}
        self.x, self.yf, self.ym = x, yf, ym
        by_village: dict = {}
        for (i, t), var in x.items():
            by_village.setdefault(i, []).append(var)
        for i in range(len(self.cand)):
            vars_i = by_village.get(i, [])
            if self.required[i]:
                prob += pulp.lpSum(vars_i) == 1, f"required_{i}"  # no option left: infeasible, as it should be
            elif len(vars_i) > 1:
                prob += pulp.lpSum(vars_i) <= 1, f"choice_{i}"
        for s in self.site_ids:
            if s in yf and s in ym:
                prob += yf[s] + ym[s] <= 1, f"backhaul_{self.site_ids.index(s)}"
        for (i, t), var in x.items():
            if t == CELL:
                opened = [d[s] for s in self.covering[self.cand[i]] for d in (yf, ym) if s in d]
                prob += var <= pulp.lpSum(opened), f"served_{i}"
        # beams
        beams = self.cv["beam"].astype(str).to_numpy()
        cap = inst.beams["capacity_mbps"]
        for b in sorted(set(beams[[i for (i, t) in x if t == SAT]])) if any(t == SAT for _, t in x) else []:
            terms = [(x[i, SAT], self.demand[i]) for i in np.flatnonzero(beams == b) if (i, SAT) in x]
            if terms and sum(d for _, d in terms) > float(cap[b]) + 1e-9:
                prob += pulp.LpAffineExpression(terms) <= float(cap[b]), f"beam_{b}"
        # floors: share of a group's registered poor villages covered (existing ones count)
        villages = inst.villages
        pos = {v: i for i, v in enumerate(self.cand)}
        for group, floor in sorted(pol.floors().items()):
            members = inst.group_members(group)
            members = members[villages.loc[members, "poor"].astype(bool).to_numpy()]
            if len(members) == 0:
                continue
            already = int((villages.loc[members, "existing"].astype(str) != "none").sum())
            need = math.ceil(floor * len(members) - 1e-9) - already
            if need > 0:
                terms = [var for v in members if v in pos for var in by_village.get(pos[v], [])]
                prob += pulp.lpSum(terms) >= need, f"floor_{re.sub(r'[^A-Za-z0-9]', '_', group)}"
        cost_expr = pulp.LpAffineExpression(
            [(var, float(self.cost[t][i])) for (i, t), var in x.items() if self.cost[t][i] != 0]
            + [(yf[s], self.site_cost_fiber[s]) for s in yf] + [(ym[s], self.site_cost_micro[s]) for s in ym])
        if inst.budget is not None:
            prob += cost_expr <= float(inst.budget), "budget"
        self.cost_expr = cost_expr
        self.coverage_expr = pulp.LpAffineExpression(
            [(var, float(self.weight[i] * self.quality[t])) for (i, t), var in x.items()])
        prob.setObjective(cost_expr if objective is Objective.MIN_COST else self.coverage_expr)
        return prob

    def decision(self, routes: FixedTree) -> Decision:
        inst = self.inst
        tech = {v: NO_TECHNOLOGY for v in inst.villages.index}
        opened = {}
        for s, var in self.yf.items():
            if (var.varValue or 0) > 0.5:
                opened[s] = "fiber"
        for s, var in self.ym.items():
            if (var.varValue or 0) > 0.5 and s not in opened:
                opened[s] = "microwave"
        site_of, built = {}, set()
        for (i, t), var in sorted(self.x.items(), key=lambda kv: kv[0]):
            if (var.varValue or 0) > 0.5:
                v = self.cand[i]
                tech[v] = t
                if t == CELL:
                    site_of[v] = min((s for s in self.covering[v] if s in opened), key=str)
                elif t == FIBER:
                    built.update(routes.path_edges(str(self.cv.at[v, "node"])))
        for s, b in opened.items():
            if b == "fiber":
                built.update(routes.path_edges(self.site_nodes[s]))
        return Decision(technology=tech, site_of=site_of, built_edges=frozenset(built), opened_sites=opened)


# --------------------------------------------------------------------------- CBC through PuLP
_LOG_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"


def parse_cbc_log(text: str) -> dict:
    """Result line, objective value, bound and gap from a CBC log (CBC prints the bound
    as "Lower bound" when minimising, "Upper bound" when maximising; no bound line
    when it proved optimality outright)."""
    out: dict = {}
    m = re.search(r"^Result - (.+)$", text, re.M) or re.search(r"^(Problem is infeasible)", text, re.M)
    out["result"] = m.group(1).strip() if m else ""
    for key, label in (("objective", "Objective value"), ("bound", "(?:Lower|Upper) bound"), ("gap", "Gap")):
        m = re.search(rf"^{label}:\s+({_LOG_NUMBER})", text, re.M)
        if m:
            out[key] = float(m.group(1))
    return out


def cbc_version() -> str:
    from .machine import cbc_version as version
    return f"CBC {version() or '?'} (PuLP {pulp.__version__})"


def _solve_cbc(prob, *, time_limit, gap, threads, seed, log_dir, warm_start=False):
    """Solve with CBC; status, objective and bound from CBC's own numbers."""
    log = Path(tempfile.mkstemp(prefix="cbc-", suffix=".log", dir=log_dir)[1])
    options = [f"randomSeed {int(seed) + 1}"] if seed is not None else []  # CBC needs a positive seed
    with warnings.catch_warnings():  # PuLP 3.3 deprecates its bundled CBC, which is what peers run
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit, gapRel=gap, threads=threads,
                                   logPath=str(log), options=options, warmStart=warm_start)
    t0 = time.perf_counter()
    prob.solve(solver)
    seconds = time.perf_counter() - t0
    info = parse_cbc_log(log.read_text(errors="replace") if log.exists() else "")
    has_solution = prob.sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    objective = pulp.value(prob.objective) if has_solution else None
    if objective is None and has_solution:
        objective = 0.0  # an empty objective expression
    bound = None
    if has_solution:
        if "bound" in info:
            bound = info["bound"]
        elif info.get("result", "").startswith("Optimal solution found"):
            bound = objective
    sense = "max" if prob.sense == pulp.LpMaximize else "min"
    g = relative_gap(objective, bound, sense)
    infeasible = prob.status == pulp.LpStatusInfeasible or "infeasible" in info.get("result", "").lower()
    status = status_from_numbers(has_solution, g, proven_infeasible=infeasible and not has_solution)
    return status, objective, bound, g, seconds, info.get("result", "")


def fixed_tree(instance, *, tree: str = "spt", objective=None, time_limit: float | None = None,
               gap: float = 0.0, threads: int | None = None, seed: int = 0) -> BaselineResult:
    """Solve ``instance`` the way peers do: routes fixed first, then a monolithic PuLP/CBC MIP.

    Parameters
    ----------
    instance : a loaded :class:`~allocator.instance.Instance`.
    tree : ``spt`` (shortest-path tree from the backbone) or ``mst`` (minimum spanning tree).
    objective : ``max-coverage``, ``min-cost`` or ``lexicographic`` (default: the
        instance's). Lexicographic is solved in two stages, as peers do ("max
        users, then min TCO"): max coverage, then min cost at that coverage.
    time_limit, gap, threads, seed : handed to CBC (the time limit covers both stages).

    Returns
    -------
    BaselineResult
        The decision (the chosen villages' and fiber-backhauled sites' tree paths as
        built edges) and the MIP's own objective, bound, gap and status (those of
        the first stage for a lexicographic objective).
    """
    kind = objective if objective is not None else instance.objective
    kind = Objective(getattr(kind, "value", kind))
    t0 = time.perf_counter()
    routes = fixed_tree_routes(instance, tree=tree)
    model = _FixedTreeModel(instance, routes.dist)
    prob = model.build(Objective.MIN_COST if kind is Objective.MIN_COST else Objective.MAX_COVERAGE)
    build = time.perf_counter() - t0
    size = {"variables": prob.numVariables(), "integer_variables": prob.numVariables(),
            "constraints": prob.numConstraints()}
    with tempfile.TemporaryDirectory(prefix="fixed-tree-") as tmp:
        status, obj, bound, g, solve_s, raw = _solve_cbc(prob, time_limit=time_limit, gap=gap,
                                                         threads=threads, seed=seed, log_dir=tmp)
        if kind is Objective.LEXICOGRAPHIC and obj is not None:
            stage1 = {var.name: var.varValue for var in prob.variables()}
            t1 = time.perf_counter()
            prob += model.coverage_expr >= obj - 1e-6 * max(1.0, abs(obj)), "coverage_of_stage_1"
            prob.sense = pulp.LpMinimize
            prob.setObjective(model.cost_expr)
            build += time.perf_counter() - t1
            left = None if time_limit is None else max(time_limit - solve_s, 1.0)
            status2, obj2, *_rest, solve2, raw2 = _solve_cbc(prob, time_limit=left, gap=gap, threads=threads,
                                                             seed=seed, log_dir=tmp, warm_start=True)
            solve_s += solve2
            raw = f"{raw}; then min cost: {raw2}"
            if obj2 is None:  # stage 2 found nothing in time: keep stage 1's plan
                for var in prob.variables():
                    var.varValue = stage1.get(var.name)
    decision = model.decision(routes) if obj is not None else None
    return BaselineResult(name="fixed-tree", decision=decision, status=Status(status).value, objective=obj,
                          bound=bound, gap=g, build_seconds=build, solve_seconds=solve_s, solver="cbc",
                          solver_version=cbc_version(), model_size=size, message=f"CBC: {raw or 'no result line'}")


# --------------------------------------------------------------------------- fixed formulation
def fixed_formulation_scope(instance) -> str | None:
    """Why the textbook model cannot express ``instance`` (None: it can).

    The model is the rooted (prize-collecting) Steiner tree problem: minimum
    cost, no budget, every village covered by fiber or, where allowed, by
    satellite at its price; no 4G, no technology rules, no school bandwidth."""
    v = instance.villages
    cand = v[(v["existing"].astype(str) == "none").to_numpy()]
    pol = instance.policy
    techs = cand["technologies"].map(lambda ts: {getattr(t, "value", t) for t in ts})
    if Objective(getattr(instance.objective, "value", instance.objective)) is not Objective.MIN_COST:
        return "objective is not min-cost"
    if instance.budget is not None:
        return "the instance has a budget"
    if not instance.backbone_nodes:
        return "no backbone node"
    if len(instance.sites) or techs.map(lambda s: CELL in s).any():
        return "the instance has 4G sites"
    if pol.rules or pol.schools_required or pol.clinics_required:
        return "technology rules or school/clinic requirements"
    poor = v["poor"].astype(bool)
    if any(f != 1.0 for f in pol.floors().values()) or not poor.all() or set(pol.floors()) != {ALL_POOR}:
        return "coverage floors other than 'every village'"
    if not techs.map(lambda s: bool(s & {FIBER, SAT})).all():
        return "a village has neither fiber nor satellite"
    sat = techs.map(lambda s: SAT in s).to_numpy(bool)
    demand = cand["demand_mbps"].to_numpy(float)[sat]
    load = pd.Series(demand).groupby(cand["beam"].astype(str).to_numpy()[sat]).sum()
    cap = instance.beams["capacity_mbps"].reindex(load.index).to_numpy(float)
    if (load.to_numpy() > np.nan_to_num(cap, nan=-1.0) + 1e-9).any():
        return "satellite beams could run short"
    return None


def fixed_formulation(instance, *, time_limit: float | None = None, gap: float = 0.0,
                      threads: int | None = None, seed: int = 0) -> BaselineResult:
    """The textbook exact model an engineer writes in an afternoon: directed
    multi-commodity flow, solved by HiGHS through :func:`scipy.optimize.milp`.

    Every undirected trench ``{u, v}`` gives two arcs with binaries ``x_uv``,
    ``x_vu`` (cost of the trench each); one commodity per village ``k`` sends
    ``y_k`` units from the backbone (a super source joined to every backbone
    node) to the village's node, ``0 <= f^k_a <= x_a``; every node has in-degree
    ``<= 1``; ``y_k`` is 1 for a fiber-only village, binary otherwise, and a
    village without fiber pays its satellite price (its prize). Minimise trench
    costs + drops of fiber villages + satellite prices of the others
    (Wong 1984; Ljubic et al. 2006 for the prize-collecting form).

    Instances the model cannot express (4G sites, budgets, rules ...,
    :func:`fixed_formulation_scope`) get status ``skipped`` and no plan.
    ``threads`` is not settable through scipy's interface; ``seed`` is unused
    (HiGHS's default seed, so runs are deterministic).
    """
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_array

    version = _scipy_highs_version()
    reason = fixed_formulation_scope(instance)
    if reason is not None:
        return BaselineResult(name="fixed-formulation", decision=None, status="skipped", solver="highs",
                              solver_version=version, message=f"textbook Steiner model does not apply: {reason}")
    t0 = time.perf_counter()
    v = instance.villages
    cand = v.index[(v["existing"].astype(str) == "none").to_numpy()]
    g = instance.graph
    src = "__fixed_formulation_source__"
    backbone = set(instance.backbone_nodes)
    # arcs: both directions of every trench, none into a backbone node; source -> backbone at 0
    tails, heads, cost, edge_of = [], [], [], []
    for u, w, d in g.edges(data=True):
        c = float(instance.cost(d["capex"], d["opex"]))
        for a, b in ((u, w), (w, u)):
            if b not in backbone:
                tails.append(a), heads.append(b), cost.append(c), edge_of.append(d["edge_id"])
    for b in sorted(backbone):
        tails.append(src), heads.append(b), cost.append(0.0), edge_of.append(None)
    nodes = [src] + list(g.nodes)
    index = {n: i for i, n in enumerate(nodes)}
    tail = np.array([index[a] for a in tails])
    head = np.array([index[b] for b in heads])
    n_arcs, n_nodes = len(tails), len(nodes)
    # villages: fiber possible (node reachable) / satellite possible
    techs = v.loc[cand, "technologies"].map(lambda ts: {getattr(t, "value", t) for t in ts})
    vnode = v.loc[cand, "node"].fillna("").astype(str)
    fiber_ok = np.array([FIBER in techs[k] and vnode[k] in index for k in cand], dtype=bool)
    sat_ok = np.array([SAT in techs[k] for k in cand], dtype=bool)
    drop = np.asarray(instance.cost(v.loc[cand, "fiber_capex"].to_numpy(float),
                                    v.loc[cand, "fiber_opex"].to_numpy(float)), dtype=float)
    price = np.asarray(instance.cost(v.loc[cand, "satellite_capex"].to_numpy(float),
                                     v.loc[cand, "satellite_opex"].to_numpy(float)), dtype=float)
    price = np.where(sat_ok, np.nan_to_num(price), 0.0)
    # a village already at a backbone node needs no flow
    at_backbone = np.array([vnode[k] in backbone for k in cand], dtype=bool)
    comm = [i for i in range(len(cand)) if fiber_ok[i] and not at_backbone[i]]
    K = len(comm)
    n_y = len(cand)
    # variable layout: x (n_arcs) | y (n_y) | f (K * n_arcs)
    off_f = n_arcs + n_y
    n_var = off_f + K * n_arcs
    c = np.zeros(n_var)
    c[:n_arcs] = cost
    c[n_arcs:off_f] = np.where(fiber_ok, drop - price, 0.0)
    constant = float(price.sum())
    lb = np.zeros(n_var)
    ub = np.ones(n_var)
    # y: 1 when fiber is the only option, 0 when fiber is impossible
    y_lb = np.where(fiber_ok & ~sat_ok, 1.0, 0.0)
    y_ub = np.where(fiber_ok, 1.0, 0.0)
    lb[n_arcs:off_f], ub[n_arcs:off_f] = y_lb, y_ub
    integrality = np.zeros(n_var)
    integrality[:off_f] = 1
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    arcs = np.arange(n_arcs)
    for j, i in enumerate(comm):
        base = off_f + j * n_arcs
        t = index[vnode[cand[i]]]
        # conservation at every node: inflow - outflow = y (terminal), -y (source), 0 otherwise
        rows += [r + head, r + tail]
        cols += [base + arcs, base + arcs]
        vals += [np.ones(n_arcs), -np.ones(n_arcs)]
        rows += [np.array([r + t, r + index[src]])]
        cols += [np.array([n_arcs + i, n_arcs + i])]
        vals += [np.array([-1.0, 1.0])]
        lo.append(np.zeros(n_nodes)), hi.append(np.zeros(n_nodes))
        r += n_nodes
        # coupling f^k_a <= x_a
        rows += [r + arcs, r + arcs]
        cols += [base + arcs, arcs]
        vals += [np.ones(n_arcs), -np.ones(n_arcs)]
        lo.append(np.full(n_arcs, -np.inf)), hi.append(np.zeros(n_arcs))
        r += n_arcs
    # in-degree <= 1
    rows += [r + head]
    cols += [arcs]
    vals += [np.ones(n_arcs)]
    lo.append(np.full(n_nodes, -np.inf)), hi.append(np.ones(n_nodes))
    r += n_nodes
    a = coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                  shape=(r, n_var)).tocsr()
    build = time.perf_counter() - t0
    options = {"disp": False, "mip_rel_gap": float(gap)}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    t1 = time.perf_counter()
    res = milp(c, constraints=LinearConstraint(a, np.concatenate(lo), np.concatenate(hi)),
               integrality=integrality, bounds=Bounds(lb, ub), options=options)
    solve = time.perf_counter() - t1
    size = {"variables": n_var, "integer_variables": off_f, "constraints": r, "nonzeros": int(a.nnz)}
    has_plan = res.x is not None
    objective = float(res.fun) + constant if has_plan else None
    dual = getattr(res, "mip_dual_bound", None)
    bound = float(dual) + constant if dual is not None and np.isfinite(dual) else None
    if has_plan and res.status == 0:
        bound = objective if bound is None else bound
    g_rel = relative_gap(objective, bound, "min")
    status = status_from_numbers(has_plan, g_rel, proven_infeasible=res.status == 2)
    decision = None
    if has_plan:
        x = res.x
        built = frozenset(edge_of[k] for k in range(n_arcs) if x[k] > 0.5 and edge_of[k] is not None)
        y = x[n_arcs:off_f]
        tech = {k: NO_TECHNOLOGY for k in v.index}
        for i, k in enumerate(cand):
            tech[k] = FIBER if fiber_ok[i] and y[i] > 0.5 else SAT
        decision = Decision(technology=tech, built_edges=built)
    return BaselineResult(name="fixed-formulation", decision=decision, status=Status(status).value,
                          objective=objective, bound=bound, gap=g_rel, build_seconds=build, solve_seconds=solve,
                          solver="highs", solver_version=version, model_size=size,
                          message=f"scipy milp: {res.message}")


def _scipy_highs_version() -> str:
    import scipy
    return f"HiGHS (scipy {scipy.__version__} milp)"


# --------------------------------------------------------------------------- restricted mode
#: the backend the restricted baseline runs on (the engine's default)
RESTRICTED_SOLVER = "highs"


#: the engine's mode of a case -> the restricted mode at the same scale
RESTRICTED_MODE = {"exact": "restricted", "restricted": "restricted", "decomposed-exact": "decomposed",
                   "decomposed": "decomposed"}


def restricted_baseline(instance, *, mode: str = "exact", time_limit: float | None = None, gap: float = 0.0,
                        threads: int | None = None, seed: int = 0,
                        solver: str = RESTRICTED_SOLVER) -> BaselineResult:
    """The restricted counterpart of the case's ``mode`` (monolithic restricted, or the decomposition
    with restricted county models) on ``solver``: the restricted model's own status, bound and gap,
    with the exact problem's bound and gap in the message."""
    mode = RESTRICTED_MODE.get(mode, "restricted")
    from allocator.errors import InfeasibleError, SolverError
    from allocator.solve import solve

    t0 = time.perf_counter()
    common = dict(name="restricted", solver=f"restricted/{solver}")
    try:
        plan = solve(instance, solver=solver, mode=mode, time_limit=time_limit, gap=gap, threads=threads,
                     seed=seed)
    except InfeasibleError as err:
        return BaselineResult(decision=None, status=Status.INFEASIBLE.value, solve_seconds=time.perf_counter() - t0,
                              message=str(err).splitlines()[0], **common)
    except SolverError as err:
        text = str(err).splitlines()[0]
        return BaselineResult(decision=None, status="time_limit" if "time limit" in text.lower() else "error",
                              solve_seconds=time.perf_counter() - t0, message=text, **common)
    s = plan.summary
    exact_gap = s.get("gap")
    message = (f"restricted model's own figures; for the problem posed: bound {s.get('bound')}, gap "
               f"{'n/a' if exact_gap is None else format(exact_gap, '.4%')} ({s.get('bound_source')})")
    own_status = s.get("restricted_status") or s.get("status")
    return BaselineResult(decision=plan.decision, status=own_status, objective=s.get("objective"),
                          bound=s.get("restricted_bound"), gap=s.get("restricted_gap"),
                          build_seconds=s.get("build_seconds") or 0.0, solve_seconds=s.get("solve_seconds") or 0.0,
                          solver_version=f"{s.get('solver_version')} (--mode {mode})",
                          model_size=s.get("model_size") or {}, message=message, **common)
