"""Read one CSV table of an instance and type its columns per :mod:`allocator.schema`.

Cells are read as text first (so nothing is silently coerced), then converted
column by column with vectorised pandas operations. When a column fails, the
first bad row is located and reported with its physical line in the file
(the header is line 1; quoted cells spanning lines and blank lines are
counted the way a text editor counts them).
"""
from __future__ import annotations

import csv
import io
import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError, InputWarning, file_error
from ..schema import NONEMPTY_FILES, NOTE_PREFIX, TABLES, Column, format_number
from ..spelling import nearest
from .writer import DERIVED_COLUMNS

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "1.0")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "0.0")
#: text a spreadsheet or pandas writes for a missing value
MISSING_WORDS = ("nan", "null", "#n/a", "n/a")
#: prefix of the temporary name of a column with an empty header cell (no header can hold a NUL)
UNNAMED = "\0unnamed-"
#: allowed items of list columns, by (file, column)
#: list columns whose items come from a fixed set (none: the villages' technologies are the cost model's,
#: checked against it in allocator.checks)
ITEM_CHOICES: dict = {}
#: list columns whose items are names compared case-insensitively (lower-cased on read)
LOWERCASE_ITEMS = {("villages.csv", "technologies")}


@dataclass
class CsvTable:
    """A typed table plus what is needed to name a row's line in its file."""

    name: str
    path: Path
    df: pd.DataFrame
    raw: bytes
    text: str = field(repr=False)
    #: for each df row (positional), its data record number (0-based) in the file
    records: np.ndarray = field(repr=False)
    present: frozenset = frozenset()  # columns the file actually has
    _starts: list[int] | None = field(default=None, repr=False)

    def line(self, i: int) -> int:
        """Physical line (1-based, header = 1) where df row ``i`` starts."""
        if self._starts is None:
            starts, reader = [], csv.reader(io.StringIO(self.text, newline=""))
            while True:
                begin = reader.line_num + 1
                try:
                    record = next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    break
                if record:  # pandas skips blank lines; so do we
                    starts.append(begin)
            self._starts = starts[1:]  # drop the header
        rec = int(self.records[i])
        return self._starts[rec] if rec < len(self._starts) else rec + 2

    def error(self, i: int, column: str | None, problem: str, fix: str) -> InputError:
        return InputError(problem, file=self.name, line=self.line(i), column=column, fix=fix)

    def first(self, mask) -> int:
        """Positional index of the first True in ``mask``."""
        return int(np.flatnonzero(np.asarray(mask, dtype=bool))[0])

    def __len__(self) -> int:
        return len(self.df)


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte {err.start}: {err.reason}); spreadsheets often save Chinese "
                         f"text as GBK", file=name, line=line,
                         fix="save the file as 'CSV UTF-8' (Excel) or re-encode it to UTF-8") from None


def read_table(path: Path, name: str | None = None) -> CsvTable:
    """Read and type one table file named in :data:`allocator.schema.TABLES`."""
    name = name or path.name
    columns = TABLES[name]
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=name,
                         fix=f"create {name} with the header {','.join(c.name for c in columns if c.required)} "
                             f"(see docs/format.md)") from None
    except OSError as err:  # a folder where the file should be, unreadable, ...
        raise (file_error(err, path) or err) from None
    text = _decode(raw, name)
    first = next(csv.reader(io.StringIO(text, newline="")), None)
    if not first or not any(c.strip() for c in first):
        raise InputError("file is empty (no header row)", file=name, line=1,
                         fix=f"write the header row: {','.join(c.name for c in columns)}")
    header = [c.strip() for c in first]
    seen = set()
    for col in header:
        if col in seen and col:
            raise InputError(f"column '{col}' appears twice in the header", file=name, line=1, column=col,
                             fix="delete or rename one of the two columns")
        seen.add(col)
    try:
        df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False,
                         skip_blank_lines=True)
    except pd.errors.ParserError as err:
        m = re.search(r"line (\d+)", str(err))
        raise InputError(f"cannot parse CSV: {err}", file=name, line=int(m.group(1)) if m else None,
                         fix="make every row have as many comma-separated cells as the header "
                             "(quote cells that contain commas)") from None
    # pandas names an empty header cell 'Unnamed: 3'; keep the file's own names, and give empty ones a
    # name no header can have until _check_header has looked at their cells
    names = header if len(df.columns) == len(header) else [str(c).strip() for c in df.columns]
    df.columns = [c if c else f"{UNNAMED}{k}" for k, c in enumerate(names, start=1)]
    df = df.fillna("")
    for c in df.columns:  # once: spreadsheets pad cells with spaces
        df[c] = df[c].str.strip()
    # rows a spreadsheet leaves behind with every cell empty carry nothing
    records = np.arange(len(df))
    if len(df):
        empty = np.logical_and.reduce([df[c].eq("").to_numpy() for c in df.columns])
        if empty.any():
            records = records[~empty]
            df = df.loc[~empty].reset_index(drop=True)
    table = CsvTable(name=name, path=path, df=df, raw=raw, text=text, records=records,
                     present=frozenset(df.columns))
    _check_header(table, columns)
    table.df = _typed(table, columns)
    if name in NONEMPTY_FILES and len(table.df) == 0:
        what = {"villages.csv": "village", "counties.csv": "county"}.get(name, "row")
        raise InputError(f"the file has a header but no {what} (an instance plans for at least one village)",
                         file=name, fix=f"add one row per {what} below the header (see docs/format.md)")
    return table


