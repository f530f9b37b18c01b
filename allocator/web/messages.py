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
:data:`WORDS` (county, fiber, queued ...) put in Chinese, and ``{name:group}`` a policy group's id
shown by its (Chinese) label where the page knows it.
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
    "input.bad_seed": {"en": "seed must be a whole number >= 0, got {seed}", "zh": "随机种子应为不小于 0 的整数，实际为 {seed}"},
    "fix.seed": {"en": "e.g. 1", "zh": "例如 1"},
    "input.frontier_needs": {"en": "a frontier needs budget_from, budget_to and points",
                             "zh": "预算前沿需要起点预算、终点预算和点数"},
    "input.frontier_range": {"en": "bad frontier range {lo:money} .. {hi:money} with {n:num} points",
                             "zh": "预算前沿的范围不对：{lo:money} 到 {hi:money}，{n:num} 个点"},
    "fix.frontier_range": {"en": "give 0 <= from < to and 2 to 41 points", "zh": "请使 0 ≤ 起点 < 终点，点数为 2 到 41"},
    "input.floor_step": {"en": "floor step {step} must be in (0, 1)", "zh": "底线步长 {step} 应在 0 与 1 之间（不含两端）"},
    "fix.floor_step": {"en": "e.g. 0.01 (1 percentage point)", "zh": "例如 0.01（1 个百分点）"},
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
    "prices.free_no_village": {"en": "the {which} step costs 0: it moves no village (the floor asks for {asked:num} "
                                     "either way)",
                               "zh": "{which:word}一步的费用为 0：它不改变任何行政村（两种情况下底线都要求 {asked:num} 个）"},
    "prices.free_binding": {"en": "the {which} step costs 0: this floor does not bind, a stricter floor does: "
                                  "'{other:group}' ({floor}) requires at least {forced:num} of them (this floor's "
                                  "{which_again} step asks for {asked:num})",
                            "zh": "{which:word}一步的费用为 0：本底线不起约束作用，起作用的是更严的底线："
                                  "“{other:group}”（{floor}）至少要求其中 {forced:num} 个（本底线的"
                                  "{which_again:word}一步要求 {asked:num} 个）"},
    "prices.free_covered": {"en": "the {which} step costs 0: the least-cost plan already covers more of this group's "
                                  "poor villages than {asked:num} (required schools or clinics, existing connections, "
                                  "or cheap coverage)",
                            "zh": "{which:word}一步的费用为 0：最低费用方案已覆盖该组超过 {asked:num} 个贫困村"
                                  "（必须覆盖的学校或卫生院、已有连接，或低成本覆盖）"},
}

# words inside messages (scopes, technologies, states) for the {x:scope}/{x:tech}/{x:word} placeholders
WORDS: dict[str, dict[str, str]] = {
    "county": {"en": "county", "zh": "县"}, "prefecture": {"en": "prefecture", "zh": "市（州）"},
    "province": {"en": "province", "zh": "省"}, "group": {"en": "group", "zh": "政策组"},
    "fiber": {"en": "fiber", "zh": "光纤"}, "4g": {"en": "4G", "zh": "4G"}, "satellite": {"en": "satellite", "zh": "卫星"},
    "queued": {"en": "queued", "zh": "排队中"}, "running": {"en": "running", "zh": "求解中"},
    "failed": {"en": "failed", "zh": "失败"}, "cancelled": {"en": "cancelled", "zh": "已取消"},
    "done": {"en": "done", "zh": "完成"}, "optimal": {"en": "optimal", "zh": "最优"},
    "feasible": {"en": "feasible", "zh": "可行"}, "time_limit": {"en": "time limit", "zh": "到达时限"}, "factor": {"en": "factor", "zh": "系数"},
    "last": {"en": "last", "zh": "上"}, "next": {"en": "next", "zh": "下"}, "value": {"en": "value", "zh": "数值"},
}

