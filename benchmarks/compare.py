"""``bench compare BASELINE RESULTS``: flag runs that got slower or worse.

Runs are matched by (case, solver, mode). A run is a **regression** when, compared
with the committed baseline,

- it no longer solves: the baseline was ``optimal`` and it is not, or the
  baseline had a plan and it has none (status ``time_limit``, ``error``, ``killed`` ...);
- it is missing from the results (a run that did not happen proves nothing; pass
  ``allow_missing`` / ``--allow-missing`` when comparing a deliberate subset);
- its bound is invalid (``bound_valid`` false: the bound cuts off a published optimum),
  whatever the baseline said: a false proof is never tolerated;
- the verifier rejects its plan, or it disagrees with a known optimum it matched before;
- its gap grew by more than ``gap_tol`` (absolute);
- its objective got worse (by the objective's sense) by more than ``objective_rtol``
  (relative);
- its time grew by more than ``time_ratio`` times, and it now takes at least
  ``min_seconds`` (shorter runs are all noise). Time is compared, in order of
  preference, as a ratio taken in the same session: engine time / fixed-tree
  baseline time on the same instance (both reaching the gap, the baseline taking
  at least ``min_seconds``), else time / the machine's reference solve
  (``time_vs_reference``), else absolute wall seconds.

Exit code: 0 no regression, 6 at least one regression, 2 bad input (a file that
cannot be read).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from allocator.errors import InputError

#: exit code of ``bench compare`` when a run regressed (documented in benchmarks/README.md)
EXIT_REGRESSION = 6

SOLVED = ("optimal", "feasible")


@dataclass(frozen=True)
class Thresholds:
    time_ratio: float = 1.5          # a run may take up to this many times its baseline time
    min_seconds: float = 1.0         # runs faster than this are never flagged for time
    gap_tol: float = 1e-6            # absolute growth of the relative gap tolerated
    objective_rtol: float = 1e-6     # relative worsening of the objective tolerated


@dataclass
class Finding:
    key: tuple
    what: str           # status | verified | optimum | bound | gap | objective | time | missing | new
    message: str
    regression: bool


@dataclass
class Comparison:
    findings: list[Finding] = field(default_factory=list)
    matched: int = 0

    @property
    def regressions(self) -> list[Finding]:
        return [f for f in self.findings if f.regression]

    @property
    def exit_code(self) -> int:
        return EXIT_REGRESSION if self.regressions else 0

    def text(self) -> str:
        lines = [f"compared {self.matched} runs: {len(self.regressions)} regression(s)"]
        for f in sorted(self.findings, key=lambda f: (not f.regression, f.key, f.what)):
            tag = "REGRESSION" if f.regression else "note"
            lines.append(f"  {tag:10s} {' / '.join(str(k) for k in f.key):32s} {f.what:9s} {f.message}")
        return "\n".join(lines)


def _key(row: dict) -> tuple:
    return (row.get("case"), row.get("solver"), row.get("mode"))


def _num(x):
    if x is None:
        return None
    if isinstance(x, str):
        return math.inf if x == "inf" else (-math.inf if x == "-inf" else None)
    return float(x)


def _reference_wall(row: dict) -> float | None:
    """Wall seconds of the fixed-tree run a row's time ratio was taken against."""
    ratio, wall = _num(row.get("time_vs_fixed_tree")), _num(row.get("wall_seconds"))
    return wall / ratio if ratio and wall is not None else None


def _time_measure(old: dict, new: dict, min_seconds: float) -> tuple[float | None, float | None, str]:
    """(old, new, unit) for the best time measure both rows share: the ratio to the
    fixed-tree solve of the same session when both reached the gap and that solve is
    long enough to time (>= min_seconds), else the ratio to the reference solve, else seconds."""
    if (old.get("time_vs_fixed_tree_kind") == "=" and new.get("time_vs_fixed_tree_kind") == "="
            and min((_reference_wall(old) or 0.0), (_reference_wall(new) or 0.0)) >= min_seconds):
        return _num(old.get("time_vs_fixed_tree")), _num(new.get("time_vs_fixed_tree")), "x fixed-tree time"
    if old.get("time_vs_reference") is not None and new.get("time_vs_reference") is not None:
        return _num(old["time_vs_reference"]), _num(new["time_vs_reference"]), "x reference solve"
    return _num(old.get("wall_seconds")), _num(new.get("wall_seconds")), "s"


