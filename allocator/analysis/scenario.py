"""What-if scenarios: a TOML file of overrides on a base instance.

A scenario file says what changes, never the whole instance::

    name = "nujiang-satellite"
    description = "Nujiang must use satellite; 1.2 bn instead of 1.5"
    base = "../instances/county-demo"    # relative to this file; the CLI BASE argument wins
    budget = 1.2e9                        # >= 0, in the instance's currency and budget measure
    objective = "max-coverage"            # optional: max-coverage | min-cost | lexicographic

    [floors]                              # group -> share of its registered poor villages, in [0, 1]
    deep-poverty = 0.95

    [weights]                             # group -> priority (multiplies population), >= 0
    yanshan-taihang = 2.0

    [costs.scale]                         # multiply a cost-model parameter (or every entry of a table)
    "fiber.per_km.plateau" = 1.2
    "cellular.site_capex" = 0.9

    [costs.set]                           # replace a cost-model parameter
    "satellite.terminal_capex" = 3000

    [[force]]                             # every village in the scope must use this technology
    scope = "prefecture"                  # county | prefecture | province | group
    value = "怒江傈僳族自治州"
    technology = "satellite"              # a technology of the cost model (fiber | 4g | satellite ...)

    [[forbid]]                            # no village in the scope may use this technology
    scope = "province"
    value = "西藏自治区"
    technology = "fiber"

:func:`parse_scenario` checks the file on its own (keys, types, ranges,
technology names); :func:`scenario_overrides` checks it against the base
instance (groups, counties, prefectures, provinces, cost parameters) and turns
it into the ``overrides`` dict of :func:`allocator.io.load_instance`;
:func:`load_scenario_instance` does both and loads. Every mistake is an
:class:`~allocator.errors.InputError` naming the scenario file, the key and a fix.
"""
from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from ..errors import InputError, file_error
from ..schema import (ALL_POOR, BUDGET, PRIORITY, SCALE, SHARE, Objective, Technology, cost_limits, format_number)
from ..spelling import unknown_key_fix

TOP_KEYS = ("name", "description", "base", "budget", "objective", "floors", "weights", "costs",
            "force", "forbid")
RULE_KEYS = ("scope", "value", "technology")
SCOPES = ("county", "prefecture", "province", "group")
COST_SECTIONS = ("scale", "set")
TECH_NAMES = tuple(t.value for t in Technology)
_NAME_RE = re.compile(r"^[\w.\-]+$")


@dataclass(frozen=True)
class RuleOverride:
    """A force/forbid rule added by a scenario (same fields as a policy rule)."""

    scope: str
    value: str
    technology: str
    action: str  # force | forbid

    def as_policy_rule(self) -> dict:
        return {"scope": self.scope, "value": self.value, "technology": self.technology,
                "action": self.action}


@dataclass(frozen=True)
class Scenario:
    """A parsed scenario: overrides only; ``None``/empty means "as in the base"."""

    name: str
    path: Path | None = None
    description: str = ""
    base: Path | None = None
    budget: float | None = None
    objective: str | None = None
    floors: Mapping[str, float] = field(default_factory=dict)
    weights: Mapping[str, float] = field(default_factory=dict)
    cost_scale: Mapping[str, float] = field(default_factory=dict)
    cost_set: Mapping[str, float] = field(default_factory=dict)
    rules: tuple[RuleOverride, ...] = ()

    @property
    def is_base(self) -> bool:
        """True when the scenario changes nothing."""
        return (self.budget is None and self.objective is None and not self.floors and not self.weights
                and not self.cost_scale and not self.cost_set and not self.rules)

    def describe(self) -> str:
        """One line per change, for tables and logs."""
        lines = []
        if self.budget is not None:
            lines.append(f"budget = {self.budget:,.0f}")
        if self.objective is not None:
            lines.append(f"objective = {self.objective}")
        lines += [f"floor {g} = {f:.1%}" for g, f in sorted(self.floors.items())]
        lines += [f"weight {g} = {w:g}" for g, w in sorted(self.weights.items())]
        lines += [f"cost {k} x {v:g}" for k, v in sorted(self.cost_scale.items())]
        lines += [f"cost {k} = {v:g}" for k, v in sorted(self.cost_set.items())]
        lines += [f"{r.action} {r.technology} in {r.scope} {r.value}" for r in self.rules]
        return "; ".join(lines) if lines else "(base: no change)"


