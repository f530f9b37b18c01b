"""Load an instance directory into a validated, priced :class:`Instance`.

Pipeline: instance.toml (+ what-if overrides) -> models -> typed tables ->
cross-record checks -> prices -> derived coverage and beams. Every failure is
an :class:`~allocator.errors.InputError` naming file, line, column and a fix.
"""
from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Mapping


from .. import checks, pricing
from ..errors import InputError
from ..instance import Instance
from ..analysis.rollout_spec import read_rollout_table  # the optional [rollout] table (docs/rollout.md)
from ..schema import (BUDGET, HORIZON_YEARS, OPTIONAL_FILES, TABLES, YEAR, CostMeasure, Objective,
                      format_number)
from ..spelling import unknown_key_fix
from .models import deep_merge, floors_in_force, resolve_models
from .tables import CsvTable, empty_table, read_table
from .tomlsource import find_line, read_toml

#: keys instance.toml may have at its top level
META_KEYS = ("name", "description", "currency", "cost_model", "policy_model", "budget", "budget_measure",
             "objective", "horizon_years", "discount_rate", "base_year", "costs", "policy", "rollout")
DEFAULT_HORIZON_YEARS = 10
DEFAULT_DISCOUNT_RATE = 0.0


def load_instance(path, *, overrides: dict | None = None) -> Instance:
    """Read, validate and price the instance in directory ``path``.

    Parameters
    ----------
    path : the instance directory (or its instance.toml).
    overrides : a dict deep-merged over instance.toml before the models are
        resolved, e.g. ``{"budget": 1e9, "policy": {"groups": {"deep-poverty": {"floor": 0.95}}}}``.

    Raises
    ------
    InputError
        naming the file, line and column of the first problem and what would fix it.
    """
    directory = Path(path)
    if directory.is_file() and directory.name == "instance.toml":
        directory = directory.parent
    if not directory.is_dir():
        raise InputError("instance directory not found", file=directory,
                         fix="give the path of a directory holding instance.toml and the CSV files")
    toml_path = directory / "instance.toml"
    if not toml_path.is_file():
        raise InputError("file not found", file="instance.toml",
                         fix=f"create {toml_path} (see docs/format.md; at least name, cost_model and policy_model)")
    inline, toml_raw, toml_text = read_toml(toml_path, what="instance.toml")
    if overrides is not None and not isinstance(overrides, Mapping):
        raise InputError("overrides must be a table (dict)", file="overrides", fix="pass a dict")
    meta = deep_merge(inline, overrides or {})
    _check_meta_keys(meta, toml_text, overrides)

    models = resolve_models(meta, instance_dir=directory, toml_file=Path("instance.toml"), toml_text=toml_text,
                            inline=inline, overrides=overrides)
    fields = _meta_fields(meta, toml_text, overrides, models.costs.currency, directory)
    policy = floors_in_force(models.policy, fields["base_year"], models.pinned_floors)

    tables: dict[str, CsvTable | None] = {}
    for name in TABLES:
        file = directory / name
        if name in OPTIONAL_FILES and not file.exists():
            tables[name] = None
        else:
            tables[name] = read_table(file, name)

    frames = checks.check_and_fill(tables, policy=policy, own_policy=models.own_policy,
                                   policy_origins=models.policy_origins,
                                   technologies=models.costs.technologies)
    pricing.price(frames, models.costs)
    checks.derive(frames, tables, costs=models.costs)

    digest = hashlib.sha256()
    parts = [("instance.toml", toml_raw)]
    parts += [(name, tables[name].raw) for name in sorted(TABLES) if tables[name] is not None]
    parts += [(label, file.read_bytes()) for label, file in models.files]
    for label, data in parts:
        digest.update(label.encode("utf-8") + b"\0" + len(data).to_bytes(8, "little") + data)
    if overrides:
        digest.update(b"overrides\0" + json.dumps(overrides, sort_keys=True, default=str).encode("utf-8"))

    return Instance(
        costs=models.costs, policy=policy,
        counties=frames["counties"], villages=frames["villages"], nodes=frames["nodes"],
        edges=frames["edges"], sites=frames["sites"], coverage=frames["coverage"], beams=frames["beams"],
        content_hash=digest.hexdigest(), source=directory.resolve(), **fields)


