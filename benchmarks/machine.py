"""Facts about the machine a benchmark ran on, and a reference solve that
measures its speed.

Absolute seconds mean little across machines (and on a shared CI runner, little
across runs): every results file records the CPU, cores, memory and versions, and
the time of a fixed reference solve made in the same run, so that times can be
compared as multiples of it.
"""
from __future__ import annotations

import importlib.metadata
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

#: packages whose versions change what a benchmark measures
PACKAGES = ("allocator", "numpy", "scipy", "pandas", "networkx", "highspy", "PuLP", "ortools",
            "PySCIPOpt", "matplotlib")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return None


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - macOS
        return os.cpu_count() or 1


def _versions() -> dict[str, str | None]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _git_commit() -> str | None:
    """The checked-out commit (read only), and whether the tree had local changes."""
    repo = Path(__file__).resolve().parent.parent
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def backend_versions() -> dict[str, str]:
    """Installed engine backends and their versions ({} when the registry is missing)."""
    try:
        from allocator.backends import available_backends
    except ImportError:
        return {}
    out = {}
    for name, cls in _as_items(available_backends()):
        try:
            out[name] = str(cls.version()) if cls is not None else ""
        except Exception as err:  # a broken backend is a fact worth recording, not a crash
            out[name] = f"error: {err}"
    return out


def _as_items(backends):
    """available_backends() may return names, classes or a name -> class mapping."""
    if isinstance(backends, dict):
        return sorted(backends.items())
    items = []
    for b in backends:
        if isinstance(b, str):
            items.append((b, _backend_class(b)))
        else:
            items.append((getattr(b, "name", str(b)), b))
    return sorted(items, key=lambda kv: kv[0])


def _backend_class(name: str):
    try:
        from allocator import backends
        getter = getattr(backends, "get_backend", None) or getattr(backends, "backend_class", None)
        return getter(name) if getter else None
    except Exception:
        return None


def cbc_version() -> str | None:
    """Version of the CBC binary PuLP drives (the fixed-tree baseline's solver)."""
    try:
        import warnings

        import pulp
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            path = pulp.PULP_CBC_CMD(msg=False).path
        text = subprocess.run([path, "-quit"], capture_output=True, text=True, timeout=10).stdout
    except Exception:
        return None
    for line in text.splitlines():
        if line.strip().startswith("Version:"):
            return line.split(":", 1)[1].strip()
    return None


def reference_solve(*, repeats: int = 3, seed: int = 0) -> float:
    """Seconds (best of ``repeats``) scipy's HiGHS takes on a fixed random set-cover MIP.

    The model is the same on every machine (numpy Generator with a fixed seed), so
    the time is a speed index of the machine at the moment of the run; compare
    divides times by it when a per-instance reference is missing.
    """
    import numpy as np
    import scipy.sparse as sp
    from scipy.optimize import Bounds, LinearConstraint, milp

    rng = np.random.default_rng(seed)
    rows, cols, per_row = 500, 1000, 6
    r = np.repeat(np.arange(rows), per_row)
    c = np.concatenate([rng.choice(cols, per_row, replace=False) for _ in range(rows)])
    a = sp.csr_matrix((np.ones(r.size), (r, c)), shape=(rows, cols))
    cost = rng.integers(1, 100, cols).astype(float)
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        milp(cost, constraints=LinearConstraint(a, lb=1.0), integrality=np.ones(cols),
             bounds=Bounds(0, 1), options={"disp": False})
        best = min(best, time.perf_counter() - t0)
    return round(best, 4)


def load_average() -> list[float] | None:
    """1, 5 and 15-minute load averages: other work on the machine slows every run."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (OSError, AttributeError):  # pragma: no cover - not on every platform
        return None


def machine_facts(*, calibrate: bool = True) -> dict:
    """Everything about this machine and software a reader needs to judge the times."""
    facts = {
        "recorded_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores_logical": os.cpu_count(),
        "cores_usable": _usable_cores(),
        "memory_gb": _memory_gb(),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "packages": _versions(),
        "backends": backend_versions(),
        "cbc_via_pulp": cbc_version(),
        "git_commit": _git_commit(),
        "load_average": load_average(),
    }
    if calibrate:
        facts["reference_solve_seconds"] = reference_solve()
    return facts
