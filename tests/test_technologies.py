"""Technologies as data (issue 13): the cost model declares its technologies, the engine models
each by its kind (allocator/technologies.py).

- the china-2018 layout and the same figures in the technologies layout load to the same model;
- the shipped china-2026 model (5G FWA, LEO) solves and verifies;
- a test-only cost model adding two made-up technologies is solved, verified and reported through
  the CLI with no code change, at the optimum a brute force finds;
- a bad technology block stops the load with exit 2, naming file, key and fix.
"""
from __future__ import annotations

import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest

from allocator.errors import InputError
from allocator.io import load_instance
from allocator.io.models import Layer, Origins, build_cost_model
from allocator.io.tomlsource import read_toml

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
MADE_UP = DATA / "costs-made-up-technologies.toml"


def run_cli(*args, cwd=None):
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "allocator", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or REPO, env=env, timeout=600)


def load_model(path: Path):
    data, _raw, text = read_toml(path, what="cost model")
    return build_cost_model(data, Origins([Layer(str(path), data, text)]), path=str(path))


# --------------------------------------------------------------------------- layouts
def legacy_as_technologies(text: str) -> str:
    """china-2018 written in the technologies layout (the translation the loader makes, by hand)."""
    import tomllib
    d = tomllib.loads(text)
    f, c, s, q = d["fiber"], d["cellular"], d["satellite"], d["quality"]

    def table(x):
        return "{ " + ", ".join(f"{k} = {float(v)!r}" for k, v in x.items()) + " }"
    return f'''name = "china-2018"
currency = "CNY"
[technologies.fiber]
kind = "network"
label_en = "fiber"
label_zh = "光纤"
colour = "#1f5fa8"
per_km = {table(f["per_km"])}
opex_per_km_year = {f["opex_per_km_year"]!r}
drop_capex = {f["drop_capex"]!r}
drop_opex_year = {f["drop_opex_year"]!r}
mbps = {f["mbps"]!r}
quality = {q["fiber"]!r}
[technologies.4g]
kind = "site"
label_en = "4G"
label_zh = "4G基站"
colour = "#2e9e5b"
site_capex = {table(c["site_capex"])}
site_opex_year = {c["site_opex_year"]!r}
radius_km = {table(c["radius_km"])}
mbps = {c["mbps"]!r}
quality = {q["4g"]!r}
[technologies.satellite]
kind = "terminal"
label_en = "satellite"
label_zh = "卫星"
colour = "#e08a1e"
terminal_capex = {s["terminal_capex"]!r}
fee_year = {s["fee_year"]!r}
capacity_mbps = {s["beam_capacity_mbps"]!r}
mbps = {s["mbps"]!r}
quality = {q["satellite"]!r}
[technologies.microwave]
kind = "link"
label_en = "microwave"
label_zh = "微波"
colour = "#6c5b7b"
capex = {c["microwave_capex"]!r}
opex_year = {c["microwave_opex_year"]!r}
'''


def test_old_and_new_layouts_load_to_the_same_technologies(tmp_path):
    old_path = REPO / "allocator/models/costs/china-2018.toml"
    new_path = tmp_path / "china-2018-new.toml"
    new_path.write_text(legacy_as_technologies(old_path.read_text(encoding="utf-8")), encoding="utf-8")
    old, new = load_model(old_path), load_model(new_path)
    assert old.layout == "legacy" and new.layout == "technologies"
    assert old.technologies == new.technologies
    assert old.technologies.access == ("fiber", "4g", "satellite")
    assert [t.kind for t in old.technologies] == ["network", "site", "terminal", "link"]
    # the china-2018 views every older reader uses agree too
    assert old.fiber == new.fiber and old.cellular == new.cellular and old.satellite == new.satellite
    assert old.quality == new.quality == {"fiber": 1.0, "4g": 0.8, "satellite": 0.6}


def test_a_legacy_instance_solves_the_same_with_the_new_layout(tmp_path):
    """tiny-4g's inline china-2018 costs rewritten as [costs.technologies.*]: same plan, same optimum."""
    import shutil
    import tomllib

    from allocator.io.tomlwrite import dumps
    src = REPO / "instances/tiny-4g"
    meta = tomllib.loads((src / "instance.toml").read_text(encoding="utf-8"))
    new_dir = tmp_path / "tiny-4g-new"
    shutil.copytree(src, new_dir)
    c = meta.pop("costs")
    model = tomllib.loads(legacy_as_technologies(
        dumps({"fiber": c["fiber"], "cellular": c["cellular"], "satellite": c["satellite"],
               "quality": c["quality"]})))
    meta["costs"] = {"name": c["name"], "currency": c["currency"], "technologies": model["technologies"]}
    (new_dir / "instance.toml").write_text(dumps(meta), encoding="utf-8")
    outs = []
    for d in (src, new_dir):
        r = run_cli("solve", d, "-o", tmp_path / f"plan-{d.name}", "-q")
        assert r.returncode == 0, r.stderr
        outs.append(json.loads((tmp_path / f"plan-{d.name}" / "summary.json").read_text(encoding="utf-8")))
    assert outs[0]["objective"] == pytest.approx(outs[1]["objective"]) == pytest.approx(600.0)
    assert load_instance(new_dir).costs.technologies == load_instance(src).costs.technologies


