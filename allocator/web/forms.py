"""The scenario form, to and from the scenario TOML the CLI reads.

The page sends the form as JSON; it becomes TOML with
:func:`allocator.analysis.scenario.scenario_to_toml` and is then checked exactly as
``allocator whatif`` checks a file (:func:`~allocator.analysis.scenario.parse_scenario`
on its own, :func:`~allocator.analysis.scenario.scenario_overrides` against the base
instance). An upload goes through the same check. Nothing is stored unless
the check passes; a failure is an :class:`~allocator.errors.InputError` naming
the file (the uploaded name, or "scenario form"), the line, the key and a fix.
"""
from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path

from ..analysis.scenario import (
    RuleOverride,
    Scenario,
    parse_scenario,
    scenario_overrides,
    scenario_to_toml,
)
from ..errors import InputError
from .messages import english, recognise

MAX_UPLOAD_BYTES = 256 * 1024  # a scenario is a few lines; anything bigger is a mistake
FORM_LABEL = english("form.label")
_STEM = re.compile(r"[^\w.\-]+")


def check_scenario(text: str, instance, *, label: str) -> Scenario:
    """Parse ``text`` and check it against ``instance``; errors name ``label`` as the file."""
    stem = _STEM.sub("-", Path(label).stem).strip("-.") or "scenario"
    with tempfile.TemporaryDirectory(prefix="allocator-scenario-") as d:
        path = Path(d) / f"{stem}.toml"  # parse_scenario takes the default name from the file name
        path.write_text(text, encoding="utf-8")
        try:
            scenario = parse_scenario(path)
            scenario_overrides(scenario, instance)
        except InputError as err:
            line = None if label == FORM_LABEL else err.line  # a line of TOML the user never wrote says nothing
            raise InputError(err.problem, file=label, line=line, column=err.column, fix=err.fix) from None
    return dataclasses.replace(scenario, path=None, base=None)


def form_to_scenario(form: dict) -> Scenario:
    """The form's fields as a Scenario (types are checked again when its TOML is parsed)."""
    rules = tuple(RuleOverride(str(r.get("scope", "")), str(r.get("value", "")), str(r.get("technology", "")),
                               str(r.get("action", "force")))
                  for r in form.get("rules") or [])
    return Scenario(name=str(form.get("name") or "scenario"), description=str(form.get("description") or ""),
                    budget=form.get("budget"), objective=form.get("objective") or None,
                    floors=dict(form.get("floors") or {}), weights=dict(form.get("weights") or {}),
                    cost_scale=dict(form.get("cost_scale") or {}), cost_set=dict(form.get("cost_set") or {}),
                    rules=rules)


def scenario_to_form(scenario: Scenario) -> dict:
    return {"name": scenario.name, "description": scenario.description, "budget": scenario.budget,
            "objective": scenario.objective, "floors": dict(scenario.floors), "weights": dict(scenario.weights),
            "cost_scale": dict(scenario.cost_scale), "cost_set": dict(scenario.cost_set),
            "rules": [{"action": r.action, "scope": r.scope, "value": r.value, "technology": r.technology}
                      for r in scenario.rules],
            "changes": scenario.describe()}


def toml_of(scenario: Scenario, instance_name: str) -> str:
    header = (f"allocator scenario on instance {instance_name} (see docs/whatif.md)\n"
              f"run it with: allocator whatif INSTANCE_DIR this-file.toml -o OUT")
    return scenario_to_toml(scenario, header=header)


def error_payload(err: InputError) -> dict:
    """The error for the page: the engine's English, and the catalogue code of each part it knows."""
    return {"file": err.file, "line": err.line, "column": err.column, "problem": err.problem, "fix": err.fix,
            "text": str(err), "file_msg": recognise(err.file), "problem_msg": recognise(err.problem),
            "fix_msg": recognise(err.fix)}
