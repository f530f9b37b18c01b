"""Options shared by every solve mode: the "instance's own value" marker, the objective's
name and the checks of time limit, gap, threads, budget and seed (one place, so every mode
and command refuses the same bad values with the same message)."""
from __future__ import annotations

import math

from ..errors import OptionsError
from ..schema import BUDGET, Objective

KEEP = object()  # "use the instance's own value"


def parse_objective(value) -> Objective:
    try:
        return Objective(str(getattr(value, "value", value)))
    except ValueError:
        raise OptionsError(f"unknown objective '{value}'",
                           fix="use one of: " + ", ".join(o.value for o in Objective)) from None


def check_options(*, time_limit, gap, threads, budget, seed=0) -> None:
    if time_limit is not None and not (isinstance(time_limit, (int, float)) and time_limit > 0 and math.isfinite(time_limit)):
        raise OptionsError(f"time limit must be a positive number of seconds, got {time_limit!r}",
                           fix="pass e.g. --time-limit 60")
    if not (isinstance(gap, (int, float)) and 0 <= gap < 1):
        raise OptionsError(f"gap must be a fraction in [0, 1), got {gap!r}", fix="pass e.g. --gap 0.005 for 0.5%")
    if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
        raise OptionsError(f"threads must be a positive integer, got {threads!r}")
    if budget is not None and not (isinstance(budget, (int, float)) and BUDGET.contains(budget)):
        raise OptionsError(f"budget must be a non-negative number, got {budget!r} (allowed: {BUDGET.text()})",
                           fix="pass e.g. --budget 1.2e9")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= 2**31 - 1:
        raise OptionsError(f"seed must be a whole number from 0 to 2147483647, got {seed!r}", fix="pass e.g. --seed 1")


def number_text(v) -> str:
    from ..reports.numbers import number  # separators, never scientific notation
    return "n/a" if v is None else number(v)


def gap_text(gap) -> str:
    return "n/a" if gap is None else ("inf" if math.isinf(gap) else f"{gap:.4%}")
