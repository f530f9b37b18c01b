"""Numbers for officials (allocator.reports.numbers): separators, units, never scientific notation."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from allocator.reports.numbers import money, number, points, share


@pytest.mark.parametrize("x, text", [(5592100.0, "5,592,100"), (5328130.4, "5,328,130"), (83363.7, "83,364"),
                                     (79770, "79,770"), (1234.5, "1,234.50"), (0.0123456, "0.0123"),
                                     (0.0, "0"), (-0.0, "0"), (1e15, "1,000,000,000,000,000"),
                                     (None, ""), (math.nan, ""), (math.inf, "unbounded")])
def test_number(x, text):
    assert number(x) == text


def test_money_share_points():
    assert money(86245647.3, "CNY") == "86,245,647 CNY"
    assert money(None, "CNY") == ""
    assert share(0.98) == "98.0%" and share(0.000713, 4) == "0.0713%"
    assert points(12.46) == "+12.5" and points(-3) == "-3.0"


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e300, max_value=1e300))
def test_never_scientific(x):
    for text in (number(x), money(x), share(x)):
        assert "e" not in text.lower()
