"""Solving: the entry point (:mod:`.api`), the mode registry (:mod:`.modes`), the one-model
modes (:mod:`.monolithic`, with the root phase :mod:`.rootphase` and the exact-problem claims
:mod:`.exact_bound` / :mod:`.safe_bound`), the county decomposition (:mod:`.decompose`) and the
executor its tasks run on (:mod:`.executor`).

``allocator.solve`` (the package's attribute) is the function :func:`.api.solve`.
"""
from .api import solve
from .options import KEEP

__all__ = ["KEEP", "solve"]
