"""The workspace and the reports name the technologies the instance's cost model declares.

An instance generated with the china-2026 cost model (5G FWA sites beside the 4G ones, LEO
terminals beside the GEO satellite) served by the web app: its pick lists, labels (English and
Chinese) and cost factors are the model's; a scenario forcing LEO runs and its plan verifies; the
Chinese workbook and report name the new technologies in Chinese. And `allocator report --lang zh`
writes report.xlsx in Chinese with the same translation.
"""
from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from allocator.io import load_instance
from allocator.plan_io import read_plan
from allocator.verify import verify
from allocator.web.app import create_app
from allocator.web.instances import discover

LOCAL = "http://127.0.0.1"
WAIT = 900  # seconds: the shared machine is loaded; the tiny instance solves in about a second
LABELS = {"fiber": {"en": "fiber", "zh": "光纤"}, "4g": {"en": "4G", "zh": "4G基站"},
          "5g-fwa": {"en": "5G FWA", "zh": "5G固定无线接入"}, "satellite": {"en": "GEO satellite", "zh": "高通量卫星"},
          "leo": {"en": "LEO satellite", "zh": "低轨卫星"}}


def generate(preset: str, out: Path) -> Path:
    r = subprocess.run([sys.executable, "-m", "allocator", "generate", preset, "--cost-model", "china-2026",
                        "-o", str(out), "-q"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    return out


def wait(client, jid):
    deadline = time.time() + WAIT
    while time.time() < deadline:
        job = client.get(f"/api/jobs/{jid}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {jid} still {job['state']} after {WAIT} s")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("web-tech")
    path = generate("tiny", root / "tiny-2026")
    instances = discover([path])
    (iid,) = instances
    app = create_app(instances, root / "data", workers=1, allowed_hosts=("127.0.0.1", "testserver"))
    with TestClient(app, base_url=LOCAL) as client:
        yield {"client": client, "iid": iid, "data": root / "data", "path": path}


def test_choices_offer_the_declared_technologies_with_their_labels(served):
    c, iid = served["client"], served["iid"]
    ch = c.get(f"/api/instances/{iid}/choices").json()
    assert ch["technologies"] == ["fiber", "4g", "5g-fwa", "satellite", "leo"]
    assert ch["technology_labels"] == LABELS
    scales = {r["technology"]: r for r in ch["cost_scales"]}
    assert list(scales) == ["fiber", "4g", "5g-fwa", "satellite", "leo", "microwave"]
    # a technology's factor moves its money, never its quality, bandwidth or reach
    assert scales["5g-fwa"]["keys"] == ["technologies.5g-fwa.site_capex", "technologies.5g-fwa.site_opex_year"]
    assert scales["leo"]["keys"] == ["technologies.leo.terminal_capex", "technologies.leo.fee_year"]
    assert scales["microwave"]["label"] == {"en": "microwave", "zh": "微波"}
    assert all(k in ch["cost_parameters"] or any(p.startswith(k + ".") for p in ch["cost_parameters"])
               for r in ch["cost_scales"] for k in r["keys"])


def test_the_page_names_technologies_from_the_choices():
    """app.js reads a technology's name from the instance's choices before the catalogue's three words,
    and lists the plan's and the comparison's technologies from the choices (no fixed list left)."""
    js = (Path(__file__).resolve().parents[1] / "allocator" / "web" / "static" / "app.js").read_text(encoding="utf-8")
    assert "technology_labels" in js and "cost_scales" in js
    assert '["fiber", "4g", "satellite"]' not in js and '"cellular"' not in js


def test_a_scenario_on_declared_technologies_runs_and_verifies(served):
    """Force LEO on the whole county and halve the 5G FWA site price through the form: the job's plan
    verifies, gives LEO to every village it newly connects, and the Chinese downloads say 低轨卫星."""
    c, iid, data = served["client"], served["iid"], served["data"]
    county = c.get(f"/api/instances/{iid}/choices").json()["values"]["county"][0]["value"]
    form = {"name": "leo-everywhere", "description": "LEO for every village",
            "cost_scale": {"technologies.5g-fwa.site_capex": 0.5},
            "rules": [{"action": "force", "scope": "county", "value": county, "technology": "leo"}]}
    r = c.post("/api/scenarios", json={"instance_id": iid, "form": form})
    assert r.status_code == 201, r.text
    assert 'technology = "leo"' in r.json()["toml"] and '"technologies.5g-fwa.site_capex" = 0.5' in r.json()["toml"]
    job = wait(c, c.post("/api/jobs", json={"kind": "run", "scenario_id": r.json()["id"]}).json()["id"])
    assert job["state"] == "done", job
    folder = data / "jobs" / job["id"] / "plan"
    record = json.loads((folder / "scenario.json").read_text(encoding="utf-8"))
    instance = load_instance(record["base"], overrides=record["overrides"] or None)
    plan = read_plan(folder, instance)
    assert verify(instance, plan.decision, summary=plan.summary).ok
    new = {t for t in plan.decision.technology.values() if t != "none"}
    assert new == {"leo"}
    p = c.get(f"/api/jobs/{job['id']}/plan").json()
    assert p["summary"]["by_technology"]["leo"]["villages"] == sum(t == "leo" for t in plan.decision.technology.values())
    zh = load_workbook(io.BytesIO(c.get(f"/api/jobs/{job['id']}/excel?lang=zh").content))
    cells = {str(cell.value) for ws in zh.worksheets for row in ws.iter_rows() for cell in row if cell.value}
    assert "低轨卫星" in cells and "5G固定无线接入" in cells and "leo" not in cells and "5g-fwa" not in cells
    assert "最大覆盖" in "".join(str(v) for row in zh["概要"].iter_rows(values_only=True) for v in row if v)
    report = c.get(f"/api/jobs/{job['id']}/report?lang=zh").text
    assert "低轨卫星" in report and "5G固定无线接入" in report


def test_a_rule_on_an_undeclared_technology_is_refused_with_the_models_list(served):
    c, iid = served["client"], served["iid"]
    county = c.get(f"/api/instances/{iid}/choices").json()["values"]["county"][0]["value"]
    form = {"name": "tvws", "rules": [{"action": "force", "scope": "county", "value": county, "technology": "tvws"}]}
    r = c.post("/api/scenarios", json={"instance_id": iid, "form": form})
    assert r.status_code == 422
    assert "5g-fwa" in json.dumps(r.json()) and "leo" in json.dumps(r.json())


def test_report_lang_zh_writes_the_workbook_in_chinese(tmp_path):
    """`allocator report --lang zh`: report.xlsx with Chinese sheet names, titles and headers, the
    technologies by the cost model's Chinese names; the same numbers as the English workbook."""
    from allocator.cli import main

    inst = generate("tiny", tmp_path / "inst")
    assert main(["solve", str(inst), "-o", str(tmp_path / "plan"), "-q", "--threads", "1"]) == 0
    assert main(["report", str(inst), str(tmp_path / "plan"), "-o", str(tmp_path / "zh"), "--lang", "zh", "-q"]) == 0
    assert main(["report", str(inst), str(tmp_path / "plan"), "-o", str(tmp_path / "en"), "-q"]) == 0
    zh = load_workbook(tmp_path / "zh" / "report.xlsx")
    en = load_workbook(tmp_path / "en" / "report.xlsx")
    assert zh.sheetnames[:4] == ["概要", "分省排名", "底线", "技术"] and "基站" in zh.sheetnames and len(zh.sheetnames) == len(en.sheetnames)
    assert "Summary" in en.sheetnames and "Technology" in en.sheetnames
    assert zh["概要"]["A1"].value == "方案概要"
    summary = dict(row for row in zh["概要"].iter_rows(min_row=4, values_only=True) if row[0])
    assert summary["目标"].startswith("最大覆盖：") and "万元" in summary["总费用"]  # from the plan, not word by word
    assert summary["已独立校验"] == "是"
    tech = zh["技术"]
    assert tech["A1"].value.startswith("各技术覆盖的行政村、人口与费用")
    header = [c.value for c in tech[4]]
    assert header[:3] == ["技术", "行政村数", "贫困村数"]
    names = [row[0] for row in tech.iter_rows(min_row=5, values_only=True) if row[0]]
    assert names[:5] == ["光纤", "4G基站", "5G固定无线接入", "高通量卫星", "低轨卫星"]
    ledger = [c.value for c in zh["台账"][4]]
    assert "5G固定无线接入费用" in ledger and "低轨卫星费用" in ledger
    numbers = lambda book: [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row
                            if isinstance(c.value, (int, float))]
    assert numbers(zh) == numbers(en)


def test_a_model_without_labels_falls_back_to_the_2018_words_then_the_english(tmp_path):
    """The made-up test model: tvws has both labels, satellite none (the 2018 word: 卫星), orbit-x an
    English label only (shown as such on the Chinese page rather than nothing)."""
    from allocator.web.instances import choices
    from tests.test_technologies import write_made_up_instance

    ch = choices(load_instance(write_made_up_instance(tmp_path / "made-up", 100.0)))
    assert ch["technologies"] == ["tvws", "satellite", "orbit-x"]
    assert ch["technology_labels"] == {"tvws": {"en": "TV white space", "zh": "电视空白频段"},
                                       "satellite": {"en": "satellite", "zh": "卫星"},
                                       "orbit-x": {"en": "Orbit-X", "zh": "Orbit-X"}}
    scales = {r["technology"]: r for r in ch["cost_scales"]}
    assert scales["microwave"]["label"] == {"en": "microwave", "zh": "微波"}
    assert scales["tvws"]["keys"] == ["technologies.tvws.site_capex", "technologies.tvws.site_opex_year"]
