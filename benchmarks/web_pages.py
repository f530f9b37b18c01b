"""Measure the workspace's page targets in headless Chromium (docs/web.md, "Measured").

    python -m benchmarks.web_pages INSTANCE_DIR [--repeat 5]

Starts ``allocator serve`` on the instance in-process (a fresh data folder), then:

- baseline: seconds to pre-compute the baseline summary, pick lists and map (once per instance);
- reference: the same for the instance list (the page's code with almost no data), to tell the
  machine's load from the summary's own cost;
- summary page: milliseconds from navigation to the instance page showing its baseline tables
  (the pre-computed summary), each of ``--repeat`` loads;
- map: milliseconds from navigation to the end of the map page's load event (the page fetches
  and parses the villages and draws them all before it), and of one full redraw.

Uses Debian's /usr/bin/chromium (or ALLOCATOR_CHROMIUM). Prints one JSON object.
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


def main(argv=None) -> int:
    import uvicorn
    from playwright.sync_api import sync_playwright

    from allocator.web.app import create_app
    from allocator.web.instances import discover

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("instance")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    chromium = os.environ.get("ALLOCATOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    data = Path(tempfile.mkdtemp(prefix="allocator-web-bench-"))
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
    out = {"instance": str(args.instance), "load": os.getloadavg()}
    try:
        from allocator.web.instances import Baselines
        t0 = time.perf_counter()
        Baselines(app.state.store.cache_dir).files(instances[iid])
        out["baseline_precompute_s"] = round(time.perf_counter() - t0, 2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            summary, maps, redraws, reference = [], [], [], []
            for _ in range(args.repeat):
                page.goto("about:blank")
                t0 = time.perf_counter()
                page.goto(url)  # reference: the instance list (same page code, almost no data)
                page.wait_for_selector("a[data-instance]")
                reference.append(1000 * (time.perf_counter() - t0))
                page.goto("about:blank")
                t0 = time.perf_counter()
                page.goto(url + f"#/i/{iid}")
                page.wait_for_selector("#baseline-provinces")
                summary.append(1000 * (time.perf_counter() - t0))
                page.goto(url + f"api/instances/{iid}/map")
                maps.append(page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
                redraws.append(page.evaluate("(() => { const t = performance.now(); draw(); return performance.now() - t; })()"))
                out["villages_on_map"] = page.evaluate("DATA.villages.rows.length")
            browser.close()
        out.update(reference_list_page_ms=[round(x) for x in reference],
                   reference_list_page_median_ms=round(statistics.median(reference)),
                   summary_page_ms=[round(x) for x in summary], summary_page_median_ms=round(statistics.median(summary)),
                   map_load_ms=[round(x) for x in maps], map_load_median_ms=round(statistics.median(maps)),
                   map_redraw_ms=[round(x) for x in redraws], map_redraw_median_ms=round(statistics.median(redraws)))
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
