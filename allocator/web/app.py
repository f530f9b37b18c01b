"""The HTTP API and the page of ``allocator serve`` (FastAPI).

Every route names things by id (instance ids from the server's start-up list,
scenario and job ids from the store); a path on disk is only ever built from
an id that exists. When a token is set (``--host`` other than 127.0.0.1 makes
one), every request must carry it: ``?token=`` once (a cookie keeps it), or
the ``X-Allocator-Token`` header.
"""
from __future__ import annotations

import dataclasses
import hmac
import io
import json
import math
import os
import threading
import zipfile
from importlib import resources
from pathlib import Path

import pandas as pd
from fastapi import Body, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..analysis.scenario import parse_scenario
from ..errors import AllocatorError, InputError
from .compress import file_response
from .forms import (
    FORM_LABEL,
    MAX_UPLOAD_BYTES,
    check_scenario,
    error_payload,
    form_to_scenario,
    scenario_to_form,
    toml_of,
)
from .instances import Baselines, Entry, discover
from .jobs import JobQueue
from .messages import catalogue_json, english, recognise, recognise_all
from .store import Store, valid_id

TOKEN_COOKIE = "allocator_token"
TOKEN_HEADER = "x-allocator-token"
JOB_KINDS = ("run", "frontier", "prices")
PRESET_JOB = "generate"
MAX_DIFF_ROWS = 20000  # villages listed on the page; the transitions count them all
SOLVERS = ("highs", "cbc", "scip", "cpsat")
#: already compressed (zip containers) or binary: not gzipped again
BINARY_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/geopackage+sqlite3")


def _static_dir() -> Path:
    return Path(str(resources.files("allocator.web") / "static"))


