"""Turn result rows into results.md and plots (matplotlib, Agg backend: no display needed)."""
from __future__ import annotations

import math
import statistics
from collections import defaultdict
from pathlib import Path

from .suites import BASELINES, ENGINE_SOLVERS

SOLVED = ("optimal", "feasible")


# --------------------------------------------------------------------------- helpers
def _f(x, fmt=".3g", dash="-") -> str:
    if x is None or x == "":
        return dash
    if isinstance(x, bool):
        return "yes" if x else "**no**"
    if isinstance(x, str):
        return x
    if isinstance(x, float) and not math.isfinite(x):
        return str(x)
    return format(x, fmt)


def _pct(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, str) or not math.isfinite(x):
        return "inf"
    return f"{100 * x:.2f}%"


def _num(x):
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, str):
        return math.inf if x == "inf" else None
    return float(x)


def solver_order(rows) -> list[str]:
    names = {r["solver"] for r in rows}
    order = [s for s in ENGINE_SOLVERS if s in names] + sorted(names - set(ENGINE_SOLVERS) - set(BASELINES))
    return order + [b for b in BASELINES if b in names]


def size_of(row) -> int | None:
    """Instance size on the plots' x axis: villages + network nodes + edges + sites."""
    parts = [row.get(k) for k in ("villages", "nodes", "edges", "sites")]
    if all(p is None for p in parts):
        return None
    return int(sum(p or 0 for p in parts))


def advantage(row, against: str) -> float | None:
    """How much better the engine is than a baseline: engine/baseline when maximising,
    baseline/engine when minimising; > 1 means the engine's plan is better."""
    r = _num(row.get(f"objective_vs_{against}"))
    if r is None or r <= 0:
        return None
    return r if row.get("objective_sense") != "min" else 1.0 / r


def _median(xs):
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    return statistics.median(xs) if xs else None


def _range(xs) -> str:
    xs = [x for x in xs if x is not None and math.isfinite(x)]
    if not xs:
        return "-"
    return f"{min(xs):.3f}-{max(xs):.3f}" if len(xs) > 1 else f"{xs[0]:.3f}"


# --------------------------------------------------------------------------- tables
def summary_table(rows) -> list[str]:
    """Per family and solver: status counts, times, worst gap, known optima, verifier."""
    lines = ["| family | solver | runs | optimal | feasible | other | median wall s | max wall s | max gap "
             "| known optima matched | bound valid | verified | median peak MB |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    groups = defaultdict(list)
    for r in rows:
        groups[(r.get("family"), r["solver"])].append(r)
    order = {s: i for i, s in enumerate(solver_order(rows))}
    for (fam, solver), rs in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), order.get(kv[0][1], 99))):
        n = len(rs)
        opt = sum(r.get("status") == "optimal" for r in rs)
        feas = sum(r.get("status") == "feasible" for r in rs)
        others = sorted({r.get("status") for r in rs} - set(SOLVED))
        walls = [_num(r.get("wall_seconds")) for r in rs]
        gaps = [_num(r.get("gap")) for r in rs if r.get("status") in SOLVED]
        gaps = [g for g in gaps if g is not None]
        known = [r.get("matches_optimum") for r in rs if r.get("matches_optimum") is not None]
        bounds = [r.get("bound_valid") for r in rs if r.get("bound_valid") is not None]
        ver = [r.get("verified") for r in rs if r.get("verified") is not None]
        mem = _median([_num(r.get("peak_memory_mb")) for r in rs])
        other = f"{n - opt - feas} ({', '.join(others)})" if n - opt - feas else "0"
        lines.append(
            f"| {fam} | {solver} | {n} | {opt} | {feas} | {other} | {_f(_median(walls), '.3f')} | "
            f"{_f(max([w for w in walls if w is not None], default=None), '.3f')} | "
            f"{_pct(max(gaps)) if gaps else '-'} | "
            f"{f'{sum(known)}/{len(known)}' if known else '-'} | {f'{sum(bounds)}/{len(bounds)}' if bounds else '-'} | "
            f"{f'{sum(ver)}/{len(ver)}' if ver else '-'} | {_f(mem, '.0f')} |")
    return lines


