"""Synthetic instances shaped like China's 2018-2020 network poverty-alleviation
programme: real county seats, villages clustered around them, a road-like
trench graph, candidate 4G sites, schools, clinics and the programme's 2016
starting coverage.

``generate(preset, seed=..., directory=...)`` writes the instance directory
(all at once) and returns its path; the same preset and seed give
byte-identical files. Presets are data in :mod:`.presets`.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from .build import Tables, build_tables
from .presets import PRESETS, Preset, get_preset

COST_MODEL = "models/costs/china-2018.toml"
POLICY_MODEL = "models/policy/miit-2018-2020.toml"


def cost_model_ref(name: str | None) -> str:
    """The ``cost_model`` path of ``--cost-model NAME``: a shipped model's name (``china-2026``)
    or a path to a model file; None: the default model."""
    if not name:
        return COST_MODEL
    if name.endswith(".toml") or "/" in name:
        return str(Path(name).resolve()) if Path(name).is_file() else name
    return f"models/costs/{name}.toml"


def instance_meta(preset: Preset, seed: int, *, budget: float | None = None, cost_model: str | None = None) -> dict:
    """instance.toml contents of a generated instance."""
    p = preset.params
    return {
        "name": f"{preset.name}-seed{seed}",
        "description": f"synthetic ({preset.name} preset, seed {seed}): {preset.description}. "
                       f"Budget, horizon and discount rate are generator assumptions.",
        "currency": "CNY",
        "cost_model": cost_model or COST_MODEL,
        "policy_model": POLICY_MODEL,
        "budget": budget,
        "budget_measure": p.budget_measure,
        "objective": p.objective,
        "horizon_years": p.horizon_years,
        "discount_rate": p.discount_rate,
        "base_year": p.base_year,
    }


def generate(preset: str | Preset, *, seed: int, directory, overwrite: bool = True,
             cost_model: str | None = None) -> Path:
    """Write the instance of ``preset`` drawn with ``seed`` to ``directory``.

    The tables are written, loaded back (so the instance passes every check of
    the loader) and priced; the budget is then set to the preset's share of the
    cost of covering every village (see :func:`allocator.analysis.describe.set_budget`).

    Raises
    ------
    OptionsError
        Unknown preset.
    InputError
        The generated tables fail the loader's checks (a generator bug).
    FileExistsError
        ``directory`` exists and ``overwrite`` is false.

    ``cost_model``: the ``cost_model`` instance.toml names (:func:`cost_model_ref`); default china-2018.
    """
    from ..io import load_instance
    from ..io.atomic import MARKER, atomic_output_dir
    from ..io.writer import instance_toml, write_instance
    from .reference import budget_for

    if isinstance(preset, str):
        preset = get_preset(preset)
    tables = build_tables(preset, seed)
    directory = Path(directory)
    if directory.exists() and not overwrite:
        raise FileExistsError(directory)
    with atomic_output_dir(directory, kind="instance", overwrite=overwrite) as tmp:
        draft = write_instance(tmp / "draft", meta=instance_meta(preset, seed, cost_model=cost_model),
                               **_frames(tables))
        instance = load_instance(draft)
        site_techs = instance.costs.technologies.names_of("site")
        if len(site_techs) > 1:  # e.g. china-2026: every candidate site also offered as 5G FWA
            tables = offer_every_site_technology(tables, site_techs)
            shutil.rmtree(draft)
            draft = write_instance(tmp / "draft", meta=instance_meta(preset, seed, cost_model=cost_model),
                                   **_frames(tables))
            instance = load_instance(draft)
        budget = budget_for(instance, share=preset.params.budget_share)
        meta = instance_meta(preset, seed, budget=budget, cost_model=cost_model)
        (draft / "instance.toml").write_text(instance_toml(meta), encoding="utf-8")
        (draft / MARKER).unlink()  # tmp has its own (locked) marker
        for item in sorted(draft.iterdir()):
            shutil.move(str(item), tmp / item.name)
        draft.rmdir()
    # the temporary directory was made private (0700); give it the usual permissions
    umask = os.umask(0)
    os.umask(umask)
    directory.chmod(0o777 & ~umask)
    return directory


def offer_every_site_technology(tables: Tables, site_techs) -> Tables:
    """Every candidate site offered once per site technology of the cost model: the first keeps its
    row, each other gets a copy at the same place (id ``...-<technology>``), priced and reaching as
    that technology's block says (coverage from its radius when the preset computes coverage)."""
    import dataclasses

    import pandas as pd

    base = tables.sites.assign(technology=site_techs[0])

    def renamed(ids: pd.Series, tech: str) -> pd.Series:
        ids = ids.astype(str)
        return ids.where(~ids.str.endswith("-4G"), ids.str[:-3]) + f"-{tech}"

    copies = [base] + [base.assign(site_id=renamed(base["site_id"], t), technology=t) for t in site_techs[1:]]
    coverage = tables.coverage
    if coverage is not None:
        coverage = pd.concat([coverage] + [coverage.assign(site_id=renamed(coverage["site_id"], t))
                                           for t in site_techs[1:]], ignore_index=True)
    return dataclasses.replace(tables, sites=pd.concat(copies, ignore_index=True), coverage=coverage)


def _frames(tables: Tables) -> dict:
    return {"counties": tables.counties, "villages": tables.villages, "nodes": tables.nodes,
            "edges": tables.edges, "sites": tables.sites, "coverage": tables.coverage}


__all__ = ["PRESETS", "Preset", "generate", "get_preset", "build_tables", "instance_meta"]
