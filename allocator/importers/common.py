"""What every importer of a published benchmark shares: the tables it produces,
the instance settings that make ``allocator solve`` reproduce the published
optimum, and the atomic write of the instance directory.

A published benchmark is "minimum cost, every village covered", with nothing
priced but what the file prices. So an imported instance:

- minimises capex (``objective = 'min-cost'``, ``budget_measure = 'capex'``,
  no budget, horizon 0 so opex never counts);
- requires every village (policy group ``all-poor`` with floor 1.0: every
  imported village is registered poor), and nothing about schools or clinics;
- carries an inline cost model whose fixed prices (drops, opex, microwave) are
  zero, so the objective is exactly the sum of the file's own costs;
- gives villages a bandwidth demand of 0: bandwidth plays no part in these
  problems, so no beam or technology can run short of it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io.writer import write_instance  # owns the file layout and cell formatting
from ..schema import ALL_POOR, TERRAINS, CostMeasure, Objective, Technology

#: the single county every imported instance puts its villages in
COUNTY_ID = "c1"


@dataclass
class ImportedTables:
    """An imported instance before it is written: ``instance.toml`` contents
    (``meta``) and one DataFrame per table, columns as in :mod:`allocator.schema`.

    Tables an instance does not have are ``None`` (their files are not written).
    """

    meta: dict
    counties: pd.DataFrame
    villages: pd.DataFrame
    nodes: pd.DataFrame | None = None
    edges: pd.DataFrame | None = None
    sites: pd.DataFrame | None = None
    coverage: pd.DataFrame | None = None
    summary: dict = field(default_factory=dict)  # counts read from the file, for reports and tests


def read_text(path: str | Path) -> str:
    """The file's text with every line ending (CRLF, LF, lone CR) turned into ``\\n``.

    Raises
    ------
    InputError
        The file cannot be read.
    """
    path = Path(path)
    try:
        # text mode uses universal newlines: mixed CRLF/LF files (SteinLib I080) read cleanly
        return path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise InputError("file not found", file=path, fix="check the path") from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", file=path) from None
    except OSError as err:
        raise InputError(f"cannot read the file: {err.strerror}", file=path) from None


def imported_meta(*, name: str, description: str, fmt: str) -> dict:
    """``instance.toml`` contents shared by every importer (see the module docstring).

    The cost and policy models are inline and complete, so an imported
    instance depends on no model file."""
    return {
        "name": name,
        "description": description,
        "currency": "unit",
        "objective": Objective.MIN_COST.value,
        "budget_measure": CostMeasure.CAPEX.value,
        "horizon_years": 0,
        "discount_rate": 0.0,
        "costs": _zero_fixed_costs(name),
        "policy": {
            "name": f"{fmt}-every-village",
            "description": "every village covered (the benchmark's own constraint)",
            "groups": {ALL_POOR: {"floor": 1.0}},
            "schools": {"required": False},
            "clinics": {"required": False},
        },
    }


def _zero_fixed_costs(name: str) -> dict:
    """A complete inline cost model that adds nothing to what the file prices itself.

    Edge costs, site costs and satellite prices come from the tables'
    override columns; every price that would apply on top of them is 0.
    Bandwidths, reach and quality are nominal: with a demand of 0 and
    explicit coverage they decide nothing.
    """
    zero_by_terrain = {t: 0.0 for t in TERRAINS}
    return {
        "name": f"{name}-file-costs",
        "description": "prices come from the imported file only; every fixed price is 0",
        "currency": "unit",
        "fiber": {"per_km": dict(zero_by_terrain), "opex_per_km_year": 0.0, "drop_capex": 0.0,
                  "drop_opex_year": 0.0, "mbps": 100.0},
        "cellular": {"site_capex": dict(zero_by_terrain), "site_opex_year": 0.0,
                     "radius_km": {t: 1.0 for t in TERRAINS},
                     "microwave_capex": 0.0, "microwave_opex_year": 0.0, "mbps": 20.0},
        "satellite": {"terminal_capex": 0.0, "fee_year": 0.0, "beam_capacity_mbps": 1000.0,
                      "mbps": 10.0},
        "quality": {t.value: 1.0 for t in Technology},
    }


def single_county(name: str, province: str) -> pd.DataFrame:
    return pd.DataFrame({"county_id": [COUNTY_ID], "name": [name], "province": [province]})


def write_imported(tables: ImportedTables, directory: str | Path, *, overwrite: bool = True,
                   extra_files: dict | None = None) -> Path:
    """Write ``tables`` as an instance directory, all at once or not at all.

    An existing directory is replaced only if allocator wrote it as an instance
    (allocator.io.atomic), so ``-o .`` can never wipe a working tree.
    """
    return write_instance(
        directory, meta=tables.meta, counties=tables.counties, villages=tables.villages,
        nodes=tables.nodes, edges=tables.edges, sites=tables.sites, coverage=tables.coverage,
        overwrite=overwrite, extra_files=extra_files,
    )
