"""How many examples an expensive hypothesis property draws.

A property that solves a MIP per example (oracle sweeps, rollout and decomposition
consistency) costs seconds per example on a loaded 2-core machine. CI (``CI`` set, or
``HYPOTHESIS_PROFILE=ci``) draws the full count written in the test; a developer's default
run draws a third of it (at least 5), so the whole suite stays within minutes. Cheap
properties keep their own count everywhere.
"""
from __future__ import annotations

import os


def full_run() -> bool:
    return bool(os.environ.get("CI")) or os.environ.get("HYPOTHESIS_PROFILE") == "ci"


def examples(n: int) -> int:
    """``n`` under CI, else a third of it (never fewer than 5, never more than ``n``)."""
    return n if full_run() else min(n, max(5, n // 3))
