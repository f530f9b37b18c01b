"""scenario_to_toml writes what parse_scenario reads back, for any scenario it accepts."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.schema import BUDGET, MONEY, PRIORITY, SCALE
from allocator.analysis.scenario import SCOPES, TECH_NAMES, RuleOverride, Scenario, parse_scenario, scenario_to_toml

names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,20}", fullmatch=True)
groups = st.sampled_from(["all-poor", "deep-poverty", "三区三州", "group with space", 'quote"d'])
shares = st.floats(0, 1, allow_nan=False)

def upto(limits):
    return st.floats(0, limits.high, allow_nan=False, allow_infinity=False)

params = st.sampled_from(["fiber", "fiber.per_km.plateau", "cellular.site_capex", "satellite.terminal_capex"])
values = st.sampled_from(["木里藏族自治县", "四川省", "凉山彝族自治州", "513422", "deep-poverty"])


@st.composite
def scenarios(draw):
    rules, forced = [], {}
    for scope, value, tech, action in draw(st.lists(st.tuples(st.sampled_from(SCOPES), values,
                                                              st.sampled_from(TECH_NAMES),
                                                              st.sampled_from(["force", "forbid"])), max_size=4)):
        key = (scope, value)
        if action == "force" and forced.setdefault(key, tech) != tech:
            continue  # one forced technology per scope
        if any((r.scope, r.value, r.technology) == (scope, value, tech) for r in rules):
            continue
        rules.append(RuleOverride(scope, value, tech, action))
    # force and forbid of one technology in one scope contradict: keep the first
    return Scenario(name=draw(names), description=draw(st.text(max_size=40)),
                    budget=draw(st.none() | upto(BUDGET)), objective=draw(st.none() | st.sampled_from(
                        ["max-coverage", "min-cost", "lexicographic"])),
                    floors=draw(st.dictionaries(groups, shares, max_size=3)),
                    weights=draw(st.dictionaries(groups, upto(PRIORITY), max_size=3)),
                    cost_scale=draw(st.dictionaries(params, upto(SCALE), max_size=2)),
                    cost_set=draw(st.dictionaries(params, upto(MONEY), max_size=2)),
                    rules=tuple(rules))


@settings(max_examples=150)
@given(scenarios())
def test_written_scenario_reads_back_equal(scenario):
    back = parse_scenario(text=scenario_to_toml(scenario, header="a header line\nand another"))
    for field in ("name", "budget", "objective", "floors", "weights", "cost_scale", "cost_set"):
        assert getattr(back, field) == getattr(scenario, field), field
    assert back.description == scenario.description
    # the file lists force rules before forbid rules; each keeps its own order
    order = [r for r in scenario.rules if r.action == "force"] + [r for r in scenario.rules if r.action == "forbid"]
    assert list(back.rules) == order
