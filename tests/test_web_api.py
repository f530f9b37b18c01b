"""Every endpoint of `allocator serve` through FastAPI's TestClient, with real job processes.

The jobs solve the shipped county demo and tiny instances for real; plans are read
back and re-checked by the verifier.
"""
from __future__ import annotations

import io
import json
import os
import signal
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
from fastapi.testclient import TestClient

from allocator.analysis.scenario import parse_scenario
from allocator.io import load_instance
from allocator.plan_io import read_plan
from allocator.verify import verify
from allocator.web.app import create_app
from allocator.web.instances import discover
from allocator.web.messages import english

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "instances" / "county-demo"
TINY = ROOT / "instances" / "tiny-floor"
LOCAL = "http://127.0.0.1"
WAIT = 900  # seconds: a loaded shared machine can be slow; jobs normally take seconds


def wait(client, jid, *, states=("done", "failed", "cancelled")):
    deadline = time.time() + WAIT
    while time.time() < deadline:
        job = client.get(f"/api/jobs/{jid}").json()
        if job["state"] in states:
            return job
        time.sleep(0.3)
    raise AssertionError(f"job {jid} still {job['state']} after {WAIT} s")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data = tmp_path_factory.mktemp("web-data")
    instances = discover([COUNTY, TINY])
    county = next(i for i, e in instances.items() if e.path == COUNTY.resolve())
    tiny = next(i for i, e in instances.items() if e.path == TINY.resolve())
    app = create_app(instances, data, workers=2, allowed_hosts=("127.0.0.1", "testserver"))
    with TestClient(app, base_url=LOCAL) as client:
        form = {"name": "cut", "description": "budget 80 M, deep-poverty floor 85%", "budget": 8e7,
                "floors": {"deep-poverty": 0.85}}
        scen = client.post("/api/scenarios", json={"instance_id": county, "form": form})
        assert scen.status_code == 201, scen.text
        base = client.post("/api/jobs", json={"kind": "run", "instance_id": county}).json()
        cut = client.post("/api/jobs", json={"kind": "run", "scenario_id": scen.json()["id"]}).json()
        yield {"client": client, "app": app, "data": data, "county": county, "tiny": tiny,
               "scenario": scen.json(), "base": wait(client, base["id"]), "cut": wait(client, cut["id"])}


def test_instances_baseline_choices_map(served):
    c, iid = served["client"], served["county"]
    listed = c.get("/api/instances").json()
    assert {e["id"] for e in listed} == {served["county"], served["tiny"]}
    b = c.get(f"/api/instances/{iid}/baseline").json()
    assert b["counts"]["villages"] == 150 and b["counts"]["poor_villages"] == 120
    groups = {g["group"]: g for g in b["groups"]}
    # 31 of 120 poor villages connected before any plan: below the 98% and 90% floors
    assert groups["all-poor"]["existing_share_poor"] == pytest.approx(31 / 120)
    assert groups["all-poor"]["floor"] == pytest.approx(0.98) and groups["all-poor"]["meets_floor"] is False
    assert sum(r["poor_villages"] for r in b["ranking"]) == 120
    ch = c.get(f"/api/instances/{iid}/choices").json()
    assert "deep-poverty" in [g["group"] for g in ch["groups"]]
    assert ch["values"]["county"][0]["name"] == "木里藏族自治县"
    assert "fiber.per_km.plateau" in ch["cost_parameters"]
    m = c.get(f"/api/instances/{iid}/map")
    assert m.status_code == 200 and "<canvas" in m.text and "木里" in m.text
    assert c.get("/api/instances/nope-00000000/baseline").status_code == 404


def test_the_page_carries_the_message_catalogue(served):
    html = served["client"].get("/").text
    start = html.index('<script id="messages" type="application/json">') + len('<script id="messages" type="application/json">')
    catalogue = json.loads(html[start:html.index("</script>", start)])
    assert catalogue["messages"]["job.cancelled"]["zh"] == "已被用户取消"