# the page's own words: every label, heading, button and table header of app.js (``t("key")``),
# the words it shows for a state, a status, a technology, a reason or a job kind (``tr(word)``),
# and the map's and the diff's words; tests/test_web_messages.py checks that every key the page
# uses is here in both languages
UI: dict[str, dict[str, str]] = {
    "title": {"en": "Broadband budget workspace", "zh": "宽带资金工作台"},
    "instances": {"en": "Instances", "zh": "算例"},
    "open": {"en": "Open", "zh": "打开"},
    "baseline": {"en": "Baseline (before any plan)", "zh": "现状（规划前）"},
    "map": {"en": "Map", "zh": "地图"},
    "groups": {"en": "Policy groups against their floors", "zh": "政策组覆盖与底线"},
    "group": {"en": "Group", "zh": "政策组"},
    "floor": {"en": "Floor", "zh": "底线"},
    "share_now": {"en": "Covered now", "zh": "现有覆盖"},
    "meets": {"en": "Meets", "zh": "达标"},
    "poor_villages": {"en": "Registered poor villages", "zh": "建档立卡贫困村"},
    "provinces": {"en": "Coverage by province", "zh": "分省覆盖"},
    "province": {"en": "Province", "zh": "省"},
    "prefecture": {"en": "Prefecture", "zh": "市（州）"},
    "county": {"en": "County", "zh": "县"},
    "villages": {"en": "Villages", "zh": "行政村"},
    "people": {"en": "People", "zh": "人口"},
    "counties": {"en": "Counties", "zh": "县数"},
    "budget": {"en": "Budget", "zh": "预算"},
    "currency_note": {"en": "Amounts in", "zh": "金额单位"},
    "scenarios": {"en": "Scenarios", "zh": "情景"},
    "new_scenario": {"en": "New scenario", "zh": "新建情景"},
    "upload": {"en": "Upload a scenario file (TOML)", "zh": "上传情景文件 (TOML)"},
    "upload_btn": {"en": "Upload", "zh": "上传"},
    "edit": {"en": "Edit", "zh": "编辑"},
    "run": {"en": "Run", "zh": "求解"},
    "download_toml": {"en": "Download TOML", "zh": "下载 TOML"},
    "delete": {"en": "Delete", "zh": "删除"},
    "runs": {"en": "Runs", "zh": "求解任务"},
    "name": {"en": "Name", "zh": "名称"},
    "description": {"en": "Description", "zh": "说明"},
    "state": {"en": "State", "zh": "状态"},
    "stage": {"en": "Stage", "zh": "阶段"},
    "bound": {"en": "Bound", "zh": "界"},
    "gap": {"en": "Gap", "zh": "间隙"},
    "actions": {"en": "Actions", "zh": "操作"},
    "cancel": {"en": "Cancel", "zh": "取消"},
    "compare": {"en": "Compare selected", "zh": "对比所选"},
    "base": {"en": "base (as it is)", "zh": "基准（原样）"},
    "run_base": {"en": "Run the base", "zh": "求解基准"},
    "save": {"en": "Save", "zh": "保存"},
    "save_run": {"en": "Save and run", "zh": "保存并求解"},
    "keep_budget": {"en": "keep the instance's budget", "zh": "沿用算例预算"},
    "objective": {"en": "Objective", "zh": "目标"},
    "obj_default": {"en": "as the instance", "zh": "沿用算例目标"},
    "floors": {"en": "Coverage floors (%)", "zh": "覆盖底线（%）"},
    "weights": {"en": "Priority weights", "zh": "优先权重"},
    "costs": {"en": "Cost factors (multiplier)", "zh": "成本系数（倍数）"},
    "rules": {"en": "Force / forbid a technology", "zh": "指定 / 禁止技术"},
    "add_rule": {"en": "Add a rule", "zh": "添加规则"},
    "force": {"en": "force", "zh": "指定"},
    "forbid": {"en": "forbid", "zh": "禁止"},
    "scope": {"en": "Scope", "zh": "范围"},
    "value": {"en": "Name", "zh": "名称"},
    "technology": {"en": "Technology", "zh": "技术"},
    "remove": {"en": "Remove", "zh": "移除"},
    "advanced": {"en": "Every cost parameter", "zh": "逐项成本参数"},
    "as_base": {"en": "as base", "zh": "同基准"},
    "queued": {"en": "queued", "zh": "排队中"},
    "running": {"en": "running", "zh": "求解中"},
    "done": {"en": "done", "zh": "完成"},
    "failed": {"en": "failed", "zh": "失败"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
    "optimal": {"en": "optimal", "zh": "最优"},
    "feasible": {"en": "feasible", "zh": "可行"},
    "infeasible": {"en": "infeasible", "zh": "不可行"},
    "time_limit": {"en": "time limit", "zh": "到达时限"},
    "error": {"en": "error", "zh": "出错"},
    "internal error": {"en": "internal error", "zh": "内部错误"},
    "crashed": {"en": "crashed", "zh": "进程崩溃"},
    "complete": {"en": "complete", "zh": "完整"},
    "incomplete": {"en": "incomplete", "zh": "不完整"},
    "engine_text": {"en": "The engine's text", "zh": "引擎原文（英文）"},
    "plan": {"en": "Plan", "zh": "方案"},
    "summary": {"en": "Summary", "zh": "概要"},
    "total_cost": {"en": "Total cost", "zh": "总费用"},
    "covered": {"en": "Villages covered", "zh": "覆盖行政村"},
    "people_covered": {"en": "People covered", "zh": "覆盖人口"},
    "by_tech": {"en": "New connections", "zh": "新建技术"},
    "fiber": {"en": "fiber", "zh": "光纤"},
    "4g": {"en": "4G", "zh": "4G"},
    "satellite": {"en": "satellite", "zh": "卫星"},
    "none": {"en": "none", "zh": "无"},
    "existing": {"en": "already connected", "zh": "已通"},
    "ranking": {"en": "Province ranking (plan section 17)", "zh": "分省排名（规划第十七节）"},
    "ledger": {"en": "Ledger of villages without broadband (台账)", "zh": "未通宽带行政村台账"},
    "downloads": {"en": "Downloads", "zh": "下载"},
    "excel": {"en": "Excel workbook", "zh": "Excel 报表"},
    "zip": {"en": "Plan folder (zip)", "zh": "方案文件夹 (zip)"},
    "gpkg": {"en": "GeoPackage", "zh": "GeoPackage"},
    "report": {"en": "HTML report", "zh": "HTML 报告"},
    "rank": {"en": "Rank", "zh": "名次"},
    "before": {"en": "Before", "zh": "规划前"},
    "after": {"en": "After", "zh": "规划后"},
    "change": {"en": "Change (pp)", "zh": "变化（百分点）"},
    "cheapest": {"en": "Cheapest option", "zh": "最便宜方案"},
    "cost": {"en": "Cost", "zh": "费用"},
    "village": {"en": "Village", "zh": "行政村"},
    "poor": {"en": "Poor", "zh": "贫困村"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    "verified": {"en": "verified independently", "zh": "已独立校验"},
    "frontier": {"en": "Budget frontier", "zh": "预算前沿"},
    "frontier_run": {"en": "Trace the budget frontier", "zh": "绘制预算前沿"},
    "from": {"en": "From", "zh": "从"},
    "to": {"en": "To", "zh": "到"},
    "points": {"en": "Points", "zh": "点数"},
    "prices": {"en": "Price of each floor", "zh": "底线的边际价格"},
    "prices_run": {"en": "Price the floors", "zh": "计算底线价格"},
    "step": {"en": "Step (%)", "zh": "步长（%）"},
    "diff": {"en": "Villages that changed, and why", "zh": "行政村变化及原因"},
    "reason": {"en": "Reason", "zh": "原因"},
    "from_tech": {"en": "From", "zh": "原技术"},
    "to_tech": {"en": "To", "zh": "新技术"},
    "reason.rule": {"en": "rule", "zh": "规则"},
    "reason.floor": {"en": "floor", "zh": "底线"},
    "reason.priority": {"en": "priority", "zh": "权重"},
    "reason.cost": {"en": "cost", "zh": "成本"},
    "reason.budget": {"en": "budget", "zh": "预算"},
    "reason.other": {"en": "other", "zh": "其他"},
    "side_by_side": {"en": "Side by side", "zh": "并列对比"},
    "floors_met": {"en": "Floors met", "zh": "底线达标"},
    "status": {"en": "Status", "zh": "结论"},
    "all_metrics": {"en": "All metrics (as the CLI's whatif)", "zh": "全部指标（与命令行的情景对比表相同）"},
    "progress": {"en": "Progress", "zh": "进度"},
    "position": {"en": "Place in queue", "zh": "队列位置"},
    "wait": {"en": "Please wait…", "zh": "请稍候…"},
    "no_jobs": {"en": "No runs yet", "zh": "尚无任务"},
    "no_scenarios": {"en": "No scenarios yet", "zh": "尚无情景"},
    "errors_title": {"en": "Not saved: please fix", "zh": "未保存：请修正以下问题"},
    "file": {"en": "file", "zh": "文件"},
    "line": {"en": "line", "zh": "行"},
    "key": {"en": "key", "zh": "键"},
    "fix": {"en": "fix", "zh": "修正"},
    "click_point": {"en": "Click a point: solve at that budget and open its plan", "zh": "点击一个点：以该预算求解并打开方案"},
    "cost_last": {"en": "Cost of the last step", "zh": "最后一步的费用"},
    "cost_next": {"en": "Cost of the next step", "zh": "下一步的费用"},
    "min_cost": {"en": "Least cost meeting the floors", "zh": "达标最低费用"},
    "proven": {"en": "Proven", "zh": "已证明"},
    "coverage": {"en": "Weighted coverage", "zh": "加权覆盖"},
    "seconds": {"en": "s", "zh": "秒"},
    "compare_with": {"en": "Compare with the base", "zh": "与基准对比"},
    "select": {"en": "Select", "zh": "选择"},
    "unit_yuan": {"en": "CNY", "zh": "元"},
    "unit_wan": {"en": "10k CNY (万元)", "zh": "万元"},
    "unit_yi": {"en": "100M CNY (亿元)", "zh": "亿元"},
    "solver": {"en": "Solver", "zh": "求解器"},
    "none_left": {"en": "Every village has broadband", "zh": "所有行政村均已通宽带"},
    "scale_fiber": {"en": "fiber", "zh": "光纤"},
    "scale_cellular": {"en": "4G sites", "zh": "4G 基站"},
    "scale_satellite": {"en": "satellite", "zh": "卫星"},
    "missing_plan": {"en": "no plan", "zh": "无方案"},
    "not_met": {"en": "NOT met", "zh": "未达标"},
    "met": {"en": "met", "zh": "达标"},
    "saved": {"en": "Saved", "zh": "已保存"},
    "shown_first": {"en": "First {n} rows shown (the Excel file has all {m})", "zh": "仅显示前 {n} 行（Excel 中为全部 {m} 行）"},
    "instance_facts": {"en": "Instance", "zh": "算例"},
    "presets": {"en": "Generate a synthetic instance (preset)", "zh": "生成合成算例（预设）"},
    "generate": {"en": "Generate", "zh": "生成"},
    "seed": {"en": "Seed", "zh": "随机种子"},
    "generated": {"en": "Generated: ", "zh": "已生成："},
    "generate_note": {"en": "The same preset and seed give the same files; the national preset takes minutes.", "zh": "同一预设与种子生成相同的文件；全国预设需数分钟。"},
    "search_hint": {"en": "type to search", "zh": "输入以搜索"},
    "baseline_map_note": {"en": "Before any plan: connected (grey) and not (red)", "zh": "规划前：已通（灰）与未通（红）"},
    "map_draw": {"en": "Draw the map", "zh": "绘制地图"},
    "map_big": {"en": "many villages: drawing takes seconds, so it waits for a click", "zh": "村庄较多，绘制需数秒，点击后绘制"},
    "time_limit_s": {"en": "Time limit (s)", "zh": "时限（秒）"},
    # statuses the solver may end with, besides those above
    "unbounded": {"en": "unbounded", "zh": "无界"},
    "no_solution": {"en": "no solution", "zh": "无解"},
    "interrupted": {"en": "interrupted", "zh": "已中断"},
    "generate": {"en": "generate", "zh": "生成"},
    # names the page gives to things the engine names in English
    "base_run": {"en": "base", "zh": "基准"},
    "no_change": {"en": "(base: no change)", "zh": "（基准：无改动）"},
    "weight": {"en": "weight", "zh": "权重"},
    "cost_factor": {"en": "cost", "zh": "成本"},
    "cost_value": {"en": "cost", "zh": "成本"},
    "obj.max-coverage": {"en": "max-coverage", "zh": "最大覆盖"},
    "obj.min-cost": {"en": "min-cost", "zh": "最低费用"},
    "obj.lexicographic": {"en": "lexicographic", "zh": "先覆盖后费用"},
    "measure.tco": {"en": "total cost of ownership", "zh": "全生命周期成本"},
    "measure.capex": {"en": "capital expenditure", "zh": "建设投资"},
    "toml_text": {"en": "TOML", "zh": "TOML 文本"},
    # rows of the full comparison table (as `allocator whatif` prints it)
    "objective_value": {"en": "objective", "zh": "目标值"},
    "objective_kind": {"en": "objective kind", "zh": "目标"},
    "no_budget": {"en": "none", "zh": "不限"},
    "budget_used": {"en": "budget used", "zh": "预算使用率"},
    "villages_by": {"en": "villages by", "zh": "新建行政村数："},
    "cost_of": {"en": "cost of", "zh": "费用："},
    "coverage_of": {"en": "coverage", "zh": "覆盖："},
    "solve_seconds": {"en": "solve seconds", "zh": "求解用时（秒）"},
    "note": {"en": "note", "zh": "备注"},
    "choose_file": {"en": "Choose a file", "zh": "选择文件"},
    "no_file": {"en": "no file chosen", "zh": "未选择文件"},
    # the generator's presets (their English descriptions are shown in English only)
    "preset.tiny": {"en": "tiny", "zh": "微型（6 个行政村，可手算）"},
    "preset.county": {"en": "county", "zh": "县（木里，约 150 个行政村）"},
    "preset.prefecture": {"en": "prefecture", "zh": "市州（凉山，约 2,000 个行政村）"},
    "preset.province": {"en": "province", "zh": "省（四川，约 10,000 个行政村）"},
    "preset.national": {"en": "national", "zh": "全国（122,900 个贫困村）"},
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
    """Each part of a ``sep``-joined note: its code when known, else ``{"text": part}``; neighbouring
    parts no template knows stay one text (an engine sentence that itself holds ``sep``)."""
    out: list[dict] = []
    for part in (text or "").split(sep):
        part = part.strip()
        if not part:
            continue
        known = recognise(part)
        if known is None and out and "text" in out[-1]:
            out[-1] = {"text": out[-1]["text"] + sep + part}
        else:
            out.append(known or {"text": part})
    return out


def catalogue_json() -> str:
    """The catalogue for the page, safe inside a <script> element."""
    return json.dumps({"messages": CATALOGUE, "words": WORDS, "ui": UI}, ensure_ascii=False).replace("</", "<\\/")