def _check_header(table: CsvTable, columns) -> None:
    """Refuse a header name the schema does not know (a misspelt optional column would otherwise be
    ignored and change the plan silently); keep note columns (prefix ``x_``) with a warning; drop
    columns with neither a name nor a value (a spreadsheet's trailing commas)."""
    known = [c.name for c in columns]
    df = table.df
    for col in [c for c in df.columns if c.startswith(UNNAMED)]:
        filled = df[col].ne("")
        if filled.any():
            i = table.first(filled)
            position = col[len(UNNAMED):]
            raise table.error(i, None, f"column {position} has values but no name in the header (line 1)",
                              f"name the column in the header (one of {', '.join(known)}, or "
                              f"{NOTE_PREFIX}<name> for a note), or delete its values")
        df = df.drop(columns=col)
    table.df = df
    table.present = frozenset(df.columns)
    header = list(df.columns)
    for col in columns:  # a required column missing comes first: its misspelling is then named as such
        if col.required and col.name not in table.present:
            raise _missing_column(table, col)
    unknown = [c for c in header if c and c not in known and not c.startswith(NOTE_PREFIX)]
    if unknown:
        col = unknown[0]
        others = f" (also unknown: {', '.join(unknown[1:])})" if len(unknown) > 1 else ""
        derived = DERIVED_COLUMNS.get(table.name, ())
        if col in derived:
            fix = (f"delete the column ('{col}' is computed by the loader, not read), or rename it to "
                   f"'{NOTE_PREFIX}{col}' to keep it as a note")
        else:
            near = nearest(col, known)
            fix = (f"did you mean '{near}'? Rename the column to '{near}', or to '{NOTE_PREFIX}{col}' to keep "
                   f"it as a note the model does not read" if near else
                   f"correct the spelling, or rename it to '{NOTE_PREFIX}{col}' to keep it as a note the model "
                   f"does not read")
            fix += f" (known columns: {', '.join(known)})"
        raise InputError(f"unknown column '{col}'{others}", file=table.name, line=1, column=col, fix=fix)
    notes = [c for c in header if c.startswith(NOTE_PREFIX)]
    if notes:
        warnings.warn(InputWarning(f"{table.name}: note column(s) {', '.join(notes)} kept as text; the model "
                                   f"does not read them (prefix {NOTE_PREFIX}, docs/format.md)"), stacklevel=3)


def empty_table(name: str) -> pd.DataFrame:
    """A typed table with no rows, for an optional file that is absent."""
    out = {}
    for col in TABLES[name]:
        dtype = {"float": float, "int": "int64", "bool": bool}.get(col.kind, object)
        out[col.name] = pd.Series([], dtype=dtype)
    return pd.DataFrame(out)


# --------------------------------------------------------------------------- conversion
def _missing_column(table: CsvTable, col: Column) -> InputError:
    known = {c.name for c in TABLES[table.name]}
    near = [c for c in table.df.columns if c not in known and nearest(c, [col.name]) == col.name]
    fix = (f"rename column '{near[0]}' to '{col.name}'" if near
           else f"add a column '{col.name}' ({col.description or col.kind}) to the header row")
    return InputError(f"required column '{col.name}' is missing", file=table.name, line=1, column=col.name, fix=fix)


def _typed(table: CsvTable, columns) -> pd.DataFrame:
    df = table.df
    out = {}
    for col in columns:
        if col.name not in df.columns:
            if col.required:
                raise _missing_column(table, col)
            out[col.name] = _default_series(col, len(df))
            continue
        out[col.name] = _convert(table, col, df[col.name])
    for c in df.columns:  # kept as text: the user's note columns (x_...), checked by _check_header
        if c.startswith(NOTE_PREFIX):
            out[c] = df[c]
    return pd.DataFrame(out, index=df.index)


def _default_series(col: Column, n: int) -> pd.Series:
    if col.kind == "float":
        return pd.Series(np.full(n, float(col.default)), dtype=float)
    if col.kind == "int":
        return pd.Series(np.full(n, int(col.default)), dtype="int64")
    if col.kind == "bool":
        return pd.Series(np.full(n, bool(col.default)), dtype=bool)
    if col.kind == "list":
        return pd.Series([()] * n, dtype=object)
    return pd.Series([str(col.default)] * n, dtype=object)


