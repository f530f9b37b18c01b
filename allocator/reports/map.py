"""A self-contained HTML map of a plan: pan, zoom, click.

No tile server is reachable from where plans are made, so the page draws the
plan's own layers (villages coloured by technology, fiber trenches built,
4G sites opened) on a canvas with plain JavaScript: drag to pan, wheel or the
+/- buttons to zoom around the pointer, click a village or a site to read its
attributes, tick boxes to show or hide layers. Coordinates are WGS84 drawn in
an equirectangular projection scaled by cos(latitude) at the centre, which is
close to true shape at county to province scale. The data is embedded; the
file opens offline in any browser. When the instance has them, the road
network (every candidate trench, thin grey), the points of presence and the
county outlines are drawn underneath, so a fiber tree has its context.
"""
from __future__ import annotations

import html
import json
import re
from pathlib import Path

from . import palette
from .geo import LayerSet, build_layers

TECH_LABELS = {"fiber": "fiber (new)", "4g": "4G (new)", "satellite": "satellite (new)",
               "existing": "already connected", "none": "not covered"}
LANGUAGES = ("en", "zh")
# every word the page shows, in English and Chinese; the page picks one by its ``?lang=`` (a served map)
# or by the language it was written in (``allocator report --lang``)
WORDS = {
    "en": {"tech": TECH_LABELS, "routes": "fiber trenches built", "sites": "4G sites opened",
           "backbone": "points of presence", "roads": "road network ({n} trenches)", "roads_n": True,
           "counties": "county boundaries", "help": "drag: pan · wheel: zoom · click: details", "close": "close",
           "zin": "zoom in", "zout": "zoom out", "zfit": "show everything", "yes": "yes", "no": "no",
           "kinds": {"village": "village", "site": "4G site", "pop": "point of presence", "trench": "fiber trench"},
           "columns": {}, "values": {}},
    "zh": {"tech": {"fiber": "光纤（新建）", "4g": "4G（新建）", "satellite": "卫星（新建）", "existing": "已通宽带",
                    "none": "未覆盖"},
           "routes": "新建光纤沟槽", "sites": "开通的 4G 基站", "backbone": "骨干网接入点",
           "roads": "道路网（{n} 段可挖沟槽）", "counties": "县界",
           "help": "拖动：平移 · 滚轮：缩放 · 点击：详情", "close": "关闭", "zin": "放大", "zout": "缩小",
           "zfit": "显示全部", "yes": "是", "no": "否",
           "kinds": {"village": "行政村", "site": "4G 基站", "pop": "骨干网接入点", "trench": "光纤沟槽"},
           "columns": {"village_id": "村代码", "name": "名称", "county": "县", "province": "省", "poor": "贫困村",
                       "population": "人口", "existing": "现有接入", "technology": "技术", "site_id": "基站代码",
                       "cost": "费用", "shared_cost": "分摊费用", "groups": "政策组", "edge_id": "沟槽代码",
                       "u": "起点", "v": "终点", "length_km": "长度（公里）", "terrain": "地形", "served": "服务终端数",
                       "backhaul": "回传", "villages": "行政村数", "radius_km": "覆盖半径（公里）", "node_id": "节点代码"},
           "values": {"fiber": "光纤", "4g": "4G", "satellite": "卫星", "none": "无", "microwave": "微波",
                      "plain": "平原", "hills": "丘陵", "mountain": "山区", "plateau": "高原"}},
}
# columns that hold money: shown in 万元/亿元 on a Chinese page when the currency is CNY
MONEY_COLUMNS = ("cost", "shared_cost", "capex", "backhaul_capex")


def _columns(features: list, keys: list[str]) -> dict:
    """Features as {columns, rows, xy}: compact and still readable."""
    rows, xy = [], []
    for f in features:
        rows.append([f["properties"].get(k) for k in keys])
        xy.append(f["geometry"]["coordinates"])
    return {"columns": keys, "rows": rows, "xy": xy}


