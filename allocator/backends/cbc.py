"""CBC: the binary run on an MPS file this package writes.

The model goes to CBC as a free-MPS file made from the arrays
(:mod:`allocator.backends.mps`), not through PuLP's row-by-row ``LpProblem``
and writer (about three times as slow on the national model, see
docs/solvers.md). PuLP is only used to find the CBC binary it bundles. The
warm start is a ``-mips`` start file, the solution is read from CBC's
``-solution`` file by column name (``C<j>``), and the status from CBC's own log
(written to a file beside the model). What is read from the log:

* ``Objective value:  <v>``  the incumbent (CBC prints it for MIPs in its summary);
* ``Lower bound:  <b>``      the dual bound, printed (``%.3f``) whenever the search
  stopped without a proof (time limit, gap tolerance). It is made conservative by
  the print rounding (``- 0.0005``);
* ``Result - Optimal solution found`` with no ``Lower bound`` line and no
  "(within gap tolerance)": CBC's own proof, the bound is the incumbent;
* ``No feasible solution found``: no incumbent, whatever the solution file holds
  (on a time-limit stop CBC writes the LP relaxation into it);
* ``Result - Problem proven infeasible`` / ``Linear relaxation infeasible`` /
  ``Problem is infeasible``: proven infeasible;
* ``unbounded`` / ``infeasible or unbounded`` lines: decided by a second solve of
  the same rows with a zero objective (infeasible there = infeasible; feasible =
  unbounded, reported as an error);
* for a pure LP (no integer column) Clp prints ``Optimal - objective value``:
  the bound is then the objective.

No other bound is reported: when the log gives none, the bound is unknown (None).
CBC always receives a minimisation (a max model's objective is negated), so the
signs in the log never depend on the model's sense. The values are cross-checked:
an incumbent must be integral and satisfy the rows (``max_violation``).
"""
from __future__ import annotations

import functools

import os
import re
import signal
import subprocess
import tempfile
import warnings

import numpy as np

from .linear import LinearModel
from ._support import (GuardedBackend, INTEGRALITY_TOL, Deadline, clean_solution, error_result,
                       integrality_violation, make_result, warm_start_vector)
from .base import SolveResult
from .mps import empty_row_conflict, write_mps

try:  # pragma: no cover - import guard
    import pulp
except ImportError:  # pragma: no cover
    pulp = None

#: "Lower bound" is printed with three decimals
_LOG_BOUND_ROUNDING = 5e-4
#: seconds taken off CBC's own limit for its start-up and reading the MPS file
_CBC_START_MARGIN = 0.05
#: writing the MPS file takes about this long per nonzero (measured 2-4 us on the national model)
_WRITE_PER_NONZERO = 5e-6
#: past the deadline, CBC gets this long before SIGINT, then _CBC_KILL_GRACE before SIGKILL
_CBC_GRACE = 0.5
_CBC_KILL_GRACE = 1.0
#: an incumbent whose rows are violated by more than this (scaled by the row's size) is not accepted
_FEAS_TOL = 1e-6

_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf)"


def parse_cbc_log(text: str) -> dict:
    """What CBC's log says, as numbers and flags (see the module docstring)."""
    out: dict = {"result": None, "objective": None, "lower_bound": None, "no_solution": False,
                 "proven_optimal": False, "infeasible": False, "unbounded": False, "lp_optimal": False}
    m = re.search(r"^Result - (.+?)\s*$", text, re.M)
    if m:
        out["result"] = m.group(1)
    m = re.search(r"^Objective value:\s+" + _NUM, text, re.M)
    if m:
        out["objective"] = float(m.group(1))
    m = re.search(r"^Lower bound:\s+" + _NUM, text, re.M)
    if m:
        out["lower_bound"] = float(m.group(1))
    out["no_solution"] = bool(re.search(r"^No feasible solution found", text, re.M))
    result = out["result"] or ""
    out["proven_optimal"] = result == "Optimal solution found"
    out["infeasible"] = bool(re.search(r"Problem proven infeasible|Linear relaxation infeasible", result)
                             or re.search(r"^Problem is infeasible", text, re.M)
                             or re.search(r"^Primal infeasible - objective value", text, re.M))
    out["unbounded"] = bool(re.search(r"unbounded", result, re.I)
                            or re.search(r"^Problem is unbounded", text, re.M)
                            or re.search(r"infeasible or unbounded", text)
                            or re.search(r"^Dual infeasible - objective value", text, re.M))
    if out["unbounded"]:
        out["infeasible"] = False  # undecided: "infeasible or unbounded"
    out["lp_optimal"] = bool(re.search(r"^Optimal - objective value", text, re.M)) and not out["result"]
    return out