# --------------------------------------------------------------------------- errors
def _line_of(text: str, key: str) -> int | None:
    """Line (1-based) where ``key`` is first written, as a key or a table header; None if not found."""
    last = key.split(".")[-1].strip('"')
    pattern = re.compile(r'^\s*(\[\[?\s*[\w."\-]*' + re.escape(last) + r'"?\s*\]\]?|"?' + re.escape(last)
                         + r'"?\s*=)', re.MULTILINE)
    m = pattern.search(text)
    if m is None and "." in key:  # a quoted dotted key such as "fiber.per_km.plateau"
        m = re.search(r'^\s*"' + re.escape(key.split(".", 1)[-1]) + r'"\s*=', text, re.MULTILINE)
    return text.count("\n", 0, m.start()) + 1 if m else None


class _Reporter:
    """Builds InputErrors that name the scenario file, the key and the line."""

    def __init__(self, path: Path | None, text: str) -> None:
        self.path = path
        self.text = text

    def error(self, key: str, problem: str, fix: str) -> InputError:
        return InputError(problem, file=self.path if self.path else "<scenario>",
                          line=_line_of(self.text, key) if self.text else None, column=key, fix=fix)


def _number(rep: _Reporter, key: str, value, *, lo: float | None = None, hi: float | None = None,
            what: str = "a number") -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise rep.error(key, f"{key} must be {what}, got {value!r}",
                        f"write {key} = <{what}> without quotes")
    x = float(value)
    if not math.isfinite(x):
        raise rep.error(key, f"{key} must be finite, got {value!r}", f"write a finite {what}")
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        rng = (f"in [{format_number(lo)}, {format_number(hi)}]" if lo is not None and hi is not None
               else f">= {format_number(lo)}" if lo is not None else f"<= {format_number(hi)}")
        raise rep.error(key, f"{key} = {value!r} is out of range: must be {rng}",
                        f"set {key} to a value {rng}")
    return x


def _unknown_keys(rep: _Reporter, table: Mapping, allowed, where: str) -> None:
    for key in table:
        if key not in allowed:
            full = f"{where}.{key}" if where else key
            raise rep.error(full, f"unknown key '{full}'",
                            unknown_key_fix(key, allowed) + " (see docs/whatif.md)")


def _table(rep: _Reporter, data: Mapping, key: str) -> Mapping:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise rep.error(key, f"'{key}' must be a table, got {value!r}", f"write [{key}] followed by key = value lines")
    return value