def map_data(layers: LayerSet, instance) -> dict:
    """The map's data; colours and labels of the instance's technologies (allocator/reports/palette.py),
    drawn best-last (the cost model's first technology on top)."""
    v = layers.features.get("villages", [])
    vkeys = ["village_id", "name", "county", "province", "poor", "population", "existing", "technology",
             "shown_as", "site_id", "cost", "shared_cost", "groups"]
    e = layers.features.get("fiber_routes", [])
    ekeys = ["edge_id", "u", "v", "length_km", "terrain", "cost", "served"]
    s = layers.features.get("sites", [])
    skeys = ["site_id", "backhaul", "villages", "cost", "radius_km"]
    return {"villages": _columns(v, vkeys), "routes": _columns(e, ekeys), "sites": _columns(s, skeys),
            "colors": palette.colours(instance), "labels": palette.labels(instance),
            "labels_zh": palette.labels_zh(instance),
            "order": ["existing", "none", *reversed(palette.technologies(instance))],
            "network": (instance.costs.technologies.names_of("network") or ("fiber",))[0],
            "money_columns": MONEY_COLUMNS, **context_data(layers)}


#: above this many road vertices the map draws each road straight between its ends (the export keeps them all)
MAP_ROAD_VERTICES = 400_000


def _rounded(coords, digits: int = 6):
    """Coordinates to 6 decimals (~0.1 m): the page stays small."""
    if coords and isinstance(coords[0], (int, float)):
        return [round(float(c), digits) for c in coords]
    return [_rounded(c, digits) for c in coords]


def _lines(geom: dict) -> list:
    return [geom["coordinates"]] if geom["type"] == "LineString" else list(geom["coordinates"])


def _rings(geom: dict) -> list:
    polys = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
    return [ring for poly in polys for ring in poly]


def context_data(layers: LayerSet) -> dict:
    """Roads as polylines, backbone points, county outlines as rings (empty lists when absent)."""
    lines = [line for f in layers.features.get("roads", []) for line in _lines(f["geometry"])]
    if sum(len(line) for line in lines) > MAP_ROAD_VERTICES:  # a province: keep the page light
        lines = [[line[0], line[-1]] for line in lines]
    roads = [_rounded(line) for line in lines]
    backbone = layers.features.get("backbone", [])
    counties = layers.features.get("counties", [])
    return {"roads": roads,
            "backbone": {"columns": ["node_id"], "rows": [[f["properties"]["node_id"]] for f in backbone],
                         "xy": [f["geometry"]["coordinates"] for f in backbone]},
            "counties": [{"name": f["properties"]["name"], "rings": _rounded(_rings(f["geometry"]))}
                         for f in counties]}


