"""The workspace in a real headless Chromium (Debian's package), driven by Playwright.

An official's path: open the county demo, make a scenario with the forms (budget typed
in 万元, a floor, a cost factor, a rule picked by a Chinese county name), save and run
it, wait for the plan, compare it with the base (side by side and the village diff),
download the Excel file and open it with openpyxl. Every page is screenshotted into
the test's temporary folder (the path is printed).

Needs /usr/bin/chromium (``apt-get install chromium``; .ci/run installs it when it can):
without a browser the test is skipped and says why. Playwright's own browser download
is never used.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web extra is not installed: pip install -e '.[web]'")
uvicorn = pytest.importorskip("uvicorn", reason="the web extra is not installed: pip install -e '.[web]'")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed: pip install -e '.[test]'")

from allocator.web.app import create_app
from allocator.web.instances import discover

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ALLOCATOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SOLVE_MS = 900_000  # a loaded shared machine is slow; a county-demo run normally takes seconds


def serve(app):
    """Run ``app`` on a free local port in a thread; yield its address, stop it afterwards."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}/"
    srv.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = tmp_path_factory.mktemp("web-data")
    app = create_app(discover([ROOT / "instances" / "county-demo"]), data, workers=2,
                     allowed_hosts=("127.0.0.1",))
    yield from serve(app)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's package (apt-get install chromium) "
                    "or set ALLOCATOR_CHROMIUM")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        except Exception as err:  # noqa: BLE001 - a browser that cannot start is a skip with its reason
            pytest.skip(f"Chromium at {CHROMIUM} does not start: {str(err).splitlines()[0]}")
        yield b
        b.close()


def test_official_makes_runs_compares_and_downloads(server, browser, tmp_path):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def shot(name):
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)

    page.goto(server)
    page.click("a[data-instance]")
    page.wait_for_selector("#baseline-groups")
    assert "木里" in page.inner_text("#main") or "凉山" in page.inner_text("#baseline-provinces")
    assert page.locator("#baseline-map").count() == 0  # a map is drawn when it scrolls into view
    page.locator("#baseline-map-box").scroll_into_view_if_needed()
    page.frame_locator("#baseline-map").locator("canvas").wait_for()
    shot("1-instance")

    # the scenario, with the forms
    page.click("#new-scenario")
    page.wait_for_selector("#scenario-form")
    page.fill("#s-name", "cut-80m")
    page.fill("#s-desc", "预算 8,000 万元, 三区三州底线 85%")
    page.select_option("#b-unit", "wan")
    page.fill("#b-amount", "8000")
    assert "8,000" in page.inner_text("#b-shown") and "万元" in page.inner_text("#b-shown")
    page.fill('[data-floor="deep-poverty"]', "85")
    page.fill('[data-scale="satellite"]', "1.2")
    page.click("#add-rule")
    page.select_option("#rules .rule:last-child .r-action", "forbid")
    page.select_option("#rules .rule:last-child .r-tech", "4g")
    page.select_option("#rules .rule:last-child .r-scope", "county")
    page.fill("#rules .rule:last-child .r-value", "木里藏族自治县")
    shot("2-form")
    # a mistake first: an unknown county is reported on the page, nothing saved
    page.fill("#rules .rule:last-child .r-value", "木里县")
    page.click("#save")
    page.wait_for_selector("#errors")
    said = page.inner_text("#errors")  # in Chinese, the user's own words in it
    assert "木里县" in said and "情景表单" in said and "在算例中不存在" in said and "木里藏族自治县" in said
    shot("3-form-error")
    page.fill("#rules .rule:last-child .r-value", "木里藏族自治县")
    page.click("#save-run")

    # the run: progress, then the plan
    page.wait_for_url("**/#/j/*")
    page.wait_for_selector("#plan-summary", timeout=SOLVE_MS)
    assert "最优" in page.inner_text("#plan-summary")  # optimal, proven
    total = page.inner_text("#total-cost")
    assert "万元" in total  # Chinese amounts in 万/亿
    page.locator("#plan-map-box").scroll_into_view_if_needed()
    page.frame_locator("#plan-map").locator("canvas").wait_for()
    shot("4-plan")
    jid = page.url.rsplit("/", 1)[-1]

    # the Excel file, opened
    with page.expect_download() as dl:
        page.click("#dl-excel")
    path = tmp_path / "plan.xlsx"
    dl.value.save_as(path)
    from openpyxl import load_workbook
    wb = load_workbook(path)
    assert wb.sheetnames[0] == "概要"  # downloaded from the Chinese page: the workbook in Chinese
    plan = page.evaluate(f"fetch('/api/jobs/{jid}/plan').then(r => r.json())")
    cost = plan["summary"]["total_cost"]
    numbers = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
               if isinstance(c.value, (int, float))]
    assert any(abs(v - cost) <= 1.0 for v in numbers), "the workbook holds the plan's total cost"
    assert plan["summary"]["budget"] == 8e7 and cost <= 8e7

    # compared with the base
    page.click("#compare-base")
    page.wait_for_url("**/#/compare/*")
    page.wait_for_selector("#diff-table, #diff .muted", timeout=SOLVE_MS)
    page.wait_for_selector("#transitions", timeout=SOLVE_MS)
    table = page.inner_text("#compare-table")
    assert "cut-80m" in table and "基准" in table  # the run of the base as it is, named in Chinese
    assert "预算" in page.inner_text("#transitions") or "规则" in page.inner_text("#transitions")
    shot("5-compare")

    # English, with thousands separators
    page.click("#lang")
    page.wait_for_selector("h1:has-text('Side by side')")  # the page is drawn again in English
    page.wait_for_selector("#transitions", timeout=SOLVE_MS)
    assert "Side by side" in page.inner_text("#main") and "CNY" in page.inner_text("#compare-table")
    shot("6-compare-en")
    page.goto(server + f"#/j/{jid}")
    page.wait_for_selector("h1:has-text('Plan:')")
    page.wait_for_selector("#plan-summary")
    assert "," in page.inner_text("#total-cost") and "CNY" in page.inner_text("#total-cost")
    shot("7-plan-en")
    assert not errors, errors