def test_instance_page_is_one_response_with_the_cached_baseline(served):
    c, iid = served["client"], served["county"]
    page = c.get(f"/api/instances/{iid}/page")
    assert page.status_code == 200
    body = page.json()
    assert body["baseline"] == c.get(f"/api/instances/{iid}/baseline").json()
    assert body["name"] == next(e["name"] for e in c.get("/api/instances").json() if e["id"] == iid)
    assert [s["id"] for s in body["scenarios"]] == [s["id"] for s in c.get(f"/api/scenarios?instance={iid}").json()]
    assert [j["id"] for j in body["jobs"]] == [j["id"] for j in c.get(f"/api/jobs?instance={iid}").json()]
    assert body["map_bytes"] == len(c.get(f"/api/instances/{iid}/map", headers={"Accept-Encoding": "identity"}).content)
    assert c.get("/api/instances/nope-00000000/page").status_code == 404


def test_maps_and_json_are_served_compressed_to_a_browser_that_takes_gzip(served):
    import gzip as gz
    c, iid = served["client"], served["county"]
    for path in (f"/api/instances/{iid}/map", f"/api/jobs/{served['base']['id']}/map"):
        plain = c.get(path, headers={"Accept-Encoding": "identity"})
        assert plain.headers.get("content-encoding") is None and "<canvas" in plain.text
        # read the raw bytes: the test client would undo the encoding
        with c.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as packed:
            raw = b"".join(packed.iter_raw())
        assert packed.headers["content-encoding"] == "gzip" and "Accept-Encoding" in packed.headers["vary"]
        assert gz.decompress(raw) == plain.content and len(raw) < len(plain.content) / 3
    with c.stream("GET", f"/api/instances/{iid}/choices", headers={"Accept-Encoding": "gzip"}) as r:
        assert r.headers["content-encoding"] == "gzip"


def test_scenario_crud_and_toml_round_trip(served):
    c, iid = served["client"], served["county"]
    form = {"name": "rules", "budget": 7.5e7, "weights": {"deep-poverty": 4.0}, "cost_scale": {"fiber": 1.1},
            "rules": [{"action": "forbid", "scope": "county", "value": "木里藏族自治县", "technology": "satellite"}]}
    r = c.post("/api/scenarios", json={"instance_id": iid, "form": form})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    toml = c.get(f"/api/scenarios/{sid}/toml")
    assert toml.status_code == 200 and 'filename="rules.toml"' in toml.headers["content-disposition"]
    parsed = parse_scenario(text=toml.text)  # the CLI's own reader
    assert parsed.budget == 7.5e7 and parsed.weights == {"deep-poverty": 4.0} and parsed.cost_scale == {"fiber": 1.1}
    assert [(x.action, x.scope, x.value, x.technology) for x in parsed.rules] == [
        ("forbid", "county", "木里藏族自治县", "satellite")]
    form["budget"] = 7e7
    r = c.put(f"/api/scenarios/{sid}", json={"form": form})
    assert r.status_code == 200 and r.json()["form"]["budget"] == 7e7
    assert sid in [s["id"] for s in c.get(f"/api/scenarios?instance={iid}").json()]
    assert c.get(f"/api/scenarios/{sid}").json()["name"] == "rules"
    assert c.delete(f"/api/scenarios/{sid}").status_code == 204
    assert c.get(f"/api/scenarios/{sid}").status_code == 404


def test_bad_form_is_reported_and_not_stored(served):
    c, iid = served["client"], served["county"]
    before = len(c.get("/api/scenarios").json())
    r = c.post("/api/scenarios", json={"instance_id": iid, "form": {"name": "x", "floors": {"deep-povrty": 0.9}}})
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["file"] == "scenario form" and err["column"] == "floors.deep-povrty" and err["line"] is None
    assert "deep-poverty" in err["fix"]  # did you mean
    # the page can say it in Chinese: each part with its catalogue code and the user's words
    assert err["file_msg"]["code"] == "form.label"
    assert err["problem_msg"] == {"code": "input.unknown_group", "params": {"group": "deep-povrty", "table": "floors"}}
    assert err["fix_msg"]["code"] == "fix.use_group" and "deep-poverty" in err["fix_msg"]["params"]["choices"]
    r = c.post("/api/scenarios", json={"instance_id": iid, "form": {"name": "x", "budget": -5}})
    assert r.status_code == 422 and "out of range" in r.json()["errors"][0]["problem"]
    r = c.post("/api/scenarios", json={"instance_id": iid, "form": {
        "name": "x", "rules": [{"action": "force", "scope": "province", "value": "西藏", "technology": "fiber"}]}})
    assert r.status_code == 422 and "unknown province" in r.json()["errors"][0]["problem"]
    r = c.post("/api/scenarios", json={"instance_id": iid, "form": {"name": "../../etc"}})
    assert r.status_code == 422 and r.json()["errors"][0]["column"] == "name"
    assert len(c.get("/api/scenarios").json()) == before


