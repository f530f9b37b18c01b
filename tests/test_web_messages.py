"""The workspace's message catalogue (allocator/web/messages.py): every entry in both languages, the
server's sentences read back to their codes, and the engine's real messages recognised, so that a
change of wording in the engine shows up here rather than as English on a Chinese page."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from allocator.errors import InputError
from allocator.io import load_instance
from allocator.web.forms import FORM_LABEL, check_scenario, error_payload
from allocator.web.messages import (
    CATALOGUE,
    WORDS,
    english,
    recognise,
    recognise_all,
    render,
)

ROOT = Path(__file__).resolve().parents[1]
COUNTY = ROOT / "instances" / "county-demo"
FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}")
CJK = re.compile(r"[\u4e00-\u9fff]")


def fields(text: str) -> set[str]:
    return {m.group(1) for m in FIELD.finditer(text)}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_every_entry_has_both_languages_with_the_same_fields(code):
    entry = CATALOGUE[code]
    assert set(entry) == {"en", "zh"}
    assert fields(entry["en"]) == fields(entry["zh"]), code
    assert CJK.search(entry["zh"]), f"{code}: the Chinese text has no Chinese"
    numeric = {m.group(1) for m in FIELD.finditer(entry["en"]) if m.group(2) in ("money", "num")}
    assert numeric == {m.group(1) for m in FIELD.finditer(entry["zh"]) if m.group(2) in ("money", "num")}


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_a_sentence_written_from_a_template_is_read_back_to_it(code):
    kinds = {m.group(1): m.group(2) for m in FIELD.finditer(CATALOGUE[code]["en"])}
    params = {name: (1234567.0 + i if kind in ("money", "num") else f"w{i}x")
              for i, (name, kind) in enumerate(kinds.items())}
    got = recognise(english(code, **params))
    assert got is not None and got["code"] == code
    assert got["params"] == params


def test_render_puts_words_and_numbers_in_the_language():
    assert render("input.unknown_name", "zh", scope="county", value="木里县", action="forbid") == \
        "[[forbid]] 中的县“木里县”在算例中不存在"
    assert render("stage.point", "en", budget=8e7, done=3, points=7) == "solving budget 80,000,000 (3 of 7)"
    assert set(WORDS["county"]) == {"en", "zh"}


def test_unknown_text_is_kept_as_written():
    assert recognise("something the catalogue never heard of") is None
    assert recognise_all("floor is 0: no last step; a new note") == [
        {"code": "prices.floor_zero", "params": {}}, {"text": "a new note"}]
    assert recognise(None) is None and recognise_all("") == []
    # an engine sentence that itself holds "; " stays whole, between the parts that are known
    assert recognise_all("floor is 0: no last step; a new note; that goes on; floor is 100%: no next step") == [
        {"code": "prices.floor_zero", "params": {}}, {"text": "a new note; that goes on"},
        {"code": "prices.floor_full", "params": {}}]


# --------------------------------------------------------------------------- the engine's own sentences
@pytest.fixture(scope="module")
def county():
    return load_instance(COUNTY)


def mistake(text: str, instance, label: str = "mine.toml") -> dict:
    with pytest.raises(InputError) as info:
        check_scenario(text, instance, label=label)
    return error_payload(info.value)


CASES = [
    ('[[forbid]]\nscope = "county"\nvalue = "木里县"\ntechnology = "4g"\n', "input.unknown_name", "fix.use_name"),
    ("[floors]\nnot-a-group = 0.5\n", "input.unknown_group", None),
    ("[floors]\ndeep-poverty = 1.5\n", "input.out_of_range", "fix.set_in_range"),
    ('budget = "lots"\n', "input.wrong_type", "fix.without_quotes"),
    ("budjet = 1e8\n", "input.unknown_key", "fix.did_you_mean"),
    ("[costs.scale]\nfibre = 1.2\n", "input.unknown_cost_parameter", None),
    ("[floors\n", "input.not_toml", None),
    ("", "input.empty", None),
    (('[[force]]\nscope = "county"\nvalue = "木里藏族自治县"\ntechnology = "fiber"\n'
      '[[forbid]]\nscope = "county"\nvalue = "木里藏族自治县"\ntechnology = "fiber"\n'), "input.force_and_forbid", None),
]


@pytest.mark.parametrize("text,problem,fix", CASES, ids=[c[1] for c in CASES])
def test_scenario_mistakes_are_recognised(county, text, problem, fix):
    e = mistake(text, county)
    assert e["problem_msg"] is not None, f"no catalogue entry for the engine's {e['problem']!r}"
    assert e["problem_msg"]["code"] == problem, e["problem"]
    if fix is not None:
        assert e["fix_msg"] is not None and e["fix_msg"]["code"] == fix, e["fix"]
    # and the Chinese says it with the user's own words in it
    zh = render(e["problem_msg"]["code"], "zh", **e["problem_msg"]["params"])
    assert CJK.search(zh)


def test_the_form_is_named_in_chinese_too(county):
    e = mistake("[floors]\ndeep-poverty = 2\n", county, label=FORM_LABEL)
    assert e["file"] == FORM_LABEL and e["file_msg"]["code"] == "form.label"
    assert render("form.label", "zh") == "情景表单"


def test_the_progress_of_a_solve_is_recognised():
    from allocator.solve import solve

    said = []
    solve(load_instance(ROOT / "instances" / "tiny-floor"), progress=said.append)
    assert said
    for text in said:
        got = recognise(text)
        assert got is not None, f"a stage the page would show in English only: {text!r}"
        assert CJK.search(render(got["code"], "zh", **got["params"]))


# ------------------------------------------------------------------ the page's words (messages.UI)
WEB = ROOT / "allocator" / "web"
APP_JS = (WEB / "static" / "app.js").read_text(encoding="utf-8")


def test_every_page_word_has_english_and_chinese():
    from allocator.web.messages import UI
    same = {"4g", "gpkg"}  # technology and format names written the same in Chinese
    for key, entry in UI.items():
        assert set(entry) == {"en", "zh"} and entry["en"] and entry["zh"], key
        assert CJK.search(entry["zh"]) or key in same, f"{key}: {entry['zh']!r} is not Chinese"


def test_every_word_the_page_uses_is_in_the_catalogue():
    """Each literal t("key") / tr("key") of app.js, and each word the page looks up from data (states,
    statuses, technologies, scopes, objectives, measures, diff reasons, job kinds, presets)."""
    from allocator.analysis.scenario import SCOPES, TECH_NAMES
    from allocator.generator.presets import PRESETS
    from allocator.schema import CostMeasure, Objective
    from allocator.web.app import JOB_KINDS, PRESET_JOB
    from allocator.web.messages import UI
    from allocator.web.store import STATES

    literal = set(re.findall(r"\btr?\(\"([^\"]+)\"\)", APP_JS))
    assert len(literal) > 100, "the page's words were not found: has app.js changed its helper names?"
    diff_source = (ROOT / "allocator" / "analysis" / "diff.py").read_text(encoding="utf-8")
    reasons = set(re.findall(r'factors\.append\("(\w+)"\)', diff_source)) | {"other"}
    assert reasons >= {"rule", "floor", "budget"}
    statuses = {"optimal", "feasible", "infeasible", "time_limit", "error", "unbounded", "no_solution",
                "interrupted"}
    dynamic = (set(STATES) | statuses | set(TECH_NAMES) | {"none", "existing"} | set(SCOPES)
               | {"force", "forbid"} | {"plan", *JOB_KINDS[1:], PRESET_JOB}
               | {f"obj.{o.value}" for o in Objective} | {f"measure.{m.value}" for m in CostMeasure}
               | {f"reason.{r}" for r in reasons} | {f"preset.{p}" for p in PRESETS}
               | {f"unit_{u}" for u in ("yuan", "wan", "yi")} | {f"scale_{k}" for k in ("fiber", "cellular", "satellite")})
    missing = sorted((literal | dynamic) - set(UI))
    assert not missing, f"words the page uses that the catalogue lacks: {missing}"


def test_every_code_the_server_writes_is_in_the_catalogue():
    used = set()
    for path in WEB.glob("*.py"):
        used |= set(re.findall(r"\benglish\(\"([\w.]+)\"", path.read_text(encoding="utf-8")))
    used |= set(re.findall(r"\bsay\(\{code: \"([\w.]+)\"", APP_JS))
    assert len(used) > 10
    assert not sorted(used - set(CATALOGUE)), sorted(used - set(CATALOGUE))


def test_the_reports_words_in_both_languages():
    """The HTML report's page words and the map's, the same keys in English and Chinese."""
    from allocator.reports.html import PAGE_WORDS
    from allocator.reports.map import WORDS as MAP_WORDS

    assert set(PAGE_WORDS["en"]) == set(PAGE_WORDS["zh"])
    for key, text in PAGE_WORDS["zh"].items():
        assert CJK.search(text), key
        assert fields(text) == fields(PAGE_WORDS["en"][key]), key
    for key in ("tech", "kinds"):
        assert set(MAP_WORDS["en"][key]) == set(MAP_WORDS["zh"][key]), key
    assert {k for k in MAP_WORDS["en"] if k != "roads_n"} == set(MAP_WORDS["zh"])


def test_report_tables_titles_and_headers_read_in_chinese(tmp_path):
    """Every table title, note and column header of a plan's report has its Chinese (a new table or
    column without one would show English on the Chinese report)."""
    from allocator.reports.chinese import table_zh
    from allocator.reports.tables import report_tables
    from allocator.solve.api import solve

    instance = load_instance(COUNTY)
    plan = solve(instance, solver="highs", threads=1)
    for table in report_tables(instance, plan):
        if table.key == "Summary":
            continue
        zh = table_zh(table)
        assert CJK.search(zh.title), table.title
        assert not table.note or CJK.search(zh.note), table.note
        english = [c for c in zh.frame.columns if not CJK.search(str(c)) and c not in ("u", "v", "km")]
        assert not english, f"{table.key}: {english}"


def test_the_floor_prices_notes_are_recognised(county):
    """The notes `allocator prices` writes on the county demo (a floor at 100%, steps that move no
    village): every part is a catalogue entry, so the Chinese page reads them in Chinese."""
    from allocator.analysis.prices import floor_prices

    table = floor_prices(county, step=0.05, solver="highs", threads=1)
    notes = [n for note in table["note"] if note for n in recognise_all(note)]
    assert notes, "the county demo's floor prices have notes"
    codes = {n.get("code") for n in notes}
    assert "prices.free_no_village" in codes or "prices.free_covered" in codes, notes
    assert all("code" in n for n in notes), [n for n in notes if "code" not in n]


def test_report_command_in_chinese(tmp_path):
    """`allocator report --lang zh`: report.html and map.html in Chinese, amounts in 万元; the default
    stays English; a language it does not know is refused."""
    from allocator.cli import main

    assert main(["solve", str(COUNTY), "-o", str(tmp_path / "plan"), "-q", "--threads", "1"]) == 0
    assert main(["report", str(COUNTY), str(tmp_path / "plan"), "-o", str(tmp_path / "zh"), "--lang", "zh"]) == 0
    html = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert "宽带规划报告" in html and "方案概要" in html and "万元" in html and "lang='zh-Hans'" in html
    for english in ("Plan summary", "Charts", "Villages by technology", "before the plan", "Written by allocator"):
        assert english not in html, english
    page = (tmp_path / "zh" / "map.html").read_text(encoding="utf-8")
    assert 'WORDS[asked] ? asked : "zh"' in page and "宽带规划地图" in page
    assert main(["report", str(COUNTY), str(tmp_path / "plan"), "-o", str(tmp_path / "en")]) == 0
    assert "Plan summary" in (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["report", str(COUNTY), str(tmp_path / "plan"), "-o", str(tmp_path / "fr"), "--lang", "fr"])