def create_app(instances: dict[str, Entry], data_dir: str | Path, *, token: str | None = None,
               workers: int | None = None, allowed_hosts: tuple[str, ...] | None = None) -> FastAPI:
    """The application; the job queue starts and stops with it (use it as a context: TestClient or uvicorn)."""
    from contextlib import asynccontextmanager

    store = Store(data_dir)
    baselines = Baselines(store.cache_dir)
    instances = dict(instances)

    def refresh() -> None:
        """Presets generated from the page (DATA/instances/) are served too."""
        if any((c / "instance.toml").is_file() for c in store.generated_dir.iterdir()):
            for iid, e in discover([store.generated_dir]).items():
                instances.setdefault(iid, e)

    refresh()
    queue = JobQueue(store, lambda iid: instances[iid].path if iid in instances else None, max_running=workers)

    def precompute() -> None:
        """Baselines of every instance before anyone asks (the national one takes a minute, once)."""
        for e in list(instances.values()):
            try:
                baselines.files(e)
            except Exception:  # noqa: BLE001 - the page asks again and shows the error then
                import traceback
                traceback.print_exc()

    @asynccontextmanager
    async def lifespan(_app):
        threading.Thread(target=precompute, name="allocator-baselines", daemon=True).start()
        queue.start()
        try:
            yield
        finally:
            queue.stop()
            store.close()

    app = FastAPI(title="allocator workspace", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.store, app.state.queue, app.state.instances = store, queue, instances
    # JSON, script and style compressed on the fly (a few kB each); the maps are compressed once (compress.py)
    app.add_middleware(GZipMiddleware, **gzip_options())

    # ------------------------------------------------------------------ security
    @app.middleware("http")
    async def guard(request: Request, call_next):
        if request.method not in ("GET", "HEAD") and not same_origin(request):
            # a page of another site posting a form here (upload, cancel) with the user's browser
            return JSONResponse(said(english("http.cross_site")), status_code=403)
        if allowed_hosts is not None:
            host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
            if host not in allowed_hosts:  # a page of another site reaching 127.0.0.1 by DNS rebinding
                return JSONResponse({"detail": f"host '{host}' not served"}, status_code=400)
        if token:
            given = (request.query_params.get("token") or request.headers.get(TOKEN_HEADER)
                     or request.cookies.get(TOKEN_COOKIE) or "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return JSONResponse(said(english("http.token")), status_code=401)
            response = await call_next(request)
            if request.query_params.get("token"):
                response.set_cookie(TOKEN_COOKIE, token, httponly=True, samesite="strict")
            return response
        return await call_next(request)

    @app.exception_handler(InputError)
    async def input_error(_request, err: InputError):
        return JSONResponse({"detail": err.problem, "errors": [error_payload(err)]}, status_code=422)

    @app.exception_handler(AllocatorError)
    async def allocator_error(_request, err: AllocatorError):
        return JSONResponse(said(str(err)), status_code=409)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request, err: StarletteHTTPException):
        return JSONResponse(said(err.detail), status_code=err.status_code, headers=getattr(err, "headers", None))

    # ------------------------------------------------------------------ lookups
    def entry(iid: str) -> Entry:
        e = instances.get(iid)
        if e is None:
            refresh()
            e = instances.get(iid)
        if e is None:
            raise HTTPException(404, english("http.no_instance", id=iid))
        return e

    def scenario_row(sid: str) -> dict:
        row = store.scenario(sid)
        if row is None:
            raise HTTPException(404, english("http.no_scenario", id=sid))
        return row

    def job_row(jid: str) -> dict:
        row = store.job(jid)
        if row is None:
            raise HTTPException(404, english("http.no_job", id=jid))
        return row

    def done_dir(jid: str, kind: str | None = None) -> Path:
        row = job_row(jid)
        if kind is not None and row["kind"] != kind:
            raise HTTPException(404, f"job {jid} is a {row['kind']} job, not a {kind} job")
        if row["state"] != "done":
            raise HTTPException(409, english("http.job_not_done", id=jid, state=row["state"]))
        path = store.job_dir(jid)
        if not path.is_dir():
            raise HTTPException(410, english("http.result_missing", id=jid))
        return path

    def job_file(jid: str, *parts: str, kind: str | None = None) -> Path:
        path = done_dir(jid, kind).joinpath(*parts)  # parts are constants of this module, never user input
        if not path.is_file():
            raise HTTPException(404, f"job {jid} has no {'/'.join(parts)}")
        return path

    def job_view(row: dict) -> dict:
        out = {k: row[k] for k in ("id", "kind", "instance_id", "scenario_id", "name", "state", "stage", "bound",
                                   "gap", "status", "message", "created", "started", "finished", "options")}
        out["stage_msg"] = recognise(row["stage"])
        # the scenario as run, for the page to describe its changes in the reader's language
        out["form"] = scenario_to_form(parse_scenario(text=row["toml"])) if row.get("toml") else None
        first, _, rest = (row["message"] or "").partition("\n")
        out["message_msg"], out["message_detail"] = recognise(first), rest.strip()
        if row["state"] == "queued":
            queued = [j["id"] for j in store.jobs(state="queued")]
            out["position"] = queued.index(row["id"]) + 1 if row["id"] in queued else None
        if row["kind"] == PRESET_JOB and row["state"] == "done":
            refresh()
            path = (store.generated_dir / row["name"]).resolve()
            out["created_instance"] = next((e.id for e in instances.values() if e.path == path), None)
        return out

    # ------------------------------------------------------------------ page
    @app.get("/", response_class=HTMLResponse)
    def index():
        page = (_static_dir() / "index.html").read_text(encoding="utf-8")
        return HTMLResponse(page.replace("<!--MESSAGES-->", '<script id="messages" type="application/json">'
                                         + catalogue_json() + "</script>"))

    @app.get("/favicon.ico")
    def favicon():
        return Response(status_code=204)

    app.mount("/static", StaticFiles(directory=str(_static_dir())), name="static")

    # ------------------------------------------------------------------ instances
    @app.get("/api/instances")
    def list_instances():
        refresh()
        return [{"id": e.id, "name": e.name, "description": e.description} for e in instances.values()]

    @app.get("/api/presets")
    def list_presets():
        from ..generator.presets import PRESETS
        return [{"preset": name, "description": p.description} for name, p in PRESETS.items()]

    @app.post("/api/presets", status_code=201)
    def generate_preset(payload: dict = Body(...)):
        """Generate a preset instance (a job: the national preset takes minutes)."""
        from ..generator.presets import PRESETS
        preset, seed = payload.get("preset"), payload.get("seed", 1)
        if preset not in PRESETS:
            raise InputError(f"unknown preset {preset!r}", column="preset", fix=f"use one of: {', '.join(PRESETS)}")
        if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
            raise InputError(english("input.bad_seed", seed=seed), column="seed", fix=english("fix.seed"))
        name = f"{preset}-seed{seed}"
        for j in store.jobs(PRESET_JOB):  # the same preset and seed give the same files: once is enough
            if j["kind"] == PRESET_JOB and j["name"] == name and j["state"] in ("queued", "running", "done"):
                return job_view(j)
        jid = store.add_job(kind=PRESET_JOB, instance_id=PRESET_JOB, scenario_id=None, name=name, toml="",
                            options={"preset": preset, "seed": seed})
        return job_view(store.job(jid))

    @app.get("/api/instances/{iid}/baseline")
    def instance_baseline(iid: str):
        return FileResponse(baselines.files(entry(iid))["baseline"], media_type="application/json")

    @app.get("/api/instances/{iid}/choices")
    def instance_choices(iid: str):
        return FileResponse(baselines.files(entry(iid))["choices"], media_type="application/json")

    @app.get("/api/instances/{iid}/page")
    def instance_page(iid: str):
        """Everything the instance page shows, in one response: the pre-computed baseline (the cached
        file's text as it is, not parsed again), the scenarios and the runs."""
        e = entry(iid)
        files = baselines.files(e)
        rest = json.dumps({"id": e.id, "name": e.name, "map_bytes": files["map"].stat().st_size,
                           "scenarios": [scenario_view(r) for r in store.scenarios(e.id)],
                           "jobs": [job_view(j) for j in store.jobs(e.id)]}, ensure_ascii=False, allow_nan=False)
        body = '{"baseline":' + files["baseline"].read_text(encoding="utf-8") + "," + rest[1:]
        return Response(body.encode("utf-8"), media_type="application/json")

    @app.get("/api/instances/{iid}/map", response_class=HTMLResponse)
    def instance_map(iid: str, request: Request):
        path = baselines.files(entry(iid))["map"]
        # beside the cache folder, not in it: that folder holds exactly what its writer listed
        return file_response(request, path, path.parent.with_name(f"{path.parent.name}-map.html.gz"),
                             media_type="text/html; charset=utf-8")

    # ------------------------------------------------------------------ scenarios
    def save_checked(e: Entry, scenario, sid: str | None = None) -> dict:
        text = toml_of(scenario, e.name)
        check_scenario(text, baselines.instance(e), label=FORM_LABEL)  # the written text itself is checked
        if sid is None:
            sid = store.add_scenario(e.id, scenario.name, text)
        else:
            store.update_scenario(sid, scenario.name, text)
        return scenario_view(store.scenario(sid))

    def scenario_view(row: dict) -> dict:
        scenario = parse_scenario(text=row["toml"])
        return {"id": row["id"], "instance_id": row["instance_id"], "name": row["name"], "toml": row["toml"],
                "created": row["created"], "updated": row["updated"], "form": scenario_to_form(scenario)}

    def form_scenario(e: Entry, form: dict):
        if not isinstance(form, dict):
            raise HTTPException(422, "the scenario form must be a JSON object")
        try:
            scenario = form_to_scenario(form)
            text = toml_of(scenario, e.name)
        except (TypeError, ValueError) as err:
            raise InputError(english("form.wrong_kind", detail=err), file=FORM_LABEL,
                             fix=english("fix.numbers")) from None
        return check_scenario(text, baselines.instance(e), label=FORM_LABEL)

    @app.get("/api/scenarios")
    def list_scenarios(instance: str | None = None):
        if instance is not None:
            entry(instance)
        return [scenario_view(r) for r in store.scenarios(instance)]

    @app.post("/api/scenarios", status_code=201)
    def create_scenario(payload: dict = Body(...)):
        e = entry(str(payload.get("instance_id", "")))
        return save_checked(e, form_scenario(e, payload.get("form")))

    @app.get("/api/scenarios/{sid}")
    def get_scenario(sid: str):
        return scenario_view(scenario_row(sid))

    @app.put("/api/scenarios/{sid}")
    def update_scenario(sid: str, payload: dict = Body(...)):
        row = scenario_row(sid)
        e = entry(row["instance_id"])
        return save_checked(e, form_scenario(e, payload.get("form")), sid)

    @app.delete("/api/scenarios/{sid}", status_code=204)
    def delete_scenario(sid: str):
        scenario_row(sid)
        store.delete_scenario(sid)
        return Response(status_code=204)

    @app.get("/api/scenarios/{sid}/toml")
    def download_scenario(sid: str):
        row = scenario_row(sid)
        return Response(row["toml"], media_type="application/toml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{row["name"]}.toml"'})

    @app.post("/api/scenarios/upload", status_code=201)
    async def upload_scenario(instance_id: str = Form(...), file: UploadFile = File(...)):
        e = entry(instance_id)
        label = Path(file.filename or "upload.toml").name
        data = await file.read(MAX_UPLOAD_BYTES + 1)
        if len(data) > MAX_UPLOAD_BYTES:
            raise InputError(english("upload.too_large", kib=MAX_UPLOAD_BYTES // 1024), file=label,
                             fix=english("fix.upload_toml"))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(english("upload.not_utf8"), file=label, fix=english("fix.save_utf8")) from None
        scenario = check_scenario(text, baselines.instance(e), label=label)
        return save_checked(e, scenario)

    # ------------------------------------------------------------------ jobs
    def job_options(kind: str, raw: dict) -> dict:
        raw = raw if isinstance(raw, dict) else {}
        opts: dict = {}
        solver = raw.get("solver", "highs")
        if solver not in SOLVERS:
            raise InputError(f"unknown solver '{solver}'", column="solver", fix=f"use one of: {', '.join(SOLVERS)}")
        opts["solver"] = solver
        opts["mode"] = raw.get("mode", "exact")
        if opts["mode"] not in ("exact", "restricted"):
            raise InputError(f"unknown mode '{opts['mode']}'", column="mode", fix="use exact or restricted")
        for key, lo, hi in (("time_limit", 1e-3, 1e6), ("gap", 0.0, 0.999)):
            if raw.get(key) not in (None, ""):
                try:
                    value = float(raw[key])
                except (TypeError, ValueError):
                    raise InputError(f"{key} must be a number, got {raw[key]!r}", column=key,
                                     fix=f"give {key} between {lo:g} and {hi:g}") from None
                if not (lo <= value <= hi):
                    raise InputError(f"{key} = {value:g} is out of range", column=key,
                                     fix=f"give {key} between {lo:g} and {hi:g}")
                opts[key] = value
        if kind == "frontier":
            try:
                lo, hi, n = float(raw["budget_from"]), float(raw["budget_to"]), int(raw.get("points", 7))
            except (KeyError, TypeError, ValueError):
                raise InputError(english("input.frontier_needs"), column="budget_from",
                                 fix=english("fix.frontier_range")) from None
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi and 2 <= n <= 41):
                raise InputError(english("input.frontier_range", lo=lo, hi=hi, n=n), column="budget_from",
                                 fix=english("fix.frontier_range"))
            opts.update(budget_from=lo, budget_to=hi, points=n)
        if kind == "prices":
            step = raw.get("step", 0.01)
            try:
                step = float(step)
            except (TypeError, ValueError):
                step = -1.0
            if not (0 < step < 1):
                raise InputError(english("input.floor_step", step=raw.get("step")), column="step",
                                 fix=english("fix.floor_step"))
            opts["step"] = step
        return opts

    @app.post("/api/jobs", status_code=201)
    def create_job(payload: dict = Body(...)):
        kind = payload.get("kind", "run")
        if kind not in JOB_KINDS:
            raise HTTPException(422, f"unknown job kind '{kind}' (run, frontier or prices)")
        sid = payload.get("scenario_id")
        if sid:
            row = scenario_row(str(sid))
            e, name, text = entry(row["instance_id"]), row["name"], row["toml"]
        else:  # the base instance as it is
            e = entry(str(payload.get("instance_id", "")))
            name, text, sid = "base", 'name = "base"\n', None
        if payload.get("budget") is not None:  # a frontier point opened as a plan: the scenario at that budget
            try:
                budget = float(payload["budget"])
            except (TypeError, ValueError):
                raise InputError("budget must be a number", column="budget", fix="give an amount") from None
            base = parse_scenario(text=text)
            scen = dataclasses.replace(base, name=f"{base.name}-at-{budget:.0f}"[:80], budget=budget)
            text = toml_of(scen, e.name)
            name = scen.name
        opts = job_options(kind, payload.get("options") or {})
        check_scenario(text, baselines.instance(e), label=name)
        if payload.get("reuse"):  # the same question already asked: open that job instead of another solve
            for j in store.jobs(e.id):
                if (j["kind"] == kind and j["toml"] == text and j["options"] == opts
                        and j["state"] in ("queued", "running", "done")):
                    return job_view(j)
        jid = store.add_job(kind=kind, instance_id=e.id, scenario_id=sid, name=name, toml=text, options=opts)
        return job_view(store.job(jid))

    @app.get("/api/jobs")
    def list_jobs(instance: str | None = None):
        if instance is not None:
            entry(instance)
        return [job_view(j) for j in store.jobs(instance)]

    @app.get("/api/jobs/{jid}")
    def get_job(jid: str):
        return job_view(job_row(jid))

    @app.post("/api/jobs/{jid}/cancel")
    def cancel_job(jid: str):
        job_row(jid)
        if not queue.cancel(jid):
            raise HTTPException(409, english("http.job_ended", id=jid))
        return job_view(job_row(jid))

    @app.get("/api/jobs/{jid}/plan")
    def job_plan(jid: str):
        return FileResponse(job_file(jid, "web.json", kind="run"), media_type="application/json")

    @app.get("/api/jobs/{jid}/map", response_class=HTMLResponse)
    def job_map(jid: str, request: Request):
        return file_response(request, job_file(jid, "report", "map.html", kind="run"),
                             store.cache_dir / f"map-{jid}.html.gz", media_type="text/html; charset=utf-8")

    @app.get("/api/jobs/{jid}/excel")
    def job_excel(jid: str, lang: str = "en"):
        """The report's workbook; ``lang=zh``: the same with its names, titles and headers in Chinese."""
        row = job_row(jid)
        path = job_file(jid, "report", "report.xlsx", kind="run")
        if lang == "zh":
            from .workbook import chinese_workbook
            path = chinese_workbook(path, store.cache_dir / f"report-{jid}-zh.xlsx")
        elif lang != "en":
            raise HTTPException(422, "lang must be en or zh")
        return FileResponse(path, filename=f"{row['name']}{'-zh' if lang == 'zh' else ''}.xlsx",
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    report_lock = threading.Lock()

    @app.get("/api/jobs/{jid}/report", response_class=HTMLResponse)
    def job_report(jid: str, lang: str = "en"):
        """The run's HTML report; ``lang=zh``: the same report written in Chinese (made on the first
        request from the run's plan folder, kept in the cache)."""
        path = job_file(jid, "report", "report.html", kind="run")
        if lang == "zh":
            target = store.cache_dir / f"report-{jid}-zh.html"
            with report_lock:
                if not target.is_file():
                    chinese_report(done_dir(jid, "run"), job_row(jid)["name"], target)
            path = target
        elif lang != "en":
            raise HTTPException(422, "lang must be en or zh")
        return FileResponse(path, media_type="text/html; charset=utf-8")

    @app.get("/api/jobs/{jid}/scenario.toml")
    def job_toml(jid: str):
        row = job_row(jid)
        return Response(row["toml"], media_type="application/toml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{row["name"]}.toml"'})

    @app.get("/api/jobs/{jid}/zip")
    def job_zip(jid: str):
        row = job_row(jid)
        folder = done_dir(jid, "run")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(folder.rglob("*")):
                if f.is_file() and f.name != "web.json":
                    z.write(f, f"{row['name']}/{f.relative_to(folder).as_posix()}")
        return Response(buffer.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{row["name"]}.zip"'})

    gpkg_lock = threading.Lock()

    @app.get("/api/jobs/{jid}/geopackage")
    def job_geopackage(jid: str):
        """The plan as a GeoPackage: the report's when one was written, else `allocator export`'s
        (the [gis] extra), made on the first request and kept."""
        row = job_row(jid)
        folder = done_dir(jid, "run")
        path = geopackage_of(folder)
        if path is None:
            from ..importers.gisdeps import gis_available
            if not gis_available():
                raise HTTPException(404, "no GeoPackage: install the [gis] extra (pip install 'allocator[gis]'); "
                                         "the GeoJSON layers are in the zip under report/layers/")
            path = store.cache_dir / f"plan-{jid}.gpkg"
            with gpkg_lock:
                if not path.is_file():
                    from ..analysis.whatif import read_scenario_record
                    from ..io import load_instance
                    from ..plan_io import read_plan
                    from ..reports.export import export_plan
                    record = read_scenario_record(folder / "plan")
                    instance = load_instance(record["base"], overrides=record.get("overrides") or None)
                    export_plan(instance, read_plan(folder / "plan", instance), path, fmt="gpkg")
        return FileResponse(path, filename=f"{row['name']}.gpkg", media_type="application/geopackage+sqlite3")

    @app.get("/api/jobs/{jid}/frontier")
    def job_frontier(jid: str):
        folder = done_dir(jid, "frontier")
        points = pd.read_csv(folder / "frontier.csv")
        info = json.loads((folder / "frontier.json").read_text(encoding="utf-8"))
        from .worker import records
        rows = records(points)
        for r in rows:
            r["notes"] = recognise_all(r.get("message"))
        return {"points": rows, "mode": info.get("mode"), "complete": info.get("complete"),
                "notes": [recognise(n) or {"text": n} for n in info.get("notes", [])],
                "scenario_id": job_row(jid)["scenario_id"]}

    @app.get("/api/jobs/{jid}/prices")
    def job_prices(jid: str):
        folder = done_dir(jid, "prices")
        from .worker import records
        floors = records(pd.read_csv(folder / "prices.csv", keep_default_na=False, na_values=[""]))
        for r in floors:
            r["notes"] = recognise_all(r.get("note"))
        budget = json.loads((folder / "budget.json").read_text(encoding="utf-8"))
        return {"floors": floors, "budget": budget}

    # ------------------------------------------------------------------ comparisons
    def run_ids(jobs: str) -> list[str]:
        ids = [j for j in (jobs or "").split(",") if j]
        if not 1 <= len(ids) <= 12 or not all(valid_id(j) for j in ids):
            raise HTTPException(422, "give 1 to 12 job ids: ?jobs=ID,ID")
        return ids

    @app.get("/api/compare")
    def compare(jobs: str):
        from ..analysis.whatif import Outcome, comparison_table
        out, outcomes = [], []
        for jid in run_ids(jobs):
            row = job_row(jid)
            if row["kind"] != "run":
                raise HTTPException(422, f"job {jid} is not a scenario run")
            item = {"job": job_view(row), "page": None}
            if row["state"] == "done":
                page = json.loads(job_file(jid, "web.json").read_text(encoding="utf-8"))
                item["page"] = {k: page[k] for k in ("scenario", "summary", "people_covered", "groups")}
                o = page["outcome"]
                outcomes.append(Outcome(**{**o, "name": f"{o['name']} [{jid[:4]}]"}))
            else:
                outcomes.append(Outcome(f"{row['name']} [{jid[:4]}]", "", row["status"] or row["state"],
                                        message=row["message"]))
            out.append(item)
        table = comparison_table(outcomes)
        return {"items": out, "table": {"columns": list(table.columns),
                                        "rows": [[m, *map(str, r)] for m, r in table.iterrows()]}}

    @app.get("/api/diff")
    def diff(a: str, b: str, limit: int = 2000):
        from ..analysis.diff import diff_plans, transitions
        from ..analysis.whatif import read_scenario_record
        from ..io import load_instance
        from ..plan_io import read_plan
        from .worker import records
        folders = [done_dir(jid, "run") for jid in (a, b)]
        cached = store.cache_dir / f"diff-{a}-{b}.json"  # finished runs never change: diff once
        if not cached.is_file():
            plans, insts = [], []
            for folder in folders:
                record = read_scenario_record(folder / "plan")
                inst = load_instance(record["base"], overrides=record.get("overrides") or None)
                insts.append(inst)
                plans.append(read_plan(folder / "plan", inst))
            table = diff_plans(plans[0], plans[1], instance_a=insts[0], instance_b=insts[1])
            body = {"villages": len(table), "transitions": records(transitions(table)),
                    "rows": records(table.head(MAX_DIFF_ROWS))}
            tmp = cached.with_name(f".{cached.name}.{os.getpid()}.{threading.get_ident()}")
            tmp.write_text(json.dumps(body, ensure_ascii=False, allow_nan=False), encoding="utf-8")
            os.replace(tmp, cached)
        body = json.loads(cached.read_text(encoding="utf-8"))
        body["rows"] = body["rows"][:max(0, min(limit, MAX_DIFF_ROWS))]
        return body

    return app


def said(detail) -> dict:
    """An error response's body: the English detail, and its catalogue code when it has one."""
    return {"detail": detail, "msg": recognise(detail) if isinstance(detail, str) else None}


def gzip_options() -> dict:
    """Level 6 from 1 kB up; downloads that are zip containers already are left alone where the
    installed Starlette can exclude content types (older ones compress them too: slower, still correct)."""
    opts = {"minimum_size": 1024, "compresslevel": 6}
    try:
        from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES
    except ImportError:
        return opts
    return {**opts, "exclude_content_types": (*DEFAULT_EXCLUDED_CONTENT_TYPES, *BINARY_TYPES)}


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from a page of another site."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    return origin.split("://", 1)[-1].rstrip("/") == (request.headers.get("host") or "")


def chinese_report(folder: Path, name: str, target: Path) -> Path:
    """report.html of the run in ``folder`` written in Chinese to ``target`` (whole or not at all)."""
    from ..analysis.whatif import read_scenario_record
    from ..io import load_instance
    from ..plan_io import read_plan
    from ..reports.html import write_html_report
    from ..reports.tables import report_tables

    record = read_scenario_record(folder / "plan")
    instance = load_instance(record["base"], overrides=record.get("overrides") or None)
    plan = read_plan(folder / "plan", instance)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    base = name == "base" and not record.get("overrides")
    write_html_report(instance, plan, report_tables(instance, plan), tmp, lang="zh",
                      title=f"宽带规划报告：{instance.name}（{'基准' if base else '情景 ' + name}）")
    os.replace(tmp, target)
    return target


def geopackage_of(folder: Path) -> Path | None:
    """The GeoPackage the run's report wrote (when a GeoPackage writer was installed), or None."""
    path = folder / "report" / "layers" / "layers.gpkg"
    return path if path.is_file() else None

