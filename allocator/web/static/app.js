"use strict";
// allocator workspace: one page, hash routes, plain JavaScript (no build step, no network beyond this server).
// Routes: #/  #/i/ID  #/i/ID/new  #/s/ID  #/j/ID  #/compare/ID,ID

// ------------------------------------------------------------------ language
// The page's words come with the catalogue (allocator/web/messages.py: UI) inside index.html.
const CAT = JSON.parse((document.getElementById("messages") || {}).textContent || '{"messages": {}, "words": {}, "ui": {}}');
let LANG = localStorage.getItem("allocator-lang") || "zh";
// a key the catalogue lacks shows as itself (the completeness test keeps that from happening)
const t = k => { const e = CAT.ui[k]; return e ? (e[LANG] ?? e.en) : k; };

// ------------------------------------------------------------------ numbers
const nf = (digits = 0) => new Intl.NumberFormat(LANG === "zh" ? "zh-CN" : "en-US", {maximumFractionDigits: digits, minimumFractionDigits: 0});
function num(x, digits = 0) { return x === null || x === undefined || Number.isNaN(x) ? "" : nf(digits).format(x); }
function money(x) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return "";
  x = Number(x);
  if (LANG === "zh") {
    const a = Math.abs(x);
    if (a >= 1e8) return nf(2).format(x / 1e8) + " 亿元";
    if (a >= 1e4) return nf(1).format(x / 1e4) + " 万元";
    return nf(0).format(x) + " 元";
  }
  return nf(0).format(x) + " CNY";
}
function pct(x, digits = 1) { return x === null || x === undefined || Number.isNaN(x) ? "" : nf(digits).format(100 * x) + "%"; }
function gapText(g) { return g === null || g === undefined ? "" : pct(g, 2); }
// ------------------------------------------------------------------ engine and server messages
// The catalogue (allocator/web/messages.py) comes inside index.html; a message is {code, params}
// when the server recognised it, else its English text is shown as written.
let GROUP_LABELS = {};  // group id -> label, of the instance whose page is shown (for {x:group})
function say(m, english) {
  const entry = m && m.code ? CAT.messages[m.code] : null;
  if (!entry) return m && m.text !== undefined ? m.text : (english ?? "");
  return (entry[LANG] || entry.en).replace(/\{(\w+)(?::(\w+))?\}/g, (_, name, kind) => {
    const v = (m.params || {})[name];
    if (v === undefined || v === null) return "";
    if (kind === "money") return money(v);
    if (kind === "num") return num(v, 2);
    if (kind === "group") return label(GROUP_LABELS[v] || String(v));
    if (kind && CAT.words[v]) return CAT.words[v][LANG] || v;
    return String(v);
  });
}
// the message in the reader's language, with the engine's English on hover when it was translated
function sayHtml(m, english) {
  const text = say(m, english);
  return english && text !== english ? `<span title="${esc(english)}">${esc(text)}</span>` : esc(text);
}
// notes; in Chinese a long English text the catalogue does not know (an infeasible point's explanation) folds away
function notesHtml(list) {
  return (list || []).map(n => LANG === "zh" && !n.code && (n.text || "").length > 80
    ? `<details class="engine"><summary>${t("engine_text")}</summary>${esc(n.text)}</details>` : sayHtml(n, n.text)).join("; ");
}

function esc(s) { return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c])); }
// a reason of `allocator diff` (rule, floor, priority, cost, budget, other)
function reasonText(r) { return CAT.ui["reason." + r] ? t("reason." + r) : r; }
// a policy group's label from the policy model is often "English (中文)" or "中文 (English)":
// in Chinese the Chinese half is shown, in English the whole
function label(text) {
  const m = /^(.*?)\s*[(（](.*)[)）]$/.exec(text || "");
  if (LANG !== "zh" || !m) return text || "";
  const cjk = x => /[\u4e00-\u9fff]/.test(x);
  return cjk(m[1]) && !cjk(m[2]) ? m[1] : (cjk(m[2]) && !cjk(m[1]) ? m[2] : text);
}
// the run of the base as it is is called "base" by the server; a scenario keeps its own name
function jobName(j) { return j.name === "base" && !j.scenario_id ? t("base_run") : j.name; }
// a scenario's changes in one line, in the page's language (the engine's describe() is English)
function changesHtml(form, labels = {}) {
  if (!form) return "";
  const g = k => esc(label(labels[k] || k)), param = k => CAT.ui["scale_" + k] ? t("scale_" + k) : `<code>${esc(k)}</code>`;
  const out = [];
  if (form.budget != null) out.push(`${t("budget")} ${money(form.budget)}`);
  if (form.objective) out.push(`${t("objective")} ${esc(tr("obj." + form.objective))}`);
  Object.keys(form.floors || {}).sort().forEach(k => out.push(`${t("floor")} ${g(k)} ${pct(form.floors[k])}`));
  Object.keys(form.weights || {}).sort().forEach(k => out.push(`${t("weight")} ${g(k)} ${num(form.weights[k], 2)}`));
  Object.keys(form.cost_scale || {}).sort().forEach(k => out.push(`${t("cost_factor")} ${param(k)} × ${num(form.cost_scale[k], 3)}`));
  Object.keys(form.cost_set || {}).sort().forEach(k => out.push(`${t("cost_value")} ${param(k)} = ${num(form.cost_set[k], 2)}`));
  (form.rules || []).forEach(r => out.push(`${t(r.action)} ${t(r.technology)}: ${t(r.scope)} ${esc(r.value)}`));
  return out.length ? out.join(LANG === "zh" ? "；" : "; ") : t("no_change");
}
function tr(word) { return CAT.ui[word] ? t(word) : word; }

// ------------------------------------------------------------------ http
async function api(path, opts = {}) {
  const init = {headers: {}, ...opts};
  if (opts.json !== undefined) { init.method = init.method || "POST"; init.body = JSON.stringify(opts.json); init.headers["Content-Type"] = "application/json"; }
  const r = await fetch(path, init);
  const type = r.headers.get("content-type") || "";
  const body = type.includes("json") ? await r.json() : await r.text();
  if (!r.ok) { const err = new Error(typeof body === "object" ? body.detail || JSON.stringify(body) : body); err.body = body; err.status = r.status; throw err; }
  return body;
}
const $ = sel => document.querySelector(sel);
const main = () => $("#main");
let timer = null;
function poll(fn, ms = 1000) { clearTimeout(timer); timer = setTimeout(async () => { try { await fn(); } catch (e) { console.error(e); } }, ms); }

