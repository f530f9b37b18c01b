"""Where each decision lives among the model's columns (-1: no such column)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Columns:
    candidates: pd.Index                       # villages not yet connected
    fiber: np.ndarray                          # per candidate
    cellular: np.ndarray
    satellite: np.ndarray
    site_ids: pd.Index = field(default_factory=lambda: pd.Index([]))
    site_fiber: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))   # open with fiber backhaul
    site_micro: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))   # open with microwave backhaul
    arc: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))          # per network arc
    terminal: dict = field(default_factory=dict)                                           # network node pos -> z column
    cost: dict = field(default_factory=dict)                                               # column -> cost (budget measure)
    terminal_users: dict = field(default_factory=dict)  # network node pos -> columns needing it lit
    flow_blocks: list = field(default_factory=list)    # (terminals, arcs, flow columns): for warm starts
    flow_rows: list = field(default_factory=list)      # row-index arrays of the flow blocks (cut loop drops them)

    def add_cost(self, cols, coefs) -> None:
        for j, c in zip(np.atleast_1d(cols), np.atleast_1d(coefs)):
            if j >= 0 and c != 0:
                self.cost[int(j)] = self.cost.get(int(j), 0.0) + float(c)

    def coverage_cols(self, i: int) -> list[int]:
        return [int(c) for c in (self.fiber[i], self.cellular[i], self.satellite[i]) if c >= 0]
