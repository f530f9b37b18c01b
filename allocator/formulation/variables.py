"""Where each decision lives among the model's columns (-1: no such column)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass
class Columns:
    candidates: pd.Index                       # villages not yet connected
    #: technology name -> per candidate its choice column (every declared access technology, in order)
    tech: dict
    kinds: dict = field(default_factory=dict)  # technology name -> kind (network, site, terminal)
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
        return [int(arr[i]) for arr in self.tech.values() if arr[i] >= 0]

    def of_kind(self, kind: str) -> dict:
        """Technology name -> choice columns, for the technologies of ``kind``."""
        return {t: arr for t, arr in self.tech.items() if self.kinds.get(t) == kind}

    def _kind_column(self, kind: str) -> np.ndarray:
        found = list(self.of_kind(kind).values())
        return found[0] if found else np.full(len(self.candidates), -1, dtype=np.int64)

    @property
    def fiber(self) -> np.ndarray:
        """The network technology's choice columns (one network technology per model)."""
        return self._kind_column("network")

    @property
    def cellular(self) -> np.ndarray:
        """The first site technology's choice columns (the china-2018 view: 4G)."""
        return self._kind_column("site")

    @property
    def satellite(self) -> np.ndarray:
        """The first terminal technology's choice columns (the china-2018 view: satellite)."""
        return self._kind_column("terminal")