def compare_rows(baseline: list[dict], results: list[dict], *, thresholds: Thresholds = Thresholds(),
                 allow_missing: bool = False) -> Comparison:
    """Compare two lists of result rows (see the module docstring for the rules)."""
    th = thresholds
    old_rows = {_key(r): r for r in baseline}
    new_rows = {_key(r): r for r in results}
    out = Comparison()
    for key in sorted(set(old_rows) - set(new_rows), key=str):
        out.findings.append(Finding(key, "missing", "in the baseline but not in the results"
                                    + (" (allowed: --allow-missing)" if allow_missing else ""), not allow_missing))
    for key in sorted(new_rows, key=str):
        if new_rows[key].get("bound_valid") is False:
            r = new_rows[key]
            out.findings.append(Finding(key, "bound", f"bound {r.get('bound')} cuts off the known optimum "
                                                      f"{r.get('known_optimum')}: a false proof", True))
    for key in sorted(set(new_rows) - set(old_rows), key=str):
        out.findings.append(Finding(key, "new", "not in the baseline (add it by updating the baseline)", False))
    for key in sorted(set(old_rows) & set(new_rows), key=str):
        old, new = old_rows[key], new_rows[key]
        out.matched += 1
        add = lambda what, msg: out.findings.append(Finding(key, what, msg, True))  # noqa: E731
        os_, ns = old.get("status"), new.get("status")
        if os_ == "optimal" and ns != "optimal":
            add("status", f"was optimal, now {ns}" + (f" ({new.get('message')})" if new.get("message") else ""))
        elif os_ in SOLVED and ns not in SOLVED:
            add("status", f"was {os_}, now {ns}" + (f" ({new.get('message')})" if new.get("message") else ""))
        if new.get("verified") is False:
            add("verified", f"the verifier rejects the plan ({new.get('violations')} violations)")
        if old.get("matches_optimum") is True and new.get("matches_optimum") is False:
            add("optimum", f"objective {new.get('objective')} no longer matches the known optimum "
                           f"{new.get('known_optimum')}")
        if ns not in SOLVED:
            continue
        og, ng = _num(old.get("gap")), _num(new.get("gap"))
        if ng is not None and (og is None or ng > og + th.gap_tol) and not (og is None and ng <= th.gap_tol):
            add("gap", f"gap {_pct(og)} -> {_pct(ng)}")
        oo, no = _num(old.get("objective")), _num(new.get("objective"))
        sense = new.get("objective_sense") or old.get("objective_sense")
        if oo is not None and no is not None and sense in ("min", "max") and os_ in SOLVED:
            tol = th.objective_rtol * max(1.0, abs(oo))
            worse = no > oo + tol if sense == "min" else no < oo - tol
            if worse:
                add("objective", f"{sense} objective {oo:.10g} -> {no:.10g}")
        ot, nt, unit = _time_measure(old, new, th.min_seconds)
        wall = _num(new.get("wall_seconds")) or 0.0
        if ot is not None and nt is not None and ot > 0 and wall >= th.min_seconds and nt > th.time_ratio * ot:
            add("time", f"{ot:.4g} -> {nt:.4g} {unit} ({nt / ot:.2f}x, limit {th.time_ratio:g}x; "
                        f"now {wall:.2f} s wall)")
    return out


def _pct(g) -> str:
    return "-" if g is None else ("inf" if math.isinf(g) else f"{100 * g:.4f}%")


# --------------------------------------------------------------------------- files
def load_rows(path: str | Path, *, suite: str | None = None) -> list[dict]:
    """Rows from a results.jsonl file, a results directory, or a baseline directory
    holding ``<suite>.jsonl`` files (``suite`` picks one)."""
    path = Path(path)
    if path.is_dir():
        if (path / "results.jsonl").exists():
            path = path / "results.jsonl"
        elif suite and (path / f"{suite}.jsonl").exists():
            path = path / f"{suite}.jsonl"
        else:
            raise InputError("no results.jsonl" + (f" or {suite}.jsonl" if suite else "") + " in this directory",
                             file=path, fix="pass a results.jsonl file or the directory bench -o wrote")
    if not path.exists():
        raise InputError("file not found", file=path)
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise InputError(f"not a JSON line: {err.msg}", file=path, line=n,
                                 fix="results files are JSON Lines, one run per line") from None
            for col in ("case", "solver", "status"):
                if col not in rows[-1]:
                    raise InputError(f"run without '{col}'", file=path, line=n, column=col)
    return rows


def compare_files(baseline: str | Path, results: str | Path, *, thresholds: Thresholds = Thresholds(),
                  allow_missing: bool = False) -> Comparison:
    new = load_rows(results)
    suites = sorted({r.get("suite") for r in new if r.get("suite")})
    old = load_rows(baseline, suite=suites[0] if len(suites) == 1 else None)
    if suites:  # a baseline file may hold several suites: compare like with like
        old = [r for r in old if r.get("suite") in (None, *suites)]
    return compare_rows(old, new, thresholds=thresholds, allow_missing=allow_missing)