def baseline_table(rows) -> list[str]:
    """Per family and engine solver: advantage over greedy and fixed tree, time ratio."""
    lines = ["| family | solver | sense | engine vs greedy: median (range) | engine vs fixed tree: median (range) "
             "| time / fixed-tree time: median (range) | comparable time ratios |",
             "|---|---|---|---:|---:|---:|---:|"]
    groups = defaultdict(list)
    for r in rows:
        if r.get("role") == "engine":
            groups[(r.get("family"), r["solver"])].append(r)
    order = {s: i for i, s in enumerate(solver_order(rows))}
    for (fam, solver), rs in sorted(groups.items(), key=lambda kv: (str(kv[0][0]), order.get(kv[0][1], 99))):
        g = [advantage(r, "greedy") for r in rs]
        t = [advantage(r, "fixed_tree") for r in rs]
        tr = [_num(r.get("time_vs_fixed_tree")) for r in rs]
        kinds = defaultdict(int)
        for r in rs:
            if r.get("time_vs_fixed_tree_kind"):
                kinds[r["time_vs_fixed_tree_kind"]] += 1
        sense = sorted({r.get("objective_sense") or "?" for r in rs})
        kind_text = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "-"
        lines.append(f"| {fam} | {solver} | {'/'.join(sense)} | {_f(_median(g), '.4f')} ({_range(g)}) | "
                     f"{_f(_median(t), '.4f')} ({_range(t)}) | {_f(_median(tr), '.3f')} ({_range(tr)}) | {kind_text} |")
    return lines


