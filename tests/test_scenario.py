"""Scenario files: parsing, clear errors for bad overrides, and what they do to the instance."""
from __future__ import annotations

import pytest

from allocator.errors import InputError
from allocator.analysis.scenario import load_scenario_instance, parse_scenario, scenario_overrides
try:  # tests/ as a plain folder on sys.path, or as a package
    from whatif_tiny import write_tiny
except ImportError:  # pragma: no cover
    from tests.whatif_tiny import write_tiny


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from allocator.io import load_instance

    path = write_tiny(tmp_path_factory.mktemp("scen") / "tiny")
    return path, load_instance(path)


def _write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path, text: str, instance=None) -> InputError:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        scenario = parse_scenario(path)
        if instance is not None:
            scenario_overrides(scenario, instance)
    err = info.value
    assert err.file == str(path), "the error must name the scenario file"
    assert err.fix, "the error must say how to fix it"
    return err


# --------------------------------------------------------------------------- errors on the file alone
@pytest.mark.parametrize("text, key, words", [
    ('budjet = 1e9\n', "budjet", "unknown key 'budjet'"),
    ('budjet = 1e9\n', "budjet", "did you mean 'budget'?"),
    ('[[force]]\nscope = "county"\nvalue = "c1"\ntechnology = "fiber"\ntechnolgy = "4g"\n', "force.technolgy",
     "did you mean 'technology'?"),
    ('budget = 1e300\n', "budget", "budget = 1e+300 is out of range: must be in [0, 1,000,000,000,000,000]"),
    ('[weights]\ndeep-poverty = 1e9\n', "weights.deep-poverty", "out of range: must be in [0, 1,000,000]"),
    ('[costs.scale]\n"fiber.per_km" = 1e7\n', "costs.scale.fiber.per_km", "out of range: must be in [0, 1,000,000]"),
    ('budget = -5.0\n', "budget", "out of range"),
    ('budget = "1.2e9"\n', "budget", "must be a non-negative amount of money"),
    ('[floors]\ndeep-poverty = 1.5\n', "floors.deep-poverty", "out of range: must be in [0, 1]"),
    ('[floors]\ndeep-poverty = -0.1\n', "floors.deep-poverty", "out of range"),
    ('[weights]\ndeep-poverty = -2\n', "weights.deep-poverty", "out of range: must be in [0, 1,000,000]"),
    ('[costs.scale]\n"fiber.per_km" = -1.2\n', "costs.scale.fiber.per_km", "out of range"),
    ('[costs.multiply]\n"fiber.per_km" = 1.2\n', "costs.multiply", "unknown key 'costs.multiply'"),
    ('objective = "max-happiness"\n', "objective", "unknown objective 'max-happiness'"),
    ('[[forbid]]\nscope = "township"\nvalue = "x"\ntechnology = "fiber"\n', "forbid.scope",
     "unknown scope 'township'"),
    ('[[force]]\nscope = "county"\ntechnology = "fiber"\n', "force", "lacks 'value'"),
    ('[[force]]\nscope = "county"\nvalue = "c1"\ntechnology = "fiber"\ncolour = "red"\n', "force.colour",
     "unknown key 'force.colour'"),
    ('[[force]]\nscope = "county"\nvalue = "c1"\ntechnology = "fiber"\n'
     '[[forbid]]\nscope = "county"\nvalue = "c1"\ntechnology = "fiber"\n', "forbid", "both forced and forbidden"),
    ('name = "a b/c"\n', "name", "not usable as a folder name"),
])
def test_bad_override_is_a_clear_error(tmp_path, text, key, words):
    err = _error(tmp_path, text)
    assert err.column == key
    assert words in str(err)


def test_error_points_at_the_line_of_the_key(tmp_path):
    err = _error(tmp_path, 'name = "x"\nbudget = 1e9\n\n[floors]\nall-poor = 0.9\ndeep-poverty = 2.0\n')
    assert err.line == 6
    assert "line 6" in str(err)


def test_toml_syntax_error_names_the_line(tmp_path):
    err = _error(tmp_path, 'budget = 1e9\n[floors\n')
    assert err.line == 2
    assert "not valid TOML" in str(err)


def test_missing_file_is_input_error(tmp_path):
    with pytest.raises(InputError, match="scenario file not found"):
        parse_scenario(tmp_path / "nope.toml")


