"""Solver backends behind one interface (see :mod:`allocator.backends.base`).

``get_backend("highs")`` returns a ready backend; HiGHS is the default.
:class:`Deadline`, :func:`make_result` and :func:`lattice_bound` serve code
outside the package that drives a solver itself (the root phase, the bounds).
"""
from __future__ import annotations

from ..errors import OptionsError
from ._support import Deadline, lattice_bound, make_result
from .base import PROOF_GAP, Backend, SolveOptions, SolveResult, Status, relative_gap, status_from_numbers
from .cbc import CbcBackend
from .cpsat import CpSatBackend
from .highs import HighsBackend
from .scip import ScipBackend

#: every backend the engine knows, in order of preference
BACKENDS: dict[str, type[Backend]] = {
    "highs": HighsBackend,
    "cbc": CbcBackend,
    "scip": ScipBackend,
    "cpsat": CpSatBackend,
}

DEFAULT_BACKEND = "highs"

_available_cache: dict[str, bool] = {}


def _is_available(name: str) -> bool:
    if name not in _available_cache:
        try:
            _available_cache[name] = bool(BACKENDS[name].available())
        except Exception:
            _available_cache[name] = False
    return _available_cache[name]


def available_backends() -> list[str]:
    """Names of the backends that can run here, in order of preference."""
    return [name for name in BACKENDS if _is_available(name)]


def get_backend(name: str = DEFAULT_BACKEND) -> Backend:
    """A backend instance by name; OptionsError (listing the usable names) when unknown or unavailable."""
    key = str(name).strip().lower()
    usable = available_backends()
    listing = ", ".join(usable) if usable else "none"
    if key not in BACKENDS:
        raise OptionsError(f"unknown solver '{name}'",
                           fix=f"use one of the available solvers: {listing}")
    if not _is_available(key):
        raise OptionsError(f"solver '{name}' is not available in this installation",
                           fix=f"install it, or use one of the available solvers: {listing}")
    return BACKENDS[key]()


__all__ = ["BACKENDS", "DEFAULT_BACKEND", "PROOF_GAP", "Backend", "Deadline", "SolveOptions", "SolveResult", "Status",
           "available_backends", "get_backend", "lattice_bound", "make_result", "relative_gap", "status_from_numbers"]
