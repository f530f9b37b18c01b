"""Directed cuts for the fiber network, separated on the LP relaxation.

For a lit terminal ``t`` and any node set ``S`` holding ``t`` but not the root,
fiber must enter ``S``:

    y(delta_in(S)) >= z_t.

These rows are valid for every feasible plan (a lit terminal is joined to the
root by built arcs), whatever the objective. All of them together give the LP
bound of the multi-commodity flow, without its |T| x |A| columns; the
aggregated flow of fiber.py stays in the model and keeps integer solutions
exact, so a cut that is never found costs bound, never correctness.

Separation: a maximum flow from the root to ``t`` with the LP's arc values as
capacities (OR-Tools' SimpleMaxFlow, integer capacities in millionths). A flow
short of ``z_t`` gives the violated cut at the sink side of a minimum cut
(a "back cut": the smallest ``S`` around ``t``, the strongest). Nested cuts:
after a cut is found its arcs are saturated and the flow re-run, so one round
yields several cuts per terminal. The loop stops when no cut is violated, the
bound stops moving, or its time is up; the rows tight at the last LP are added
to the model the MIP solver gets.
"""
from __future__ import annotations

import time

import numpy as np

#: capacities are LP values times this, rounded (SimpleMaxFlow takes integers)
_SCALE = 1_000_000
#: a cut is added when it is violated by more than this
_VIOLATION = 1e-4
#: cuts found per terminal and round (nested cuts)
_NESTED = 4
#: cuts added per round at most: this many, or one per terminal when there are more
#: (province preset, 5,900 terminals: cut loop 10.2 s with one per terminal, 13.0 s with 1,000)
_MAX_CUTS_PER_ROUND = 1000
#: added to every capacity (in millionths): among minimum cuts, prefer those with
#: fewer arcs. Sparse cuts make the LP faster and the bound climb sooner (SteinLib
#: c18: bound 112.19 after 31 rounds, 14 s, with 1e-3; 109.5 after 53 rounds with 0)
_EPS_CAP = 1000
#: rounds over which a bound that moved less than a millionth ends the loop
#: (the cut LPs are degenerate: the bound can stay flat for a few rounds while
#: the cuts change the solution). Rounds that had to leave cuts for later (more
#: than the cap per round violated) do not count: under a budget the coverage
#: bound stays flat at "everything covered" until the cuts have priced the
#: routes (province preset: flat for 10 capped rounds, then 0.65% lower)
_TAIL = 10


def separate(form, relaxation, *, seconds: float, max_rounds: int = 200) -> dict:
    """Run the cutting-plane loop on ``relaxation`` (an LP of ``form.model``,
    see backends/highs.py:LpRelaxation) for at most ``seconds`` and append the
    cuts tight at its last LP to ``form.model``. Returns figures for the summary."""
    t0 = time.perf_counter()
    net, cols = form.network, form.columns
    y = getattr(cols, "arc", None)
    z = getattr(cols, "terminal", None) or {}
    stats = {"rounds": 0, "cuts_found": 0, "cuts_kept": 0, "lp_bound_before": None, "lp_bound_after": None,
             "lp_safe_bound": None, "seconds": 0.0}
    if y is None or not z:
        return stats
    arcs = np.flatnonzero(y >= 0)
    ycol = y[arcs]
    tails, heads = net.arc_tail[arcs], net.arc_head[arcs]
    terminals = np.array(sorted(z), dtype=np.int64)
    separator = _Separator(tails, heads, net.component, terminals)
    zcol = np.array([z[int(t)] for t in terminals], dtype=np.int64)

    cuts: list[tuple[int, np.ndarray]] = []          # (terminal column, arc positions)
    seen: set = set()
    history: list[float] = []
    tail: list[float] = []   # bounds of LPs that had seen every cut found before them
    backlog = False          # the last round left violated cuts out (the per-round cap)
    x = last_x = None
    seen_by_last = 0
    for rnd in range(max_rounds):
        left = seconds - (time.perf_counter() - t0)
        if left <= 0:
            break
        solved = relaxation.solve(left)
        if solved is None:
            break
        x, bound = solved
        last_x, seen_by_last = x, len(cuts)
        history.append(bound)
        if stats["lp_bound_before"] is None:
            stats["lp_bound_before"] = bound
        stats["rounds"] = rnd + 1
        if not backlog:
            tail.append(bound)
            if len(tail) > _TAIL and abs(tail[-_TAIL - 1] - bound) <= 1e-6 * max(1.0, abs(bound)):
                break  # tailing off: the last rounds moved the bound by less than one millionth
        yv = np.clip(x[ycol], 0.0, 1.0)
        new = []
        for eps in (_EPS_CAP, 0):  # exact capacities once the sparse-preferring ones find nothing
            for zc, cut in separator.violated(yv, x[zcol], zcol, eps):
                key = (zc, cut.tobytes())
                if key not in seen:
                    seen.add(key)  # also guards against one cut found twice in this round
                    new.append((zc, cut))
            if new:
                break
        if not new:
            break
        cap = max(_MAX_CUTS_PER_ROUND, len(terminals))
        backlog = len(new) > cap
        if backlog:  # the most violated first: a huge round slows every LP after it
            slack = np.array([yv[cut].sum() - x[zc] for zc, cut in new])
            order = np.argsort(slack, kind="stable")
            for i in order[cap:]:  # left for a later round: they may be found again
                seen.discard((new[i][0], new[i][1].tobytes()))
            new = [new[i] for i in order[:cap]]
        cuts.extend(new)
        relaxation.add_rows(*_rows(new, ycol))
        if time.perf_counter() - t0 >= seconds:
            break
    stats["cuts_found"] = len(cuts)
    stats["lp_bound_after"] = history[-1] if history else None
    # the last optimal LP's safe dual bound (allocator/solve/safe_bound.py): what a proof may use
    stats["lp_safe_bound"] = getattr(relaxation, "safe_bound", None) if history else None
    stats["lp_certificate"] = getattr(relaxation, "certificate", None) if history else None
    if cuts and last_x is not None:
        # keep the cuts tight at the last LP solved (dropping slack rows keeps its optimum); cuts
        # found after it were never checked against an LP, and a stalled loop can find thousands
        keep = [c for c in cuts[:seen_by_last] if last_x[ycol[c[1]]].sum() - last_x[c[0]] <= 1e-6]
        if keep:
            add_to(form.model, form, keep)
        stats["cuts_kept"] = len(keep)
    stats["seconds"] = time.perf_counter() - t0
    stats["lp_solution"] = last_x
    return stats