# --------------------------------------------------------------------------- parse
def _read_scenario_text(path: Path) -> str:
    """The file as text: UTF-8, with or without the byte-order mark Windows editors write;
    UTF-16, another encoding, a folder or an empty file are input errors."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("scenario file not found", file=path,
                         fix="check the path (scenario files are TOML, see docs/whatif.md)") from None
    except OSError as err:
        raise (file_error(err, path) or err) from None
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("the file is saved as UTF-16", file=path,
                         fix="save it as UTF-8 (in Notepad: Save As, Encoding: UTF-8)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"not UTF-8 text (byte {err.start}: {err.reason})", file=path,
                         fix="save the file as UTF-8") from None
    if not any(line.strip() and not line.lstrip().startswith("#") for line in text.splitlines()):
        raise InputError("the scenario file is empty: it changes nothing", file=path,
                         fix='write at least one override, e.g. budget = 1.2e9 (see docs/whatif.md)')
    return text


def parse_scenario(path: str | Path | None = None, *, text: str | None = None,
                   name: str | None = None) -> Scenario:
    """Read and check a scenario file (or ``text``) on its own, without its base instance.

    Raises
    ------
    InputError
        TOML syntax, unknown keys, wrong types, a negative budget, a floor outside
        [0, 1], a negative weight or scale, an unknown technology, scope or objective.
    """
    path = Path(path) if path is not None else None
    if text is None:
        if path is None:
            raise ValueError("parse_scenario needs a path or text")
        text = _read_scenario_text(path)
    rep = _Reporter(path, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        m = re.search(r"line (\d+)", str(err))
        raise InputError(f"not valid TOML: {err}", file=path or "<scenario>",
                         line=int(m.group(1)) if m else None,
                         fix="fix the TOML syntax (strings in double quotes, one key = value per line)") from None
    _unknown_keys(rep, data, TOP_KEYS, "")

    scen_name = data.get("name", name or (path.stem if path else "scenario"))
    if not isinstance(scen_name, str) or not _NAME_RE.match(scen_name):
        raise rep.error("name", f"scenario name {scen_name!r} is not usable as a folder name",
                        "use letters, digits, '-', '_' or '.' only, e.g. name = \"budget-1.2bn\"")
    description = data.get("description", "")
    if not isinstance(description, str):
        raise rep.error("description", "description must be a string", 'write description = "..."')

    base = data.get("base")
    if base is not None:
        if not isinstance(base, str) or not base:
            raise rep.error("base", f"base must be a path string, got {base!r}",
                            'write base = "path/to/instance-dir" (relative to the scenario file)')
        base = (path.parent / base) if path is not None else Path(base)

    budget = data.get("budget")
    if budget is not None:
        budget = _number(rep, "budget", budget, lo=BUDGET.low, hi=BUDGET.high,
                         what="a non-negative amount of money")

    objective = data.get("objective")
    if objective is not None:
        choices = [o.value for o in Objective]
        if objective not in choices:
            raise rep.error("objective", f"unknown objective {objective!r}", f"use one of: {', '.join(choices)}")

    floors = {}
    for group, value in _table(rep, data, "floors").items():
        floors[group] = _number(rep, f"floors.{group}", value, lo=SHARE.low, hi=SHARE.high,
                                what="a share between 0 and 1 (0.95 = 95%)")
    weights = {}
    for group, value in _table(rep, data, "weights").items():
        weights[group] = _number(rep, f"weights.{group}", value, lo=PRIORITY.low, hi=PRIORITY.high,
                                 what="a non-negative priority")

    costs = _table(rep, data, "costs")
    _unknown_keys(rep, costs, COST_SECTIONS, "costs")
    cost_scale, cost_set = {}, {}
    for section, target in (("scale", cost_scale), ("set", cost_set)):
        table = costs.get(section, {})
        if not isinstance(table, dict):
            raise rep.error(f"costs.{section}", f"costs.{section} must be a table",
                            f'write [costs.{section}] then "fiber.per_km.plateau" = 1.2')
        for key, value in _flatten(table).items():
            target[key] = _number(rep, f"costs.{section}.{key}", value, lo=0.0,
                                  hi=SCALE.high if section == "scale" else None,
                                  what="a non-negative factor" if section == "scale" else "a non-negative amount")

    rules = []
    for action in ("force", "forbid"):
        entries = data.get(action, [])
        if isinstance(entries, dict):
            entries = [entries]
        if not isinstance(entries, list):
            raise rep.error(action, f"'{action}' must be a list of tables",
                            f'write [[{action}]] with scope, value and technology')
        for i, entry in enumerate(entries):
            where = f"{action}[{i}]"
            if not isinstance(entry, dict):
                raise rep.error(action, f"{where} must be a table", f"write [[{action}]] on its own line")
            _unknown_keys(rep, entry, RULE_KEYS, action)
            for k in RULE_KEYS:
                if k not in entry:
                    raise rep.error(action, f"{where} lacks '{k}'",
                                    f"add {k} = ... (scope: {'|'.join(SCOPES)}; technology: a technology of "
                                    f"the cost model, e.g. {'|'.join(TECH_NAMES)})")
            if entry["scope"] not in SCOPES:
                raise rep.error(f"{action}.scope", f"{where}: unknown scope {entry['scope']!r}",
                                f"use one of: {', '.join(SCOPES)}")
            if not isinstance(entry["technology"], str) or not _NAME_RE.match(entry["technology"]):
                raise rep.error(f"{action}.technology", f"{where}: unknown technology {entry['technology']!r}",
                                f"use a technology of the cost model, e.g. {', '.join(TECH_NAMES)}")
            if not isinstance(entry["value"], str) or not entry["value"]:
                raise rep.error(f"{action}.value", f"{where}: value must be a non-empty name",
                                'write value = "<county id or name / prefecture / province / group>"')
            rules.append(RuleOverride(entry["scope"], entry["value"], entry["technology"], action))
    seen = {}
    for r in rules:
        other = seen.get((r.scope, r.value, r.technology))
        if other is not None and other != r.action:
            raise rep.error("forbid", f"{r.technology} is both forced and forbidden in {r.scope} {r.value}",
                            "keep only one of the two rules")
        seen[(r.scope, r.value, r.technology)] = r.action
    forced = {}
    for r in rules:
        if r.action == "force":
            prev = forced.setdefault((r.scope, r.value), r.technology)
            if prev != r.technology:
                raise rep.error("force", f"{r.scope} {r.value} is forced to both {prev} and {r.technology}",
                                "force one technology per scope (forbid the others instead)")
    return Scenario(name=scen_name, path=path, description=description, base=base, budget=budget,
                    objective=objective, floors=floors, weights=weights, cost_scale=cost_scale,
                    cost_set=cost_set, rules=tuple(rules))


def _flatten(table: Mapping, prefix: str = "") -> dict:
    """{"fiber": {"per_km": {"plateau": 1.2}}} and {"fiber.per_km.plateau": 1.2} both -> dotted keys."""
    out = {}
    for key, value in table.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            out.update(_flatten(value, full))
        else:
            out[full] = value
    return out


# --------------------------------------------------------------------------- against the base
def _cost_leaves(costs) -> dict[str, float]:
    """Every numeric cost-model parameter as dotted path -> value (fiber.per_km.plateau ...)."""
    out = {}
    if getattr(costs, "layout", "legacy") != "legacy":  # [technologies.<name>] blocks
        for tech in costs.technologies:
            out.update({f"technologies.{tech.name}.{k}": v for k, v in tech.params().items()})
        return out
    for section in ("fiber", "cellular", "satellite"):
        obj = getattr(costs, section)
        for fname, value in vars(obj).items():
            if isinstance(value, Mapping):
                for k, v in value.items():
                    out[f"{section}.{fname}.{k}"] = float(v)
            elif isinstance(value, (int, float)) and not isinstance(value, bool):
                out[f"{section}.{fname}"] = float(value)
    for k, v in getattr(costs, "quality", {}).items():
        out[f"quality.{k}"] = float(v)
    return out


def _set_path(tree: dict, dotted: str, value: float) -> None:
    parts = dotted.split(".")
    node = tree
    for p in parts[:-1]:
        node = node.setdefault(p, {})
    node[parts[-1]] = value


def _known_scope_values(instance) -> dict[str, dict[str, str]]:
    """scope -> {name written in a scenario -> value written in a policy rule}."""
    c = instance.counties
    counties = {str(cid): str(cid) for cid in c.index}
    names = c["name"].astype(str)
    for name, ids in names.groupby(names).groups.items():
        if len(ids) == 1:  # a county name is accepted when it is unambiguous
            counties.setdefault(str(name), str(ids[0]))
    prefectures = {str(p): str(p) for p in c["prefecture"].dropna().unique() if str(p)}
    provinces = {str(p): str(p) for p in c["province"].dropna().unique() if str(p)}
    return {"county": counties, "prefecture": prefectures, "province": provinces,
            "group": {g: g for g in known_groups(instance)}}


def known_groups(instance) -> list[str]:
    """Group names a scenario may use: the policy's groups and every group a village belongs to."""
    groups = set(instance.policy.groups) | {ALL_POOR}
    for gs in instance.villages["groups"]:
        groups.update(gs)
    return sorted(groups)