# --------------------------------------------------------------------------- china-2026
def test_china_2026_declares_the_2026_options_and_solves(tmp_path):
    costs = load_model(REPO / "allocator/models/costs/china-2026.toml")
    reg = costs.technologies
    assert reg.access == ("fiber", "4g", "5g-fwa", "satellite", "leo")
    assert [reg[t].kind for t in ("fiber", "4g", "5g-fwa", "satellite", "leo", "microwave")] == \
        ["network", "site", "site", "terminal", "terminal", "link"]
    inst_dir = tmp_path / "inst"
    r = run_cli("generate", "tiny", "--seed", "3", "--cost-model", "china-2026", "-o", inst_dir, "-q")
    assert r.returncode == 0, r.stderr
    inst = load_instance(inst_dir)
    assert inst.costs.name == "china-2026"
    assert "leo_capex" in inst.villages and any(b.startswith("leo:") for b in inst.beams.index)
    # every candidate site is offered as 4G and as 5G FWA, each priced and reaching by its own block
    techs = inst.sites["technology"]
    assert (techs == "5g-fwa").sum() == (techs == "4g").sum() > 0
    fwa = inst.sites[techs == "5g-fwa"]
    assert set(fwa["radius_km"]) <= {3.0, 1.8, 1.2} and fwa["capex"].min() >= 924000.0
    r = run_cli("solve", inst_dir, "-o", tmp_path / "plan", "-q")
    assert r.returncode == 0, r.stderr
    r = run_cli("verify", inst_dir, tmp_path / "plan", "-q")
    assert r.returncode == 0, r.stdout + r.stderr


# --------------------------------------------------------------------------- made-up technologies
VILLAGES = {"V1": 100, "V2": 200, "V3": 300, "V4": 50, "V5": 150}
COVERED_BY_S1 = ("V1", "V2", "V3")


def write_made_up_instance(directory: Path, budget: float) -> Path:
    directory.mkdir(parents=True)
    (directory / "instance.toml").write_text(f'''name = "made-up"
currency = "CNY"
objective = "max-coverage"
budget = {budget}
budget_measure = "capex"
horizon_years = 10
discount_rate = 0.0
cost_model = "{MADE_UP.as_posix()}"

[policy]
name = "no-floors"
[policy.schools]
required = false
''', encoding="utf-8")
    (directory / "counties.csv").write_text("county_id,name,province\nc1,县,青海\n", encoding="utf-8")
    rows = "\n".join(f"{v},c1,{p},false,10,96.0{i},33.0" for i, (v, p) in enumerate(VILLAGES.items()))
    (directory / "villages.csv").write_text("village_id,county_id,population,poor,demand_mbps,lon,lat\n" + rows
                                            + "\n", encoding="utf-8")
    (directory / "sites.csv").write_text("site_id,technology,backhaul,lon,lat\nS1,tvws,microwave,96.0,33.0\n",
                                         encoding="utf-8")
    (directory / "coverage.csv").write_text("site_id,village_id\n" + "".join(f"S1,{v}\n" for v in COVERED_BY_S1),
                                            encoding="utf-8")
    return directory


def brute_force(budget: float) -> tuple[float, dict]:
    """Every assignment of none / tvws / satellite / orbit-x to the five villages, written plainly
    from the numbers of the test cost model: the site costs 60 + 20 (microwave) once if any village
    uses tvws; a satellite terminal 40; an orbit-x terminal 25, and orbit-x's pool holds 25 Mbit/s
    (two villages of 10); value = population x quality."""
    quality = {"none": 0.0, "tvws": 0.7, "satellite": 0.4, "orbit-x": 0.9}
    best = (-1.0, {})
    for combo in itertools.product(quality, repeat=len(VILLAGES)):
        plan = dict(zip(VILLAGES, combo))
        if any(t == "tvws" and v not in COVERED_BY_S1 for v, t in plan.items()):
            continue
        if 10 * combo.count("orbit-x") > 25:
            continue
        cost = 80 * ("tvws" in combo) + 40 * combo.count("satellite") + 25 * combo.count("orbit-x")
        if cost > budget:
            continue
        value = sum(VILLAGES[v] * quality[t] for v, t in plan.items())
        if value > best[0] + 1e-9:
            best = (value, plan)
    return best