class _Separator:
    """Minimum root -> terminal cuts, one max-flow graph per branch of the network
    (the part behind one backbone entry): a terminal's flow never leaves its branch,
    and a province's 3,000 terminals would otherwise each pay for all its arcs."""

    def __init__(self, tails, heads, component, terminals):
        from ortools.graph.python import max_flow

        self.parts = []
        branch_of_arc = component[heads]
        term_branch = component[terminals]
        for b in np.unique(term_branch):
            pos = np.flatnonzero(branch_of_arc == b)
            nodes = np.unique(np.concatenate([[0], tails[pos], heads[pos]]))  # the root is local node 0
            lt, lh = np.searchsorted(nodes, tails[pos]), np.searchsorted(nodes, heads[pos])
            flow = max_flow.SimpleMaxFlow()
            idx = flow.add_arcs_with_capacity(lt.astype(np.int64), lh.astype(np.int64), np.zeros(len(pos), np.int64))
            which = np.flatnonzero(term_branch == b)
            self.parts.append((flow, idx, pos, lt, lh, len(nodes), which, np.searchsorted(nodes, terminals[which])))

    def violated(self, yv, zv, zcol, eps: int):
        """(z column, arc positions) of violated cuts, up to _NESTED per lit terminal."""
        base_all = np.rint(yv * _SCALE).astype(np.int64) + eps
        for flow, idx, pos, lt, lh, n_nodes, which, local in self.parts:
            base, ypart = base_all[pos], yv[pos]
            for k, t in zip(which, local):
                zt = zv[k]
                if zt <= _VIOLATION:
                    continue
                caps = base.copy()
                for _ in range(_NESTED):
                    flow.set_arcs_capacity(idx, caps)
                    if flow.solve(0, int(t)) != flow.OPTIMAL or flow.optimal_flow() >= (zt - _VIOLATION) * _SCALE:
                        break
                    inside = np.zeros(n_nodes, dtype=bool)
                    inside[np.asarray(flow.get_sink_side_min_cut(), dtype=np.int64)] = True
                    cut = np.flatnonzero(inside[lh] & ~inside[lt])
                    if ypart[cut].sum() < zt - _VIOLATION:
                        yield int(zcol[k]), pos[cut]
                    caps[cut] = _SCALE  # nested: look for the next cut behind this one


def _rows(cuts, ycol):
    """CSR pieces of y(cut) - z_t >= 0 for each (z column, arc positions)."""
    index, value, starts = [], [], [0]
    for zc, cut in cuts:
        index.append(np.concatenate([ycol[cut], [zc]]))
        value.append(np.concatenate([np.ones(len(cut)), [-1.0]]))
        starts.append(starts[-1] + len(cut) + 1)
    n = len(cuts)
    return np.zeros(n), np.full(n, np.inf), np.array(starts), np.concatenate(index), np.concatenate(value)


def add_to(model, form, cuts) -> None:
    """Append (z column, arc positions) cuts to ``model`` as rows y(cut) - z >= 0."""
    y = form.columns.arc
    ycol = y[np.flatnonzero(y >= 0)]
    lo, hi, starts, index, value = _rows(cuts, ycol)
    model.add_rows(np.repeat(np.arange(len(cuts)), np.diff(starts)), index, value, lo, hi)
