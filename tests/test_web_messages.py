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
