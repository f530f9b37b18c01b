"""One source of every technology's colour and label in reports, maps and charts.

A technology's colour and labels come from its block in the cost model
(``colour``, ``label_en``, ``label_zh``; allocator/technologies.py); the two
states that are not technologies ("existing", "none") are fixed here. The
china-2018 layout has no labels: its technologies get those of
:data:`allocator.technologies.LEGACY_LABELS`.
"""
from __future__ import annotations

#: states of a village that are not a new technology
STATE_COLOURS = {"existing": "#8c96a0", "none": "#d9342b"}
STATE_LABELS = {"existing": "already connected", "none": "not covered"}
STATE_LABELS_ZH = {"existing": "已通宽带", "none": "未覆盖"}


def technologies(instance) -> tuple[str, ...]:
    """Technologies a village can be given, in the cost model's order."""
    return instance.costs.technologies.access


def colours(instance) -> dict[str, str]:
    """Technology (and 'existing', 'none') -> colour."""
    reg = instance.costs.technologies
    return {**{t: reg.colour(t) for t in reg.access}, **STATE_COLOURS}


def labels(instance, *, suffix: str = " (new)") -> dict[str, str]:
    """Technology (and 'existing', 'none') -> English label, e.g. '4G (new)'."""
    reg = instance.costs.technologies
    return {**{t: reg[t].label + suffix for t in reg.access}, **STATE_LABELS}


def labels_zh(instance) -> dict[str, str]:
    """Technology (and 'existing', 'none') -> Chinese label (the English one when the model gives none)."""
    reg = instance.costs.technologies
    return {**{t: reg[t].label_zh or reg[t].label for t in reg.access}, **STATE_LABELS_ZH}
