"""Cost and policy models: declarative TOML files under ``models/`` that
instances refer to, merged with the instance's own inline tables.

``instance.toml`` names its models by path::

    cost_model = "models/costs/china-2018.toml"
    policy_model = "models/policy/miit-2018-2020.toml"

A path is looked up relative to the instance directory, then relative to each
parent directory (a user's own ``models/`` next to their instances wins), then
among the models shipped inside the package (``allocator/models/``, package
data, so a wheel install finds them too). Inline ``[costs]`` and
``[policy]`` tables in instance.toml (and what-if ``overrides``) are deep-merged
over the file's values: tables merge key by key, any other value (numbers,
strings, the ``rules`` list) is replaced whole. An instance may also give its
models inline only, with no file.

The file layouts are documented in the shipped model files themselves and in
docs/format.md.
"""
from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..errors import InputError
from ..instance import (CellularCosts, CostModel, FiberCosts, GroupPolicy, Policy, SatelliteCosts,
                        TechRule)
from ..schema import (ALL_POOR, BANDWIDTH, PRIORITY, SHARE, TERRAINS, Limits, Technology, cost_limits,
                      format_number)
from ..technologies import (ACCESS_KINDS, CAPACITY_KEYS, COST_KEYS, KINDS, LABEL_KEYS, LEGACY_LABELS,
                            REACH_KEYS, Registry, allowed_keys, required_keys)
from ..technologies import Technology as TechnologySpec
from ..spelling import unknown_key_fix
from .tomlsource import find_line, read_toml

RULE_SCOPES = ("county", "prefecture", "province", "group")
RULE_ACTIONS = ("force", "forbid")
TECHNOLOGIES = tuple(t.value for t in Technology)

_COST_KEYS = {
    "fiber": ("per_km", "opex_per_km_year", "drop_capex", "drop_opex_year", "mbps"),
    "cellular": ("site_capex", "site_opex_year", "radius_km", "microwave_capex", "microwave_opex_year", "mbps"),
    "satellite": ("terminal_capex", "fee_year", "beam_capacity_mbps", "mbps"),
}
_COST_TOP = ("name", "currency", "description", "usd_cny", "fiber", "cellular", "satellite", "quality", "sources",
             "roads")  # [roads]: read by the road importers only (allocator/importers/roadcosts.py)
#: top-level keys of the technologies layout ([technologies.<name>] blocks, see allocator/technologies.py)
_TECH_TOP = ("name", "currency", "description", "usd_cny", "technologies", "sources", "roads")
_LEGACY_SECTIONS = ("fiber", "cellular", "satellite", "quality")
_POLICY_TOP = ("name", "description", "groups", "schools", "clinics", "weights", "rules", "milestones")