def test_upload_validated_like_the_cli(served):
    c, iid = served["client"], served["county"]
    good = 'name = "up"\nbudget = 8.1e7\n[floors]\ndeep-poverty = 0.92\n'
    r = c.post("/api/scenarios/upload", data={"instance_id": iid}, files={"file": ("up.toml", good.encode())})
    assert r.status_code == 201, r.text
    assert parse_scenario(text=r.json()["toml"]).floors == {"deep-poverty": 0.92}
    before = len(c.get("/api/scenarios").json())
    bad = 'name = "up2"\n\n[weights]\nnobody = 2\n'
    r = c.post("/api/scenarios/upload", data={"instance_id": iid}, files={"file": ("my plan.toml", bad.encode())})
    assert r.status_code == 422
    err = r.json()["errors"][0]
    assert err["file"] == "my plan.toml" and err["line"] == 4 and err["column"] == "weights.nobody"
    r = c.post("/api/scenarios/upload", data={"instance_id": iid},
               files={"file": ("big.toml", b"# " + b"x" * (300 * 1024))})
    assert r.status_code == 422 and "larger than" in r.json()["errors"][0]["problem"]
    assert r.json()["errors"][0]["problem_msg"] == {"code": "upload.too_large", "params": {"kib": 256.0}}
    r = c.post("/api/scenarios/upload", data={"instance_id": iid}, files={"file": ("bin.toml", b"\xff\xfe\x00")})
    assert r.status_code == 422 and "UTF-8" in r.json()["errors"][0]["problem"]
    r = c.post("/api/scenarios/upload", data={"instance_id": iid}, files={"file": ("syntax.toml", b"name = \n")})
    assert r.status_code == 422 and "TOML" in r.json()["errors"][0]["problem"]
    assert len(c.get("/api/scenarios").json()) == before


def _plan_of(data_dir: Path, jid: str):
    folder = data_dir / "jobs" / jid / "plan"
    record = json.loads((folder / "scenario.json").read_text(encoding="utf-8"))
    instance = load_instance(record["base"], overrides=record["overrides"] or None)
    return instance, read_plan(folder, instance)


def test_runs_finish_with_verified_plans(served):
    c = served["client"]
    base, cut = served["base"], served["cut"]
    assert base["state"] == "done" and base["status"] == "optimal" and base["gap"] == 0.0
    assert cut["state"] == "done" and cut["status"] == "optimal"
    for job in (base, cut):
        instance, plan = _plan_of(served["data"], job["id"])
        assert verify(instance, plan.decision, summary=plan.summary).ok
    p = c.get(f"/api/jobs/{cut['id']}/plan").json()
    assert p["summary"]["budget"] == 8e7 and p["summary"]["total_cost"] <= 8e7
    assert p["summary"]["verified"] is True
    assert {g["group"]: g["floor"] for g in p["groups"]}["deep-poverty"] == pytest.approx(0.85)
    assert p["ranking"][0]["poor_villages"] == 120
    listed = [j["id"] for j in c.get(f"/api/jobs?instance={served['county']}").json()]
    assert base["id"] in listed and cut["id"] in listed


def test_report_and_map_in_chinese(served):
    """The HTML report in Chinese for the Chinese page (made from the run's folder, then kept), the
    English one as `allocator report` wrote it; the map reads its language from its address."""
    from allocator.reports.chinese import money_zh
    c, jid = served["client"], served["cut"]["id"]
    en = c.get(f"/api/jobs/{jid}/report").text
    assert "Plan summary" in en and "<h2 id='charts'>Charts</h2>" in en and "方案概要" not in en
    r = c.get(f"/api/jobs/{jid}/report?lang=zh")
    assert r.status_code == 200 and "charset=utf-8" in r.headers["content-type"]
    zh = r.text
    assert "宽带规划报告" in zh and "方案概要" in zh and "<h2 id='charts'>图表</h2>" in zh and "Plan summary" not in zh
    total = c.get(f"/api/jobs/{jid}/plan").json()["summary"]["total_cost"]
    assert f"<b>{money_zh(total)}</b>" in zh  # the headline amount in 万元
    assert c.get(f"/api/jobs/{jid}/report?lang=zh").text == zh  # kept, not written again
    assert c.get(f"/api/jobs/{jid}/report?lang=fr").status_code == 422
    page = c.get(f"/api/jobs/{jid}/map").text
    assert "新建光纤沟槽" in page and 'WORDS[asked] ? asked : "en"' in page