def _suggest(word: str, choices) -> str:
    import difflib
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    shown = close or sorted(choices)[:8]
    more = "" if close or len(choices) <= 8 else f" (and {len(choices) - 8} more)"
    return ("did you mean " if close else "known: ") + ", ".join(repr(s) for s in shown) + more


def scenario_overrides(scenario: Scenario, instance) -> dict:
    """The ``overrides`` dict of :func:`allocator.io.load_instance` for ``scenario`` on ``instance``.

    Raises
    ------
    InputError
        A group, county, prefecture or province the base instance does not have, or a
        cost parameter the cost model does not have; the message names the scenario file and key.
    """
    text = scenario.path.read_text(encoding="utf-8") if scenario.path and scenario.path.exists() else ""
    rep = _Reporter(scenario.path, text)
    overrides: dict = {}
    if scenario.budget is not None:
        overrides["budget"] = scenario.budget
    if scenario.objective is not None:
        overrides["objective"] = scenario.objective

    groups = known_groups(instance)
    policy_groups: dict = {}
    for kind, table in (("floors", scenario.floors), ("weights", scenario.weights)):
        for group, value in table.items():
            if group not in groups:
                raise rep.error(f"{kind}.{group}", f"unknown group '{group}' in [{kind}]",
                                f"use a group of the base instance: {_suggest(group, groups)}")
            field_name = "floor" if kind == "floors" else "priority"
            policy_groups.setdefault(group, {})[field_name] = value
    if policy_groups:
        overrides.setdefault("policy", {})["groups"] = policy_groups

    leaves = _cost_leaves(instance.costs)
    costs: dict = {}
    for section, table in (("scale", scenario.cost_scale), ("set", scenario.cost_set)):
        for key, value in table.items():
            matched = sorted(p for p in leaves if p == key or p.startswith(key + "."))
            if not matched:
                raise rep.error(f"costs.{section}.{key}", f"unknown cost parameter '{key}'",
                                f"use a parameter of cost model '{instance.costs.name}': "
                                f"{_suggest(key, list(leaves))}")
            for p in matched:
                base_value = _get_path(costs, p, leaves[p])
                new = base_value * value if section == "scale" else value
                limits = cost_limits(p)
                if not limits.contains(new):
                    raise rep.error(f"costs.{section}.{key}",
                                    f"{p} would become {new:,.6g}, outside its allowed range {limits.text()}",
                                    f"choose a {'factor' if section == 'scale' else 'value'} that keeps {p} "
                                    f"within {limits.text()}")
                _set_path(costs, p, new)
    if costs:
        overrides["costs"] = costs

    if scenario.rules:
        known = _known_scope_values(instance)
        rules = [_rule_dict(r) for r in instance.policy.rules]
        techs = instance.costs.technologies.access
        for r in scenario.rules:
            if r.technology not in techs:  # the technologies are the base's cost model's
                raise rep.error(f"{r.action}.technology", f"unknown technology {r.technology!r} in [[{r.action}]]",
                                f"use a technology of cost model '{instance.costs.name}': {', '.join(techs)}")
            table = known[r.scope]
            if r.value not in table:
                raise rep.error(f"{r.action}.value", f"unknown {r.scope} {r.value!r} in [[{r.action}]]",
                                f"use a {r.scope} of the base instance: {_suggest(r.value, table)}")
            rules.append({**r.as_policy_rule(), "value": table[r.value]})
            if r.scope == "group":  # a rule may only name a group the policy defines: define it
                overrides.setdefault("policy", {}).setdefault("groups", {}).setdefault(r.value, {})
        overrides.setdefault("policy", {})["rules"] = rules
    return overrides