def _where(key: str, toml_text: str, overrides) -> dict:
    if overrides and key in overrides:
        return {"file": "overrides", "line": None, "column": key}
    return {"file": "instance.toml", "line": find_line(toml_text, [key]), "column": key}


def _check_meta_keys(meta: Mapping, toml_text: str, overrides) -> None:
    for key in meta:
        if key not in META_KEYS:
            raise InputError(f"unknown key '{key}'", **_where(key, toml_text, overrides),
                             fix=unknown_key_fix(key, META_KEYS))


def _meta_fields(meta: Mapping, toml_text: str, overrides, model_currency: str, directory: Path) -> dict:
    def err(key, problem, fix):
        return InputError(problem, **_where(key, toml_text, overrides), fix=fix)

    def number(key, default):
        value = meta.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
            raise err(key, f"'{key}' must be a finite number, got {value!r}", f"write {key} = <number> (no quotes)")
        return value

    def text(key, default):
        value = meta.get(key, default)
        if not isinstance(value, str):
            raise err(key, f"'{key}' must be a string, got {value!r}", f"write {key} = \"...\"")
        return value

    budget = number("budget", None)
    if budget is not None and not BUDGET.contains(budget):
        raise err("budget", f"budget must be >= 0 and <= {format_number(BUDGET.high)}, got {budget:g} "
                            f"(allowed: {BUDGET.text()})",
                  f"write a budget in {BUDGET.text()} in the instance currency, or remove the key for an "
                  f"unlimited budget")
    objective = text("objective", Objective.MAX_COVERAGE.value)
    if objective not in {o.value for o in Objective}:
        raise err("objective", f"unknown objective '{objective}'",
                  f"use one of {', '.join(o.value for o in Objective)}")
    measure = text("budget_measure", CostMeasure.CAPEX.value)
    if measure not in {m.value for m in CostMeasure}:
        raise err("budget_measure", f"unknown budget_measure '{measure}'",
                  f"use one of {', '.join(m.value for m in CostMeasure)}")
    horizon = number("horizon_years", DEFAULT_HORIZON_YEARS)
    if not HORIZON_YEARS.contains(horizon) or int(horizon) != horizon:
        raise err("horizon_years", f"horizon_years must be a whole number in {HORIZON_YEARS.text()}, "
                                   f"got {horizon!r}",
                  "write the planning horizon in whole years, e.g. horizon_years = 10")
    rate = number("discount_rate", DEFAULT_DISCOUNT_RATE)
    if not 0 <= rate < 1:
        raise err("discount_rate", f"discount_rate must be in [0, 1), got {rate!r}",
                  "write a yearly rate as a fraction, e.g. discount_rate = 0.05 for 5%")
    base_year = meta.get("base_year")
    if base_year is not None and (isinstance(base_year, bool) or not isinstance(base_year, int)
                                  or not YEAR.contains(base_year)):
        raise err("base_year", f"base_year must be a year from {YEAR.low:.0f} to {YEAR.high:.0f}, got {base_year!r}",
                  "write e.g. base_year = 2018")
    currency = text("currency", model_currency).strip()
    if currency != model_currency:
        raise err("currency", f"instance currency {currency} differs from the cost model's {model_currency}",
                  f"write currency = \"{model_currency}\", or use a cost model priced in {currency}")
    rollout = read_rollout_table(meta.get("rollout"), toml_text=toml_text,
                                 from_overrides=bool(overrides and "rollout" in overrides))
    return {"name": text("name", directory.name), "description": text("description", ""),
            "currency": currency, "budget": None if budget is None else float(budget),
            "budget_measure": CostMeasure(measure), "objective": Objective(objective),
            "horizon_years": int(horizon), "discount_rate": float(rate), "base_year": base_year,
            "rollout": rollout}


__all__ = ["load_instance", "empty_table"]
