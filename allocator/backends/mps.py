"""A :class:`~allocator.backends.linear.LinearModel` written as a free-format MPS file, vectorised.

Solvers that read files (the CBC binary) get the model this way: the text is
made from the CSC arrays in a few passes over numpy arrays, without one Python
object per row or per term (PuLP's row-by-row build and writer took about
three times as long on the national model; see docs/solvers.md).

Names: column ``j`` is ``C<j>``, row ``i`` is ``R<i>``, the objective row
``OBJ``, so a solution file maps back by index. What is written:

* the rows by type: ``E`` (lo = hi), ``G`` (only lo finite), ``L`` (only hi
  finite), and for a ranged row (both finite) ``L`` at ``hi`` with a ``RANGES``
  entry ``hi - lo``; a row with both sides infinite restricts nothing and is
  left out, as is an empty row (the caller checks that 0 lies within its
  bounds: :func:`empty_row_conflict`);
* ``COLUMNS`` in column order, integer columns between ``MARKER`` lines; a
  column in no row and not in the objective is declared with a zero objective
  entry, so every column exists in the solver;
* ``BOUNDS`` for every column that is not [0, +inf) and for every integer
  column (some readers take an integer column without bounds as binary):
  ``FX``, ``FR``, ``MI``/``LO`` and ``UP``/``PL``;
* the objective: ``OBJSENSE MAX`` for a maximisation (unless ``minimise_only``,
  where the objective is negated instead: a solver that always minimises), and
  the offset as ``-offset`` on the objective row's ``RHS`` (the convention of
  CoinMpsIO and HiGHS), unless ``with_offset=False``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .linear import LinearModel

#: the objective row's name
OBJECTIVE_ROW = "OBJ"


def column_name(j: int) -> str:
    return f"C{j}"


def row_name(i: int) -> str:
    return f"R{i}"


def _numbers(values: np.ndarray, end: str = "") -> np.ndarray:
    """Shortest round-trip decimal text of each value (``repr``, integers without '.0'),
    followed by ``end``, as an object array. Each distinct value is formatted once: a
    model has few (the national one: 17k distinct among 1.5M numbers)."""
    values = np.asarray(values, dtype=float)
    distinct, back = np.unique(values, return_inverse=True)
    text = [repr(v) for v in distinct.tolist()]
    text = np.array([t.removesuffix(".0") + end for t in text], dtype=object)
    return text[back.ravel()] if values.size else np.zeros(0, dtype=object)


def _labels(prefix: str, count: int, end: str = "") -> np.ndarray:
    """``prefix0 end, prefix1 end, ...`` as an object array (indexed, never re-formatted)."""
    return np.array([f"{prefix}{i}{end}" for i in range(count)], dtype=object)


def _join(*columns: np.ndarray) -> str:
    """The strings of equal-length object arrays, row by row, concatenated in one pass."""
    if not columns or columns[0].size == 0:
        return ""
    table = np.empty((columns[0].size, len(columns)), dtype=object)
    for k, col in enumerate(columns):
        table[:, k] = col
    return "".join(table.ravel().tolist())


def empty_row_conflict(model: LinearModel) -> int | None:
    """Index of a row without coefficients whose bounds exclude 0 (no x satisfies it), else None."""
    a = model.matrix()
    counts = np.diff(a.indptr)
    lo, hi = np.asarray(model.row_lo, dtype=float), np.asarray(model.row_hi, dtype=float)
    bad = np.flatnonzero((counts == 0) & ((lo > 0) | (hi < 0)))
    return int(bad[0]) if bad.size else None


def mps_text(model: LinearModel, *, minimise_only: bool = False, with_offset: bool = True,
             name: str = "allocator") -> str:
    """The model as free-MPS text (see the module docstring)."""
    c, a, row_lo, row_hi, lb, ub, integer = model.arrays()
    n, m = model.num_vars, model.num_rows
    negate = minimise_only and model.sense == "max"
    if negate:
        c = -c
    offset = float(model.obj_offset) * (-1.0 if negate else 1.0)

    # rows kept: at least one coefficient and at least one finite side
    counts = np.diff(a.indptr)
    lo_fin, hi_fin = np.isfinite(row_lo), np.isfinite(row_hi)
    keep = (counts > 0) & (lo_fin | hi_fin)
    kept = np.flatnonzero(keep)
    kind = np.where(lo_fin & hi_fin & (row_lo == row_hi), "E",
                    np.where(lo_fin & ~hi_fin, "G", "L"))[kept]
    rnames = np.array([f"R{i}" for i in kept.tolist()], dtype=object)

    parts: list[str] = [f"NAME {name}\n"]
    if model.sense == "max" and not minimise_only:
        parts.append("OBJSENSE\n    MAX\n")
    parts.append(f"ROWS\n N {OBJECTIVE_ROW}\n")
    if kept.size:
        parts.append("".join(f" {k} {r}\n" for k, r in zip(kind.tolist(), rnames.tolist())))

    # COLUMNS: the matrix by column, the kept rows only, the objective first in each column
    csc = sp.csc_matrix(a[kept] if kept.size < m else a)
    csc.sort_indices()
    entry_col = np.repeat(np.arange(n), np.diff(csc.indptr))
    entry_row = kept[csc.indices] if kept.size < m else csc.indices
    obj_cols = np.flatnonzero(c != 0.0)
    lonely = np.flatnonzero((np.diff(csc.indptr) == 0) & (c == 0.0))  # declared with a zero objective
    head_cols = np.concatenate([obj_cols, lonely])
    head_vals = np.concatenate([c[obj_cols], np.zeros(lonely.size)])
    # one sequence of (column, row, value): objective entries (row -1) sort before the column's rows
    cols_all = np.concatenate([head_cols, entry_col])
    rank = np.concatenate([np.full(head_cols.size, -1, dtype=np.int64), entry_row.astype(np.int64)])
    order = np.lexsort((rank, cols_all))
    cols_all = cols_all[order]
    rank = rank[order]
    col_label = _labels("    C", n, " ")
    row_label = np.concatenate([np.array([OBJECTIVE_ROW + " "], dtype=object), _labels("R", m, " ")])
    columns = (col_label[cols_all], row_label[rank + 1],
               _numbers(np.concatenate([head_vals, csc.data])[order], "\n"))
    # integer markers around each run of integer columns
    is_int = integer[cols_all] if cols_all.size else np.zeros(0, dtype=bool)
    change = np.flatnonzero(np.diff(np.concatenate([[False], is_int, [False]]).astype(np.int8)))
    parts.append("COLUMNS\n")
    pos = 0
    for k, at in enumerate(change.tolist()):
        parts.append(_join(*(col[pos:at] for col in columns)))
        pos = at
        parts.append(f"    MARKER{k // 2} 'MARKER' '{'INTORG' if k % 2 == 0 else 'INTEND'}'\n")
    parts.append(_join(*(col[pos:] for col in columns)))

    # RHS (and the offset on the objective row)
    rhs = np.where(kind == "G", row_lo[kept], row_hi[kept])
    nz = np.flatnonzero(rhs != 0.0)
    parts.append("RHS\n")
    if with_offset and offset != 0.0:
        parts.append(f"    RHS {OBJECTIVE_ROW} {_numbers(np.array([-offset]))[0]}\n")
    kept_label = row_label[kept + 1]
    parts.append(_join(np.full(nz.size, "    RHS ", dtype=object), kept_label[nz], _numbers(rhs[nz], "\n")))
    ranged = np.flatnonzero((kind == "L") & lo_fin[kept])
    if ranged.size:
        widths = row_hi[kept][ranged] - row_lo[kept][ranged]
        parts.append("RANGES\n")
        parts.append(_join(np.full(ranged.size, "    RNG ", dtype=object), kept_label[ranged],
                           _numbers(widths, "\n")))

    parts.append("BOUNDS\n")
    parts.append(_bounds_text(lb, ub, integer, _labels(" BND C", n, " ")))
    parts.append("ENDATA\n")
    return "".join(parts)


def _bounds_text(lb: np.ndarray, ub: np.ndarray, integer: np.ndarray, label: np.ndarray) -> str:
    """BOUNDS lines: one FX or FR line, else a lower line (MI / LO) then an upper one (UP / PL).

    The lower bound is written when it is not 0, for integer columns, and when the
    upper bound is negative (readers differ on what ``UP < 0`` does to a lower
    bound of 0); the upper bound when finite, and as PL for integer columns.
    ``label[j]`` is `` BND C<j> ``."""
    fixed = lb == ub
    free = np.isneginf(lb) & np.isposinf(ub)
    rest = ~fixed & ~free
    want_lo = rest & ((lb != 0.0) | integer | (ub < 0.0))
    want_up = rest & (np.isfinite(ub) | integer)
    # every line as (sort key: column, then lower before upper; kind; label; value text)
    keys, kinds, labels, values = [], [], [], []
    for mask, order, kind, bound in ((fixed, 0, " FX", lb), (free, 0, " FR", None),
                                     (want_lo & np.isneginf(lb), 0, " MI", None),
                                     (want_lo & np.isfinite(lb), 0, " LO", lb),
                                     (want_up & np.isposinf(ub), 1, " PL", None),
                                     (want_up & np.isfinite(ub), 1, " UP", ub)):
        idx = np.flatnonzero(mask)
        keys.append(idx * 2 + order)
        kinds.append(np.full(idx.size, kind, dtype=object))
        labels.append(label[idx])
        values.append(np.full(idx.size, "\n", dtype=object) if bound is None else _numbers(bound[idx], "\n"))
    order = np.argsort(np.concatenate(keys), kind="stable")
    return _join(*(np.concatenate(col)[order] for col in (kinds, labels, values)))


def write_mps(model: LinearModel, path, *, minimise_only: bool = False, with_offset: bool = True) -> None:
    """Write :func:`mps_text` to ``path``."""
    with open(path, "w", encoding="ascii") as fh:
        fh.write(mps_text(model, minimise_only=minimise_only, with_offset=with_offset))
