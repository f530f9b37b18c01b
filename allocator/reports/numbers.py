"""Numbers as officials read them: thousands separators, a unit, never scientific
notation (``5,592,100 CNY``, not ``5.5921e+06``). One place, used by the Excel
summary, the HTML report, the frontier's table and the terminal's prices, so the
same figure reads the same everywhere. Missing values (None, NaN) are empty strings.
"""
from __future__ import annotations

import math


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or (isinstance(x, str) and not x.strip())


def number(x, decimals: int | None = None) -> str:
    """``x`` with thousands separators. ``decimals`` None: none for whole numbers and
    for magnitudes from 10,000 up, two from 1, and three significant digits below 1."""
    if _missing(x):
        return ""
    x = float(x)
    if math.isinf(x):
        return "unbounded" if x > 0 else "-unbounded"
    if decimals is None:
        size = abs(x)
        if size == 0 or x == round(x) or size >= 10_000:
            decimals = 0
        elif size >= 1:
            decimals = 2
        else:
            decimals = min(12, 2 - math.floor(math.log10(size)))
    text = f"{x:,.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text  # no "-0"


def money(x, currency: str | None = None) -> str:
    """Whole units of money with separators and the currency: ``86,245,647 CNY``."""
    if _missing(x):
        return ""
    text = number(x, 0)
    return f"{text} {currency}" if currency else text


def share(x, decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage: ``98.0%``."""
    if _missing(x):
        return ""
    return f"{float(x) * 100:,.{decimals}f}%"


def points(x, decimals: int = 1) -> str:
    """A change in percentage points, signed: ``+12.5``."""
    if _missing(x):
        return ""
    return f"{float(x):+,.{decimals}f}"
