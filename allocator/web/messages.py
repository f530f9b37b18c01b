"""What the engine and the server say on the pages, in Chinese and English, by stable code.

The engine speaks English (its messages are meant for the command line too). The page shows a
message in the reader's language when it knows the message's kind: each entry of
:data:`CATALOGUE` is a code with an English template, the same sentence the engine or the server
writes, and its Chinese. :func:`recognise` reads an English message back into its code and
parameters, and the page renders the template of its language with those parameters (numbers
formatted the page's way: thousands separators, 万元/亿元 in Chinese). A message no template
matches is shown as it was written, in English, so nothing is lost or made up: a new engine
message the catalogue lacks is readable, just not translated.

The server's own sentences are written from the same templates (:func:`english`), so they are
always recognised; the engine's (scenario validation, infeasibility, progress, frontier and
price notes) are kept in step by tests/test_web_messages.py, which provokes each one and fails
when its wording drifts from the template.

Placeholders: ``{name}`` is text, ``{name:money}`` an amount of money, ``{name:num}`` a number;
in Chinese ``{name:scope}``, ``{name:tech}``, ``{name:word}`` and ``{name:factor}`` are words of
:data:`WORDS` (county, fiber, queued ...) put in Chinese.
"""
from __future__ import annotations

import json
import re
from functools import cache

