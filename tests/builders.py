"""Builders of small instance directories for tests (shared by every test module).

``make_instance_dir(tmp_path)`` writes a minimal valid county instance with
the shipped models; keyword arguments replace whole tables (a list of dicts or
a DataFrame; ``None`` leaves an optional file out) or merge keys into
instance.toml (``meta=``). ``write_csv_text`` writes a table verbatim, for
files a spreadsheet might produce (BOM, odd quoting, bad cells).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from allocator.io import write_instance

COST_MODEL = "models/costs/china-2018.toml"
POLICY_MODEL = "models/policy/miit-2018-2020.toml"

_UNSET = object()


def base_meta() -> dict:
    return {"name": "mini", "description": "minimal test instance", "currency": "CNY",
            "cost_model": COST_MODEL, "policy_model": POLICY_MODEL, "budget": 2_000_000.0,
            "budget_measure": "capex", "objective": "max-coverage", "horizon_years": 10,
            "discount_rate": 0.05}


def base_tables() -> dict[str, list[dict] | None]:
    """Two counties, five villages, a backbone node with a short tree, one 4G site."""
    return {
        "counties": [
            {"county_id": "c1", "name": "甘孜县", "province": "四川", "adcode": "513328", "groups": "deep-poverty"},
            {"county_id": "c2", "name": "平山县", "province": "河北", "adcode": "130131", "groups": ""},
        ],
        "villages": [
            {"village_id": "v1", "county_id": "c1", "name": "扎科村", "lon": 100.00, "lat": 31.60,
             "population": 300, "poor": "true", "node": "n1", "terrain": "plateau", "existing": "none"},
            {"village_id": "v2", "county_id": "c1", "name": "来马村", "lon": 100.02, "lat": 31.61,
             "population": 200, "poor": "true", "node": "n2", "terrain": "plateau", "existing": "none",
             "school": "true"},
            {"village_id": "v3", "county_id": "c1", "name": "仁果村", "lon": 100.30, "lat": 31.80,
             "population": 150, "poor": "true", "node": "", "terrain": "mountain", "existing": "none"},
            {"village_id": "v4", "county_id": "c2", "name": "西柏坡村", "lon": 114.00, "lat": 38.30,
             "population": 500, "poor": "false", "node": "n3", "terrain": "hills", "existing": "fiber"},
            {"village_id": "v5", "county_id": "c2", "name": "北庄村", "lon": 114.02, "lat": 38.31,
             "population": 400, "poor": "true", "node": "n4", "terrain": "hills", "existing": "none"},
        ],
        "nodes": [
            {"node_id": "b0", "kind": "backbone", "lon": 99.98, "lat": 31.58},
            {"node_id": "j1", "kind": "junction", "lon": 100.00, "lat": 31.59},
            {"node_id": "n1", "kind": "village", "lon": 100.00, "lat": 31.60},
            {"node_id": "n2", "kind": "village", "lon": 100.02, "lat": 31.61},
            {"node_id": "n3", "kind": "village", "lon": 114.00, "lat": 38.30},
            {"node_id": "n4", "kind": "village", "lon": 114.02, "lat": 38.31},
        ],
        "edges": [
            {"u": "b0", "v": "j1", "length_km": 2.0, "terrain": "plateau"},
            {"u": "j1", "v": "n1", "length_km": 1.0, "terrain": "plateau"},
            {"u": "j1", "v": "n2", "length_km": 3.0, "terrain": "plateau"},
            {"u": "n3", "v": "n4", "length_km": 2.5, "terrain": "hills", "cost": 100000.0},
        ],
        "sites": [
            {"site_id": "s1", "node": "", "lon": 100.29, "lat": 31.79, "terrain": "mountain", "backhaul": "any"},
        ],
        "coverage": None,
        "beams": None,
    }


def make_instance_dir(tmp_path, name: str = "inst", *, meta: dict | None = None, **tables) -> Path:
    """Write the minimal instance (tables replaced by keyword) under ``tmp_path / name``."""
    data = base_tables()
    for key, value in tables.items():
        if key not in data:
            raise TypeError(f"unknown table {key!r}; use one of {', '.join(data)}")
        data[key] = value
    frames = {k: (None if v is None else v if isinstance(v, pd.DataFrame) else pd.DataFrame(v))
              for k, v in data.items()}
    full_meta = base_meta()
    full_meta.update(meta or {})
    full_meta = {k: v for k, v in full_meta.items() if v is not None}
    return write_instance(Path(tmp_path) / name, meta=full_meta, **frames)


def write_csv_text(directory, file: str, text: str, *, bom: bool = False) -> Path:
    """Write ``text`` verbatim as ``directory/file`` (UTF-8, with a BOM if asked)."""
    path = Path(directory) / file
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def replace_in_file(path, old: str, new: str) -> None:
    """Edit one occurrence of ``old`` in a text file (fails loudly if absent)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    for number, line in enumerate(Path(path).read_text(encoding="utf-8-sig").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
