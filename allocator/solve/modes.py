"""The solve modes, by name: ``MODES[name]`` is the function that solves an instance in that
mode. :func:`allocator.solve.api.solve` dispatches through it, so a new mode is one entry here
and no module imports the dispatcher back (the old solve <-> decompose import circle).

Every entry takes ``(instance, *, mode=name, **options)`` with the options of
:func:`allocator.solve.api.solve` and returns a verified :class:`~allocator.plan.Plan`.
"""
from __future__ import annotations

from typing import Callable

from ..errors import OptionsError
from .decompose.run import solve_via_mode
from .monolithic import solve_monolithic

MODES: dict[str, Callable] = {
    "exact": solve_monolithic,          # routes over the whole trench graph, one model
    "restricted": solve_monolithic,     # routes along a shortest-path tree, one model
    "decomposed": solve_via_mode,       # county models in parallel, restricted routing
    "decomposed-exact": solve_via_mode,  # county models in parallel, exact routing
}


def mode_function(name) -> Callable:
    """The function of mode ``name``; an unknown name is an :class:`OptionsError` listing the modes."""
    try:
        return MODES[name]
    except (KeyError, TypeError):
        raise OptionsError(f"unknown mode '{name}'", fix="use one of: " + ", ".join(MODES)) from None