CATALOGUE: dict[str, dict[str, str]] = {
    # --- the scenario, checked as `allocator whatif` checks it (allocator.analysis.scenario) -----------------
    "input.unknown_key": {"en": "unknown key '{key}'", "zh": "未知的键 “{key}”"},
    "input.wrong_type": {"en": "{key} must be {what}, got {value}", "zh": "{key} 的类型不对（应为 {what}），实际为 {value}"},
    "input.not_finite": {"en": "{key} must be finite, got {value}", "zh": "{key} 必须是有限数，实际为 {value}"},
    "input.out_of_range": {"en": "{key} = {value} is out of range: must be in [{lo}, {hi}]",
                           "zh": "{key} = {value} 超出范围：应在 [{lo}, {hi}] 之间"},
    "input.below_range": {"en": "{key} = {value} is out of range: must be >= {lo}",
                          "zh": "{key} = {value} 超出范围：应不小于 {lo}"},
    "input.above_range": {"en": "{key} = {value} is out of range: must be <= {hi}",
                          "zh": "{key} = {value} 超出范围：应不大于 {hi}"},
    "input.cost_out_of_range": {"en": "{parameter} would become {value}, outside its allowed range {range}",
                                "zh": "成本参数 {parameter} 将变为 {value}，超出允许范围 {range}"},
    "input.unknown_group": {"en": "unknown group '{group}' in [{table}]", "zh": "[{table}] 中有未知的政策组 “{group}”"},
    "input.unknown_cost_parameter": {"en": "unknown cost parameter '{parameter}'", "zh": "未知的成本参数 “{parameter}”"},
    "input.unknown_name": {"en": "unknown {scope} '{value}' in [[{action}]]",
                           "zh": "[[{action}]] 中的{scope:scope}“{value}”在算例中不存在"},
    "input.force_and_forbid": {"en": "{technology} is both forced and forbidden in {scope} {value}",
                               "zh": "{technology:tech} 在{scope:scope} {value} 中既被指定又被禁止"},
    "input.forced_twice": {"en": "{scope} {value} is forced to both {first} and {second}",
                           "zh": "{scope:scope} {value} 被同时指定为 {first:tech} 和 {second:tech}"},
    "input.bad_name": {"en": "scenario name {name} is not usable as a folder name",
                       "zh": "情景名称 {name} 不能用作文件夹名"},
    "input.not_toml": {"en": "not valid TOML: {detail}", "zh": "不是有效的 TOML：{detail}"},
    "input.empty": {"en": "the scenario file is empty: it changes nothing", "zh": "情景文件是空的：它不改变任何内容"},
    "input.utf16": {"en": "the file is saved as UTF-16", "zh": "文件以 UTF-16 保存"},
    "input.not_utf8": {"en": "not UTF-8 text ({detail})", "zh": "不是 UTF-8 文本（{detail}）"},
    # ... and the fixes the engine proposes
    "fix.did_you_mean": {"en": "did you mean '{near}'? correct the spelling (known keys: {known}) (see docs/whatif.md)",
                         "zh": "是否想写 “{near}”？请更正拼写（已知的键：{known}；见 docs/whatif.md）"},
    "fix.spelling": {"en": "correct the spelling or remove it (known keys: {known}) (see docs/whatif.md)",
                     "zh": "请更正拼写或删除它（已知的键：{known}；见 docs/whatif.md）"},
    "fix.use_group": {"en": "use a group of the base instance: did you mean {choices}",
                      "zh": "请使用基准算例中的政策组：是否想写 {choices}"},
    "fix.use_group_known": {"en": "use a group of the base instance: known: {choices}",
                            "zh": "请使用基准算例中的政策组，已知的有：{choices}"},
    "fix.use_name": {"en": "use a {scope} of the base instance: did you mean {choices}",
                     "zh": "请使用基准算例中的{scope:scope}：是否想写 {choices}"},
    "fix.use_name_known": {"en": "use a {scope} of the base instance: known: {choices}",
                           "zh": "请使用基准算例中的{scope:scope}，已知的有：{choices}"},
    "fix.use_parameter": {"en": "use a parameter of cost model '{model}': did you mean {choices}",
                          "zh": "请使用成本模型 “{model}” 的参数：是否想写 {choices}"},
    "fix.use_parameter_known": {"en": "use a parameter of cost model '{model}': known: {choices}",
                                "zh": "请使用成本模型 “{model}” 的参数，已知的有：{choices}"},
    "fix.set_in_range": {"en": "set {key} to a value in [{lo}, {hi}]", "zh": "请把 {key} 设为 [{lo}, {hi}] 之间的值"},
    "fix.set_above": {"en": "set {key} to a value >= {lo}", "zh": "请把 {key} 设为不小于 {lo} 的值"},
    "fix.set_below": {"en": "set {key} to a value <= {hi}", "zh": "请把 {key} 设为不大于 {hi} 的值"},
    "fix.without_quotes": {"en": "write {key} = <{what}> without quotes", "zh": "请写成 {key} = <{what}>，不加引号"},
    "fix.keep_in_range": {"en": "choose a {what} that keeps {parameter} within {range}",
                          "zh": "请选择使 {parameter} 保持在 {range} 之内的{what:factor}"},
    # --- the server's own ---------------------------------------------------------------------------
    "form.label": {"en": "scenario form", "zh": "情景表单"},
    "form.wrong_kind": {"en": "the form holds a value of the wrong kind ({detail})", "zh": "表单中有类型不对的值（{detail}）"},
    "fix.numbers": {"en": "enter numbers in the number fields", "zh": "请在数字栏中填写数字"},
    "upload.too_large": {"en": "the file is larger than {kib:num} KiB", "zh": "文件大于 {kib:num} KiB"},
    "upload.not_utf8": {"en": "the file is not UTF-8 text", "zh": "文件不是 UTF-8 文本"},
    "fix.upload_toml": {"en": "upload a scenario TOML file (a few lines of overrides, see docs/whatif.md)",
                        "zh": "请上传情景 TOML 文件（几行覆盖设置，见 docs/whatif.md）"},
    "fix.save_utf8": {"en": "save the scenario as UTF-8 TOML text", "zh": "请将情景另存为 UTF-8 编码的 TOML 文本"},
    "http.no_instance": {"en": "no instance '{id}'", "zh": "没有算例 “{id}”"},
    "http.no_scenario": {"en": "no scenario '{id}'", "zh": "没有情景 “{id}”"},
    "http.no_job": {"en": "no job '{id}'", "zh": "没有任务 “{id}”"},
    "http.job_not_done": {"en": "job {id} is {state}, it has no result", "zh": "任务 {id} {state:word}，尚无结果"},
    "http.job_ended": {"en": "job {id} has already ended", "zh": "任务 {id} 已经结束"},
    "http.result_missing": {"en": "the result folder of job {id} is missing", "zh": "任务 {id} 的结果文件夹不见了"},
    "http.cross_site": {"en": "cross-site request refused", "zh": "拒绝来自其他网站的请求"},
    "http.token": {"en": "token required: open the address the server printed (it ends with ?token=...)",
                   "zh": "需要访问令牌：请打开服务器打印的地址（以 ?token=... 结尾）"},
    # --- a job's stage and outcome --------------------------------------------------------------------
    "stage.loading": {"en": "loading the instance and the scenario", "zh": "读取算例和情景"},
    "stage.writing": {"en": "writing the plan and its reports", "zh": "写出方案和报表"},
    "stage.point": {"en": "solving budget {budget:money} ({done:num} of {points:num})",
                    "zh": "求解预算 {budget:money}（第 {done:num} 个，共 {points:num} 个）"},
    "stage.prices_floors": {"en": "re-solving with each floor moved one step (min-cost, no budget)",
                            "zh": "逐个底线上下移动一步后重新求解（最低费用，不限预算）"},
    "stage.prices_budget": {"en": "re-solving with the budget moved one step (max-coverage)",
                            "zh": "预算移动一步后重新求解（最大覆盖）"},
    "stage.generating": {"en": "generating preset {preset} with seed {seed}", "zh": "生成预设算例 {preset}（随机种子 {seed}）"},
    "stage.model": {"en": "building the model ({villages:num} villages, mode {mode})",
                    "zh": "构建模型（{villages:num} 个行政村，模式 {mode}）"},
    "stage.model_size": {"en": "model: {variables:num} variables ({integers:num} integer), {constraints:num} constraints; "
                                "solving with {solver}",
                         "zh": "模型：{variables:num} 个变量（其中整数变量 {integers:num} 个），{constraints:num} 个约束；"
                               "求解器 {solver}"},
    "stage.solved": {"en": "{status}: objective {objective}, bound {bound}, gap {gap}, verified",
                     "zh": "{status:word}：目标值 {objective}，界 {bound}，间隙 {gap}，已校验"},
    "stage.root": {"en": "root phase: directed cuts on the LP, a start from its support",
                   "zh": "根节点阶段：在线性松弛上加有向割，并由其支撑构造初始解"},
    "stage.solving_parts": {"en": "solving {parts:num} county MIPs", "zh": "求解 {parts:num} 个县级混合整数规划"},
    "stage.done": {"en": "done", "zh": "完成"},
    "job.cancelled": {"en": "cancelled by the user", "zh": "已被用户取消"},
    "job.crashed": {"en": "the job's process ended without a result (exit code {exit_code}); other jobs are not affected",
                    "zh": "任务进程未给出结果就结束了（退出码 {exit_code}）；其他任务不受影响"},
    "job.internal": {"en": "internal error ({detail}); the server log has the details",
                     "zh": "内部错误（{detail}）；详情见服务器日志"},
    "job.gone": {"en": "the instance of this job is not served any more (start the server with its directory)",
                 "zh": "此任务的算例已不再提供（请用该算例目录启动服务器）"},
    "job.infeasible": {"en": "no plan meets the floors within this budget", "zh": "在此预算内没有方案能满足覆盖底线"},
    "job.infeasible_budget": {"en": "no plan meets the floors within this budget; the least budget that does "
                                    "is {budget:money}",
                              "zh": "在此预算内没有方案能满足覆盖底线；满足底线的最低预算为 {budget:money}"},
    "job.already_generated": {"en": "already generated", "zh": "已生成过"},
    # --- the budget frontier and the floor prices ------------------------------------------------------
    "frontier.not_proven": {"en": "some points are not proven optimal: their bound and gap are shown",
                            "zh": "部分点未证明最优：已列出其界与间隙"},
    "frontier.infeasible": {"en": "at the budgets marked infeasible no plan meets the floors",
                            "zh": "标为“不可行”的预算下，没有方案能满足底线"},
    "frontier.carried": {"en": "plan carried from budget {budget:money}", "zh": "沿用预算 {budget:money} 时的方案"},
    "frontier.combined": {"en": "gap closed by combining points (a plan at a smaller budget, a bound at a bigger one)",
                          "zh": "结合相邻点（较小预算的方案、较大预算的界）使间隙闭合"},
    "frontier.breakpoint": {"en": "least budget reaching this coverage", "zh": "达到此覆盖的最低预算"},
    "prices.floor_zero": {"en": "floor is 0: no last step", "zh": "底线为 0：没有“上一步”"},
    "prices.floor_full": {"en": "floor is 100%: no next step", "zh": "底线为 100%：没有“下一步”"},
    "prices.unreachable": {"en": "floor {floor}: {reason}", "zh": "底线 {floor}：{reason}"},
}