def test_downloads(served):
    c, jid = served["client"], served["cut"]["id"]
    x = c.get(f"/api/jobs/{jid}/excel")
    assert x.status_code == 200 and x.content[:2] == b"PK"
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(x.content))
    assert len(wb.sheetnames) >= 5
    # the same workbook in Chinese: same cells and numbers, names and headers translated
    zh = load_workbook(io.BytesIO(c.get(f"/api/jobs/{jid}/excel?lang=zh").content))
    assert zh.sheetnames[:2] == ["概要", "分省排名"] and len(zh.sheetnames) == len(wb.sheetnames)
    assert zh["概要"]["A1"].value == "方案概要"
    numbers = lambda book: [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row  # noqa: E731
                            if isinstance(c.value, (int, float))]
    assert numbers(zh) == numbers(wb)
    assert "总费用" in [c.value for row in zh["概要"].iter_rows() for c in row]
    assert c.get(f"/api/jobs/{jid}/excel?lang=fr").status_code == 422
    z = zipfile.ZipFile(io.BytesIO(c.get(f"/api/jobs/{jid}/zip").content))
    names = z.namelist()
    assert "cut/plan/villages.csv" in names and "cut/scenario.toml" in names and "cut/report/report.xlsx" in names
    assert parse_scenario(text=z.read("cut/scenario.toml").decode()).budget == 8e7
    assert "<canvas" in c.get(f"/api/jobs/{jid}/map").text
    assert c.get(f"/api/jobs/{jid}/report").status_code == 200
    assert parse_scenario(text=c.get(f"/api/jobs/{jid}/scenario.toml").text).name == "cut"
    from allocator.importers.gisdeps import gis_available
    g = c.get(f"/api/jobs/{jid}/geopackage")
    if gis_available():  # the [gis] extra is part of [test]: allocator export's layers
        assert g.status_code == 200 and g.content[:16] == b"SQLite format 3\x00"
        import pyogrio
        path = served["data"] / "plan.gpkg"
        path.write_bytes(g.content)
        layers = [name for name, _ in pyogrio.list_layers(path)]
        assert "villages" in layers
        assert len(pyogrio.read_dataframe(path, layer="villages")) == 150
    else:
        assert g.status_code == 404 and "[gis]" in g.json()["detail"]


def test_compare_and_diff(served):
    c, a, b = served["client"], served["base"]["id"], served["cut"]["id"]
    r = c.get(f"/api/compare?jobs={a},{b}").json()
    assert [it["job"]["id"] for it in r["items"]] == [a, b]
    metrics = [row[0] for row in r["table"]["rows"]]
    assert "total cost" in metrics and "coverage deep-poverty" in metrics
    d = c.get(f"/api/diff?a={a}&b={b}").json()
    assert d["villages"] == len(d["rows"]) and d["villages"] > 0
    assert {row["reason"] for row in d["rows"]} <= {"rule", "floor", "priority", "cost", "budget", "other"}
    assert sum(t["villages"] for t in d["transitions"]) == d["villages"]
    assert c.get("/api/compare?jobs=../../x").status_code == 422
    assert c.get(f"/api/diff?a={a}&b=000000000000").status_code == 404


