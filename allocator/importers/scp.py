"""Import OR-Library set-covering problems (Beasley's ``scp*.txt``) as allocation instances.

File format: the number of rows and of columns, then the cost of every column,
then for every row the number of columns covering it followed by those
column numbers (1-based); numbers are separated by blanks and wrapped over
lines anywhere.

Mapping (see docs/importers.md): row ``i`` is village ``r<i>`` (4G only),
column ``j`` is candidate 4G site ``s<j>`` with ``capex`` = its cost and free
microwave backhaul, and ``coverage.csv`` lists every (site, village) pair of
the file. There is no fiber graph and no satellite.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..schema import Technology
from .common import (COUNTY_ID, ImportedTables, imported_meta, read_text, single_county,
                     write_imported)


@dataclass
class SetCoverFile:
    """What a set-covering file says; columns and rows are numbered from 1."""

    path: Path
    name: str
    n_rows: int
    n_cols: int
    costs: np.ndarray            # (n_cols,) cost of column j+1
    coverage: pd.DataFrame       # row, col (1-based), in file order

    @property
    def nonzeros(self) -> int:
        return len(self.coverage)


class _Tokens:
    """The file's numbers in order, each with the line it is on."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        words: list[str] = []
        lines: list[int] = []
        for lineno, line in enumerate(text.split("\n"), 1):
            parts = line.split()
            words.extend(parts)
            lines.extend([lineno] * len(parts))
        self.words = words
        self.lines = lines
        self.last_line = len(text.rstrip("\n").split("\n")) if text.strip() else 1
        self.pos = 0

    def line(self) -> int:
        return self.lines[self.pos] if self.pos < len(self.words) else self.last_line

    def error(self, message: str, line: int | None = None, fix: str | None = None) -> InputError:
        return InputError(message, file=self.path, line=self.line() if line is None else line, fix=fix)

    def take(self, what: str, *, integer: bool) -> float:
        if self.pos >= len(self.words):
            raise self.error(f"file ends where {what} was expected: truncated?")
        word = self.words[self.pos]
        try:
            value = int(word) if integer else float(word)
        except ValueError:
            kind = "an integer" if integer else "a number"
            raise self.error(f"{what}: '{word}' is not {kind}") from None
        if not integer and not np.isfinite(value):
            raise self.error(f"{what}: '{word}' is not a finite number")
        self.pos += 1
        return value


def read_scp(path: str | Path) -> SetCoverFile:
    """Parse an OR-Library set-covering file.

    Raises
    ------
    InputError
        The file is truncated, has text where a number belongs, numbers out of
        range, a column listed twice for one row, or numbers after the last
        row; the message names the file and the line.
    """
    path = Path(path)
    tok = _Tokens(path, read_text(path))
    if not tok.words:
        raise tok.error("empty file", line=1, fix="the first line is '<rows> <columns>'")
    n_rows = int(tok.take("number of rows", integer=True))
    n_cols = int(tok.take("number of columns", integer=True))
    if n_rows <= 0 or n_cols <= 0:
        raise tok.error(f"'{n_rows} {n_cols}': the numbers of rows and columns must be positive",
                        line=tok.lines[0])
    costs = np.empty(n_cols)
    for j in range(n_cols):
        line = tok.line()
        costs[j] = tok.take(f"cost of column {j + 1} of {n_cols}", integer=False)
        if costs[j] < 0:
            raise tok.error(f"cost of column {j + 1} is negative ({costs[j]:g})", line=line)
    rows: list[int] = []
    cols: list[int] = []
    for i in range(1, n_rows + 1):
        line = tok.line()
        k = int(tok.take(f"number of columns covering row {i} of {n_rows}", integer=True))
        if not 0 <= k <= n_cols:
            raise tok.error(f"row {i} is covered by {k} columns, outside 0..{n_cols}", line=line)
        seen: set[int] = set()
        for _ in range(k):
            line = tok.line()
            j = int(tok.take(f"column covering row {i} ({len(seen) + 1} of {k})", integer=True))
            if not 1 <= j <= n_cols:
                raise tok.error(f"row {i} names column {j}, outside 1..{n_cols}", line=line)
            if j in seen:
                raise tok.error(f"row {i} names column {j} twice", line=line)
            seen.add(j)
            rows.append(i)
            cols.append(j)
    if tok.pos < len(tok.words):
        raise tok.error(f"'{tok.words[tok.pos]}' after the last row ({n_rows} rows declared): "
                        "not an OR-Library set-covering file, or a wrong row count")
    coverage = pd.DataFrame({"row": np.asarray(rows, dtype=np.int64),
                             "col": np.asarray(cols, dtype=np.int64)})
    return SetCoverFile(path=path, name=path.stem, n_rows=n_rows, n_cols=n_cols,
                        costs=costs, coverage=coverage)


def scp_tables(scp: SetCoverFile) -> ImportedTables:
    """The allocation instance of a parsed set-covering problem (mapping in the module docstring)."""
    village_ids = np.char.add("r", np.arange(1, scp.n_rows + 1).astype(str))
    site_ids = np.char.add("s", np.arange(1, scp.n_cols + 1).astype(str))
    villages = pd.DataFrame({
        "village_id": village_ids,
        "county_id": COUNTY_ID,
        "name": [f"row {i}" for i in range(1, scp.n_rows + 1)],
        "population": 1.0,
        "poor": True,
        "demand_mbps": 0.0,
        "technologies": Technology.CELLULAR.value,
    })
    sites = pd.DataFrame({
        "site_id": site_ids,
        "node": "",
        "backhaul": "microwave",
        "capex": scp.costs,
        "opex": 0.0,
        "backhaul_capex": 0.0,
    })
    coverage = pd.DataFrame({
        "site_id": site_ids[scp.coverage["col"].to_numpy() - 1],
        "village_id": village_ids[scp.coverage["row"].to_numpy() - 1],
    })
    description = (f"set-covering problem {scp.name} imported from {scp.path.name}: "
                   f"{scp.n_rows} rows (villages), {scp.n_cols} columns (4G sites), "
                   f"{scp.nonzeros} nonzeros.")
    meta = imported_meta(name=scp.name, description=description, fmt="scp")
    return ImportedTables(
        meta=meta, counties=single_county(scp.name, "or-library"), villages=villages,
        sites=sites, coverage=coverage,
        summary={"rows": scp.n_rows, "columns": scp.n_cols, "nonzeros": scp.nonzeros,
                 "total_column_cost": float(scp.costs.sum())},
    )


def import_scp(path: str | Path, directory: str | Path, *, overwrite: bool = True) -> Path:
    """Read a set-covering file and write it as an instance directory; returns the directory."""
    return write_imported(scp_tables(read_scp(path)), directory, overwrite=overwrite)