def test_brute_force_of_the_made_up_instance_is_the_hand_optimum():
    # by hand, budget 150: orbit-x for V3 and V5 (50, pool 20 of 25) + tvws for V1, V2 (80) = 130;
    # value 0.9 x 450 + 0.7 x 300 = 615 (tvws for V3 as well would leave orbit-x a worse pair)
    value, plan = brute_force(150.0)
    assert value == pytest.approx(615.0)
    assert plan == {"V1": "tvws", "V2": "tvws", "V3": "orbit-x", "V4": "none", "V5": "orbit-x"}


@pytest.mark.parametrize("budget", [150.0, 105.0, 400.0])
def test_made_up_technologies_solve_verify_and_report_with_no_code_change(tmp_path, budget):
    inst_dir = write_made_up_instance(tmp_path / "inst", budget)
    plan_dir, report_dir = tmp_path / "plan", tmp_path / "report"
    r = run_cli("solve", inst_dir, "-o", plan_dir, "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    summary = json.loads((plan_dir / "summary.json").read_text(encoding="utf-8"))
    value, plan = brute_force(budget)
    assert summary["status"] == "optimal"
    assert summary["objective"] == pytest.approx(value)
    r = run_cli("verify", inst_dir, plan_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_cli("report", inst_dir, plan_dir, "-o", report_dir, "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    html = "".join(p.read_text(encoding="utf-8", errors="replace") for p in report_dir.rglob("*.html"))
    used = {t for t in plan.values() if t != "none"}
    for tech in used:
        assert tech in html


# --------------------------------------------------------------------------- bad blocks
@pytest.mark.parametrize("edit, key, problem, fix", [
    (lambda t: t.replace('kind = "site"', 'kind = "sitee"'), "technologies.tvws.kind",
     "not one of network, site, terminal, link", "did you mean 'site'"),
    (lambda t: t.replace("terminal_capex = 25.0\n", ""), "technologies.orbit-x.terminal_capex",
     "has no 'terminal_capex'", "add 'terminal_capex = ...'"),
    (lambda t: t.replace("fee_year = 0.0\ncapacity_mbps = 25.0", "fee_year = -1.0\ncapacity_mbps = 25.0"),
     "technologies.orbit-x.fee_year", "must be >= 0", "non-negative"),
    (lambda t: t.replace("quality = 0.9", "quality = 0.9\nradius_km = 3.0"), "technologies.orbit-x.radius_km",
     "unknown key 'radius_km'", ""),
])
def test_a_bad_technology_block_stops_with_file_key_and_fix(tmp_path, edit, key, problem, fix):
    model = tmp_path / "bad.toml"
    model.write_text(edit(MADE_UP.read_text(encoding="utf-8")), encoding="utf-8")
    inst_dir = write_made_up_instance(tmp_path / "inst", 150.0)
    toml = inst_dir / "instance.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(MADE_UP.as_posix(), model.as_posix()),
                    encoding="utf-8")
    r = run_cli("solve", inst_dir, "-o", tmp_path / "plan")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "bad.toml" in r.stderr and key in r.stderr and problem in r.stderr, r.stderr
    assert "fix:" in r.stderr and fix in r.stderr, r.stderr


# --------------------------------------------------------------------------- scenario keys and options
def test_scenario_keys_address_a_declared_technology(tmp_path):
    from allocator.analysis.scenario import cost_parameters, parse_scenario, scenario_overrides
    inst_dir = write_made_up_instance(tmp_path / "inst", 150.0)
    base = load_instance(inst_dir)
    assert cost_parameters(base.costs)["technologies.orbit-x.terminal_capex"] == 25.0
    assert cost_parameters(base.costs)["technologies.tvws.site_capex.plain"] == 60.0
    scenario = parse_scenario(text='name = "cheap-orbit"\n[costs.set]\n"technologies.orbit-x.terminal_capex" = 5\n'
                                   '[costs.scale]\n"technologies.tvws.site_capex" = 2\n')
    changed = load_instance(inst_dir, overrides=scenario_overrides(scenario, base))
    assert changed.costs.technologies["orbit-x"].cost("terminal_capex") == 5.0
    assert set(changed.villages["orbit-x_capex"]) == {5.0}
    assert changed.sites.at["S1", "capex"] == 120.0
    bad = parse_scenario(text='name = "x"\n[costs.set]\n"technologies.orbit-x.terminal_capex" = 1e13\n')
    with pytest.raises(InputError, match="outside its allowed range"):
        scenario_overrides(bad, base)


def test_generate_with_an_unknown_cost_model_is_exit_2(tmp_path):
    r = run_cli("generate", "tiny", "--cost-model", "china-2062", "-o", tmp_path / "x")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "china-2062" in r.stderr and "china-2026" in r.stderr and "Traceback" not in r.stderr


def test_a_village_may_only_name_the_models_technologies(tmp_path):
    inst_dir = write_made_up_instance(tmp_path / "inst", 150.0)
    villages = inst_dir / "villages.csv"
    text = villages.read_text(encoding="utf-8").replace("village_id,county_id,", "village_id,technologies,county_id,")
    lines = text.splitlines()
    lines = [lines[0]] + [line.replace(",c1,", ",fiber,c1,", 1) if i == 0 else line.replace(",c1,", ",,c1,", 1)
                          for i, line in enumerate(lines[1:])]
    villages.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_cli("solve", inst_dir, "-o", tmp_path / "plan")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "villages.csv" in r.stderr and "'fiber' is not an allowed value" in r.stderr
    assert "tvws, satellite, orbit-x" in r.stderr


@pytest.mark.parametrize("budget", [60.0, 150.0, 1000.0])
def test_greedy_plans_of_made_up_technologies_verify(tmp_path, budget):
    """The greedy heuristic prices tvws sites and orbit-x terminals by their kinds; its plan keeps every
    rule (orbit-x's pool of 25 Mbit/s: two villages at most) and is no better than the optimum."""
    from allocator.heuristics.greedy import run_greedy
    from allocator.verify import verify
    inst = load_instance(write_made_up_instance(tmp_path / "inst", budget))
    result = run_greedy(inst)
    report = verify(inst, result.decision)
    assert report.ok, report.violations
    assert sum(t == "orbit-x" for t in result.decision.technology.values()) <= 2
    assert result.coverage <= brute_force(budget)[0] + 1e-9
    assert result.cost <= budget + 1e-9


def test_a_site_serves_only_its_own_technology(tmp_path):
    """Two site technologies: a village that allows only 'mesh' is served by the mesh site, never by the
    tvws site that also covers it; the verifier refuses a plan that serves it from the tvws site."""
    from allocator.decision import Decision
    from allocator.verify import verify
    model = tmp_path / "two-sites.toml"
    model.write_text(MADE_UP.read_text(encoding="utf-8") + '''
[technologies.mesh]
kind = "site"
site_capex = { plain = 10.0, hills = 10.0, mountain = 10.0, plateau = 10.0 }
site_opex_year = 0.0
radius_km = { plain = 5.0, hills = 5.0, mountain = 5.0, plateau = 5.0 }
mbps = 10.0
quality = 0.5
''', encoding="utf-8")
    inst_dir = write_made_up_instance(tmp_path / "inst", 1000.0)
    toml = inst_dir / "instance.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(MADE_UP.as_posix(), model.as_posix()), encoding="utf-8")
    (inst_dir / "sites.csv").write_text("site_id,technology,backhaul,lon,lat\nS1,tvws,microwave,96.0,33.0\n"
                                        "S2,mesh,microwave,96.0,33.0\n", encoding="utf-8")
    (inst_dir / "coverage.csv").write_text("site_id,village_id\nS1,V1\nS1,V2\nS1,V3\nS2,V1\n", encoding="utf-8")
    villages = inst_dir / "villages.csv"
    lines = villages.read_text(encoding="utf-8").splitlines()
    lines = [lines[0] + ",technologies"] + [line + (",mesh" if line.startswith("V1,") else ",")
                                            for line in lines[1:]]
    villages.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = run_cli("solve", inst_dir, "-o", tmp_path / "plan", "-q")
    assert r.returncode == 0, r.stdout + r.stderr
    plan = (tmp_path / "plan" / "villages.csv").read_text(encoding="utf-8").splitlines()
    v1 = next(line for line in plan if line.startswith("V1,"))
    assert ",mesh," in v1 and ",S2," in v1, v1
    inst = load_instance(inst_dir)
    wrong = Decision(technology={"V1": "mesh", "V2": "none", "V3": "none", "V4": "none", "V5": "none"},
                     site_of={"V1": "S1"}, opened_sites={"S1": "microwave"})
    report = verify(inst, wrong)
    assert not report.ok and any("which is a tvws site" in v for v in report.violations), report.violations