def test_frontier_and_prices_jobs(served):
    c, tiny = served["client"], served["tiny"]
    f = c.post("/api/jobs", json={"kind": "frontier", "instance_id": tiny,
                                  "options": {"budget_from": 0, "budget_to": 120, "points": 3}}).json()
    p = c.post("/api/jobs", json={"kind": "prices", "instance_id": tiny, "options": {"step": 0.5}}).json()
    f, p = wait(c, f["id"]), wait(c, p["id"])
    assert f["state"] == "done", f["message"]
    points = c.get(f"/api/jobs/{f['id']}/frontier").json()["points"]
    assert [pt["budget"] for pt in points] == [0, 60, 120]
    objs = [pt["objective"] for pt in points if pt["objective"] is not None]
    assert objs == sorted(objs)  # monotone
    # a point opened as a plan: the scenario at that budget, reused when asked twice
    j1 = c.post("/api/jobs", json={"kind": "run", "instance_id": tiny, "budget": 60, "reuse": True}).json()
    j2 = c.post("/api/jobs", json={"kind": "run", "instance_id": tiny, "budget": 60, "reuse": True}).json()
    assert j1["id"] == j2["id"] and parse_scenario(text=c.get(f"/api/jobs/{j1['id']}/scenario.toml").text).budget == 60
    assert p["state"] == "done", p["message"]
    prices = c.get(f"/api/jobs/{p['id']}/prices").json()
    assert prices["floors"][0]["group"] == "deep-poverty"
    # every note comes back as the engine wrote it, with its catalogue code where it has one
    for row in prices["floors"]:
        assert "; ".join(n.get("text") or english(n["code"], **n["params"]) for n in row["notes"]) == \
            (row["note"] or "")
    frontier = c.get(f"/api/jobs/{f['id']}/frontier").json()
    for pt in frontier["points"]:
        assert "; ".join(n.get("text") or english(n["code"], **n["params"]) for n in pt["notes"]) == \
            (pt["message"] or "")
    bad = c.post("/api/jobs", json={"kind": "frontier", "instance_id": tiny,
                                    "options": {"budget_from": 5, "budget_to": 1}})
    assert bad.status_code == 422
    assert c.get(f"/api/jobs/{f['id']}/plan").status_code == 404  # a frontier job has no plan
    wait(c, j1["id"])


def test_an_infeasible_run_says_so_in_both_languages(served):
    c, county = served["client"], served["county"]
    form = {"name": "too-little", "budget": 1e6, "floors": {"deep-poverty": 0.95}}
    sid = c.post("/api/scenarios", json={"instance_id": county, "form": form}).json()["id"]
    job = wait(c, c.post("/api/jobs", json={"kind": "run", "scenario_id": sid}).json()["id"])
    assert job["state"] == "failed" and job["status"] == "infeasible"
    assert job["message_msg"]["code"] in ("job.infeasible", "job.infeasible_budget")
    assert job["message_detail"]  # the engine's own explanation, whole
    if job["message_msg"]["code"] == "job.infeasible_budget":
        assert job["message_msg"]["params"]["budget"] > 1e6


def test_cancel_queued_and_running(tmp_path):
    instances = discover([COUNTY])
    iid = next(iter(instances))
    app = create_app(instances, tmp_path, workers=1)
    with TestClient(app, base_url=LOCAL) as c:
        a = c.post("/api/jobs", json={"kind": "run", "instance_id": iid}).json()
        assert wait(c, a["id"], states=("running",))["state"] == "running"
        b = c.post("/api/jobs", json={"kind": "run", "instance_id": iid, "options": {"seed": 3}}).json()
        assert b["state"] == "queued" and b["position"] == 1  # one worker, busy with a
        assert c.post(f"/api/jobs/{b['id']}/cancel").json()["state"] == "cancelled"
        r = c.post(f"/api/jobs/{a['id']}/cancel")  # a solve plus its reports takes seconds: still running
        assert r.status_code == 200 and r.json()["state"] == "cancelled"
        assert app.state.queue.pid(a["id"]) is None
        assert not any(p.name.startswith(f".{a['id']}.") for p in (tmp_path / "jobs").iterdir())
        assert c.get(f"/api/jobs/{a['id']}/plan").status_code == 409
        ended = c.post(f"/api/jobs/{a['id']}/cancel")  # already ended
        assert ended.status_code == 409 and ended.json()["msg"]["code"] == "http.job_ended"
        assert c.get(f"/api/jobs/{a['id']}").json()["message_msg"]["code"] == "job.cancelled"
        time.sleep(1.0)
        assert c.get(f"/api/jobs/{b['id']}").json()["state"] == "cancelled"  # never started
        after = c.post("/api/jobs", json={"kind": "run", "instance_id": iid, "options": {"seed": 4}}).json()
        assert wait(c, after["id"])["state"] == "done"  # the queue goes on


def test_a_crashed_job_fails_alone(served):
    c, app, iid = served["client"], served["app"], served["county"]
    victim = c.post("/api/jobs", json={"kind": "run", "instance_id": iid, "options": {"seed": 7}}).json()
    other = c.post("/api/jobs", json={"kind": "run", "instance_id": iid, "options": {"seed": 8}}).json()
    wait(c, victim["id"], states=("running",))
    pid = None
    for _ in range(100):
        pid = app.state.queue.pid(victim["id"])
        if pid:
            break
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)  # what a segfault in a solver looks like from outside
    crashed = wait(c, victim["id"])
    assert crashed["state"] == "failed" and crashed["status"] == "crashed" and "exit code" in crashed["message"]
    assert crashed["message_msg"] == {"code": "job.crashed", "params": {"exit_code": str(-signal.SIGKILL)}}
    assert wait(c, other["id"])["state"] == "done"