# --------------------------------------------------------------------------- errors against the base
@pytest.mark.parametrize("text, key, words", [
    ('[floors]\ndeep-povrty = 0.9\n', "floors.deep-povrty", "did you mean 'deep-poverty'"),
    ('[weights]\nnowhere = 2.0\n', "weights.nowhere", "unknown group 'nowhere'"),
    ('[[force]]\nscope = "county"\nvalue = "c9"\ntechnology = "satellite"\n', "force.value", "unknown county 'c9'"),
    ('[[force]]\nscope = "prefecture"\nvalue = "怒江州"\ntechnology = "satellite"\n', "force.value",
     "unknown prefecture '怒江州'"),
    ('[[forbid]]\nscope = "province"\nvalue = "丙省"\ntechnology = "fiber"\n', "forbid.value",
     "unknown province '丙省'"),
    ('[[forbid]]\nscope = "group"\nvalue = "three-regions"\ntechnology = "fiber"\n', "forbid.value",
     "unknown group 'three-regions'"),
    # the technologies are the base's cost model's (a model may declare 5g-fwa, leo ...)
    ('[[force]]\nscope = "county"\nvalue = "c1"\ntechnology = "5g"\n', "force.technology",
     "unknown technology '5g'"),
    ('[costs.scale]\n"fiber.per_km.swamp" = 1.2\n', "costs.scale.fiber.per_km.swamp",
     "unknown cost parameter 'fiber.per_km.swamp'"),
    ('[costs.set]\n"satelite.terminal_capex" = 100\n', "costs.set.satelite.terminal_capex",
     "did you mean 'satellite.terminal_capex'"),
    ('[costs.set]\n"satellite.terminal_capex" = 1e13\n', "costs.set.satellite.terminal_capex",
     "satellite.terminal_capex would become 1e+13, outside its allowed range [0, 1,000,000,000,000] currency"),
    ('[costs.scale]\n"quality.satellite" = 3\n', "costs.scale.quality.satellite",
     "quality.satellite would become 3, outside its allowed range [0, 1]"),
])
def test_unknown_name_in_the_base_is_a_clear_error(tmp_path, tiny, text, key, words):
    err = _error(tmp_path, text, instance=tiny[1])
    assert err.column == key
    assert words in str(err)


# --------------------------------------------------------------------------- what a good scenario does
GOOD = '''
name = "nujiang-satellite"
description = "Nujiang must use satellite; plateau fiber dearer"
base = "tiny"
budget = 40000
[floors]
deep-poverty = 0.75
[weights]
yanshan-taihang = 4
[costs.scale]
"fiber.per_km.plateau" = 1.2
"cellular.site_capex" = 0.5
[costs.set]
"satellite.terminal_capex" = 6500
[[force]]
scope = "prefecture"
value = "怒江傈僳族自治州"
technology = "satellite"
[[forbid]]
scope = "county"
value = "平山县"
technology = "4g"
'''


def test_good_scenario_becomes_loader_overrides(tmp_path, tiny):
    base_path, base = tiny
    scen_path = _write(base_path.parent, GOOD, "nujiang.toml")
    scenario = parse_scenario(scen_path)
    assert scenario.name == "nujiang-satellite"
    assert scenario.base == base_path.parent / "tiny"  # relative to the scenario file
    over = scenario_overrides(scenario, base)
    assert over["budget"] == 40000
    assert over["policy"]["groups"]["deep-poverty"] == {"floor": 0.75}
    assert over["policy"]["groups"]["yanshan-taihang"] == {"priority": 4}
    assert over["costs"]["fiber"]["per_km"] == {"plateau": pytest.approx(2500.0 * 1.2)}
    assert over["costs"]["cellular"]["site_capex"] == {t: pytest.approx(4500.0)
                                                       for t in ("plain", "hills", "mountain", "plateau")}
    assert over["costs"]["satellite"]["terminal_capex"] == 6500
    # a county named by its name is written as its id
    assert {"scope": "county", "value": "c3", "technology": "4g", "action": "forbid"} in over["policy"]["rules"]

    inst, _ = load_scenario_instance(scenario)
    assert inst.budget == 40000
    assert inst.costs.fiber.per_km["plateau"] == pytest.approx(3000.0)
    assert inst.costs.fiber.per_km["mountain"] == pytest.approx(2000.0)  # untouched
    assert inst.policy.groups["deep-poverty"].floor == 0.75
    assert inst.policy.groups["yanshan-taihang"].priority == 4
    assert inst.villages.loc["v1", "satellite_capex"] == pytest.approx(6500.0)
    # the plateau trench (j1-n3, 2 km) is repriced; the mountain ones are not
    assert inst.edges.loc[3, "capex"] == pytest.approx(2 * 3000.0)
    assert inst.edges.loc[1, "capex"] == pytest.approx(1 * 2000.0)
    actions = {(r.scope, r.value, str(r.technology), r.action) for r in inst.policy.rules}
    assert ("prefecture", "怒江傈僳族自治州", "satellite", "force") in actions


def test_cli_base_wins_and_a_scenario_without_base_needs_one(tmp_path, tiny):
    base_path, _ = tiny
    scenario = parse_scenario(_write(tmp_path, "budget = 1000\n"))
    with pytest.raises(InputError, match="names no base instance"):
        load_scenario_instance(scenario)
    inst, over = load_scenario_instance(scenario, base_path)
    assert inst.budget == 1000 and over == {"budget": 1000.0}


def test_empty_scenario_is_the_base(tmp_path, tiny):
    scenario = parse_scenario(_write(tmp_path, 'name = "same"\n'))
    assert scenario.is_base
    assert scenario_overrides(scenario, tiny[1]) == {}