# words inside messages (scopes, technologies, states) for the {x:scope}/{x:tech}/{x:word} placeholders
WORDS: dict[str, dict[str, str]] = {
    "county": {"en": "county", "zh": "县"}, "prefecture": {"en": "prefecture", "zh": "市（州）"},
    "province": {"en": "province", "zh": "省"}, "group": {"en": "group", "zh": "政策组"},
    "fiber": {"en": "fiber", "zh": "光纤"}, "4g": {"en": "4G", "zh": "4G"}, "satellite": {"en": "satellite", "zh": "卫星"},
    "queued": {"en": "queued", "zh": "排队中"}, "running": {"en": "running", "zh": "求解中"},
    "failed": {"en": "failed", "zh": "失败"}, "cancelled": {"en": "cancelled", "zh": "已取消"},
    "done": {"en": "done", "zh": "完成"}, "optimal": {"en": "optimal", "zh": "最优"},
    "feasible": {"en": "feasible", "zh": "可行"}, "time_limit": {"en": "time limit", "zh": "到达时限"}, "factor": {"en": "factor", "zh": "系数"}, "value": {"en": "value", "zh": "数值"},
}

_FIELD = re.compile(r"\{(\w+)(?::(\w+))?\}")
_NUMBER = r"[-+]?(?:\d[\d,]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
NUMERIC = ("money", "num")