function errorBox(err) {
  const list = err && err.body && err.body.errors;
  if (list && list.length) {
    return `<div class="errors" id="errors"><b>${t("errors_title")}</b><ul>` + list.map(e =>
      `<li>${e.file ? `<b>${t("file")}</b> ${sayHtml(e.file_msg, e.file)} ` : ""}${e.line ? `<b>${t("line")}</b> ${e.line} ` : ""}` +
      `${e.column ? `<b>${t("key")}</b> <code>${esc(e.column)}</code>` : ""}<br>${sayHtml(e.problem_msg, e.problem)}` +
      `${e.fix ? `<br><span class="fix"><b>${t("fix")}:</b> ${sayHtml(e.fix_msg, e.fix)}</span>` : ""}</li>`).join("") + "</ul></div>";
  }
  let detail = err && err.body && err.body.detail !== undefined ? err.body.detail : (err && err.message) || String(err);
  if (typeof detail !== "string") detail = JSON.stringify(detail);
  return `<div class="errors" id="errors">${sayHtml(err && err.body && err.body.msg, detail)}</div>`;
}
function crumbs(items) {
  $("#crumbs").innerHTML = items.map(([label, href]) => href ? `<a href="${href}">${esc(label)}</a>` : `<span>${esc(label)}</span>`).join('<span class="sep">›</span>');
}
function stateBadge(j) {
  let s = `<span class="state ${esc(j.state)}">${esc(tr(j.state))}</span>`;
  if (j.status && j.status !== j.state && j.state !== "running") s += ` <span class="small">${esc(tr(j.status))}</span>`;
  return s;
}

// ------------------------------------------------------------------ router
const cache = {instances: null, choices: {}};
async function instances() { if (!cache.instances) cache.instances = await api("/api/instances"); return cache.instances; }
async function choicesOf(iid) { if (!cache.choices[iid]) cache.choices[iid] = await api(`/api/instances/${iid}/choices`); return cache.choices[iid]; }
async function instanceName(iid) { const e = (await instances()).find(x => x.id === iid); return e ? e.name : iid; }

