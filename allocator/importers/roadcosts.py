"""Trench prices for imported road networks: ``fiber.per_km`` by terrain from the
cost model, times the ``[roads]`` factor of the road class (models/costs/*.toml).

The cost model is checked by the same builder the loader uses, so an import
never produces an instance whose model the loader would refuse.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..io.models import Layer, Origins, build_cost_model, package_root
from ..io.tomlsource import read_toml

#: the shipped cost model an import refers to when --costs is not given
DEFAULT_COST_MODEL = "models/costs/china-2018.toml"
DEFAULT_POLICY_MODEL = "models/policy/miit-2018-2020.toml"


@dataclass(frozen=True)
class RoadCosts:
    per_km: dict            # terrain -> trench capex per km
    factor: dict            # road class -> multiplier (classes absent carry no trench)
    off_road_factor: float  # drop / connector trench, cross-country
    radius_km: dict         # terrain -> 4G reach (informative: the loader derives coverage)
    path: Path
    data: dict              # the whole TOML, to inline into instance.toml when it is the user's own

    def rate(self, road_class: str, terrain: str) -> float:
        """Trench cost per km on this road class and terrain; NaN: not a trench route."""
        f = self.factor.get(road_class)
        return math.nan if f is None else self.per_km[terrain] * f

    def off_road_rate(self, terrain: str) -> float:
        return self.per_km[terrain] * self.off_road_factor


def read_road_costs(path: str | Path | None) -> RoadCosts:
    """The cost model at ``path`` (default: the shipped china-2018 model), with its [roads] table."""
    file = Path(path) if path else package_root() / DEFAULT_COST_MODEL
    data, _, text = read_toml(file, what="cost model")
    model = build_cost_model(data, Origins([Layer(str(file), data, text)]), path=str(file))
    roads = data.get("roads")
    if not isinstance(roads, dict) or not isinstance(roads.get("factor"), dict) or not roads["factor"]:
        raise InputError("the cost model has no [roads] table with a 'factor' per road class", file=file,
                         column="roads.factor",
                         fix="add [roads] factor = { primary = 1.3, tertiary = 1.0, track = 0.8, ... } and "
                             "off_road_factor = 1.2 (see models/costs/china-2018.toml)")
    factor = {}
    for name, value in roads["factor"].items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not math.isfinite(value):
            raise InputError(f"roads.factor.{name} must be a positive number, got {value!r}", file=file,
                             column=f"roads.factor.{name}", fix="write a positive multiplier, e.g. 1.0")
        factor[str(name)] = float(value)
    off = roads.get("off_road_factor")
    if isinstance(off, bool) or not isinstance(off, (int, float)) or not off > 0 or not math.isfinite(off):
        raise InputError(f"roads.off_road_factor must be a positive number, got {off!r}", file=file,
                         column="roads.off_road_factor", fix="write e.g. off_road_factor = 1.2")
    return RoadCosts(per_km=dict(model.fiber.per_km), factor=factor, off_road_factor=float(off),
                     radius_km=dict(model.cellular.radius_km), path=file, data=data)