def _pulp_cbc():
    """Where the CBC binary is: PuLP's bundled one (PULP_CBC_CMD, deprecated in PuLP 3 but
    the one that ships CBC), else a ``cbc`` found on the PATH (COIN_CMD). Only its ``path``
    is used."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        bundled = pulp.PULP_CBC_CMD(msg=False)
        if bundled.available():
            return bundled
        return pulp.COIN_CMD(msg=False)


def _run_cbc(args: list[str], log_path: str, deadline: Deadline) -> dict:
    """Run the CBC binary; past the deadline (plus a grace) interrupt it, then kill it.

    CBC honours ``-sec`` between nodes but not inside its first LP solve or root
    cut loop, where a large model can overrun by many seconds."""
    cbc = _pulp_cbc()
    notes: dict = {}
    with open(log_path, "w") as log:
        proc = subprocess.Popen([cbc.path, *args], stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            wait = None if deadline.seconds is None else max(deadline.seconds - deadline.elapsed(), 0) + _CBC_GRACE
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)  # CBC stops at its next check and writes its solution
            notes["interrupted"] = True
            try:
                proc.wait(timeout=_CBC_KILL_GRACE)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                notes["killed"] = True
        finally:
            if proc.poll() is None:  # e.g. KeyboardInterrupt while waiting: leave no CBC behind
                proc.kill()
                proc.wait()
    if proc.returncode not in (0, None) and not notes.get("killed") and not notes.get("interrupted"):
        raise RuntimeError(f"CBC exited with code {proc.returncode}")
    return notes


class CbcBackend(GuardedBackend):
    label = "CBC"
    name = "cbc"
    supports_warm_start = True

    @classmethod
    def available(cls) -> bool:
        if pulp is None:
            return False
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                return bool(_pulp_cbc().available())
            except Exception:
                return False

    @classmethod
    @functools.cache
    def version(cls) -> str:
        if pulp is None:
            return "unavailable"
        try:
            out = subprocess.run([_pulp_cbc().path, "-quit"], capture_output=True, text=True, timeout=10,
                                 stdin=subprocess.DEVNULL).stdout
            m = re.search(r"^Version:\s*(\S+)", out, re.M)
            cbc = m.group(1) if m else "?"
        except Exception:
            cbc = "?"
        return f"CBC {cbc} (binary from PuLP {pulp.__version__})"

    # ------------------------------------------------------------------ solve
    def _solve(self, model, options, warm_start, deadline, common, *, recheck=True) -> SolveResult:
        extra: dict = {}
        sign = -1.0 if model.sense == "max" else 1.0  # CBC always minimises sign * c.x
        conflict = empty_row_conflict(model)
        if conflict is not None:
            return make_result(model, proven_infeasible=True, raw_status="empty row out of range",
                               message=f"row {model.row_names[conflict] or conflict} has no coefficients "
                                       "and 0 lies outside its bounds", **common)
        ws = warm_start_vector(model, warm_start)
        if warm_start is not None:
            extra["warm_start"] = ("passed to CBC (-mips start file)" if ws is not None
                                   else "ignored: wrong length or non-finite values")
        nonzeros = model.stats()["nonzeros"]
        if deadline.seconds is not None:
            # writing the file cannot be interrupted: give up now rather than overrun the deadline
            needed = _WRITE_PER_NONZERO * nonzeros + _CBC_START_MARGIN
            left = deadline.seconds - deadline.elapsed()
            if needed >= left:
                return make_result(
                    model, raw_status="deadline reached before writing", extra=extra,
                    message=(f"writing this model ({nonzeros} nonzeros) for CBC takes about {needed:.1f} s, "
                             f"the time limit leaves {max(left, 0):.1f} s; "
                             "use the highs backend or a longer time limit"), **common)
        args = []
        seed = options.seed % 2147483646 + 1  # CBC reads a seed of 0 as 'time of day'
        args += ["-randomCbcSeed", str(seed), "-randomSeed", str(seed)]
        if options.threads is not None and options.threads > 1:
            args += ["-threads", str(100 + int(options.threads))]  # CBC: 100+n = n threads, repeatable
        gap = float(options.gap)
        if gap > 0:
            # CBC's ratioGap divides by the larger of |incumbent| and |bound|, ours by
            # |incumbent|: asking for g/(1+g) guarantees our gap <= g when CBC stops on it.
            args += ["-ratioGap", repr(gap / (1.0 + gap))]
        with tempfile.TemporaryDirectory(prefix="allocator-cbc-") as tmp:
            mps, sol, mst, log_path = (os.path.join(tmp, f) for f in ("model.mps", "model.sol", "start.mst", "cbc.log"))
            # The offset stays out of CBC: it is added back when the bound is converted.
            write_mps(model, mps, minimise_only=True, with_offset=False)
            extra["write_seconds"] = round(deadline.elapsed(), 3)
            if deadline.seconds is not None and deadline.elapsed() >= deadline.seconds:
                return make_result(model, raw_status="deadline reached while writing", extra=extra,
                                   message="the time limit ran out while the model was written for CBC", **common)
            head = [mps]
            if ws is not None:
                write_start_file(mst, ws)
                head += ["-mips", mst]
            remaining = deadline.remaining()
            if remaining is not None:
                head += ["-sec", repr(max(remaining - _CBC_START_MARGIN, 0.05)), "-timeMode", "elapsed"]
            run = _run_cbc(head + args + ["-solve", "-printingOptions", "all", "-solution", sol],
                           log_path, deadline)
            extra.update(run)
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                log_text = fh.read()
            values = None
            if os.path.exists(sol) and not run.get("killed"):
                values = read_solution_file(sol, model.num_vars)
        if run.get("killed"):
            return make_result(model, raw_status="killed at the deadline", extra=extra,
                               message="CBC overran its time limit and was stopped; no solution was read", **common)
        info = parse_cbc_log(log_text)
        if ws is not None:
            taken = re.search(r"MIPStart provided solution with cost\s+" + _NUM, log_text)
            extra["warm_start"] += (f"; CBC took it as a solution (cost {float(taken.group(1)):g})" if taken
                                    else "; CBC did not take it as a solution")
        raw = info["result"] or (values.header if values is not None else "no solution file")
        extra["cbc_log"] = {k: info[k] for k in ("result", "objective", "lower_bound", "no_solution")}
        if options.verbose:
            print(log_text)

        if info["infeasible"] and info["objective"] is None and not info["lp_optimal"]:
            return make_result(model, proven_infeasible=True, raw_status=raw, extra=extra, **common)
        if info["unbounded"] and info["objective"] is None and not info["lp_optimal"]:
            if not any(model.obj):  # a zero objective cannot be unbounded: CBC proved infeasibility
                return make_result(model, proven_infeasible=True, raw_status=raw, extra=extra, **common)
            if not recheck:
                return error_result(model, message="CBC: infeasible or unbounded", raw_status=raw, **common)
            return self._settle_infeasible_or_unbounded(model, options, deadline, common, raw, extra)

        x = None
        is_mip = any(model.integer)
        if values is not None:
            if info["lp_optimal"]:
                x = values.x  # solved without branching (pure LP, or an empty problem)
            elif is_mip and info["objective"] is not None and not info["no_solution"]:
                x = values.x
        if x is not None:
            xc = clean_solution(model, x)
            bad_int = integrality_violation(model, xc) > INTEGRALITY_TOL
            if bad_int or not _rows_satisfied(model, xc):
                extra["rejected_incumbent"] = ("integrality" if bad_int else "row violation")
                x = None

        bound = None
        if x is not None and (info["lp_optimal"] or (info["proven_optimal"] and info["lower_bound"] is None)):
            bound = model.objective_value(clean_solution(model, x))  # CBC's / Clp's own proof
        elif info["lower_bound"] is not None:
            bound = sign * (info["lower_bound"] - _LOG_BOUND_ROUNDING) + model.obj_offset
        return make_result(model, x=x, bound=bound, raw_status=raw, extra=extra, **common)


class SolutionFile:
    """CBC's ``-solution`` file: its first line (CBC's status words) and the column values."""

    def __init__(self, header: str, x: np.ndarray) -> None:
        self.header = header
        self.x = x


def read_solution_file(path, num_vars: int) -> SolutionFile:
    """Values by column name ``C<j>``; rows (``R<i>``) are skipped; a column CBC did not
    print is 0 (CBC leaves out zeros in its shorter printing modes). A leading ``**``
    (CBC's mark for a value outside its bounds) is dropped: the row check decides."""
    x = np.zeros(num_vars)
    with open(path, encoding="utf-8", errors="replace") as fh:
        header = fh.readline().strip()
        for line in fh:
            parts = line.split()
            if parts and parts[0] == "**":
                parts = parts[1:]
            if len(parts) < 3 or not parts[1].startswith("C"):
                continue
            j = int(parts[1][1:])
            if 0 <= j < num_vars:
                x[j] = float(parts[2])
    return SolutionFile(header, x)


def write_start_file(path, x: np.ndarray) -> None:
    """A ``-mips`` start file: a status line, then ``index name value`` per column (the
    layout of CBC's own solution files, which is what CBC reads back)."""
    values = [repr(v) for v in np.asarray(x, dtype=float).tolist()]
    with open(path, "w", encoding="ascii") as fh:
        fh.write("Stopped on time - objective value 0\n")
        fh.write("".join(f"{j} C{j} {v}\n" for j, v in enumerate(values)))


def _rows_satisfied(model: LinearModel, x: np.ndarray) -> bool:
    """Rows and bounds hold within a tolerance relative to each row's magnitude."""
    a = model.matrix()
    ax = a @ x
    lo, hi = np.asarray(model.row_lo), np.asarray(model.row_hi)
    scale = 1.0 + abs(a) @ np.abs(x)
    with np.errstate(invalid="ignore"):
        ok_rows = np.all((ax >= lo - _FEAS_TOL * scale) & (ax <= hi + _FEAS_TOL * scale))
    lb, ub = np.asarray(model.lb), np.asarray(model.ub)
    ok_cols = np.all((x >= lb - _FEAS_TOL * (1 + np.abs(x))) & (x <= ub + _FEAS_TOL * (1 + np.abs(x))))
    return bool(ok_rows and ok_cols)