PAGE = """<!DOCTYPE html>
<html lang="zh-Hans"><head><meta charset="utf-8"><title>__TITLE__</title>
<style>
html,body{margin:0;height:100%;font-family:"Noto Sans CJK SC","Microsoft YaHei",Arial,sans-serif;font-size:13px}
#map{position:absolute;left:0;top:0;width:100%;height:100%;display:block;background:#eef2f5;cursor:grab}
#map.dragging{cursor:grabbing}
.panel{position:absolute;background:rgba(255,255,255,.95);border:1px solid #bbb;border-radius:6px;
padding:8px 10px;box-shadow:0 1px 4px rgba(0,0,0,.2)}
#legend{top:10px;left:10px;max-width:260px} #legend h1{font-size:15px;margin:0 0 6px}
#legend label{display:block;margin:2px 0;cursor:pointer} .sw{display:inline-block;width:11px;height:11px;
border-radius:50%;margin-right:5px;vertical-align:-1px;border:1px solid #444}
.ln{display:inline-block;width:16px;height:3px;margin-right:5px;vertical-align:3px}
.sq{display:inline-block;width:10px;height:10px;margin-right:5px;transform:rotate(45deg);background:#7b2cbf}
#info{top:10px;right:10px;width:280px;max-height:70%;overflow:auto;display:none}
#info table{border-collapse:collapse;width:100%} #info td{border-bottom:1px solid #eee;padding:2px 4px;
vertical-align:top} #info td:first-child{color:#666;white-space:nowrap} #info h2{font-size:14px;margin:0 0 4px}
#zoom{bottom:30px;right:10px;padding:4px} #zoom button{display:block;width:30px;height:28px;margin:2px;
font-size:16px;cursor:pointer}
#scale{bottom:10px;left:10px;padding:2px 6px;font-size:11px} #tip{position:absolute;pointer-events:none;
background:#222;color:#fff;padding:2px 6px;border-radius:3px;font-size:12px;display:none}
#close{float:right;cursor:pointer;border:none;background:none;font-size:15px}
</style></head><body>
<canvas id="map"></canvas>
<div id="legend" class="panel"><h1>__TITLE__</h1><div id="layers"></div>
<div id="help" style="color:#666;font-size:11px;margin-top:6px"></div></div>
<div id="info" class="panel"><button id="close">&times;</button><div id="infobody"></div></div>
<div id="zoom" class="panel"><button id="zin">+</button><button id="zout">&minus;</button>
<button id="zfit">&#8962;</button></div>
<div id="scale" class="panel"></div><div id="tip"></div>
<script>
"use strict";
const DATA = __DATA__;
const WORDS = __WORDS__, TITLES = __TITLES__;
const asked = new URLSearchParams(location.search).get("lang");
const LANG = WORDS[asked] ? asked : "__LANG__", W = WORDS[LANG], LOCALE = LANG === "zh" ? "zh-CN" : "en-US";
document.documentElement.lang = LANG === "zh" ? "zh-Hans" : "en";
document.title = TITLES[LANG]; document.querySelector("#legend h1").textContent = TITLES[LANG];
document.getElementById("help").textContent = W.help;
["close", "zin", "zout", "zfit"].forEach(id => document.getElementById(id).title = W[id]);
const n = x => x.toLocaleString(LOCALE);
const canvas = document.getElementById("map"), ctx = canvas.getContext("2d");
const V = DATA.villages, R = DATA.routes, S = DATA.sites, B = DATA.backbone, ROADS = DATA.roads, C = DATA.counties;
const col = (layer, name) => layer.columns.indexOf(name);
const SHOWN = col(V, "shown_as");
const show = {routes: true, sites: true, roads: true, backbone: true, counties: true};
Object.keys(DATA.colors).forEach(k => show[k] = true);
// projection: equirectangular, x scaled by cos(latitude of the centre)
let lons = [], lats = [];
[V, S, B].forEach(L => L.xy.forEach(p => { lons.push(p[0]); lats.push(p[1]); }));
R.xy.forEach(l => l.forEach(p => { lons.push(p[0]); lats.push(p[1]); }));
if (!lons.length) { lons = [0]; lats = [0]; }
const lo = a => a.reduce((m, x) => x < m ? x : m, Infinity), hi = a => a.reduce((m, x) => x > m ? x : m, -Infinity);
const minLon = lo(lons), maxLon = hi(lons), minLat = lo(lats), maxLat = hi(lats);
const kx = Math.cos((minLat + maxLat) / 2 * Math.PI / 180);
const px = lon => (lon - minLon) * kx, py = lat => (maxLat - lat);
let scale = 1, tx = 0, ty = 0, dpr = window.devicePixelRatio || 1, selected = null;
function fit() {
  const w = canvas.clientWidth, h = canvas.clientHeight;
  const spanX = Math.max((maxLon - minLon) * kx, 1e-4), spanY = Math.max(maxLat - minLat, 1e-4);
  scale = 0.88 * Math.min(w / spanX, h / spanY);
  tx = (w - spanX * scale) / 2; ty = (h - spanY * scale) / 2; draw();
}
const sx = lon => px(lon) * scale + tx, sy = lat => py(lat) * scale + ty;
function resize() {
  dpr = window.devicePixelRatio || 1;
  canvas.width = canvas.clientWidth * dpr; canvas.height = canvas.clientHeight * dpr; draw();
}
function radius() { return Math.max(2.5, Math.min(7, 1.2 + Math.log2(1 + scale / 60))); }
function draw() {
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  const path = l => { ctx.moveTo(sx(l[0][0]), sy(l[0][1])); for (let i = 1; i < l.length; i++) ctx.lineTo(sx(l[i][0]), sy(l[i][1])); };
  if (show.counties && C.length) {
    ctx.strokeStyle = "#9a7fb5"; ctx.lineWidth = 1.2; ctx.setLineDash([6, 4]); ctx.beginPath();
    C.forEach(c => c.rings.forEach(path)); ctx.stroke(); ctx.setLineDash([]);
  }
  if (show.roads && ROADS.length) {
    ctx.strokeStyle = "#a3a9ae"; ctx.lineWidth = 0.7; ctx.beginPath(); ROADS.forEach(path); ctx.stroke();
  }
  if (show.backbone && B.xy.length) {
    ctx.fillStyle = "#111"; ctx.strokeStyle = "#fff"; ctx.lineWidth = 1;
    B.xy.forEach(p => { const x = sx(p[0]), y = sy(p[1]); ctx.beginPath(); ctx.rect(x - 5, y - 5, 10, 10); ctx.fill(); ctx.stroke(); });
  }
  if (show.routes) {
    ctx.strokeStyle = DATA.colors[DATA.network] || "#1f5fa8"; ctx.lineWidth = 2.2; ctx.beginPath();
    R.xy.forEach(l => { ctx.moveTo(sx(l[0][0]), sy(l[0][1])); for (let i = 1; i < l.length; i++) ctx.lineTo(sx(l[i][0]), sy(l[i][1])); });
    ctx.stroke();
  }
  const r = radius();
  DATA.order.forEach(kind => {
    if (!show[kind]) return;
    ctx.fillStyle = DATA.colors[kind]; ctx.strokeStyle = "rgba(0,0,0,.55)"; ctx.lineWidth = 0.6; ctx.beginPath();
    V.rows.forEach((row, i) => { if (row[SHOWN] !== kind) return; const p = V.xy[i];
      const x = sx(p[0]), y = sy(p[1]); ctx.moveTo(x + r, y); ctx.arc(x, y, r, 0, 2 * Math.PI); });
    ctx.fill(); ctx.stroke();
  });
  if (show.sites) {
    ctx.fillStyle = "#7b2cbf"; ctx.strokeStyle = "#fff"; ctx.lineWidth = 1;
    const d = r + 2.5;
    S.xy.forEach(p => { const x = sx(p[0]), y = sy(p[1]); ctx.beginPath();
      ctx.moveTo(x, y - d); ctx.lineTo(x + d, y); ctx.lineTo(x, y + d); ctx.lineTo(x - d, y); ctx.closePath(); ctx.fill(); ctx.stroke(); });
  }
  if (selected) {
    const p = selected.layer.xy[selected.i]; ctx.strokeStyle = "#000"; ctx.lineWidth = 2.5; ctx.beginPath();
    ctx.arc(sx(p[0]), sy(p[1]), r + 5, 0, 2 * Math.PI); ctx.stroke();
  }
  drawScale();
}
function drawScale() {
  // km per pixel: one degree of latitude is 111.32 km
  const kmPerPx = 111.32 / scale, target = kmPerPx * 120;
  const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];
  const km = steps.find(s => s >= target / 2) || 1000;
  document.getElementById("scale").innerHTML =
    `<div style="width:${(km / kmPerPx).toFixed(0)}px;border:2px solid #333;border-top:none;height:5px"></div>${km} km`;
}
function legend() {
  const count = k => V.rows.filter(r => r[SHOWN] === k).length;
  let h = "";
  Object.keys(DATA.colors).forEach(k => {
    h += `<label><input type="checkbox" data-k="${k}" checked> <span class="sw" style="background:${DATA.colors[k]}"></span>${W.tech[k] || (LANG === "zh" ? DATA.labels_zh : DATA.labels)[k] || k} (${n(count(k))})</label>`;
  });
  h += `<label><input type="checkbox" data-k="routes" checked> <span class="ln" style="background:${DATA.colors[DATA.network] || "#1f5fa8"}"></span>${W.routes} (${n(R.rows.length)})</label>`;
  h += `<label><input type="checkbox" data-k="sites" checked> <span class="sq"></span>${W.sites} (${n(S.rows.length)})</label>`;
  if (B.xy.length) h += `<label><input type="checkbox" data-k="backbone" checked> <span class="ln" style="background:#111;height:9px;width:9px"></span>${W.backbone} (${n(B.xy.length)})</label>`;
  if (ROADS.length) h += `<label><input type="checkbox" data-k="roads" checked> <span class="ln" style="background:#a3a9ae;height:1px"></span>${W.roads.replace("{n}", n(ROADS.length))}</label>`;
  if (C.length) h += `<label><input type="checkbox" data-k="counties" checked> <span class="ln" style="background:#9a7fb5;height:2px"></span>${W.counties} (${n(C.length)})</label>`;
  const box = document.getElementById("layers"); box.innerHTML = h;
  box.querySelectorAll("input").forEach(el => el.addEventListener("change", () => { show[el.dataset.k] = el.checked; draw(); }));
}
function fmt(v, column) {
  if (v === null || v === undefined) return "";
  if (typeof v === "number" && LANG === "zh" && DATA.currency === "CNY" && DATA.money_columns.includes(column)) {
    const a = Math.abs(v), f = d => v.toLocaleString(LOCALE, {maximumFractionDigits: d});
    if (a >= 1e8) return (v / 1e8).toLocaleString(LOCALE, {maximumFractionDigits: 2}) + " 亿元";
    if (a >= 1e4) return (v / 1e4).toLocaleString(LOCALE, {maximumFractionDigits: 1}) + " 万元";
    return f(0) + " 元";
  }
  if (typeof v === "number") return Number.isInteger(v) ? n(v) : v.toLocaleString(LOCALE, {maximumFractionDigits: 2});
  if (typeof v === "boolean") return v ? W.yes : W.no;
  if (column && ["technology", "existing", "terrain", "backhaul"].includes(column) && W.values[v]) v = W.values[v];
  if (column === "groups" && LANG === "zh") v = String(v).split(/[;,]/).filter(Boolean).map(g => (DATA.group_labels || {})[g.trim()] || g).join("、");
  return String(v).replace(/[&<>"]/g, c => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}[c]));
}
function pick(mx, my) {
  const r = radius() + 4; let best = null, bestD = r * r;
  const test = (layer, kind, visible) => layer.xy.forEach((p, i) => {
    if (!visible(i)) return; const dx = sx(p[0]) - mx, dy = sy(p[1]) - my, d = dx * dx + dy * dy;
    if (d <= bestD) { bestD = d; best = {layer, i, kind}; } });
  if (show.sites) test(S, W.kinds.site, () => true);
  if (show.backbone) test(B, W.kinds.pop, () => true);
  test(V, W.kinds.village, i => show[V.rows[i][SHOWN]]);
  if (!best && show.routes) {  // a trench: distance to the segment
    R.xy.forEach((l, i) => { for (let k = 1; k < l.length; k++) {
      const ax = sx(l[k - 1][0]), ay = sy(l[k - 1][1]), bx = sx(l[k][0]), by = sy(l[k][1]);
      const vx = bx - ax, vy = by - ay, t = Math.max(0, Math.min(1, ((mx - ax) * vx + (my - ay) * vy) / (vx * vx + vy * vy || 1)));
      const dx = ax + t * vx - mx, dy = ay + t * vy - my, d = dx * dx + dy * dy;
      if (d <= 25 && (!best || d < bestD)) { bestD = d; best = {layer: R, i, kind: W.kinds.trench, line: true}; } } });
  }
  return best;
}
function showInfo(hit) {
  const box = document.getElementById("info"), body = document.getElementById("infobody");
  if (!hit) { box.style.display = "none"; selected = null; draw(); return; }
  const L = hit.layer, row = L.rows[hit.i];
  let h = `<h2>${hit.kind}: ${fmt(row[0])}${L === V && row[1] ? " " + fmt(row[1]) : ""}</h2><table>`;
  L.columns.forEach((c, j) => { if (c !== "shown_as") h += `<tr><td>${W.columns[c] || c}</td><td>${fmt(row[j], c)}</td></tr>`; });
  body.innerHTML = h + "</table>"; box.style.display = "block";
  selected = hit.line ? null : hit; draw();
}
let drag = null, moved = false;
canvas.addEventListener("mousedown", e => { drag = {x: e.clientX, y: e.clientY, tx, ty}; moved = false; canvas.classList.add("dragging"); });
window.addEventListener("mousemove", e => {
  if (drag) { const dx = e.clientX - drag.x, dy = e.clientY - drag.y; if (Math.abs(dx) + Math.abs(dy) > 3) moved = true;
    tx = drag.tx + dx; ty = drag.ty + dy; draw(); return; }
  const hit = pick(e.offsetX, e.offsetY), tip = document.getElementById("tip");
  if (hit && e.target === canvas) { const row = hit.layer.rows[hit.i];
    tip.textContent = hit.layer === V ? `${row[1] || row[0]} (${fmt(row[7], "technology")})` : `${hit.kind} ${row[0]}`;
    tip.style.left = (e.clientX + 12) + "px"; tip.style.top = (e.clientY + 12) + "px"; tip.style.display = "block";
  } else tip.style.display = "none";
});
window.addEventListener("mouseup", e => { if (drag && !moved && e.target === canvas) showInfo(pick(e.offsetX, e.offsetY));
  drag = null; canvas.classList.remove("dragging"); });
function zoomAt(f, mx, my) { tx = mx - (mx - tx) * f; ty = my - (my - ty) * f; scale *= f; draw(); }
canvas.addEventListener("wheel", e => { e.preventDefault(); zoomAt(Math.exp(-e.deltaY * 0.0015), e.offsetX, e.offsetY); }, {passive: false});
document.getElementById("zin").onclick = () => zoomAt(1.5, canvas.clientWidth / 2, canvas.clientHeight / 2);
document.getElementById("zout").onclick = () => zoomAt(1 / 1.5, canvas.clientWidth / 2, canvas.clientHeight / 2);
document.getElementById("zfit").onclick = fit;
document.getElementById("close").onclick = () => showInfo(null);
window.addEventListener("resize", resize);
function openHash() {  // map.html#v=VILLAGE_ID: zoom on a village and show its details
  const m = /[#&]v=([^&]+)/.exec(location.hash); if (!m) return;
  const id = decodeURIComponent(m[1]), i = V.rows.findIndex(r => String(r[0]) === id); if (i < 0) return;
  const p = V.xy[i], w = canvas.clientWidth, h = canvas.clientHeight;
  scale = Math.max(scale, w / (20 / 111.32));  // about 20 km across
  tx = w / 2 - px(p[0]) * scale; ty = h / 2 - py(p[1]) * scale;
  showInfo({layer: V, i, kind: W.kinds.village});
}
legend(); resize(); fit(); openHash();
window.addEventListener("hashchange", openHash);
</script></body></html>
"""


