"""A solver-neutral mixed-integer linear model: columns, rows, objective.

The formulation modules append to a :class:`LinearModel`; every backend reads
the same arrays (CSR matrix, bounds, integrality), so all solvers solve exactly
the same model.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce
from math import gcd, lcm

import numpy as np
import scipy.sparse as sp

INF = float("inf")


@dataclass
class LinearModel:
    """min/max  c.x + offset   s.t.  row_lo <= A x <= row_hi,  lb <= x <= ub,  x_j integer for j in integers."""

    sense: str = "min"  # "min" | "max"
    obj_offset: float = 0.0
    # columns
    names: list[str] = field(default_factory=list)
    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    obj: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    # rows, kept as COO triplets
    _rows: list[np.ndarray] = field(default_factory=list)
    _cols: list[np.ndarray] = field(default_factory=list)
    _vals: list[np.ndarray] = field(default_factory=list)
    row_lo: list[float] = field(default_factory=list)
    row_hi: list[float] = field(default_factory=list)
    row_names: list[str] = field(default_factory=list)

    @classmethod
    def from_arrays(cls, c, a, row_lo, row_hi, lb, ub, integer, sense: str, names=None,
                    row_names=None) -> LinearModel:
        """A model from the arrays :meth:`arrays` gives back (``a``: any scipy sparse matrix);
        columns are named ``x0, x1, ...`` and rows left unnamed unless given."""
        m = cls(sense=sense)
        n = len(c)
        m.names = list(names) if names is not None else [f"x{j}" for j in range(n)]
        m.lb, m.ub = np.asarray(lb, float).tolist(), np.asarray(ub, float).tolist()
        m.obj = np.asarray(c, float).tolist()
        m.integer = np.asarray(integer, bool).tolist()
        coo = sp.coo_matrix(a)
        m._rows, m._cols, m._vals = [coo.row.astype(np.int64)], [coo.col.astype(np.int64)], [coo.data.astype(float)]
        m.row_lo, m.row_hi = np.asarray(row_lo, float).tolist(), np.asarray(row_hi, float).tolist()
        m.row_names = list(row_names) if row_names is not None else [""] * len(m.row_lo)
        return m

    # ------------------------------------------------------------------ columns
    @property
    def num_vars(self) -> int:
        return len(self.names)

    @property
    def num_rows(self) -> int:
        return len(self.row_lo)

    def add_var(self, name: str, lb: float = 0.0, ub: float = 1.0, *, integer: bool = True, obj: float = 0.0) -> int:
        self.names.append(name)
        self.lb.append(float(lb))
        self.ub.append(float(ub))
        self.obj.append(float(obj))
        self.integer.append(bool(integer))
        return len(self.names) - 1

    def add_vars(self, names, lb=0.0, ub=1.0, *, integer: bool = True, obj=0.0) -> np.ndarray:
        """Add one column per name; ``lb``, ``ub`` and ``obj`` may be scalars or sequences."""
        names = list(names)
        n = len(names)
        start = len(self.names)
        self.names.extend(names)
        self.lb.extend(np.broadcast_to(np.asarray(lb, dtype=float), (n,)).tolist())
        self.ub.extend(np.broadcast_to(np.asarray(ub, dtype=float), (n,)).tolist())
        self.obj.extend(np.broadcast_to(np.asarray(obj, dtype=float), (n,)).tolist())
        self.integer.extend([bool(integer)] * n)
        return np.arange(start, start + n, dtype=np.int64)

    def set_obj(self, cols, coefs) -> None:
        for j, c in zip(np.atleast_1d(cols), np.atleast_1d(np.asarray(coefs, dtype=float))):
            self.obj[int(j)] += float(c)

    def fix(self, col: int, value: float) -> None:
        self.lb[col] = self.ub[col] = float(value)

    # ------------------------------------------------------------------ rows
    def add_row(self, cols, coefs, lo: float = -INF, hi: float = INF, name: str = "") -> int:
        cols = np.asarray(cols, dtype=np.int64).ravel()
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), cols.shape)
        r = len(self.row_lo)
        self._rows.append(np.full(cols.shape, r, dtype=np.int64))
        self._cols.append(cols)
        self._vals.append(np.array(coefs, dtype=float))
        self.row_lo.append(float(lo))
        self.row_hi.append(float(hi))
        self.row_names.append(name)
        return r

    def add_rows(self, row_of_entry, cols, coefs, lo, hi, names=None) -> np.ndarray:
        """Add many rows at once from triplets; ``row_of_entry`` numbers the new rows 0..k-1."""
        lo = np.atleast_1d(np.asarray(lo, dtype=float))
        hi = np.atleast_1d(np.asarray(hi, dtype=float))
        k = max(len(lo), len(hi))
        lo = np.broadcast_to(lo, (k,))
        hi = np.broadcast_to(hi, (k,))
        base = len(self.row_lo)
        r = np.asarray(row_of_entry, dtype=np.int64).ravel()
        c = np.asarray(cols, dtype=np.int64).ravel()
        self._rows.append(r + base)
        self._cols.append(c)
        self._vals.append(np.broadcast_to(np.asarray(coefs, dtype=float), c.shape).copy())
        self.row_lo.extend(lo.tolist())
        self.row_hi.extend(hi.tolist())
        self.row_names.extend(list(names) if names is not None else [""] * k)
        return np.arange(base, base + k, dtype=np.int64)

    # ------------------------------------------------------------------ export
    def matrix(self) -> sp.csr_matrix:
        """The constraint matrix A (duplicates summed)."""
        if self._rows:
            rows = np.concatenate(self._rows)
            cols = np.concatenate(self._cols)
            vals = np.concatenate(self._vals)
        else:
            rows = cols = np.zeros(0, dtype=np.int64)
            vals = np.zeros(0)
        a = sp.coo_matrix((vals, (rows, cols)), shape=(self.num_rows, self.num_vars)).tocsr()
        a.sum_duplicates()
        return a

    def arrays(self):
        """(c, A, row_lo, row_hi, lb, ub, integer) as numpy arrays / CSR."""
        return (np.asarray(self.obj, dtype=float), self.matrix(), np.asarray(self.row_lo, dtype=float),
                np.asarray(self.row_hi, dtype=float), np.asarray(self.lb, dtype=float),
                np.asarray(self.ub, dtype=float), np.asarray(self.integer, dtype=bool))

    def objective_step(self) -> float | None:
        """The step ``g`` of the objective's lattice, or None: when only integer
        columns carry cost and every cost is a multiple of ``g``, every
        integer-feasible objective value is ``offset + k g`` for an integer ``k``.
        A better solution than an incumbent is then better by ``g`` at least, so a
        dual bound may be rounded to the lattice (backends/_support.py)."""
        c = np.asarray(self.obj, dtype=float)
        integer = np.asarray(self.integer, dtype=bool)
        if len(c) == 0 or np.any(c[~integer] != 0.0):
            return None
        values = np.unique(np.abs(c[integer & (c != 0.0)]))
        if len(values) == 0:
            return None
        # a solve asks several times for the same objective (root phase, fixing, each MIP): 0.1 s each
        # on the prefecture preset's 13,500 distinct weights
        return _lattice_step(values.tobytes())


    def objective_value(self, x) -> float:
        return float(np.dot(np.asarray(self.obj, dtype=float), np.asarray(x, dtype=float)) + self.obj_offset)

    def max_violation(self, x) -> float:
        """Largest violation of a row or bound by ``x`` (0.0 when feasible)."""
        x = np.asarray(x, dtype=float)
        ax = self.matrix() @ x
        lo, hi = np.asarray(self.row_lo), np.asarray(self.row_hi)
        viol = np.concatenate([np.maximum(lo - ax, 0), np.maximum(ax - hi, 0),
                               np.maximum(np.asarray(self.lb) - x, 0), np.maximum(x - np.asarray(self.ub), 0), [0.0]])
        return float(viol.max())

    def stats(self) -> dict:
        return {"variables": self.num_vars, "integer_variables": int(sum(self.integer)),
                "constraints": self.num_rows, "nonzeros": int(sum(len(v) for v in self._vals))}


@functools.lru_cache(maxsize=16)
def _lattice_step(packed: bytes) -> float | None:
    """The lattice step of the distinct positive costs packed in ``packed`` (float64, sorted)."""
    values = np.frombuffer(packed, dtype=float)
    fracs = [Fraction(float(v)).limit_denominator(10**6) for v in values]
    if any(abs(float(f) - v) > 1e-15 * max(1.0, v) for f, v in zip(fracs, values)):
        return None  # not a rational with a small denominator: no lattice worth using
    step = Fraction(reduce(gcd, (f.numerator for f in fracs)), reduce(lcm, (f.denominator for f in fracs)))
    g = float(step)
    return g if g >= 1e-9 * float(values.max()) else None