def _check_limits(table: CsvTable, col: Column, text: pd.Series, values: np.ndarray) -> None:
    """Every filled value within the column's declared limits (schema.Limits)."""
    lim = col.limits
    low, high = values < lim.low, values > lim.high  # NaN (an empty cell) compares False: not out of range
    out = low | high
    if not out.any():
        return
    i = table.first(out)
    side = (f"below the minimum {format_number(lim.low)}" if low[i]
            else f"above the maximum {format_number(lim.high)}")
    rows = int(out.sum())
    more = f" (and {rows - 1} more rows)" if rows > 1 else ""
    problem = f"{text.iloc[i]} is {side}: {col.name} must lie in {lim.text()}{more}"
    fix = f"write a value >= {format_number(lim.low)} and <= {format_number(lim.high)}"
    if lim.unit:
        fix += f", in {lim.unit}"
    if col.name == "lat" and "lon" in table.df.columns:  # lon/lat swapped is the usual cause
        fix += "; check that lon and lat are not swapped (lat is north-south, within +-90)"
    elif lim.unit == "degrees":
        fix += " (decimal degrees, WGS84)"
    else:
        fix += " (check for a typo, a missing decimal point or a value in another unit)"
    if "override" in col.description:
        fix += ", or leave the cell empty to use the model's price"
    raise table.error(i, col.name, problem, fix)


def _convert(table: CsvTable, col: Column, text: pd.Series) -> pd.Series:
    empty = text.eq("") | text.str.lower().isin(MISSING_WORDS)
    if col.required and empty.any():
        i = table.first(empty)
        shown = "empty" if text.iloc[i] == "" else f"'{text.iloc[i]}' (a missing value)"
        raise table.error(i, col.name, f"required value is {shown}",
                          f"fill in '{col.name}' ({col.description or col.kind}) on this row, or delete the row")
    if col.kind == "str":
        values = text.where(~text.eq(""), str(col.default) if col.default is not None else "")
        if col.choices:
            values = values.str.lower()
            bad = ~values.isin(col.choices)
            if bad.any():
                i = table.first(bad)
                raise table.error(i, col.name, f"'{text.iloc[i]}' is not an allowed value",
                                  f"use one of: {', '.join(col.choices)}")
        return values.astype(object)
    if col.kind in ("float", "int"):
        numbers = pd.to_numeric(text.where(~empty, None), errors="coerce").astype(float)
        bad = numbers.isna() & ~empty
        if bad.any():
            i = table.first(bad)
            hint = " without thousands separators or units" if re.search(r"[,，\s]|[^\d.eE+-]", text.iloc[i]) else ""
            raise table.error(i, col.name, f"'{text.iloc[i]}' is not a number",
                              f"write '{col.name}' as a plain number{hint}" + (f" in {col.unit}" if col.unit else ""))
        values = numbers.to_numpy()
        nonfinite = np.isinf(values)
        if nonfinite.any():
            i = table.first(nonfinite)
            raise table.error(i, col.name, f"'{text.iloc[i]}' is not a finite number",
                              f"write a finite '{col.name}'" + (f" in {col.unit}" if col.unit else ""))
        if col.limits is not None:
            _check_limits(table, col, text, values)
        if col.kind == "int":
            frac = ~empty.to_numpy() & (np.mod(np.nan_to_num(values), 1) != 0)
            if frac.any():
                i = table.first(frac)
                raise table.error(i, col.name, f"'{text.iloc[i]}' is not a whole number", "write a whole number")
            filled = np.where(empty.to_numpy(), float(col.default or 0), values)
            return pd.Series(filled.astype("int64"), index=text.index)
        if col.default is not None and not (isinstance(col.default, float) and math.isnan(col.default)):
            values = np.where(empty.to_numpy(), float(col.default), values)
        return pd.Series(values, index=text.index, dtype=float)
    if col.kind == "bool":
        lower = text.str.lower()
        is_true, is_false = lower.isin(TRUE_WORDS), lower.isin(FALSE_WORDS)
        bad = ~(is_true | is_false | empty)
        if bad.any():
            i = table.first(bad)
            raise table.error(i, col.name, f"'{text.iloc[i]}' is not true or false",
                              "write true or false (also accepted: 1/0, yes/no, 是/否)")
        return pd.Series(np.where(empty.to_numpy(), bool(col.default), is_true.to_numpy()), index=text.index,
                         dtype=bool)
    if col.kind == "list":
        allowed = ITEM_CHOICES.get((table.name, col.name))
        cache: dict[str, tuple] = {}
        for cell in pd.unique(text.to_numpy()):
            items = tuple(dict.fromkeys(s.strip() for s in re.split(r"[;；]", cell) if s.strip()))
            if allowed or (table.name, col.name) in LOWERCASE_ITEMS:
                items = tuple(s.lower() for s in items)
            if allowed:
                wrong = [s for s in items if s not in allowed]
                if wrong:
                    i = table.first(text.eq(cell))
                    raise table.error(i, col.name, f"'{wrong[0]}' is not an allowed value",
                                      f"use ';'-separated values from: {', '.join(allowed)}")
            cache[cell] = items
        return text.map(cache).astype(object)
    raise ValueError(f"unknown column kind {col.kind!r}")  # pragma: no cover - schema bug