def test_paths_never_come_from_requests(served):
    c = served["client"]
    for url in ("/api/jobs/..%2F..%2Fetc%2Fpasswd/plan", "/api/jobs/../../etc/passwd/excel",
                "/api/scenarios/..%2Fworkspace.sqlite/toml", "/api/instances/..%2F..%2F/baseline",
                "/static/..%2F..%2Fapp.py", "/api/jobs/ABCDEF123456/zip"):
        r = c.get(url)
        assert r.status_code in (404, 422), (url, r.status_code)
        assert b"root:" not in r.content and b"def create_app" not in r.content


def test_token_and_host_checks(tmp_path):
    app = create_app(discover([TINY]), tmp_path, token="s3cret", workers=1, allowed_hosts=None)
    with TestClient(app, base_url="http://192.0.2.1") as c:
        assert c.get("/api/instances").status_code == 401
        assert c.get("/api/instances", headers={"X-Allocator-Token": "wrong"}).status_code == 401
        assert c.get("/api/instances", headers={"X-Allocator-Token": "s3cret"}).status_code == 200
        r = c.get("/?token=s3cret")
        assert r.status_code == 200 and "allocator_token" in r.headers.get("set-cookie", "")
        assert c.get("/api/instances").status_code == 200  # the cookie now carries it
    local = create_app(discover([TINY]), tmp_path / "b", workers=1, allowed_hosts=("127.0.0.1",))
    with TestClient(local, base_url="http://evil.example") as c:
        assert c.get("/api/instances").status_code == 400  # DNS rebinding: another site's name for 127.0.0.1
    local = create_app(discover([TINY]), tmp_path / "c", workers=1, allowed_hosts=("127.0.0.1",))
    with TestClient(local, base_url=LOCAL) as c:
        iid = c.get("/api/instances").json()[0]["id"]
        upload = {"data": {"instance_id": iid}, "files": {"file": ("x.toml", b'name = "x"\n')}}
        # a form on another site posting here through the user's browser
        r = c.post("/api/scenarios/upload", headers={"Origin": "http://evil.example"}, **upload)
        assert r.status_code == 403
        r = c.post("/api/scenarios/upload", headers={"Sec-Fetch-Site": "cross-site"}, **upload)
        assert r.status_code == 403
        assert c.get("/api/scenarios").json() == []
        r = c.post("/api/scenarios/upload", headers={"Origin": "http://127.0.0.1", "Sec-Fetch-Site": "same-origin"},
                   **upload)
        assert r.status_code == 201


def test_results_survive_a_restart(served, tmp_path):
    data = served["data"]
    instances = discover([COUNTY, TINY])
    # a second server on the same data (the first one "killed"): saved scenarios and finished plans are there
    with TestClient(create_app(instances, data, workers=1), base_url=LOCAL) as c:
        assert c.get(f"/api/scenarios/{served['scenario']['id']}").status_code == 200
        assert c.get(f"/api/jobs/{served['cut']['id']}").json()["state"] == "done"
        assert c.get(f"/api/jobs/{served['cut']['id']}/excel").status_code == 200


def test_interrupted_jobs_are_queued_again(tmp_path):
    from allocator.web.store import Store
    store = Store(tmp_path)
    instances = discover([TINY])
    iid = next(iter(instances))
    jid = store.add_job(kind="run", instance_id=iid, scenario_id=None, name="base", toml='name = "base"\n',
                        options={"solver": "highs", "mode": "exact"})
    assert store.claim(jid)  # "running" when the server died
    (store.jobs_dir / f".{jid}.allocator-new-x1").mkdir()  # the killed job's folder, just begun
    store.close()
    with TestClient(create_app(instances, tmp_path, workers=1), base_url=LOCAL) as c:
        assert not (tmp_path / "jobs" / f".{jid}.allocator-new-x1").exists()
        assert wait(c, jid)["state"] == "done"