def runs_table(rows) -> list[str]:
    lines = ["| case | family | villages | edges | sites | solver | mode | status | objective | bound | gap "
             "| variables | constraints | build s | solve s | wall s | peak MB | known optimum | matches | verified |",
             "|---|---|---:|---:|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    order = {s: i for i, s in enumerate(solver_order(rows))}
    for r in sorted(rows, key=lambda r: (str(r.get("family")), str(r.get("case")), order.get(r["solver"], 99))):
        lines.append(
            f"| {r.get('case')} | {r.get('family')} | {_f(r.get('villages'), 'd')} | {_f(r.get('edges'), 'd')} | "
            f"{_f(r.get('sites'), 'd')} | {r['solver']} | {r.get('mode', '-')} | {r.get('status')} | "
            f"{_f(_num(r.get('objective')), '.8g')} | {_f(_num(r.get('bound')), '.8g')} | {_pct(_num(r.get('gap')))} | "
            f"{_f(r.get('variables'), 'd')} | {_f(r.get('constraints'), 'd')} | "
            f"{_f(_num(r.get('build_seconds')), '.3f')} | {_f(_num(r.get('solve_seconds')), '.3f')} | "
            f"{_f(_num(r.get('wall_seconds')), '.3f')} | {_f(_num(r.get('peak_memory_mb')), '.0f')} | "
            f"{_f(_num(r.get('known_optimum')), '.8g')} | {_f(r.get('matches_optimum'))} | {_f(r.get('verified'))} |")
    return lines


def machine_lines(meta: dict) -> list[str]:
    m = meta.get("machine", {})
    pk = m.get("packages", {})
    backends = ", ".join(f"{k} ({v})" for k, v in (m.get("backends") or {}).items()) or "-"
    return [
        f"- suite **{meta.get('suite')}**: {meta.get('description', '')}",
        f"- started {meta.get('started_at')}, wall time {_f(meta.get('wall_seconds'), '.0f')} s, "
        f"{meta.get('runs_done')}/{meta.get('runs_planned')} runs, complete: {meta.get('complete')}",
        f"- every solver: time limit {_f(meta.get('time_limit'), 'g')} s, relative gap {_f(meta.get('gap'), 'g')} "
        f"(unless a case sets its own, see `time_limit` / `gap_limit` per run); "
        f"engine solvers {', '.join(meta.get('solvers', []))}; baselines {', '.join(meta.get('baselines', []))}",
        f"- machine: {m.get('cpu')}, {m.get('cores_usable')} usable cores ({m.get('cores_logical')} logical), "
        f"{m.get('memory_gb')} GB; {m.get('platform')}",
        f"- Python {m.get('python')}; backends: {backends}; fixed-tree CBC {m.get('cbc_via_pulp')} via PuLP "
        f"{pk.get('PuLP')}; numpy {pk.get('numpy')}, pandas {pk.get('pandas')}, networkx {pk.get('networkx')}",
        f"- reference solve (fixed random set cover, scipy HiGHS): {m.get('reference_solve_seconds')} s; "
        f"load average (1/5/15 min) at start {m.get('load_average')}, at end {meta.get('load_average_at_end')}; "
        f"commit {m.get('git_commit')}",
    ]


def markdown(rows: list[dict], meta: dict) -> str:
    out = [f"# Benchmark results: suite {meta.get('suite')}", ""]
    out += machine_lines(meta) + [""]
    out += ["## By family and solver", "",
            "Status counts, wall time (build + solve + plan + verification, per run), worst gap among runs "
            "with a plan, runs whose objective equals the published optimum (where one exists), runs whose "
            "dual bound does not cut the optimum off, runs whose plan the verifier accepts.", ""]
    out += summary_table(rows) + [""]
    if any(r.get("role") == "engine" for r in rows):
        out += ["## Engine against the baselines", "",
                "Objective advantage = engine / baseline when maximising coverage, baseline / engine when "
                "minimising cost: above 1 the engine's plan is better (both priced by the verifier at the same "
                "budget). Time ratio = engine wall time / fixed-tree (PuLP + CBC) wall time with the same time "
                "limit and gap; `=` both reached the gap, `<` only the engine did (the true ratio is smaller), "
                "`>` only the baseline did.", ""]
        out += baseline_table(rows) + [""]
    out += ["## Every run", ""] + runs_table(rows) + [""]
    failed = [r for r in rows if r.get("message") and r.get("status") not in SOLVED]
    if failed:
        out += ["## Messages of runs without a plan", ""]
        out += [f"- {r.get('case')} / {r['solver']}: {r.get('status')}: {r.get('message')}" for r in failed] + [""]
    out += ["Plots: `plots/time_vs_size.png`, `plots/gap_vs_size.png`, `plots/objective_vs_baselines.png`.", ""]
    return "\n".join(out)


# --------------------------------------------------------------------------- plots
def plot(rows: list[dict], directory: Path) -> list[Path]:
    """Time and gap against instance size per solver; engine advantage over the baselines."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    solvers = solver_order(rows)
    markers = dict(zip(solvers, "os^Dv<>ph*"))
    written = []

    for name, key, ylabel, logy in (("time_vs_size.png", "wall_seconds", "wall time (s)", True),
                                    ("gap_vs_size.png", "gap", "relative gap at the end (%)", False)):
        fig, ax = plt.subplots(figsize=(8, 5))
        for s in solvers:
            pts = [(size_of(r), _num(r.get(key))) for r in rows
                   if r["solver"] == s and r.get("status") in SOLVED + ("killed", "time_limit")]
            pts = [(x, y) for x, y in pts if x and y is not None and math.isfinite(y)]
            if key == "gap":
                pts = [(x, 100 * y) for x, y in pts]
            if pts:
                ax.scatter(*zip(*pts), label=s, marker=markers.get(s, "o"), alpha=0.7)
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("instance size (villages + nodes + edges + sites)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(directory / name, dpi=110)
        plt.close(fig)
        written.append(directory / name)

    engine = [r for r in rows if r.get("role") == "engine"]
    families = sorted({r.get("family") for r in engine})
    if engine and families:
        fig, axes = plt.subplots(1, 2, figsize=(12, 5), sharey=False)
        for ax, against, title in ((axes[0], "greedy", "vs greedy heuristic"),
                                   (axes[1], "fixed_tree", "vs fixed-tree PuLP/CBC")):
            esolvers = [s for s in solvers if s in {r["solver"] for r in engine}]
            width = 0.8 / max(1, len(esolvers))
            for k, s in enumerate(esolvers):
                for i, fam in enumerate(families):
                    ys = [advantage(r, against) for r in engine if r["solver"] == s and r.get("family") == fam]
                    ys = [y for y in ys if y is not None]
                    if ys:
                        ax.scatter([i + (k - (len(esolvers) - 1) / 2) * width] * len(ys), ys,
                                   marker=markers.get(s, "o"), color=f"C{k}", alpha=0.7)
                ax.scatter([], [], marker=markers.get(s, "o"), color=f"C{k}", label=s)
            ax.axhline(1.0, color="grey", lw=1, ls="--")
            ax.set_xticks(range(len(families)))
            ax.set_xticklabels(families, rotation=30, ha="right")
            ax.set_ylabel("engine advantage (> 1: engine better)")
            ax.set_title(f"objective {title}")
            ax.grid(True, axis="y", alpha=0.3)
            ax.legend()
        fig.tight_layout()
        fig.savefig(directory / "objective_vs_baselines.png", dpi=110)
        plt.close(fig)
        written.append(directory / "objective_vs_baselines.png")
    return written


def write_report(directory: str | Path, rows: list[dict], meta: dict, *, plots: bool = True) -> None:
    """results.md, and the plots when matplotlib is installed (a note on stderr otherwise)."""
    directory = Path(directory)
    (directory / "results.md").write_text(markdown(rows, meta), encoding="utf-8")
    if plots and rows:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            import sys
            print("bench: matplotlib is not installed: no plots (pip install matplotlib)", file=sys.stderr)
            return
        plot(rows, directory / "plots")