def deep_merge(base: Mapping, over: Mapping | None) -> dict:
    """``base`` with ``over`` merged in: nested tables key by key, other values replaced."""
    out = copy.deepcopy(dict(base))
    for key, value in (over or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def has_path(data: Mapping | None, keys) -> bool:
    cur: Any = data
    for k in keys:
        if not isinstance(cur, Mapping) or str(k) not in {str(x) for x in cur}:
            return False
        cur = next(v for x, v in cur.items() if str(x) == str(k))
    return True


# --------------------------------------------------------------------------- origins
@dataclass
class Layer:
    """One source of a model's values: an override dict, instance.toml's inline table, a model file."""

    file: str
    data: Mapping
    text: str | None = None
    prefix: tuple = ()


@dataclass
class Origins:
    """Layers of one model, highest priority first, to say where a value came from."""

    layers: list[Layer] = field(default_factory=list)

    def where(self, keys) -> dict:
        keys = [str(k) for k in keys]
        for layer in self.layers:
            if has_path(layer.data, keys):
                return {"file": layer.file, "line": find_line(layer.text, list(layer.prefix) + keys)}
        for layer in self.layers:  # the key is missing: point at the table that lacks it
            for cut in range(len(keys) - 1, 0, -1):
                if has_path(layer.data, keys[:cut]):
                    return {"file": layer.file, "line": find_line(layer.text, list(layer.prefix) + keys[:cut])}
        last = self.layers[-1] if self.layers else None
        return {"file": last.file if last else None, "line": None}

    def error(self, keys, problem: str, fix: str) -> InputError:
        return InputError(problem, column=".".join(str(k) for k in keys), fix=fix, **self.where(keys))


# --------------------------------------------------------------------------- values
def _get(data: Mapping, keys):
    cur: Any = data
    for k in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(k)
        if cur is None:
            return None
    return cur


def _number(data, keys, origins: Origins, *, positive=False, limits: Limits | None = None,
            unit: str = "") -> float:
    """The number at ``keys``: finite, >= 0 (> 0 when ``positive``) and within ``limits`` (default: the
    cost model's declared limits of that parameter, see schema.COST_MODEL_LIMITS)."""
    value = _get(data, keys)
    name = ".".join(keys)
    if limits is None and keys and keys[0] in _COST_KEYS | {"quality": (), "technologies": ()}:
        limits = cost_limits(name)
    if value is None:
        raise origins.error(keys, f"missing value '{name}'", f"add '{keys[-1]} = <number{unit}>' to the model")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise origins.error(keys, f"'{name}' must be a number, got {value!r}",
                            f"write a plain number{unit}, without quotes")
    value = float(value)
    if not math.isfinite(value):
        raise origins.error(keys, f"'{name}' must be finite, got {value}", "write a finite number")
    if value < 0 or (positive and value == 0):
        raise origins.error(keys, f"'{name}' must be {'> 0' if positive else '>= 0'}, got {value:g}",
                            f"write a {'positive' if positive else 'non-negative'} number{unit}")
    if limits is not None and value > limits.high:
        shown = f" {limits.unit}" if limits.unit else unit
        raise origins.error(keys, f"'{name}' must be at most {format_number(limits.high)}, got {value:g} "
                                  f"(allowed: {limits.text()})",
                            f"write a number between {format_number(limits.low)} and "
                            f"{format_number(limits.high)}{shown}")
    return value


def _by_terrain(data, keys, origins: Origins, *, positive=False) -> dict[str, float]:
    table = _get(data, keys)
    if not isinstance(table, Mapping):
        raise origins.error(keys, f"'{'.'.join(keys)}' must be a table with one number per terrain "
                                  f"({', '.join(TERRAINS)})",
                            f"write {keys[-1]} = {{ " + ", ".join(f"{t} = ..." for t in TERRAINS) + " }")
    unknown = sorted(set(table) - set(TERRAINS))
    if unknown:
        raise origins.error(keys + [unknown[0]], f"unknown terrain '{unknown[0]}'",
                            unknown_key_fix(unknown[0], TERRAINS, what="terrain"))
    return {t: _number(data, keys + [t], origins, positive=positive) for t in TERRAINS}


def _check_keys(data: Mapping, allowed, keys, origins: Origins, what: str) -> None:
    for key in data:
        if key not in allowed:
            raise origins.error(list(keys) + [key], f"unknown key '{key}' in {what}",
                                unknown_key_fix(key, allowed))


# --------------------------------------------------------------------------- cost model
def build_cost_model(data: Mapping, origins: Origins, *, path: str | None = None) -> CostModel:
    """A :class:`CostModel` from merged TOML data; every number checked finite and >= 0.

    Two layouts: ``[technologies.<name>]`` blocks (allocator/technologies.py), or
    the china-2018 layout ``[fiber]``/``[cellular]``/``[satellite]``/``[quality]``,
    translated on load to the same technologies (fiber, 4g, satellite, microwave)."""
    if "technologies" in data:
        mixed = [k for k in _LEGACY_SECTIONS if k in data]
        if mixed:
            raise origins.error([mixed[0]], f"the cost model declares [technologies] and also the old "
                                            f"[{mixed[0]}] table", f"move the values of [{mixed[0]}] into "
                                            f"the matching [technologies.<name>] block (docs/technologies.md)")
        registry = _build_technologies(data, origins)
        layout = "technologies"
    else:
        registry = _legacy_technologies(data, origins)
        layout = "legacy"
    sources = {str(k): str(v) for k, v in (data.get("sources") or {}).items()}
    currency = data.get("currency")
    if not isinstance(currency, str) or not currency.strip():
        raise origins.error(["currency"], "cost model has no currency", "add currency = \"CNY\"")
    return CostModel(name=str(data.get("name") or (Path(path).stem if path else "inline")),
                     currency=currency.strip(), technologies=registry, sources=sources, path=path, layout=layout)


def _text(data, keys, origins: Origins) -> str:
    value = _get(data, keys)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise origins.error(keys, f"'{'.'.join(keys)}' must be text, got {value!r}", "write it in quotes")
    return value.strip()


def _build_technologies(data: Mapping, origins: Origins) -> Registry:
    _check_keys(data, _TECH_TOP, [], origins, "the cost model")
    table = data["technologies"]
    if not isinstance(table, Mapping) or not table:
        raise origins.error(["technologies"], "'technologies' must hold one [technologies.<name>] table per "
                                              "technology", "write [technologies.fiber] kind = \"network\" ...")
    items = []
    for name, block in table.items():
        keys = ["technologies", str(name)]
        if not isinstance(block, Mapping):
            raise origins.error(keys, f"technology '{name}' must be a table", f"write [technologies.{name}]")
        kind = block.get("kind")
        if kind not in KINDS:
            shown = "missing" if kind is None else repr(kind)
            raise origins.error(keys + ["kind"], f"technology '{name}': kind is {shown}, not one of "
                                                 f"{', '.join(KINDS)}",
                                unknown_key_fix(str(kind), KINDS, what="kind") if kind is not None
                                else f"add kind = \"...\" (one of {', '.join(KINDS)})")
        _check_keys(block, allowed_keys(kind), keys, origins, f"[technologies.{name}] (kind {kind})")
        for key in required_keys(kind):
            if key not in block:
                raise origins.error(keys + [key], f"technology '{name}' (kind {kind}) has no '{key}'",
                                    f"add '{key} = ...' to [technologies.{name}] (a {kind} needs "
                                    f"{', '.join(required_keys(kind))})")
        costs = {}
        for key, terrain in COST_KEYS[kind].items():
            costs[key] = (_by_terrain(data, keys + [key], origins) if terrain
                          else _number(data, keys + [key], origins))
        service = {}
        if kind in ACCESS_KINDS:
            service["quality"] = _number(data, keys + ["quality"], origins)
            service["mbps"] = _number(data, keys + ["mbps"], origins, positive=True, unit=" (Mbit/s)")
        if kind in REACH_KEYS:
            service["reach_km"] = _by_terrain(data, keys + [REACH_KEYS[kind]], origins, positive=True)
        if kind in CAPACITY_KEYS:
            service["capacity_mbps"] = _number(data, keys + [CAPACITY_KEYS[kind]], origins, unit=" (Mbit/s)")
        labels = {k: _text(data, keys + [k], origins) for k in LABEL_KEYS}
        items.append(TechnologySpec(name=str(name), kind=kind, costs=costs, **service, **labels))
    networks = [t.name for t in items if t.kind == "network"]
    if len(networks) > 1:
        raise origins.error(["technologies", networks[1]], f"more than one network technology "
                                                           f"({', '.join(networks)}): one trench graph serves one",
                            f"keep one network technology; declare '{networks[1]}' as a site or terminal")
    if any(t.kind == "site" for t in items) and not any(t.kind == "link" for t in items):
        site = next(t.name for t in items if t.kind == "site")
        raise origins.error(["technologies", site], f"site technology '{site}' needs a link technology for its "
                                                    "backhaul, and the model declares none",
                            "add [technologies.microwave] kind = \"link\" with capex and opex_year")
    if not any(t.kind in ACCESS_KINDS for t in items):
        raise origins.error(["technologies"], "the cost model declares no technology a village can be given",
                            "declare at least one network, site or terminal technology")
    return Registry(tuple(items))


def _legacy_technologies(data: Mapping, origins: Origins) -> Registry:
    """The china-2018 layout, checked as it always was, as the technologies it means."""
    _check_keys(data, _COST_TOP, [], origins, "the cost model")
    for section, allowed in _COST_KEYS.items():
        if not isinstance(data.get(section), Mapping):
            raise origins.error([section], f"cost model has no [{section}] table",
                                f"add a [{section}] table with {', '.join(allowed)}")
        _check_keys(data[section], allowed, [section], origins, f"[{section}]")
    num = lambda *keys, **kw: _number(data, list(keys), origins, **kw)  # noqa: E731
    fiber = FiberCosts(
        per_km=_by_terrain(data, ["fiber", "per_km"], origins),
        opex_per_km_year=num("fiber", "opex_per_km_year"),
        drop_capex=num("fiber", "drop_capex"),
        drop_opex_year=num("fiber", "drop_opex_year"),
        mbps=num("fiber", "mbps", positive=True, unit=" (Mbit/s)"),
    )
    cellular = CellularCosts(
        site_capex=_by_terrain(data, ["cellular", "site_capex"], origins),
        site_opex_year=num("cellular", "site_opex_year"),
        radius_km=_by_terrain(data, ["cellular", "radius_km"], origins, positive=True),
        microwave_capex=num("cellular", "microwave_capex"),
        microwave_opex_year=num("cellular", "microwave_opex_year"),
        mbps=num("cellular", "mbps", positive=True, unit=" (Mbit/s)"),
    )
    satellite = SatelliteCosts(
        terminal_capex=num("satellite", "terminal_capex"),
        fee_year=num("satellite", "fee_year"),
        beam_capacity_mbps=num("satellite", "beam_capacity_mbps", unit=" (Mbit/s)"),
        mbps=num("satellite", "mbps", positive=True, unit=" (Mbit/s)"),
    )
    quality_table = data.get("quality")
    if not isinstance(quality_table, Mapping):
        raise origins.error(["quality"], "cost model has no [quality] table",
                            "add [quality] with fiber, 4g and satellite factors in [0, 1]")
    _check_keys(quality_table, TECHNOLOGIES, ["quality"], origins, "[quality]")
    quality = {t: _number(data, ["quality", t], origins) for t in TECHNOLOGIES}
    return legacy_registry(fiber, cellular, satellite, quality)


def legacy_registry(fiber: FiberCosts, cellular: CellularCosts, satellite: SatelliteCosts,
                    quality: Mapping[str, float]) -> Registry:
    """The technologies the china-2018 layout declares: fiber (network), 4g (site), satellite
    (terminal) and microwave (link, the 4G sites' backhaul)."""
    def labels(name):
        en, zh, colour = LEGACY_LABELS[name]
        return {"label_en": en, "label_zh": zh, "colour": colour}
    return Registry((
        TechnologySpec("fiber", "network", {"per_km": dict(fiber.per_km), "opex_per_km_year": fiber.opex_per_km_year,
                                            "drop_capex": fiber.drop_capex, "drop_opex_year": fiber.drop_opex_year},
                       quality=quality["fiber"], mbps=fiber.mbps, **labels("fiber")),
        TechnologySpec("4g", "site", {"site_capex": dict(cellular.site_capex),
                                      "site_opex_year": cellular.site_opex_year},
                       quality=quality["4g"], mbps=cellular.mbps, reach_km=dict(cellular.radius_km), **labels("4g")),
        TechnologySpec("satellite", "terminal", {"terminal_capex": satellite.terminal_capex,
                                                 "fee_year": satellite.fee_year},
                       quality=quality["satellite"], mbps=satellite.mbps,
                       capacity_mbps=satellite.beam_capacity_mbps, **labels("satellite")),
        TechnologySpec("microwave", "link", {"capex": cellular.microwave_capex,
                                             "opex_year": cellular.microwave_opex_year}, **labels("microwave")),
    ))


# --------------------------------------------------------------------------- policy
def _bool(data, keys, origins: Origins, default: bool) -> bool:
    value = _get(data, keys)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise origins.error(keys, f"'{'.'.join(keys)}' must be true or false, got {value!r}",
                            "write true or false (no quotes)")
    return value


def build_policy(data: Mapping, origins: Origins, *, path: str | None = None,
                 technologies: tuple[str, ...] = TECHNOLOGIES) -> Policy:
    """A :class:`Policy` from merged TOML data. ``all-poor`` always exists. A rule may name any of
    ``technologies`` (the cost model's technologies a village can be given)."""
    _check_keys(data, _POLICY_TOP, [], origins, "the policy model")
    groups_data = data.get("groups") or {}
    if not isinstance(groups_data, Mapping):
        raise origins.error(["groups"], "'groups' must be a table of [groups.<name>] tables",
                            "write [groups.<name>] with label, priority, floor")
    groups: dict[str, GroupPolicy] = {}
    for name in sorted(groups_data, key=lambda g: (g != ALL_POOR, g)):
        table = groups_data[name]
        keys = ["groups", name]
        if not isinstance(table, Mapping):
            raise origins.error(keys, f"group '{name}' must be a table", f"write [groups.{name}] floor = ...")
        _check_keys(table, ("label", "priority", "floor"), keys, origins, f"[groups.{name}]")
        floor = None
        if table.get("floor") is not None:
            floor = _number(data, keys + ["floor"], origins, limits=SHARE)
        priority = _number(data, keys + ["priority"], origins, limits=PRIORITY) if "priority" in table else 1.0
        groups[name] = GroupPolicy(name=name, label=str(table.get("label", "")), priority=priority, floor=floor)
    groups.setdefault(ALL_POOR, GroupPolicy(ALL_POOR, label="registered poor villages (建档立卡贫困村)"))

    for section, allowed in (("schools", ("required", "min_mbps")), ("clinics", ("required",)),
                             ("weights", ("non_poor",))):
        if section in data:
            if not isinstance(data[section], Mapping):
                raise origins.error([section], f"'{section}' must be a table", f"write [{section}]")
            _check_keys(data[section], allowed, [section], origins, f"[{section}]")
    school_min = (_number(data, ["schools", "min_mbps"], origins, limits=BANDWIDTH)
                  if _get(data, ["schools", "min_mbps"]) is not None else 0.0)
    non_poor = (_number(data, ["weights", "non_poor"], origins, limits=PRIORITY)
                if _get(data, ["weights", "non_poor"]) is not None else 1.0)

    rules = []
    raw_rules = data.get("rules") or []
    if not isinstance(raw_rules, list):
        raise origins.error(["rules"], "'rules' must be an array of tables", "write each rule as [[rules]]")
    for i, rule in enumerate(raw_rules):
        if not isinstance(rule, Mapping):
            raise origins.error(["rules"], f"rule {i + 1} is not a table", "write each rule as [[rules]]")
        _check_keys(rule, ("scope", "value", "technology", "action"), ["rules"], origins, f"rule {i + 1}")
        for key, choices in (("scope", RULE_SCOPES), ("technology", technologies), ("action", RULE_ACTIONS)):
            if rule.get(key) not in choices:
                raise origins.error(["rules"], f"rule {i + 1}: {key} = {rule.get(key)!r} is not one of "
                                               f"{', '.join(choices)}", f"set {key} to one of {', '.join(choices)}")
        if not isinstance(rule.get("value"), str) or not rule["value"].strip():
            raise origins.error(["rules"], f"rule {i + 1} has no value (which {rule['scope']})",
                                f"set value = \"<{rule['scope']} name or id>\"")
        if rule["scope"] == "group" and rule["value"] not in groups:
            raise origins.error(["rules"], f"rule {i + 1} names group '{rule['value']}', which the policy "
                                           f"does not define", f"define [groups.{rule['value']}] or use one of "
                                                               f"{', '.join(groups)}")
        rules.append(TechRule(scope=rule["scope"], value=rule["value"].strip(),
                              technology=str(rule["technology"]), action=rule["action"]))

    milestones: dict[int, dict[str, float]] = {}
    raw_ms = data.get("milestones") or {}
    if not isinstance(raw_ms, Mapping):
        raise origins.error(["milestones"], "'milestones' must be a table of [milestones.<year>] tables",
                            "write [milestones.2020] with group = floor lines")
    for year_key, table in raw_ms.items():
        keys = ["milestones", str(year_key)]
        try:
            year = int(str(year_key))
        except ValueError:
            raise origins.error(keys, f"milestone '{year_key}' is not a year",
                                "name milestone tables by year, e.g. [milestones.2020]") from None
        if not isinstance(table, Mapping):
            raise origins.error(keys, f"milestone {year} must be a table of group = floor",
                                f"write [milestones.{year}] then lines like all-poor = 0.9")
        floors = {}
        for group in table:
            if group not in groups:
                raise origins.error(keys + [group], f"milestone {year} names group '{group}', which the policy "
                                                    f"does not define",
                                    f"define [groups.{group}] or use one of {', '.join(groups)}")
            floors[str(group)] = _number(data, keys + [group], origins, limits=SHARE)
        milestones[year] = floors

    return Policy(name=str(data.get("name") or (Path(path).stem if path else "inline")), groups=groups,
                  schools_required=_bool(data, ["schools", "required"], origins, True),
                  school_min_mbps=school_min,
                  clinics_required=_bool(data, ["clinics", "required"], origins, False),
                  non_poor_weight=non_poor, rules=tuple(rules),
                  milestones=dict(sorted(milestones.items())), path=path)


def floors_in_force(policy: Policy, base_year: int | None, pinned: set[str]) -> Policy:
    """Policy whose group floors are those in force in ``base_year``.

    Without a base year the groups' own floors hold. With one, the latest
    milestone at or before it gives the floors (groups it does not list have
    none), except floors ``pinned`` by the instance itself (inline or
    overrides), which always win. No milestone at or before the year: the
    groups' own floors hold."""
    if base_year is None or not policy.milestones:
        return policy
    years = [y for y in policy.milestones if y <= base_year]
    if not years:
        return policy
    ms = policy.milestones[max(years)]
    groups = {}
    for name, g in policy.groups.items():
        floor = g.floor if name in pinned else ms.get(name)
        groups[name] = GroupPolicy(name=name, label=g.label, priority=g.priority, floor=floor)
    from dataclasses import replace
    return replace(policy, groups=groups)


# --------------------------------------------------------------------------- resolution
def package_root() -> Path:
    """The folder shipped model paths are relative to: the installed ``allocator`` package,
    which carries ``models/`` as package data (``allocator/models/costs/...``), so
    ``models/costs/china-2018.toml`` resolves in a wheel install as in a clone."""
    from importlib.resources import files
    return Path(str(files("allocator")))


def shipped_models() -> list[str]:
    """The model files the package ships, as the paths instance.toml names them by."""
    root = package_root()
    return sorted(p.relative_to(root).as_posix() for p in (root / "models").glob("*/*.toml"))


def find_model_file(ref: str, instance_dir: Path) -> Path | None:
    """Resolve a model path: the instance dir, then its parents (a user's own ``models/``
    wins), then the models shipped inside the package."""
    ref_path = Path(ref)
    if ref_path.is_absolute():
        return ref_path if ref_path.is_file() else None
    start = instance_dir.resolve()
    for base in (start, *start.parents, package_root()):
        candidate = base / ref_path
        if candidate.is_file():
            return candidate
    return None


@dataclass
class ResolvedModels:
    costs: CostModel
    policy: Policy
    #: (label, path) of the model files used, for the content hash
    files: list[tuple[str, Path]]
    #: the instance's own policy values (inline table merged with overrides)
    own_policy: dict
    policy_origins: Origins
    #: group names whose floor the instance itself sets (these win over milestones)
    pinned_floors: set[str]


def resolve_models(meta: Mapping, *, instance_dir: Path, toml_file: Path, toml_text: str,
                   inline: Mapping, overrides: Mapping | None) -> ResolvedModels:
    """Load the cost and policy models ``meta`` (instance.toml merged with overrides) refers to.

    ``inline`` is instance.toml as parsed (before overrides), to tell the
    instance's own values from the model files' in error messages."""
    files: list[tuple[str, Path]] = []
    built = {}
    own_policy: dict = {}
    policy_origins = None
    for key, table, what in (("cost_model", "costs", "cost model"), ("policy_model", "policy", "policy model")):
        layers = []
        if overrides and isinstance(overrides.get(table), Mapping):
            layers.append(Layer("overrides", overrides[table]))
        if isinstance(inline.get(table), Mapping):
            layers.append(Layer(str(toml_file), inline[table], toml_text, (table,)))
        base: Mapping = {}
        model_path = None
        ref = meta.get(key)
        if ref is not None:
            if not isinstance(ref, str) or not ref.strip():
                raise InputError(f"'{key}' must be a path string", file=toml_file,
                                 line=find_line(toml_text, [key]), column=key,
                                 fix=f"write {key} = \"models/...\"")
            found = find_model_file(ref, instance_dir)
            if found is None:
                shipped = shipped_models()
                raise InputError(f"{what} '{ref}' does not exist (looked in the instance directory, its parents "
                                 f"and {package_root()})", file=toml_file, line=find_line(toml_text, [key]),
                                 column=key,
                                 fix="correct the path" + (f"; available: {', '.join(shipped)}" if shipped else ""))
            data, raw, text = read_toml(found, what=what)
            base = data
            model_path = str(found)
            files.append((f"{table}:{ref}", found))
            layers.append(Layer(str(found), data, text, ()))
        elif not layers:
            raise InputError(f"no {what}", file=toml_file, column=key,
                             fix=f"set {key} = \"models/{'costs/china-2018' if table == 'costs' else 'policy/miit-2018-2020'}.toml\" "
                                 f"or give an inline [{table}] table")
        merged = base
        for layer in reversed(layers):
            if layer.prefix or layer.file == "overrides":
                merged = deep_merge(merged, layer.data)
        origins = Origins(layers)
        if table == "costs":
            built[table] = build_cost_model(merged, origins, path=model_path)
        else:
            built[table] = build_policy(merged, origins, path=model_path,
                                        technologies=built["costs"].technologies.access)
            own_policy = deep_merge(inline.get(table) or {}, (overrides or {}).get(table) or {})
            policy_origins = origins
    pinned = {g for g, t in (own_policy.get("groups") or {}).items()
              if isinstance(t, Mapping) and t.get("floor") is not None}
    return ResolvedModels(costs=built["costs"], policy=built["policy"], files=files, own_policy=own_policy,
                          policy_origins=policy_origins, pinned_floors=pinned)