@pytest.mark.slow
def test_five_concurrent_runs_finish_with_verified_plans(tmp_path):
    instances = discover([COUNTY])
    iid = next(iter(instances))
    app = create_app(instances, tmp_path, workers=5)
    budgets = [7.0e7, 7.5e7, 8.0e7, 8.5e7, 9.0e7]
    with TestClient(app, base_url=LOCAL) as c:
        ids = []
        for b in budgets:
            s = c.post("/api/scenarios", json={"instance_id": iid, "form": {"name": f"b{b:.0f}", "budget": b}}).json()
            ids.append(c.post("/api/jobs", json={"kind": "run", "scenario_id": s["id"]}).json()["id"])
        most = 0
        deadline = time.time() + WAIT
        while time.time() < deadline:
            most = max(most, app.state.queue.running())
            states = [c.get(f"/api/jobs/{j}").json()["state"] for j in ids]
            if all(s in ("done", "failed", "cancelled") for s in states):
                break
            time.sleep(0.2)
        assert most == 5, "the five runs ran at the same time"
        jobs = [c.get(f"/api/jobs/{j}").json() for j in ids]
    from allocator.solve import solve
    county = load_instance(COUNTY)
    costs = []
    for b, job in zip(budgets, jobs):
        assert job["state"] == "done" and job["status"] == "optimal", job["message"]
        instance, plan = _plan_of(tmp_path, job["id"])
        # verified twice: by the job before it stored the plan, and here again from the files
        assert plan.summary["verified"] is True
        report = verify(instance, plan.decision, summary=plan.summary)
        assert report.ok, report.violations
        assert instance.budget == b and plan.total_cost <= b * (1 + 1e-9)
        # correct: the optimum of a solve of the same question in this process, run alone
        alone = solve(county.with_changes(budget=b), solver="highs", threads=1)
        assert alone.summary["status"] == "optimal"
        assert plan.summary["objective"] == pytest.approx(alone.summary["objective"], rel=1e-6)
        costs.append(plan.summary["objective"])
    assert costs == sorted(costs)  # more money never covers less


def test_generate_a_preset_from_the_page(tmp_path):
    app = create_app(discover([TINY]), tmp_path, workers=1)
    with TestClient(app, base_url=LOCAL) as c:
        assert "county" in [p["preset"] for p in c.get("/api/presets").json()]
        assert c.post("/api/presets", json={"preset": "continent", "seed": 1}).status_code == 422
        assert c.post("/api/presets", json={"preset": "county", "seed": -1}).status_code == 422
        job = c.post("/api/presets", json={"preset": "tiny", "seed": 1}).json()
        again = c.post("/api/presets", json={"preset": "tiny", "seed": 1}).json()
        assert again["id"] == job["id"]  # same preset and seed: one job
        done = wait(c, job["id"])
        assert done["state"] == "done", done["message"]
        iid = done["created_instance"]
        assert iid in [e["id"] for e in c.get("/api/instances").json()]
        assert c.get(f"/api/instances/{iid}/baseline").json()["counts"]["villages"] == 6
        assert (tmp_path / "instances" / "tiny-seed1" / "instance.toml").is_file()
    # served again after a restart, without being named on the command line
    with TestClient(create_app(discover([TINY]), tmp_path, workers=1), base_url=LOCAL) as c:
        assert iid in [e["id"] for e in c.get("/api/instances").json()]


def test_cli_serve_on_another_host_prints_a_token_and_requires_it(tmp_path):
    import re
    import socket
    import subprocess
    import sys

    import httpx

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "allocator", "serve", str(TINY), "--host", "0.0.0.0",
                             "--port", str(port), "--data", str(tmp_path / "data"), "--workers", "1"],
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    try:
        line = ""
        while "open http" not in line:
            line = proc.stderr.readline()
            assert line or proc.poll() is None, "the server ended before printing its address"
        token = re.search(r"\?token=(\S+)", line).group(1)
        url = f"http://127.0.0.1:{port}/api/instances"
        deadline = time.time() + 120
        while True:
            try:
                r = httpx.get(url, timeout=10)
                break
            except httpx.TransportError:
                assert time.time() < deadline, "the server does not answer"
                time.sleep(0.3)
        assert r.status_code == 401
        ok = httpx.get(url, headers={"X-Allocator-Token": token}, timeout=10)
        assert ok.status_code == 200 and ok.json()[0]["name"] == "tiny-floor"
    finally:
        proc.terminate()
        proc.wait(timeout=60)