def _get_path(tree: dict, dotted: str, default: float) -> float:
    """Value already set in ``tree`` at ``dotted`` (so scale after set composes), else ``default``."""
    node = tree
    for p in dotted.split("."):
        if not isinstance(node, dict) or p not in node:
            return default
        node = node[p]
    return float(node)


def _rule_dict(rule) -> dict:
    return {"scope": rule.scope, "value": rule.value, "technology": str(getattr(rule.technology, "value",
                                                                              rule.technology)),
            "action": rule.action}


def resolve_base(scenario: Scenario, base: str | Path | None) -> Path:
    """The base instance directory: the CLI's ``base`` if given, else the file's ``base``."""
    if base is not None:
        return Path(base)
    if scenario.base is None:
        raise InputError("scenario names no base instance", file=scenario.path or "<scenario>", column="base",
                         fix='add base = "path/to/instance-dir" or pass BASE on the command line')
    return scenario.base


def load_scenario_instance(scenario: Scenario, base: str | Path | None = None, *, base_instance=None):
    """Load ``scenario`` applied to its base: ``(instance, overrides)``.

    ``base_instance`` (the base loaded without overrides) saves a load when several
    scenarios share a base.
    """
    from ..io import load_instance

    base_path = resolve_base(scenario, base)
    if base_instance is None:
        base_instance = load_instance(base_path)
    overrides = scenario_overrides(scenario, base_instance)
    if not overrides:
        return base_instance, overrides
    return load_instance(base_path, overrides=overrides), overrides


# --------------------------------------------------------------------------- writing
def cost_parameters(costs) -> dict[str, float]:
    """Every numeric parameter of a cost model as dotted path -> value (the keys [costs.scale] and
    [costs.set] accept; a prefix such as ``fiber`` scales every parameter under it)."""
    return _cost_leaves(costs)


def scenario_data(scenario: Scenario) -> dict:
    """The scenario as the TOML tables :func:`parse_scenario` reads (base left out: it is a path
    relative to wherever the file is saved, and the CLI's BASE argument wins over it anyway)."""
    data: dict = {"name": scenario.name}
    if scenario.description:
        data["description"] = scenario.description
    if scenario.budget is not None:
        data["budget"] = float(scenario.budget)
    if scenario.objective is not None:
        data["objective"] = scenario.objective
    if scenario.floors:
        data["floors"] = {g: float(v) for g, v in scenario.floors.items()}
    if scenario.weights:
        data["weights"] = {g: float(v) for g, v in scenario.weights.items()}
    costs = {}
    if scenario.cost_scale:
        costs["scale"] = {k: float(v) for k, v in scenario.cost_scale.items()}
    if scenario.cost_set:
        costs["set"] = {k: float(v) for k, v in scenario.cost_set.items()}
    if costs:
        data["costs"] = costs
    for action in ("force", "forbid"):
        rules = [{"scope": r.scope, "value": r.value, "technology": r.technology}
                 for r in scenario.rules if r.action == action]
        if rules:
            data[action] = rules
    return data


def scenario_to_toml(scenario: Scenario, *, header: str | None = None) -> str:
    """The scenario as TOML text that :func:`parse_scenario` reads back to an equal scenario."""
    from ..io.tomlwrite import dumps

    return dumps(scenario_data(scenario), header=header)