#: page.evaluate(POST_JSON, [path, body]): a JSON POST from the page, its JSON answer
POST_JSON = """async ([path, body]) => { const r = await fetch(path, {method: 'POST',
    headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)}); return r.json(); }"""


def test_what_the_engine_says_is_read_in_chinese(server, browser, tmp_path):
    """An infeasible run and a frontier with an infeasible point: the engine's English comes out in
    Chinese on the page (the catalogue of allocator/web/messages.py), its own text one click away."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    iid = page.get_attribute("a[data-instance]", "data-instance")
    scen = page.evaluate(POST_JSON, ["/api/scenarios", {"instance_id": iid, "form": {
        "name": "too-little", "budget": 1e6, "floors": {"deep-poverty": 0.95}}}])
    run = page.evaluate(POST_JSON, ["/api/jobs", {"kind": "run", "scenario_id": scen["id"]}])
    frontier = page.evaluate(POST_JSON, ["/api/jobs", {"kind": "frontier", "instance_id": iid,
                                                  "options": {"budget_from": 0, "budget_to": 9e7, "points": 2}}])
    page.goto(server + f"#/j/{run['id']}")
    page.wait_for_selector("#job-message", timeout=SOLVE_MS)
    said = page.inner_text("#job-message")
    assert "没有方案能满足覆盖底线" in said, said
    assert page.locator("details summary").inner_text() == "引擎原文（英文）"  # the engine's words, kept
    page.screenshot(path=str(tmp_path / "infeasible.png"), full_page=True)
    page.goto(server + f"#/j/{frontier['id']}")
    page.wait_for_selector("#frontier-table", timeout=SOLVE_MS)
    notes = page.inner_text("#frontier-notes")
    assert "没有方案能满足底线" in notes and "at the budgets" not in notes, notes
    page.screenshot(path=str(tmp_path / "frontier.png"), full_page=True)
    assert not errors, errors


# ------------------------------------------------------------------ every page in Chinese
# An ASCII word on a Chinese page is a label the catalogue missed, unless it is one of these: a name
# with a digit (ids such as V004, 4G, county-seed1, a scenario called ce-shi-1), a file name
# (report.xlsx), or a technology or format name kept as written in Chinese documents too.
WORD = re.compile(r"[A-Za-z0-9_\-]*[A-Za-z][A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*")
ALLOWED = {"TOML", "Excel", "HTML", "GeoPackage", "zip", "KiB", "kB", "MB", "km", "allocator", "English", "HiGHS",
           "highs", "docs/whatif.md"}
# what the page shows as written on purpose: identifiers (<code>, .ident: the keys the TOML uses),
# the instance's own description (.data), the TOML text (<pre>), and the engine's text kept in English
# under its "引擎原文" fold
HIDE = "code, pre, .ident, .data, .sub, details.engine"


def english_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text)
            if not any(c.isdigit() for c in w) and "." not in w and w not in ALLOWED}


def visible_text(frame) -> str:
    """The text a reader sees in ``frame`` (every <details> opened but the engine's), placeholders too."""
    return frame.evaluate("""hide => {
        document.querySelectorAll("details:not(.engine)").forEach(d => d.open = true);
        const style = document.createElement("style");
        style.textContent = hide + " {display: none !important}";
        document.head.appendChild(style);
        const text = document.body.innerText + "\\n" + [...document.querySelectorAll("input[placeholder]")]
            .map(i => i.placeholder).join("\\n");
        style.remove();
        return text;
    }""", HIDE)


def map_frame(page):
    return next(f for f in page.frames if "/map?lang=" in f.url)


def test_the_word_check_catches_english():
    assert english_words("方案 optimal 4G V001 report.xlsx 1,234 万元 county-seed1") == {"optimal"}


def test_every_page_reads_in_chinese(server, browser):
    """Every page of the workspace in Chinese, its maps, the diff and the HTML report: no English word
    outside the allow-list, and the texts that used to be English read in Chinese. Screenshots go to
    ALLOCATOR_SHOTS (default: a temporary folder)."""
    import tempfile
    shots = Path(os.environ.get("ALLOCATOR_SHOTS") or tempfile.mkdtemp(prefix="web-zh-"))
    shots.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {shots}")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors, found = [], {}
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server)
    iid = page.get_attribute("a[data-instance]", "data-instance")
    scen = page.evaluate(POST_JSON, ["/api/scenarios", {"instance_id": iid, "form": {
        "name": "ce-shi-1", "budget": 8e7, "floors": {"deep-poverty": 0.85}, "weights": {"all-poor": 2},
        "cost_scale": {"satellite": 1.2, "fiber.per_km.plateau": 1.1},
        "rules": [{"action": "forbid", "technology": "4g", "scope": "county", "value": "木里藏族自治县"}]}}])
    assert "id" in scen, scen
    jobs = {
        "run": page.evaluate(POST_JSON, ["/api/jobs", {"kind": "run", "scenario_id": scen["id"]}]),
        "base": page.evaluate(POST_JSON, ["/api/jobs", {"kind": "run", "instance_id": iid}]),
        "frontier": page.evaluate(POST_JSON, ["/api/jobs", {"kind": "frontier", "instance_id": iid,
                                                       "options": {"budget_from": 4e7, "budget_to": 9e7, "points": 2}}]),
        "prices": page.evaluate(POST_JSON, ["/api/jobs", {"kind": "prices", "instance_id": iid, "options": {"step": 0.05}}]),
    }
    deadline = time.time() + SOLVE_MS / 1000
    while time.time() < deadline:
        states = {k: page.evaluate(f"fetch('/api/jobs/{j['id']}').then(r => r.json())")["state"] for k, j in jobs.items()}
        if all(s in ("done", "failed", "cancelled") for s in states.values()):
            break
        time.sleep(1)
    assert all(s == "done" for s in states.values()), states

    def look(name, url=None, wait=None, frame=None, state="attached"):
        if url is not None:
            page.goto(url)
        if wait:
            page.wait_for_selector(wait, state=state, timeout=120_000)
        text = visible_text(frame or page.main_frame)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        found[name] = english_words(text)
        return text

    look("1-instances", server + "#/", "#preset option")
    text = look("2-instance", server + f"#/i/{iid}", "#baseline-groups")
    assert "三区三州" in text and "基准" in text  # a group's Chinese label; the base run by its Chinese name
    assert "选择文件" in text  # the upload's own button, not the browser's "Choose File"
    page.locator("#baseline-map-box").scroll_into_view_if_needed()
    page.frame_locator("#baseline-map").locator("canvas").wait_for()
    page.wait_for_timeout(500)
    text = look("2-baseline-map", frame=map_frame(page))
    assert "规划前" in text and "已通宽带" in text, text
    look("3-new-scenario", server + f"#/i/{iid}/new", "#scenario-form")
    page.click("#add-rule")
    text = look("3-new-scenario-rule")
    assert "最大覆盖" in text  # the objective's name
    text = look("4-scenario", server + f"#/s/{scen['id']}", "#scenario-form")
    run = jobs["run"]["id"]
    text = look("5-plan", server + f"#/j/{run}", "#plan-summary")
    changes = page.inner_text("#plan-changes")
    assert "禁止" in changes and "木里藏族自治县" in changes and "8,000 万元" in changes, changes
    page.locator("#plan-map-box").scroll_into_view_if_needed()
    page.frame_locator("#plan-map").locator("canvas").wait_for()
    page.wait_for_timeout(500)
    text = look("5-plan-map", frame=map_frame(page))
    assert "新建光纤沟槽" in text and "拖动" in text, text
    text = look("5-map-info", server + f"api/jobs/{run}/map?lang=zh#v=513422-V001", "#info", state="visible")
    assert "村代码" in text and "行政村" in text, text
    text = look("6-frontier", server + f"#/j/{jobs['frontier']['id']}", "#frontier-table")
    text = look("7-prices", server + f"#/j/{jobs['prices']['id']}", "#prices-table")
    assert "三区三州" in text
    text = look("8-compare", server + f"#/compare/{jobs['base']['id']},{run}", "#transitions")
    assert "预算使用率" in page.inner_text("#whatif-table") and "求解用时（秒）" in page.inner_text("#whatif-table")
    assert "万元" in page.inner_text("#whatif-table")
    reasons = page.inner_text("#diff-table")
    assert any(w in reasons for w in ("规则", "底线", "权重", "成本", "预算")), reasons
    text = look("9-report", server + f"api/jobs/{run}/report?lang=zh", "table")
    assert "宽带规划报告" in text and "方案概要" in text and "万元" in text, text[:500]
    # names the users chose (this module's tests name scenarios in ASCII) are shown as written
    chosen = {w for row in page.evaluate("fetch('/api/scenarios').then(r => r.json())") for w in WORD.findall(row["name"])}
    page.close()
    english = {name: sorted(words - chosen) for name, words in found.items() if words - chosen}
    assert not english, f"English words on Chinese pages: {english}"
    assert not errors, errors