def write_map(instance, plan, path: str | Path, *, layers: LayerSet | None = None, title: str | None = None,
              lang: str = "en", title_zh: str | None = None) -> Path:
    """Write the self-contained HTML map of ``plan`` and return its path. It reads in ``lang`` (en or zh)
    unless its address asks for the other (``map.html?lang=zh``); ``title_zh``: the Chinese title
    (default: ``title`` when given, else 方案地图：NAME)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    layers = layers or build_layers(instance, plan)
    data = map_data(layers, instance)
    data["currency"] = instance.currency
    # a village's groups are ids: a Chinese page shows each group's Chinese label instead
    from .chinese import label_zh
    data["group_labels"] = {name: label_zh(g.label) for name, g in instance.policy.groups.items()
                            if g.label and re.search("[\u4e00-\u9fff]", label_zh(g.label))}
    titles = {"en": title or f"Plan map: {instance.name}",
              "zh": title_zh or title or f"方案地图：{instance.name}"}

    def script_json(value) -> str:  # a name cannot close the script element
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")

    path = Path(path)
    page = (PAGE.replace("__TITLE__", html.escape(titles[lang])).replace("__LANG__", lang)
            .replace("__WORDS__", script_json(WORDS)).replace("__TITLES__", script_json(titles))
            .replace("__DATA__", script_json(data)))
    path.write_text(page, encoding="utf-8")
    return path
