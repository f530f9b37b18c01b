"""Plan directories: write a :class:`~allocator.plan.Plan` as CSV tables plus
``summary.json``, and read one back (also after editing it by hand).

Only the decision is read from the tables (``villages.csv`` technology and
site_id, ``edges.csv`` edge_id, ``sites.csv`` site_id and backhaul); every other
column is rebuilt by :func:`allocator.plan_build.assemble`, so a hand-edited
cost or route cannot disagree with the decision. The format is described in
docs/plan-format.md.
"""
from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .decision import Decision
from .errors import InputError, file_error
from .instance import Instance
from .io.atomic import atomic_output_dir
from .plan import Plan
from .plan_build import TOTALS_BY, assemble, totals
from .schema import NO_TECHNOLOGY

BACKHAULS = ("fiber", "microwave")
SUMMARY = "summary.json"
#: decimals kept in CSV floats (money to a billionth of a yuan; what goes is float noise)
CSV_DECIMALS = 9
FIX_REWRITE = "compare with a plan written by `allocator solve DIR -o PLAN_DIR` (format: docs/plan-format.md)"


# --------------------------------------------------------------------------- writing
def _json_ready(value):
    """Plain JSON types: numpy scalars to Python, NaN/inf to None, enums to their value."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [_json_ready(v) for v in items]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if hasattr(value, "value"):  # Enum
        return _json_ready(value.value)
    if isinstance(value, Path):
        return str(value)
    return str(value)


def summary_json(summary: dict) -> str:
    """``summary`` as JSON text: sorted keys, numbers as numbers, NaN as null."""
    return json.dumps(_json_ready(summary), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    """Float columns rounded to CSV_DECIMALS places: 55.00000000000001 (sums of prices) is written 55.0."""
    floats = table.select_dtypes(include="float").columns
    if len(floats) == 0:
        return table
    out = table.copy()
    out[floats] = out[floats].round(CSV_DECIMALS)
    return out


def write_plan(plan: Plan, directory: str | Path, *, overwrite: bool = True,
               extra_files: dict[str, str] | None = None) -> Path:
    """Write ``plan`` into ``directory`` all at once (or not at all).

    Files: villages.csv, edges.csv, sites.csv, beams.csv, groups.csv,
    totals_by_{technology,county,province,prefecture,group}.csv, summary.json,
    and ``extra_files`` (name -> text, e.g. a what-if plan's scenario.json).
    CSVs are UTF-8, comma-separated, with the id as first column. An existing
    ``directory`` is replaced only if allocator wrote it (allocator.io.atomic).

    Returns
    -------
    Path of the written directory.
    """
    directory = Path(directory)
    tables = {"villages.csv": plan.villages, "edges.csv": plan.edges, "sites.csv": plan.sites,
              "beams.csv": plan.beams, "groups.csv": plan.groups}
    for by in TOTALS_BY:
        tables[f"totals_by_{by}.csv"] = totals(plan, by)
    text = summary_json(plan.summary)
    with atomic_output_dir(directory, kind="plan", overwrite=overwrite) as tmp:
        for name, table in tables.items():
            _rounded(table).to_csv(tmp / name, index=True, encoding="utf-8", lineterminator="\n")
        (tmp / SUMMARY).write_text(text, encoding="utf-8")
        for name, extra in (extra_files or {}).items():
            (tmp / name).write_text(extra, encoding="utf-8")
    return directory


# --------------------------------------------------------------------------- reading
def _read_csv(path: Path, required: tuple[str, ...], *, also: tuple[str, ...] = (),
              optional: bool = False) -> pd.DataFrame | None:
    """Columns ``required`` (and ``also``, if present) of a plan CSV as stripped text; every other
    column is derived and not read. None when ``optional`` and the file is absent."""
    if not path.exists():
        if optional:
            return None
        raise InputError("file is missing", file=path, fix=FIX_REWRITE)
    wanted = set(required) | set(also)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skip_blank_lines=False,
                         usecols=lambda c: str(c).strip() in wanted)
    except pd.errors.EmptyDataError:
        raise InputError("file is empty (not even a header line)", file=path,
                         fix=f"write at least the header: {','.join(required)}") from None
    except pd.errors.ParserError as err:
        m = re.search(r"line (\d+)", str(err))
        raise InputError(f"not a valid CSV table: {err}", file=path, line=int(m.group(1)) if m else None,
                         fix="make every line have as many comma-separated cells as the header") from None
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text ({err.reason})", file=path, fix="save the file as UTF-8") from None
    except OSError as err:  # a folder where the file should be, unreadable, ...
        raise (file_error(err, path) or err) from None
    df.columns = [str(c).strip() for c in df.columns]
    missing = [c for c in required if c not in df.columns]
    if missing:
        header = path.read_text(encoding="utf-8", errors="replace").partition("\n")[0].strip()
        raise InputError(f"column '{missing[0]}' is missing (header: {header})", file=path, line=1,
                         column=missing[0], fix=f"add the column(s) {', '.join(missing)} to the header line")
    for c in df.columns:
        df[c] = df[c].str.strip()
    # physical line of each row (header = line 1); blank rows are then skipped
    df.index = pd.RangeIndex(2, len(df) + 2, name="line")
    return df[(df != "").any(axis=1)] if len(df.columns) else df


def _first_bad(path: Path, df: pd.DataFrame, bad: pd.Series, column: str, problem: str, fix: str) -> None:
    """Raise an InputError at the first row flagged in ``bad``, counting the others."""
    if not bad.any():
        return
    rows = np.flatnonzero(bad.to_numpy())
    i = int(rows[0])
    more = f" (and {len(rows) - 1} more rows)" if len(rows) > 1 else ""
    raise InputError(problem.format(value=df[column].iloc[i]) + more, file=path, line=int(df.index[i]),
                     column=column, fix=fix)


def _read_villages(path: Path, instance: Instance) -> tuple[dict, dict]:
    df = _read_csv(path, ("village_id", "technology"), also=("site_id",))
    ids = df["village_id"]
    known = instance.villages.index.astype(str)
    _first_bad(path, df, ~ids.isin(known), "village_id", "unknown village '{value}'",
               f"use the village ids of instance {instance.name!r} (villages.csv), or verify the plan against "
               f"the instance it was made for")
    _first_bad(path, df, ids.duplicated(), "village_id", "village '{value}' appears twice",
               "keep one row per village")
    absent = known[~known.isin(ids)]
    if len(absent):
        listed = ", ".join(absent[:10]) + (" ..." if len(absent) > 10 else "")
        raise InputError(f"{len(absent)} villages of the instance have no row: {listed}", file=path,
                         column="village_id", fix="add one row per village (technology 'none' for no new connection)")
    tech = df["technology"].str.lower().replace("", NO_TECHNOLOGY)
    df["technology"] = tech
    known_techs = instance.costs.technologies.access + (NO_TECHNOLOGY,)
    _first_bad(path, df, ~tech.isin(known_techs), "technology", "unknown technology '{value}'",
               f"use one of {', '.join(known_techs)}")
    technology = dict(zip(ids, tech))
    site_of = {}
    if "site_id" in df.columns:
        cell = tech.isin(instance.costs.technologies.names_of("site")) & (df["site_id"] != "")
        _first_bad(path, df, cell & ~df["site_id"].isin(instance.sites.index.astype(str)), "site_id",
                   "unknown site '{value}'", f"use a site id of instance {instance.name!r} (sites.csv)")
        site_of = dict(zip(ids[cell], df.loc[cell, "site_id"]))
    return technology, site_of


def _read_edges(path: Path, instance: Instance) -> frozenset:
    df = _read_csv(path, ("edge_id",), optional=True)
    if df is None:
        return frozenset()
    is_int = df["edge_id"].str.fullmatch(r"\d+")
    _first_bad(path, df, ~is_int, "edge_id", "edge id '{value}' is not a whole number",
               "edge ids are the 0-based row numbers of the instance's network_edges.csv")
    ids = df["edge_id"].astype(int)
    _first_bad(path, df, ~ids.isin(instance.edges.index), "edge_id", "unknown edge '{value}'",
               f"instance {instance.name!r} has edges 0..{len(instance.edges) - 1}")
    return frozenset(int(e) for e in ids)


def _read_sites(path: Path, instance: Instance) -> dict:
    df = _read_csv(path, ("site_id", "backhaul"), optional=True)
    if df is None:
        return {}
    _first_bad(path, df, ~df["site_id"].isin(instance.sites.index.astype(str)), "site_id",
               "unknown site '{value}'", f"use a site id of instance {instance.name!r} (sites.csv)")
    _first_bad(path, df, df["site_id"].duplicated(), "site_id", "site '{value}' appears twice",
               "keep one row per opened site")
    backhaul = df["backhaul"].str.lower()
    df["backhaul"] = backhaul
    _first_bad(path, df, ~backhaul.isin(BACKHAULS), "backhaul", "unknown backhaul '{value}'",
               "use fiber or microwave")
    return dict(zip(df["site_id"], backhaul))


def _read_summary(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as err:
        raise InputError(f"not valid JSON: {err.msg} (character {err.colno})", file=path, line=err.lineno,
                         fix="fix the JSON syntax, or delete summary.json (the plan is then checked without it)"
                         ) from None
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text ({err.reason})", file=path, fix="save the file as UTF-8") from None
    except OSError as err:
        raise (file_error(err, path) or err) from None
    if not isinstance(data, dict):
        raise InputError("must hold one JSON object ({...})", file=path, line=1, fix=FIX_REWRITE)
    return data


def read_decision(directory: str | Path, instance: Instance) -> tuple[Decision, dict]:
    """The decision and summary stored in a plan directory (see :func:`read_plan`)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError("plan directory not found", file=directory,
                         fix="give the directory written by `allocator solve DIR -o PLAN_DIR`")
    technology, site_of = _read_villages(directory / "villages.csv", instance)
    built = _read_edges(directory / "edges.csv", instance)
    opened = _read_sites(directory / "sites.csv", instance)
    summary = _read_summary(directory / SUMMARY)
    return Decision(technology=technology, site_of=site_of, built_edges=built, opened_sites=opened), summary


def read_plan(directory: str | Path, instance: Instance) -> Plan:
    """Read a plan directory for ``instance`` and rebuild every table from its decision.

    Read: villages.csv (village_id, technology, optional site_id: only for 4g
    villages), edges.csv (edge_id; absent: no edge built), sites.csv (site_id,
    backhaul; absent: no site opened), summary.json (absent: empty). Every other
    column is ignored and recomputed; the file's summary is kept, with its
    derived totals recomputed (see :func:`allocator.plan_build.assemble`).

    Raises
    ------
    InputError
        A missing or malformed file, an unknown technology or backhaul, or a
        village, edge or site id the instance does not have (naming the file,
        line and column).
    """
    decision, summary = read_decision(directory, instance)
    return assemble(instance, decision, summary)