@pytest.fixture(scope="module")
def server_2026(tmp_path_factory):
    """The workspace on a tiny instance of the china-2026 cost model (5G FWA, LEO)."""
    import subprocess
    import sys
    root = tmp_path_factory.mktemp("web-2026")
    r = subprocess.run([sys.executable, "-m", "allocator", "generate", "tiny", "--cost-model", "china-2026",
                        "-o", str(root / "tiny-2026"), "-q"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    app = create_app(discover([root / "tiny-2026"]), root / "data", workers=1, allowed_hosts=("127.0.0.1",))
    yield from serve(app)


def test_the_cost_models_technologies_are_named_on_the_page(server_2026, browser):
    """The scenario form's pick list and cost factors, and the plan's cards, name the china-2026
    technologies by the model's labels, in Chinese and in English; a LEO rule picked on the form runs."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server_2026)
    page.evaluate("localStorage.setItem('allocator-lang', 'zh')")
    page.goto(server_2026)
    page.click("a[data-instance]")
    page.click("#new-scenario")
    page.wait_for_selector("#scenario-form")
    page.click("#add-rule")
    options = page.locator("#rules .rule:last-child .r-tech option").all_inner_texts()
    assert options == ["光纤", "4G基站", "5G固定无线接入", "高通量卫星", "低轨卫星"]
    costs = page.inner_text("#scenario-form")
    assert "5G固定无线接入" in costs and "微波" in costs
    page.fill("#s-name", "leo-all")
    page.select_option("#rules .rule:last-child .r-tech", "leo")
    county = page.evaluate("document.querySelector('#dl-county option').value")
    page.fill("#rules .rule:last-child .r-value", county)
    page.fill('[data-tech="5g-fwa"]', "0.5")
    page.click("#save-run")
    page.wait_for_url("**/#/j/*")
    page.wait_for_selector("#plan-summary", timeout=SOLVE_MS)
    cards = page.inner_text("#plan-summary")
    assert "低轨卫星" in cards and "5G固定无线接入" in cards
    assert "低轨卫星" in page.inner_text("#plan-changes") and "5G固定无线接入 × 0.5" in page.inner_text("#plan-changes")
    page.click("#lang")
    page.wait_for_selector("h1:has-text('Plan:')")
    page.wait_for_selector("#plan-summary")
    cards = page.inner_text("#plan-summary")
    assert "LEO satellite" in cards and "5G FWA" in cards
    assert not errors, errors
