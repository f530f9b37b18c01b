"""Measure the workspace's page targets in headless Chromium (docs/web.md, "Measured").

    python -m benchmarks.web_pages INSTANCE_DIR [--repeat 5] [--data DIR]

Starts ``allocator serve`` on the instance in-process (a fresh data folder, or ``--data`` to reuse
one and its cached baseline), then:

- baseline: seconds to pre-compute the baseline summary, pick lists and map (once per instance;
  0 when ``--data`` already holds them);
- server: milliseconds the server takes for each request of the instance page (median of
  ``--repeat``, over HTTP from this process) and the bytes it sends, raw and gzip-compressed;
- summary page, each of ``--repeat`` loads, two ways:
  ``summary_shown_ms``: inside the browser, from the start of the navigation to the moment the
  baseline tables enter the document (a MutationObserver), a same-site navigation;
  ``summary_code_ms``, ``summary_data_ms``: when the page's script and its last API response had
  arrived, and ``summary_draw_ms`` the rest (the page's own JavaScript building the tables);
  ``summary_wall_ms``: wall clock around Playwright's navigation from about:blank (a new renderer
  process each time) until the tables are there, as the first measurements were taken;
- reference: the same two for the instance list (the page's code with almost no data), to tell
  the machine's load from the summary's own cost;
- open: milliseconds from the click on "open" in the instance list to the summary shown (no
  navigation: what an official does);
- map: milliseconds from navigation to the end of the map page's load event (the page reads
  the villages and draws them all before it), and of one full redraw.

Uses Debian's /usr/bin/chromium (or ALLOCATOR_CHROMIUM). Prints one JSON object, with the load
average before and after.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
# when the list's links and the summary's tables enter the document (performance.now(): from the navigation)
OBSERVE = """
window.__shown = {};
new MutationObserver(() => {
  const now = performance.now();
  if (!window.__shown.list && document.querySelector('a[data-instance]')) window.__shown.list = now;
  if (!window.__shown.summary && document.querySelector('#baseline-provinces')) window.__shown.summary = now;
}).observe(document, {childList: true, subtree: true});
"""
SHOWN = "window.__shown && window.__shown.summary !== undefined"
TIMING = """(() => {
  const res = performance.getEntriesByType('resource');
  const end = f => Math.max(0, ...res.filter(f).map(e => e.responseEnd));
  return {code: end(e => e.name.includes('/static/app.js')), data: end(e => e.name.includes('/api/'))};
})()"""
LISTED = "window.__shown && window.__shown.list !== undefined"


def _median(xs) -> float:
    return round(statistics.median(xs)) if xs else None


def _server_costs(url: str, paths: list[str], repeat: int) -> dict:
    import httpx

    out = {}
    with httpx.Client(base_url=url, timeout=120) as c:
        for path in paths:
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                r = c.get(path, headers={"Accept-Encoding": "identity"})
                times.append(1000 * (time.perf_counter() - t0))
            with c.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as z:
                packed = sum(len(b) for b in z.iter_raw())
            out[path.split("?")[0]] = {"median_ms": round(statistics.median(times), 1), "bytes": len(r.content),
                                       "gzip_bytes": packed}
    return out


def main(argv=None) -> int:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from allocator.web.app import create_app
    from allocator.web.instances import Baselines, discover

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instance")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--data", help="data folder to use and keep (default: a fresh temporary one, removed)")
    args = ap.parse_args(argv)
    chromium = os.environ.get("ALLOCATOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    data = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="allocator-web-bench-"))
    instances = discover([args.instance])
    iid = next(iter(instances))
    app = create_app(instances, data, workers=1, allowed_hosts=("127.0.0.1",))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/"
    out = {"instance": str(args.instance), "load_before": os.getloadavg()}
    try:
        t0 = time.perf_counter()
        Baselines(app.state.store.cache_dir).files(instances[iid])
        out["baseline_precompute_s"] = round(time.perf_counter() - t0, 2)
        out["server"] = _server_costs(url, ["", "static/app.js", "static/style.css", f"api/instances/{iid}/baseline",
                                            f"api/instances/{iid}/page",
                                            f"api/instances/{iid}/map"], args.repeat)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.add_init_script(OBSERVE)
            r = {k: [] for k in ("reference_shown", "reference_wall", "summary_shown", "summary_code", "summary_data",
                                 "summary_draw", "summary_wall", "open", "map_load", "map_redraw")}
            for n in range(args.repeat):
                # wall clock from about:blank (a new renderer process), as first measured
                page.goto("about:blank")
                t0 = time.perf_counter()
                page.goto(url)
                page.wait_for_selector("a[data-instance]")
                r["reference_wall"].append(1000 * (time.perf_counter() - t0))
                page.goto("about:blank")
                t0 = time.perf_counter()
                page.goto(url + f"#/i/{iid}")
                page.wait_for_function(SHOWN)
                r["summary_wall"].append(1000 * (time.perf_counter() - t0))
                # inside the browser: navigation start to the content, same-site navigations
                page.goto(url + f"?n={n}")
                page.wait_for_function(LISTED)
                r["reference_shown"].append(page.evaluate("window.__shown.list"))
                page.goto(url + f"?s={n}#/i/{iid}")  # another query: a new document, not a hash change
                page.wait_for_function(SHOWN)
                r["summary_shown"].append(page.evaluate("window.__shown.summary"))
                # of which: the page's code arrived, its data arrived (the last /api/ response), the rest is drawing
                timing = page.evaluate(TIMING)
                r["summary_code"].append(timing["code"])
                r["summary_data"].append(timing["data"])
                r["summary_draw"].append(r["summary_shown"][-1] - timing["data"])
                # the official's click from the list
                page.goto(url + f"?o={n}")
                page.wait_for_function(LISTED)
                page.evaluate("window.__t0 = performance.now()")
                page.click(f"a[data-instance='{iid}']")
                page.wait_for_function(SHOWN)
                r["open"].append(page.evaluate("window.__shown.summary - window.__t0"))
                page.goto(url + f"api/instances/{iid}/map")
                r["map_load"].append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
                r["map_redraw"].append(page.evaluate(
                    "(() => { const t = performance.now(); draw(); return performance.now() - t; })()"))
                out["villages_on_map"] = page.evaluate("DATA.villages.rows.length")
            browser.close()
        for k, xs in r.items():
            out[f"{k}_ms"] = [round(x) for x in xs]
            out[f"{k}_median_ms"] = _median(xs)
        out["load_after"] = os.getloadavg()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if not args.data:
            shutil.rmtree(data, ignore_errors=True)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