def english(code: str, **params) -> str:
    """The English sentence of ``code`` (what the server writes; :func:`recognise` reads it back)."""
    def fill(m: re.Match) -> str:
        value = params[m.group(1)]
        if m.group(2) == "money":
            return f"{float(value):,.0f}"
        if m.group(2) == "num":
            return f"{float(value):,.10g}"
        return str(value)
    return _FIELD.sub(fill, CATALOGUE[code]["en"])


def render(code: str, lang: str, **params) -> str:
    """``code`` in ``lang`` (tests and the Excel headers; the page renders the same templates itself)."""
    def fill(m: re.Match) -> str:
        value, kind = params[m.group(1)], m.group(2)
        if kind in NUMERIC:
            return f"{float(value):,.10g}"
        if kind in ("scope", "tech", "word", "factor"):
            return WORDS.get(str(value), {}).get(lang, str(value))
        return str(value)
    return _FIELD.sub(fill, CATALOGUE[code][lang])


@cache
def _patterns() -> list[tuple[str, re.Pattern, dict[str, str]]]:
    out = []
    for code, texts in CATALOGUE.items():
        kinds: dict[str, str] = {}
        parts, pos = [], 0
        en = texts["en"]
        for m in _FIELD.finditer(en):
            parts.append(re.escape(en[pos:m.start()]))
            name, kind = m.group(1), m.group(2) or ""
            kinds[name] = kind
            parts.append(f"(?P<{name}>{_NUMBER})" if kind in NUMERIC else f"(?P<{name}>.+?)")
            pos = m.end()
        parts.append(re.escape(en[pos:]))
        out.append((code, re.compile("".join(parts), re.DOTALL), kinds))
    # the most specific template first: more fixed text wins over more placeholders
    out.sort(key=lambda item: -len(_FIELD.sub("", CATALOGUE[item[0]]["en"])))
    return out


def recognise(text: str | None) -> dict | None:
    """``{"code", "params"}`` of the catalogue entry whose English template ``text`` is, or None."""
    if not text:
        return None
    text = str(text).strip()
    for code, pattern, kinds in _patterns():
        m = pattern.fullmatch(text)
        if m is None:
            continue
        params = {name: float(value.replace(",", "")) if kinds[name] in NUMERIC else value
                  for name, value in m.groupdict().items()}
        return {"code": code, "params": params}
    return None


def recognise_all(text: str | None, sep: str = "; ") -> list[dict]:
    """Each part of a ``sep``-joined note: its code when known, else ``{"text": part}``."""
    out = []
    for part in (text or "").split(sep):
        part = part.strip()
        if part:
            out.append(recognise(part) or {"text": part})
    return out


def catalogue_json() -> str:
    """The catalogue for the page, safe inside a <script> element."""
    return json.dumps({"messages": CATALOGUE, "words": WORDS}, ensure_ascii=False).replace("</", "<\\/")