async function route() {
  clearTimeout(timer);
  document.title = t("title");
  $("#lang").textContent = LANG === "zh" ? "English" : "中文";
  document.documentElement.lang = LANG === "zh" ? "zh-Hans" : "en";
  const h = location.hash.replace(/^#\/?/, "").split("/");
  try {
    if (!h[0]) return await pageInstances();
    if (h[0] === "i" && h[2] === "new") return await pageScenario(h[1], null);
    if (h[0] === "i") return await pageInstance(h[1]);
    if (h[0] === "s") return await pageScenario(null, h[1]);
    if (h[0] === "j") return await pageJob(h[1]);
    if (h[0] === "compare") return await pageCompare(h[1].split(","));
    main().innerHTML = "<p>?</p>";
  } catch (err) { main().innerHTML = errorBox(err); }
}
window.addEventListener("hashchange", route);
$("#lang").addEventListener("click", () => { LANG = LANG === "zh" ? "en" : "zh"; localStorage.setItem("allocator-lang", LANG); route(); });

// ------------------------------------------------------------------ instances
async function pageInstances() {
  crumbs([[t("instances")]]);
  const list = await instances();
  main().innerHTML = `<h1>${t("instances")}</h1><div class="grid">` + list.map(e =>
    `<div class="card"><h3>${esc(e.name)}</h3><p class="small muted data">${esc(e.description)}</p>` +
    `<a class="button primary" href="#/i/${e.id}" data-instance="${e.id}">${t("open")}</a></div>`).join("") + "</div>" +
    `<section class="card"><h3>${t("presets")}</h3><div class="row"><select id="preset"></select> ${t("seed")}
     <input type="number" id="preset-seed" value="1" min="0" step="1" style="width:6em"> <button type="button" id="preset-go">${t("generate")}</button></div>
     <p class="small muted">${t("generate_note")}</p><div id="preset-errors"></div></section>`;
  const presets = await api("/api/presets");
  $("#preset").innerHTML = presets.map(p => `<option value="${esc(p.preset)}" title="${esc(LANG === "zh" ? tr("preset." + p.preset) : p.description)}">${esc(tr("preset." + p.preset))}</option>`).join("");
  $("#preset-go").addEventListener("click", async () => {
    try { const j = await api("/api/presets", {json: {preset: $("#preset").value, seed: Number($("#preset-seed").value)}}); location.hash = `#/j/${j.id}`; }
    catch (err) { $("#preset-errors").innerHTML = errorBox(err); }
  });
}

function groupRows(groups, shareKey) {
  return groups.map(g => {
    const share = g[shareKey], floor = g.floor;
    const met = floor === null || floor === undefined || share === null || share === undefined ? "–" : (share >= floor - 1e-12 ? `<span class="ok">${t("met")}</span>` : `<span class="bad">${t("not_met")}</span>`);
    const bar = share === null || share === undefined ? "" : `<div class="bar"><i style="width:${(100 * share).toFixed(1)}%"></i>${floor != null ? `<b style="left:${(100 * floor).toFixed(1)}%"></b>` : ""}</div>`;
    return `<tr><td>${esc(label(g.label) || g.group)}<div class="small muted ident">${esc(g.group)}</div></td><td class="n">${num(g.poor ?? g.poor_villages)}</td>` +
      `<td class="n">${pct(share)}</td><td>${bar}</td><td class="n">${floor != null ? pct(floor, 0) : ""}</td><td>${met}</td></tr>`;
  }).join("");
}

async function pageInstance(iid) {
  main().innerHTML = `<p class="muted">${t("wait")}</p>`;
  const pg = await api(`/api/instances/${iid}/page`);  // one request: baseline, scenarios and runs
  const b = pg.baseline, scen = pg.scenarios, jobs = pg.jobs, name = pg.name;
  crumbs([[t("instances"), "#/"], [name]]);
  const c = b.counts, inst = b.instance;
  const levelName = b.ranking_level === "province" ? t("province") : t("prefecture");
  groupLabels = Object.fromEntries(b.groups.map(g => [g.group, g.label || g.group]));
  let html = `<h1>${esc(inst.name)}</h1><p class="muted small data">${esc(inst.description)}</p>
  <div class="cards">
    <div class="stat"><div class="v">${num(c.counties)}</div><div class="k">${t("counties")}</div></div>
    <div class="stat"><div class="v">${num(c.villages)}</div><div class="k">${t("villages")}</div></div>
    <div class="stat"><div class="v">${num(c.poor_villages)}</div><div class="k">${t("poor_villages")}</div></div>
    <div class="stat"><div class="v">${num(c.people)}</div><div class="k">${t("people")}</div></div>
    <div class="stat"><div class="v">${money(inst.budget)}</div><div class="k">${t("budget")} (${esc(tr("measure." + inst.budget_measure))})</div></div>
  </div>
  <section class="card" id="runs-card"><h2>${t("runs")}</h2><div id="runs"></div>
    <div class="row"><button id="compare-btn" type="button">${t("compare")}</button> <button id="run-base" type="button">${t("run_base")}</button></div></section>
  <section class="card"><h2>${t("scenarios")}</h2><div id="scenarios"></div>
    <div class="row"><a class="button primary" id="new-scenario" href="#/i/${iid}/new">${t("new_scenario")}</a></div>
    <form id="upload-form" class="row"><span>${t("upload")}:</span><label class="button" for="upload-file">${t("choose_file")}</label>
      <input type="file" name="file" id="upload-file" accept=".toml,text/plain" style="display:none"><span id="upload-name" class="muted small">${t("no_file")}</span>
      <button type="submit">${t("upload_btn")}</button></form><div id="upload-errors"></div></section>
  <section class="card"><h2>${t("frontier")} · ${t("prices")}</h2>
    <div class="row"><select id="fp-scenario"><option value="">${t("base")}</option>${scen.map(s => `<option value="${s.id}">${esc(s.name)}</option>`).join("")}</select></div>
    <div class="row">${t("from")} <input type="number" id="f-from" value="${Math.round((inst.budget || 1e8) * 0.6)}" step="any">
      ${t("to")} <input type="number" id="f-to" value="${Math.round((inst.budget || 1e8) * 1.2)}" step="any">
      ${t("points")} <input type="number" id="f-points" value="5" min="2" max="41" style="width:5em">
      <button id="frontier-run" type="button">${t("frontier_run")}</button></div>
    <div class="row">${t("step")} <input type="number" id="p-step" value="1" min="0.1" max="50" step="0.1" style="width:5em">
      <button id="prices-run" type="button">${t("prices_run")}</button></div><div id="fp-errors"></div></section>
  <h2>${t("baseline")}</h2>
  <section class="card"><h3>${t("groups")}</h3><table id="baseline-groups"><tr><th>${t("group")}</th><th class="n">${t("poor_villages")}</th><th class="n">${t("share_now")}</th><th></th><th class="n">${t("floor")}</th><th>${t("meets")}</th></tr>
    ${groupRows(b.groups, "existing_share_poor")}</table></section>
  <section class="card"><h3>${t("provinces")}</h3><div class="scroll"><table id="baseline-provinces"><tr><th>${levelName}</th><th class="n">${t("poor_villages")}</th><th class="n">${t("share_now")}</th><th class="n">${t("rank")}</th></tr>
    ${b.ranking.map(r => `<tr><td>${esc(r.province)}</td><td class="n">${num(r.poor_villages)}</td><td class="n">${pct(r.share_before)}</td><td class="n">${num(r.rank_before)}</td></tr>`).join("")}</table></div></section>
  <section class="card"><h3>${t("map")}</h3><p class="small muted">${t("baseline_map_note")}</p>${mapBox("baseline-map", `/api/instances/${iid}/map`, c.villages, pg.map_bytes)}</section>`;
  main().innerHTML = html;
  watchMap("baseline-map");
  renderScenarios(iid, scen);
  renderRuns(iid, jobs);
  // the browser's own file button speaks the browser's language: a label of the page's instead
  $("#upload-file").addEventListener("change", () => { const f = $("#upload-file").files[0]; $("#upload-name").textContent = f ? f.name : t("no_file"); });
  $("#upload-form").addEventListener("submit", async ev => {
    ev.preventDefault();
    const f = $("#upload-file").files[0]; if (!f) return;
    const fd = new FormData(); fd.append("instance_id", iid); fd.append("file", f);
    try { const s = await api("/api/scenarios/upload", {method: "POST", body: fd}); location.hash = `#/s/${s.id}`; }
    catch (err) { $("#upload-errors").innerHTML = errorBox(err); }
  });
  $("#run-base").addEventListener("click", () => startJob({kind: "run", instance_id: iid}));
  $("#compare-btn").addEventListener("click", () => {
    const ids = [...document.querySelectorAll("input.pick:checked")].map(x => x.value);
    if (ids.length) location.hash = `#/compare/${ids.join(",")}`;
  });
  const fp = () => ({instance_id: iid, scenario_id: $("#fp-scenario").value || null});
  $("#frontier-run").addEventListener("click", () => startJob({...fp(), kind: "frontier", options: {budget_from: $("#f-from").value, budget_to: $("#f-to").value, points: $("#f-points").value}}, "#fp-errors"));
  $("#prices-run").addEventListener("click", () => startJob({...fp(), kind: "prices", options: {step: Number($("#p-step").value) / 100}}, "#fp-errors"));
}

async function startJob(payload, errorsAt) {
  try { const j = await api("/api/jobs", {json: payload}); location.hash = `#/j/${j.id}`; }
  catch (err) { if (errorsAt) $(errorsAt).innerHTML = errorBox(err); else alert(say(err.body && err.body.msg, err.message)); }
}

let groupLabels = {};  // group -> label of the instance shown
function renderScenarios(iid, list) {
  if (!list.length) { $("#scenarios").innerHTML = `<p class="muted">${t("no_scenarios")}</p>`; return; }
  $("#scenarios").innerHTML = `<table id="scenario-table"><tr><th>${t("name")}</th><th>${t("description")}</th><th>${t("actions")}</th></tr>` + list.map(s =>
    `<tr data-scenario="${s.id}"><td><a href="#/s/${s.id}">${esc(s.name)}</a></td><td class="small">${s.form.description ? esc(s.form.description) : changesHtml(s.form, groupLabels)}</td>
    <td><button data-run="${s.id}" type="button">${t("run")}</button> <a class="button" href="#/s/${s.id}">${t("edit")}</a>
    <a class="button" href="/api/scenarios/${s.id}/toml" download>${t("download_toml")}</a>
    <button class="danger" data-del="${s.id}" type="button">${t("delete")}</button></td></tr>`).join("") + "</table>";
  document.querySelectorAll("[data-run]").forEach(b => b.addEventListener("click", () => startJob({kind: "run", scenario_id: b.dataset.run})));
  document.querySelectorAll("[data-del]").forEach(b => b.addEventListener("click", async () => {
    await api(`/api/scenarios/${b.dataset.del}`, {method: "DELETE"}); route(); }));
}

function renderRuns(iid, jobs) {
  const box = $("#runs"); if (!box) return;
  if (!jobs.length) box.innerHTML = `<p class="muted">${t("no_jobs")}</p>`;
  else {
    const checked = new Set([...document.querySelectorAll("input.pick:checked")].map(x => x.value));
    box.innerHTML = `<table id="runs-table"><tr><th>${t("select")}</th><th>${t("name")}</th><th></th><th>${t("state")}</th><th>${t("stage")}</th><th class="n">${t("gap")}</th><th>${t("actions")}</th></tr>` +
      jobs.slice().reverse().map(j => `<tr data-job="${j.id}"><td>${j.kind === "run" && j.state === "done" ? `<input type="checkbox" class="pick" value="${j.id}" ${checked.has(j.id) ? "checked" : ""}>` : ""}</td>
      <td><a href="#/j/${j.id}">${esc(jobName(j))}</a></td><td class="small">${esc(tr(j.kind === "run" ? "plan" : j.kind))}</td><td>${stateBadge(j)}</td>
      <td class="small">${j.state === "queued" && j.position ? esc(`${t("position")} ${j.position}`) : (j.state === "running" ? sayHtml(j.stage_msg, j.stage) : "")}</td>
      <td class="n">${gapText(j.gap)}</td><td>${["queued", "running"].includes(j.state) ? `<button data-cancel="${j.id}" type="button">${t("cancel")}</button>` : ""}</td></tr>`).join("") + "</table>";
    box.querySelectorAll("[data-cancel]").forEach(b => b.addEventListener("click", async () => { await api(`/api/jobs/${b.dataset.cancel}/cancel`, {method: "POST"}); refreshRuns(iid); }));
  }
  if (jobs.some(j => ["queued", "running"].includes(j.state))) poll(() => refreshRuns(iid), 1000);
}
async function refreshRuns(iid) { if (!$("#runs")) return; renderRuns(iid, await api(`/api/jobs?instance=${iid}`)); }

// ------------------------------------------------------------------ scenario form
const UNITS = {yuan: 1, wan: 1e4, yi: 1e8};
async function pageScenario(iid, sid) {
  let row = null, form = {name: "", description: "", budget: null, objective: null, floors: {}, weights: {}, cost_scale: {}, cost_set: {}, rules: []};
  if (sid) { row = await api(`/api/scenarios/${sid}`); iid = row.instance_id; form = row.form; }
  const ch = await choicesOf(iid), name = await instanceName(iid);
  crumbs([[t("instances"), "#/"], [name, `#/i/${iid}`], [sid ? form.name : t("new_scenario")]]);
  const baseBudget = ch.budget || 1e8;
  const maxBudget = Math.max(2 * baseBudget, form.budget || 0);
  const unit = LANG === "zh" ? (baseBudget >= 1e8 ? "yi" : "wan") : "yuan";
  const scaleRow = (k, label) => `<label class="field"><span>${label}</span><input type="number" step="0.05" min="0" data-scale="${k}" value="${form.cost_scale[k] ?? ""}" placeholder="1.0"></label>`;
  const params = Object.keys(ch.cost_parameters).filter(k => !["fiber", "cellular", "satellite"].includes(k));
  main().innerHTML = `<h1>${sid ? esc(form.name) : t("new_scenario")}</h1>
  <form id="scenario-form" autocomplete="off">
  <section class="card">
    <label class="field"><span>${t("name")}</span><input id="s-name" required pattern="[A-Za-z0-9_.\\-]+" value="${esc(form.name)}" placeholder="budget-cut-10pct"></label>
    <label class="field"><span>${t("description")}</span><input id="s-desc" class="wide" value="${esc(form.description)}"></label>
    <label class="field"><span>${t("objective")}</span><select id="s-objective"><option value="">${t("obj_default")} (${esc(tr("obj." + ch.objective))})</option>
      ${["max-coverage", "min-cost", "lexicographic"].map(o => `<option value="${o}" ${form.objective === o ? "selected" : ""}>${t("obj." + o)}</option>`).join("")}</select></label>
  </section>
  <section class="card"><h3>${t("budget")}</h3>
    <label class="row"><input type="checkbox" id="b-keep" ${form.budget === null || form.budget === undefined ? "checked" : ""}> ${t("keep_budget")}: ${money(ch.budget)}</label>
    <div class="row"><input type="range" id="b-slider" min="0" max="${maxBudget}" step="${maxBudget / 1000}" value="${form.budget ?? baseBudget}" style="flex:1;min-width:260px">
      <input type="number" id="b-amount" step="any" min="0"><select id="b-unit">${Object.keys(UNITS).map(u => `<option value="${u}" ${u === unit ? "selected" : ""}>${t("unit_" + u)}</option>`).join("")}</select>
      <span id="b-shown" class="muted"></span></div>
  </section>
  <section class="card"><h3>${t("floors")}</h3><table><tr><th>${t("group")}</th><th>${t("as_base")}</th><th>${t("floors")}</th><th>${t("weights")}</th></tr>
    ${ch.groups.map(g => `<tr><td>${esc(label(g.label) || g.group)}<div class="small muted ident">${esc(g.group)}</div></td>
      <td class="small">${g.floor != null ? pct(g.floor, 0) : "–"} · ${g.priority ?? "–"}</td>
      <td><input type="number" min="0" max="100" step="0.1" data-floor="${esc(g.group)}" value="${form.floors[g.group] != null ? +(100 * form.floors[g.group]).toFixed(4) : ""}" placeholder="${g.floor != null ? +(100 * g.floor).toFixed(2) : ""}"></td>
      <td><input type="number" min="0" step="0.1" data-weight="${esc(g.group)}" value="${form.weights[g.group] ?? ""}" placeholder="${g.priority ?? ""}"></td></tr>`).join("")}</table></section>
  <section class="card"><h3>${t("costs")}</h3>
    ${scaleRow("fiber", t("scale_fiber"))}${scaleRow("cellular", t("scale_cellular"))}${scaleRow("satellite", t("scale_satellite"))}
    <details><summary>${t("advanced")}</summary><table>${params.map(k => `<tr><td><code class="ident">${esc(k)}</code></td><td class="n">${num(ch.cost_parameters[k], 2)}</td>
      <td>× <input type="number" step="0.05" min="0" data-scale="${esc(k)}" value="${form.cost_scale[k] ?? ""}" placeholder="1.0"></td></tr>`).join("")}</table></details>
  </section>
  <section class="card"><h3>${t("rules")}</h3><div id="rules"></div><button type="button" id="add-rule">${t("add_rule")}</button>
    ${Object.keys(ch.values).map(sc => `<datalist id="dl-${sc}">${ch.values[sc].map(v => `<option value="${esc(v.value)}">${esc([v.value !== v.name ? v.name : "", v.id && v.id !== v.value ? v.id : "", v.prefecture || ""].filter(Boolean).join(" · ") || v.name)}</option>`).join("")}</datalist>`).join("")}
  </section>
  <div id="form-errors"></div>
  <div class="row"><button type="submit" class="primary" id="save">${t("save")}</button><button type="button" id="save-run">${t("save_run")}</button>
    ${sid ? `<a class="button" href="/api/scenarios/${sid}/toml" download>${t("download_toml")}</a>` : ""}<span id="saved" class="ok"></span></div>
  ${row ? `<details><summary>${t("toml_text")}</summary><pre class="toml">${esc(row.toml)}</pre></details>` : ""}
  </form>`;
  // budget: slider <-> typed amount in the chosen unit
  const slider = $("#b-slider"), amount = $("#b-amount"), unitSel = $("#b-unit"), keep = $("#b-keep");
  const showBudget = v => { amount.value = +(v / UNITS[unitSel.value]).toFixed(4); $("#b-shown").textContent = money(v); };
  // a budget typed or slid is a change: the "keep" box unticks itself
  const budget = () => Number(amount.value) * UNITS[unitSel.value];
  showBudget(Number(slider.value));
  slider.addEventListener("input", () => { keep.checked = false; showBudget(Number(slider.value)); });
  amount.addEventListener("input", () => { keep.checked = false; const v = budget(); if (v > Number(slider.max)) slider.max = v; slider.value = v; $("#b-shown").textContent = money(v); });
  unitSel.addEventListener("change", () => showBudget(Number(slider.value)));
  keep.addEventListener("change", () => { if (keep.checked) showBudget(baseBudget); });
  // rules
  const addRule = r => {
    const div = document.createElement("div"); div.className = "rule";
    div.innerHTML = `<select class="r-action">${["force", "forbid"].map(a => `<option value="${a}" ${r.action === a ? "selected" : ""}>${t(a)}</option>`).join("")}</select>
      <select class="r-tech">${ch.technologies.map(x => `<option value="${x}" ${r.technology === x ? "selected" : ""}>${t(x)}</option>`).join("")}</select>
      <select class="r-scope">${ch.scopes.map(x => `<option value="${x}" ${r.scope === x ? "selected" : ""}>${t(x)}</option>`).join("")}</select>
      <input class="r-value" list="dl-${r.scope || "county"}" value="${esc(r.value || "")}" placeholder="${t("search_hint")}" style="min-width:16em">
      <button type="button" class="r-del">${t("remove")}</button>`;
    const scope = div.querySelector(".r-scope"), value = div.querySelector(".r-value");
    scope.addEventListener("change", () => { value.setAttribute("list", "dl-" + scope.value); value.value = ""; });
    div.querySelector(".r-del").addEventListener("click", () => div.remove());
    $("#rules").appendChild(div);
  };
  form.rules.forEach(addRule);
  $("#add-rule").addEventListener("click", () => addRule({action: "force", scope: "county", technology: ch.technologies[0]}));
  const collect = () => {
    const f = {name: $("#s-name").value.trim(), description: $("#s-desc").value, objective: $("#s-objective").value || null,
      budget: keep.checked ? null : budget(), floors: {}, weights: {}, cost_scale: {}, cost_set: form.cost_set || {}, rules: []};
    document.querySelectorAll("[data-floor]").forEach(i => { if (i.value !== "") f.floors[i.dataset.floor] = Number(i.value) / 100; });
    document.querySelectorAll("[data-weight]").forEach(i => { if (i.value !== "") f.weights[i.dataset.weight] = Number(i.value); });
    document.querySelectorAll("[data-scale]").forEach(i => { if (i.value !== "") f.cost_scale[i.dataset.scale] = Number(i.value); });
    document.querySelectorAll("#rules .rule").forEach(d => f.rules.push({action: d.querySelector(".r-action").value, technology: d.querySelector(".r-tech").value,
      scope: d.querySelector(".r-scope").value, value: d.querySelector(".r-value").value.trim()}));
    return f;
  };
  const save = async () => {
    $("#form-errors").innerHTML = ""; $("#saved").textContent = "";
    try {
      const s = sid ? await api(`/api/scenarios/${sid}`, {method: "PUT", json: {form: collect()}})
                    : await api("/api/scenarios", {json: {instance_id: iid, form: collect()}});
      $("#saved").textContent = t("saved"); return s;
    } catch (err) { $("#form-errors").innerHTML = errorBox(err); return null; }
  };
  $("#scenario-form").addEventListener("submit", async ev => { ev.preventDefault(); const s = await save(); if (s && !sid) location.hash = `#/s/${s.id}`; else if (s) route(); });
  $("#save-run").addEventListener("click", async () => { const s = await save(); if (s) startJob({kind: "run", scenario_id: s.id}, "#form-errors"); });
}

// ------------------------------------------------------------------ job pages
async function pageJob(jid) {
  const j = await api(`/api/jobs/${jid}`);
  if (j.kind === "generate") {
    crumbs([[t("instances"), "#/"], [j.name]]);
    if (j.state !== "done") return renderProgress(j);
    cache.instances = null;
    main().innerHTML = `<h1>${esc(j.name)}</h1><p>${t("generated")}<a class="button primary" id="open-generated" href="#/i/${esc(j.created_instance)}">${t("open")}</a></p>`;
    return;
  }
  const name = await instanceName(j.instance_id);
  crumbs([[t("instances"), "#/"], [name, `#/i/${j.instance_id}`], [jobName(j)]]);
  if (j.state !== "done") return renderProgress(j);
  if (j.kind === "run") {
    const [p, ch] = await Promise.all([api(`/api/jobs/${jid}/plan`), choicesOf(j.instance_id)]);
    const labels = Object.fromEntries(ch.groups.map(g => [g.group, g.label]));
    p.groups.forEach(g => { g.label = labels[g.group] || ""; });
    return renderPlan(j, p);
  }
  if (j.kind === "frontier") return renderFrontier(j, await api(`/api/jobs/${jid}/frontier`));
  if (j.kind === "prices") {
    const [pr, ch] = await Promise.all([api(`/api/jobs/${jid}/prices`), choicesOf(j.instance_id)]);
    return renderPrices(j, pr, Object.fromEntries(ch.groups.map(g => [g.group, g.label || g.group])));
  }
}

// A map is an iframe of its own page (the villages inline), drawn only when wanted: as it scrolls into
// view up to MAP_AUTO villages, on a click above that (the national map is ~19 MB and takes seconds,
// and while it draws the page around it would not answer).
const MAP_AUTO = 30000;
function mapBox(id, src, villages, bytes) {
  const big = villages > MAP_AUTO;
  const size = !bytes ? "" : bytes >= 1048576 ? ` · ${num(bytes / 1048576, 1)} MB` : ` · ${num(bytes / 1024)} kB`;
  return `<div class="map-box" id="${id}-box" data-src="${esc(src)}" data-auto="${big ? 0 : 1}">
    <p class="small muted">${num(villages)} ${t("villages")}${size}${big ? " · " + t("map_big") : ""}</p>
    <button type="button" id="${id}-draw">${t("map_draw")}</button></div>`;
}
function drawMap(id) {
  const box = $(`#${id}-box`);
  if (!box || box.dataset.drawn) return;
  box.dataset.drawn = "1";
  box.innerHTML = `<iframe class="map" id="${id}" src="${box.dataset.src}?lang=${LANG}" title="${t("map")}"></iframe>`;
}
function watchMap(id) {
  const box = $(`#${id}-box`); if (!box) return;
  $(`#${id}-draw`).addEventListener("click", () => drawMap(id));
  if (box.dataset.auto !== "1" || !("IntersectionObserver" in window)) return;
  const seen = new IntersectionObserver(entries => {
    if (entries.some(e => e.isIntersecting)) { seen.disconnect(); drawMap(id); }
  });
  seen.observe(box);
}

function renderProgress(j) {
  const final = ["failed", "cancelled"].includes(j.state);
  main().innerHTML = `<h1>${esc(jobName(j))}</h1><section class="card" id="progress"><div class="row">${stateBadge(j)}
    ${j.state === "queued" && j.position ? `<span>${t("position")}: ${j.position}</span>` : ""}</div>
    ${j.state === "running" ? `<p><b>${t("stage")}:</b> <span id="stage">${sayHtml(j.stage_msg, j.stage)}</span></p>
      <p><b>${t("bound")}:</b> ${j.bound != null ? num(j.bound, 2) : "–"} · <b>${t("gap")}:</b> ${j.gap != null ? gapText(j.gap) : "–"}</p>` : ""}
    ${j.message ? `<p id="job-message">${sayHtml(j.message_msg, j.message.split("\n")[0])}</p>` +
      (j.message_detail ? `<details class="engine"><summary>${t("engine_text")}</summary><pre class="small" style="white-space:pre-wrap">${esc(j.message_detail)}</pre></details>` : "") : ""}
    ${!final ? `<button id="cancel" type="button">${t("cancel")}</button>` : ""}</section>`;
  if (!final) {
    $("#cancel").addEventListener("click", async () => { await api(`/api/jobs/${j.id}/cancel`, {method: "POST"}); route(); });
    poll(route, 1000);
  }
}

function table(id, head, rows) {
  return `<table id="${id}"><tr>${head.map(([h, n]) => `<th class="${n ? "n" : ""}">${h}</th>`).join("")}</tr>${rows.join("")}</table>`;
}

function renderPlan(j, p) {
  const s = p.summary, tech = s.by_technology || {};
  const levelName = p.ranking_level === "province" ? t("province") : t("prefecture");
  main().innerHTML = `<h1>${t("plan")}: ${esc(jobName(j))}</h1><p class="muted small" id="plan-changes">${p.scenario.description ? esc(p.scenario.description) + "<br>" : ""}${changesHtml(j.form, Object.fromEntries(p.groups.map(g => [g.group, g.label || g.group])))}</p>
  <div class="cards" id="plan-summary">
    <div class="stat"><div class="v">${esc(tr(s.status))}</div><div class="k">${t("status")} · ${t("gap")} ${gapText(s.gap)}${s.verified ? " · " + t("verified") : ""}</div></div>
    <div class="stat"><div class="v" id="total-cost">${money(s.total_cost)}</div><div class="k">${t("total_cost")} / ${t("budget")} ${money(s.budget)}</div></div>
    <div class="stat"><div class="v">${num(s.villages_covered)} / ${num(s.villages_total)}</div><div class="k">${t("covered")}</div></div>
    <div class="stat"><div class="v">${num(p.people_covered)}</div><div class="k">${t("people_covered")}</div></div>
    ${["fiber", "4g", "satellite"].map(k => `<div class="stat"><div class="v">${num((tech[k] || {}).villages || 0)}</div><div class="k">${t(k)} · ${money((tech[k] || {}).cost || 0)}</div></div>`).join("")}
  </div>
  <section class="card"><h3>${t("downloads")}</h3><div class="row">
    <a class="button primary" id="dl-excel" href="/api/jobs/${j.id}/excel?lang=${LANG}" download>${t("excel")}</a>
    <a class="button" id="dl-zip" href="/api/jobs/${j.id}/zip" download>${t("zip")}</a>
    <a class="button" id="dl-gpkg" href="/api/jobs/${j.id}/geopackage" download>${t("gpkg")}</a>
    <a class="button" id="dl-report" href="/api/jobs/${j.id}/report?lang=${LANG}" target="_blank">${t("report")}</a>
    <a class="button" href="/api/jobs/${j.id}/scenario.toml" download>${t("download_toml")}</a>
    <button type="button" id="compare-base">${t("compare_with")}</button></div><div id="plan-errors"></div></section>
  <section class="card"><h3>${t("groups")}</h3><table id="plan-groups"><tr><th>${t("group")}</th><th class="n">${t("poor_villages")}</th><th class="n">${t("after")}</th><th></th><th class="n">${t("floor")}</th><th>${t("meets")}</th></tr>${groupRows(p.groups, "share")}</table></section>
  <section class="card"><h3>${t("map")}</h3>${mapBox("plan-map", `/api/jobs/${j.id}/map`, s.villages_total)}</section>
  <section class="card"><h3>${t("ranking")}</h3><div class="scroll">${table("ranking", [[t("rank"), 1], [levelName], [t("poor_villages"), 1], [t("before"), 1], [t("after"), 1], [t("change"), 1]],
    p.ranking.map(r => `<tr><td class="n">${r.rank}</td><td>${esc(r.province)}</td><td class="n">${num(r.poor_villages)}</td><td class="n">${pct(r.share_before)}</td><td class="n">${pct(r.share_after)}</td><td class="n">${num(r.change_pp, 1)}</td></tr>`))}</div></section>
  <section class="card"><h3>${t("ledger")}</h3>${p.ledger_rows === 0 ? `<p class="ok">${t("none_left")}</p>` :
    `<p class="small muted">${p.ledger_rows > p.ledger.length ? t("shown_first").replace("{n}", num(p.ledger.length)).replace("{m}", num(p.ledger_rows)) : ""}</p><div class="scroll">` +
    table("ledger", [[t("province")], [t("county")], [t("village")], [t("poor")], [t("people"), 1], [t("cheapest")], [t("cost"), 1]],
      p.ledger.map(r => `<tr><td>${esc(r.province)}</td><td>${esc(r.county)}</td><td>${esc(r.village || r.village_id)}</td><td>${r.poor ? t("yes") : t("no")}</td><td class="n">${num(r.population)}</td><td>${esc(tr(r.cheapest || ""))}</td><td class="n">${money(r.cheapest_cost)}</td></tr>`)) + "</div>"}</section>`;
  watchMap("plan-map");
  $("#compare-base").addEventListener("click", async () => {
    try {
      const base = await api("/api/jobs", {json: {kind: "run", instance_id: j.instance_id, reuse: true, options: j.options}});
      location.hash = `#/compare/${base.id},${j.id}`;
    } catch (err) { $("#plan-errors").innerHTML = errorBox(err); }
  });
}

function renderFrontier(j, f) {
  const pts = f.points.filter(p => p.objective !== null && p.objective !== undefined);
  const W = 760, H = 360, L = 90, R = 20, T = 20, B = 50;
  const xs = f.points.map(p => p.budget), ys = pts.map(p => p.objective);
  const x0 = Math.min(...xs), x1 = Math.max(...xs), y0 = Math.min(0, ...ys), y1 = Math.max(...ys, 1);
  const X = x => L + (x - x0) / ((x1 - x0) || 1) * (W - L - R), Y = y => H - B - (y - y0) / ((y1 - y0) || 1) * (H - T - B);
  const path = pts.map((p, i) => `${i ? "L" : "M"}${X(p.budget).toFixed(1)},${Y(p.objective).toFixed(1)}`).join("");
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  let svg = `<svg class="chart" id="frontier-chart" viewBox="0 0 ${W} ${H}">`;
  ticks.forEach(k => { const x = x0 + k * (x1 - x0), y = y0 + k * (y1 - y0);
    svg += `<line x1="${X(x)}" x2="${X(x)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${X(x)}" y="${H - B + 16}" font-size="11" text-anchor="middle">${esc(money(x))}</text>`;
    svg += `<line x1="${L}" x2="${W - R}" y1="${Y(y)}" y2="${Y(y)}" stroke="#eee"/><text x="${L - 6}" y="${Y(y) + 4}" font-size="11" text-anchor="end">${esc(num(y))}</text>`; });
  svg += `<text x="${(L + W) / 2}" y="${H - 8}" font-size="12" text-anchor="middle">${t("budget")}</text>`;
  svg += `<text x="14" y="${(T + H - B) / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${t("coverage")}</text>`;
  svg += `<path d="${path}" fill="none" stroke="#1f5fa8" stroke-width="2"/>`;
  pts.forEach((p, i) => { svg += `<circle class="pt" data-i="${i}" cx="${X(p.budget)}" cy="${Y(p.objective)}" r="6" fill="${p.status === "optimal" ? "#1f5fa8" : "#e08a1e"}"><title>${esc(money(p.budget))}: ${esc(num(p.objective))} (${esc(tr(p.status))}, ${t("gap")} ${gapText(p.gap)})</title></circle>`; });
  svg += "</svg>";
  main().innerHTML = `<h1>${t("frontier")}: ${esc(jobName(j))}</h1><p class="muted">${t("click_point")}</p>${svg}
    ${f.notes.length ? `<div class="notice" id="frontier-notes">${f.notes.map(n => sayHtml(n, n.text)).join("<br>")}</div>` : ""}<div id="frontier-errors"></div>
    <section class="card">${table("frontier-table", [[t("budget"), 1], [t("coverage"), 1], [t("bound"), 1], [t("gap"), 1], [t("status")], [t("total_cost"), 1], [t("covered"), 1]],
      f.points.map(p => `<tr><td class="n">${money(p.budget)}</td><td class="n">${num(p.objective, 1)}</td><td class="n">${num(p.bound, 1)}</td><td class="n">${gapText(p.gap)}</td><td>${esc(tr(p.status))}<div class="small muted">${notesHtml(p.notes)}</div></td><td class="n">${money(p.cost)}</td><td class="n">${num(p.villages_covered)}</td></tr>`))}</section>`;
  document.querySelectorAll("circle.pt").forEach(c => c.addEventListener("click", async () => {
    const p = pts[Number(c.dataset.i)];
    try {
      const job = await api("/api/jobs", {json: {kind: "run", instance_id: j.instance_id, scenario_id: f.scenario_id, budget: p.budget, reuse: true,
        options: {solver: j.options.solver, mode: j.options.mode}}});
      location.hash = `#/j/${job.id}`;
    } catch (err) { $("#frontier-errors").innerHTML = errorBox(err); }
  }));
}

function renderPrices(j, p, labels = {}) {
  GROUP_LABELS = labels;
  const b = p.budget;
  main().innerHTML = `<h1>${t("prices")}: ${esc(jobName(j))}</h1><section class="card">` +
    table("prices-table", [[t("group")], [t("floor"), 1], [t("min_cost"), 1], [t("cost_last"), 1], [t("cost_next"), 1], [t("proven")]],
      p.floors.map(r => `<tr><td>${esc(label(labels[r.group]) || r.group)}<div class="small muted ident">${esc(r.group)}</div></td><td class="n">${pct(r.floor, 1)}</td><td class="n">${money(r.min_cost)}</td>
        <td class="n">${money(r.cost_last_step)}${r.cost_last_step_low !== r.cost_last_step_high && r.cost_last_step_high != null ? `<div class="small muted">${money(r.cost_last_step_low)} – ${money(r.cost_last_step_high)}</div>` : ""}</td>
        <td class="n">${r.cost_next_step == null ? "∞" : money(r.cost_next_step)}</td><td>${r.proven ? t("yes") : t("no")}<div class="small muted">${notesHtml(r.notes)}</div></td></tr>`)) +
    `</section>${b ? `<section class="card"><p>${t("budget")} ${money(b.budget)} ± ${money(b.step)}: ${t("coverage")} ${num(b.coverage_minus, 1)} → ${num(b.coverage, 1)} → ${num(b.coverage_plus, 1)}</p></section>` : ""}`;
}

// ------------------------------------------------------------------ comparison
// The full table of `allocator whatif` (metrics by run), from the runs' own figures, in the page's language
function metricsTable(items, labels) {
  const sum = it => (it.page ? it.page.summary : null);
  const groups = [...new Set(items.flatMap(it => (it.page ? it.page.groups : []).filter(g => g.share != null).map(g => g.group)))].sort();
  const by = (tech, k) => it => { const s = sum(it); return s ? (k === "cost" ? money(((s.by_technology || {})[tech] || {}).cost || 0) : num(((s.by_technology || {})[tech] || {}).villages || 0)) : ""; };
  const objective = s => s.objective == null ? "" : (s.objective_kind === "min-cost" ? money(s.objective) : num(s.objective, 1));
  const rows = [
    ["status", it => esc(tr(sum(it) ? sum(it).status : (it.job.status || it.job.state)))],
    ["objective", it => sum(it) ? objective(sum(it)) : ""],
    ["objective_kind", it => sum(it) ? esc(tr("obj." + sum(it).objective_kind)) : ""],
    ["gap", it => sum(it) ? gapText(sum(it).gap) : ""],
    ["total_cost", it => sum(it) ? money(sum(it).total_cost) : ""],
    ["budget", it => !sum(it) ? "" : (sum(it).budget == null ? t("no_budget") : money(sum(it).budget))],
    ["budget_used", it => { const s = sum(it); return s && s.budget ? pct(s.total_cost / s.budget) : ""; }],
    ["covered", it => sum(it) ? `${num(sum(it).villages_covered)} / ${num(sum(it).villages_total)}` : ""],
    ["people_covered", it => it.page ? num(it.page.people_covered) : ""],
    ...["fiber", "4g", "satellite"].flatMap(k => [[["villages_by", k], by(k, "villages")], [["cost_of", k], by(k, "cost")]]),
    ...groups.map(g => [["coverage_of", g], it => { const r = it.page && it.page.groups.find(x => x.group === g);
      if (!r || r.share == null) return "";
      return pct(r.share) + (r.floor == null ? "" : ` <span class="${r.met ? "ok" : "bad"}">(${t("floor")} ${pct(r.floor, 0)}${r.met ? "" : (LANG === "zh" ? "，" : ", ") + t("not_met")})</span>`); }]),
    ["solve_seconds", it => sum(it) && sum(it).total_seconds != null ? num(sum(it).total_seconds, 1) : ""],
    ["note", it => it.page ? esc(it.page.scenario.description || "") : (it.job.message ? sayHtml(it.job.message_msg, it.job.message.split("\n")[0]) : "")],
  ];
  const name = key => Array.isArray(key) ? (key[0] === "coverage_of" ? `${t("coverage_of")} ${esc(label(labels[key[1]] || key[1]))}` : `${t(key[0])} ${t(key[1])}`) : t(key === "objective" ? "objective_value" : key);
  return table("whatif-table", [["", 0], ...items.map(it => [esc(jobName(it.job)), 1])],
    rows.map(([key, f]) => `<tr><td>${name(key)}</td>${items.map(it => `<td class="n">${f(it)}</td>`).join("")}</tr>`));
}
async function pageCompare(ids) {
  const c = await api(`/api/compare?jobs=${ids.join(",")}`);
  const iid = c.items[0].job.instance_id, name = await instanceName(iid);
  const ch = await choicesOf(iid), labels = Object.fromEntries(ch.groups.map(g => [g.group, g.label || g.group]));
  crumbs([[t("instances"), "#/"], [name, `#/i/${iid}`], [t("side_by_side")]]);
  const items = c.items, groups = [...new Set(items.flatMap(it => (it.page ? it.page.groups : []).filter(g => g.floor != null && g.share != null).map(g => g.group)))];
  const cell = (it, f) => it.page ? f(it.page) : `<span class="muted">${esc(tr(it.job.status || it.job.state))}</span>`;
  const rows = [
    [t("status"), it => cell(it, p => esc(tr(p.summary.status)))],
    [t("total_cost"), it => cell(it, p => money(p.summary.total_cost))],
    [t("budget"), it => cell(it, p => money(p.summary.budget))],
    [t("covered"), it => cell(it, p => `${num(p.summary.villages_covered)} / ${num(p.summary.villages_total)}`)],
    [t("people_covered"), it => cell(it, p => num(p.people_covered))],
    [t("coverage"), it => cell(it, p => num(p.summary.objective, 1))],
    [t("gap"), it => cell(it, p => gapText(p.summary.gap))],
    [t("floors_met"), it => cell(it, p => { const f = p.groups.filter(g => g.floor != null); return `${f.filter(g => g.met).length} / ${f.length}`; })],
    ...groups.map(g => [`${t("floor")}: ${label(labels[g] || g)}`, it => cell(it, p => { const r = p.groups.find(x => x.group === g); return r ? `${pct(r.share)} <span class="${r.met ? "ok" : "bad"}">(${pct(r.floor, 0)})</span>` : ""; })]),
  ];
  main().innerHTML = `<h1>${t("side_by_side")}</h1><section class="card"><table id="compare-table"><tr><th></th>${items.map(it => `<th class="n"><a href="#/j/${it.job.id}">${esc(jobName(it.job))}</a></th>`).join("")}</tr>
    ${rows.map(([name, f]) => `<tr><td>${esc(name)}</td>${items.map(it => `<td class="n">${f(it)}</td>`).join("")}</tr>`).join("")}</table>
    <details id="all-metrics"><summary>${t("all_metrics")}</summary>${metricsTable(items, labels)}</details></section>
    ${items.length >= 2 ? `<h2>${t("diff")}</h2><div class="row">${esc(jobName(items[0].job))} → <select id="diff-b">${items.slice(1).map(it => `<option value="${it.job.id}">${esc(jobName(it.job))}</option>`).join("")}</select></div><div id="diff"></div>` : ""}`;
  if (items.some(it => ["queued", "running"].includes(it.job.state))) { poll(route, 1500); return; }
  if (items.length >= 2) {
    const load = async () => {
      $("#diff").innerHTML = `<p class="muted">${t("wait")}</p>`;
      try {
        const d = await api(`/api/diff?a=${items[0].job.id}&b=${$("#diff-b").value}`);
        $("#diff").innerHTML = `<p><b>${num(d.villages)}</b> ${t("villages")}</p>` +
          table("transitions", [[t("from_tech")], [t("to_tech")], [t("reason")], [t("villages"), 1]], d.transitions.map(r => `<tr><td>${esc(tr(r.tech_a))}</td><td>${esc(tr(r.tech_b))}</td><td>${esc(reasonText(r.reason))}</td><td class="n">${num(r.villages)}</td></tr>`)) +
          `<h3>${t("villages")}</h3><div class="scroll">` + table("diff-table", [[t("province")], [t("county")], [t("village")], [t("from_tech")], [t("to_tech")], [t("cost"), 1], [t("reason")]],
            d.rows.map(r => `<tr><td>${esc(r.province)}</td><td>${esc(r.county_id)}</td><td>${esc(r.village || r.village_id)}</td><td>${esc(tr(r.tech_a))}</td><td>${esc(tr(r.tech_b))}</td><td class="n">${money(r.cost_a)} → ${money(r.cost_b)}</td><td>${esc(reasonText(r.reason))}<div class="small muted">${esc(String(r.factors || "").split(";").filter(x => x && x !== r.reason).map(reasonText).join(LANG === "zh" ? "、" : ", "))}</div></td></tr>`)) + "</div>";
      } catch (err) { $("#diff").innerHTML = errorBox(err); }
    };
    $("#diff-b").addEventListener("change", load); load();
  }
}

route();
