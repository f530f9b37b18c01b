"""Write an instance directory (instance.toml + CSVs) all at once.

Importers and the generator build pandas tables and call :func:`write_instance`;
the result is then read back with :func:`allocator.io.load_instance`, so every
instance, however made, passes the same checks.
"""
from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Mapping

import pandas as pd

from ..errors import InputError
from ..schema import NOTE_PREFIX, TABLES
from . import tomlwrite
from .atomic import atomic_output_dir

#: table file -> its id column (index name of the loaded tables)
ID_COLUMNS = {
    "counties.csv": "county_id",
    "villages.csv": "village_id",
    "network_nodes.csv": "node_id",
    "sites.csv": "site_id",
    "beams.csv": "beam_id",
}

#: columns the loader derives; written back they would turn into overrides or noise
DERIVED_COLUMNS = {
    "villages.csv": ("groups", "province", "prefecture", "fiber_capex", "fiber_opex"),
    "network_edges.csv": ("capex", "opex", "edge_id"),
    "sites.csv": ("backhaul_opex",),
}

#: priced village columns of the cost model's terminal technologies (allocator/pricing.py), not written
DERIVED_PRICE = re.compile(r"^[\w.\-]+_(capex|opex)$")

#: order of the keys at the top of instance.toml
META_ORDER = ("name", "description", "currency", "cost_model", "policy_model", "budget",
              "budget_measure", "objective", "horizon_years", "discount_rate", "base_year")


def _cell(value, kind: str) -> str:
    """One CSV cell as text, the way the loader reads it back."""
    if value is None:
        return ""
    if kind == "list":
        if isinstance(value, str):
            return value
        if isinstance(value, float) and math.isnan(value):
            return ""
        return ";".join(str(getattr(v, "value", v)) for v in value)
    if kind == "bool":
        if isinstance(value, str):
            return value
        if isinstance(value, float) and math.isnan(value):
            return ""
        return "true" if bool(value) else "false"
    if kind == "float":
        if isinstance(value, str):
            return value
        x = float(value)
        if math.isnan(x):
            return ""
        return repr(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():  # an id or adcode that went through a float column
            return str(int(value))
    return str(getattr(value, "value", value))


def table_to_text(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """Columns of ``df`` in schema order (note columns, prefix ``x_``, after), every cell as text.

    The id column may be the index. Columns the loader derives are dropped; any other column the
    schema does not know is an error (the loader would refuse the file)."""
    columns = TABLES[name]
    id_col = ID_COLUMNS.get(name)
    if id_col and id_col not in df.columns and df.index.name == id_col:
        df = df.reset_index()
    elif name == "network_edges.csv" and df.index.name == "edge_id":
        df = df.reset_index(drop=True)
    missing = [c.name for c in columns if c.required and c.name not in df.columns]
    if missing:
        raise InputError(f"table to write lacks required column(s) {', '.join(missing)}",
                         file=name, column=missing[0],
                         fix=f"add column(s) {', '.join(missing)} (see docs/format.md)")
    kinds = {c.name: c.kind for c in columns}
    derived = set(DERIVED_COLUMNS.get(name, ()))
    if name == "villages.csv":  # a terminal technology's priced columns <name>_capex / <name>_opex
        derived |= {c for c in df.columns if c not in kinds and DERIVED_PRICE.match(str(c))}
    ordered = [c.name for c in columns if c.name in df.columns]
    extra = [c for c in df.columns if c not in kinds and c not in derived]
    unknown = [c for c in extra if not str(c).startswith(NOTE_PREFIX)]
    if unknown:  # the loader would refuse the file: say so now, to the program that writes it
        raise InputError(f"column '{unknown[0]}' is not a column of {name}"
                         + (f" (also: {', '.join(map(str, unknown[1:]))})" if len(unknown) > 1 else ""),
                         file=name, column=str(unknown[0]),
                         fix=f"rename it to '{NOTE_PREFIX}{unknown[0]}' to keep it as a note the model does not "
                             f"read, or drop it (columns: docs/format.md)")
    out = {}
    for col in ordered + extra:
        kind = kinds.get(col, "str")
        series = df[col]
        if str(series.dtype) in ("str", "string"):
            out[col] = series.fillna("").astype(str)
        else:
            out[col] = [_cell(v, kind) for v in series.tolist()]
    return pd.DataFrame(out, columns=ordered + extra)


def instance_toml(meta: Mapping) -> str:
    """instance.toml text from ``meta`` (known keys first, then any others)."""
    ordered = {k: meta[k] for k in META_ORDER if k in meta and meta[k] is not None}
    ordered.update({k: v for k, v in meta.items() if k not in ordered and v is not None})
    return tomlwrite.dumps(ordered, header="allocator instance: see docs/format.md for every key")


def write_instance(directory, *, meta: dict, counties, villages, nodes=None, edges=None, sites=None,
                   coverage=None, beams=None, overwrite: bool = True, extra_files: Mapping | None = None) -> Path:
    """Write an instance directory atomically and return its path.

    Parameters
    ----------
    directory : path of the instance directory (replaced as a whole when ``overwrite``).
    meta : the keys of instance.toml (name, description, currency, cost_model,
        policy_model, budget, budget_measure, objective, horizon_years,
        discount_rate, base_year, and optional inline ``costs`` / ``policy``
        tables as nested dicts). ``None`` values are left out.
    counties, villages, nodes, edges, sites, coverage, beams : pandas DataFrames
        with the columns of :mod:`allocator.schema` (the id may be the index;
        list columns may hold tuples; NaN becomes an empty cell). ``None``
        leaves the optional file out.
    overwrite : replace an existing directory (else raise FileExistsError).
    extra_files : file name -> UTF-8 text written beside the tables (an importer's report).

    Files are UTF-8 without BOM, no index column; the directory appears all at
    once or not at all.
    """
    tables = {"counties.csv": counties, "villages.csv": villages, "network_nodes.csv": nodes,
              "network_edges.csv": edges, "sites.csv": sites, "coverage.csv": coverage,
              "beams.csv": beams}
    texts = {name: table_to_text(name, df) for name, df in tables.items() if df is not None}
    toml_text = instance_toml(meta)
    directory = Path(directory)
    with atomic_output_dir(directory, kind="instance", overwrite=overwrite) as tmp:
        (tmp / "instance.toml").write_text(toml_text, encoding="utf-8")
        for name, df in texts.items():
            df.to_csv(tmp / name, index=False, encoding="utf-8", lineterminator="\n")
        for name, text in (extra_files or {}).items():
            (tmp / name).write_text(text, encoding="utf-8")
    return directory
