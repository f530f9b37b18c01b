"""What the workspace keeps on disk: saved scenarios, jobs and their result folders.

``DATA/workspace.sqlite`` (SQLite in WAL mode: a write is either in the file or
not, so killing the server never loses a saved scenario) holds two tables:

- ``scenarios``: id, instance id, name, the scenario's TOML text (the same text
  the CLI reads), created/updated times;
- ``jobs``: id, kind (run | frontier | prices | generate), instance id, scenario id and the
  TOML the job was started with (a later edit of the scenario does not change
  what a finished job means), options, state (queued | running | done | failed |
  cancelled), progress (stage, bound, gap), message, times.

A finished job's files live in ``DATA/jobs/<job id>/``, written whole by
:func:`allocator.io.atomic.atomic_output_dir` (a folder appears complete or not
at all). Every id is generated here (12 hex digits) and checked with
:func:`valid_id` before it is used in a path, so no request path reaches the
file system.
"""
from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ID_RE = re.compile(r"^[0-9a-f]{12}$")
STATES = ("queued", "running", "done", "failed", "cancelled")
FINAL = ("done", "failed", "cancelled")

SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
  id TEXT PRIMARY KEY, instance_id TEXT NOT NULL, name TEXT NOT NULL, toml TEXT NOT NULL,
  created REAL NOT NULL, updated REAL NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY, kind TEXT NOT NULL, instance_id TEXT NOT NULL, scenario_id TEXT,
  name TEXT NOT NULL, toml TEXT NOT NULL, options TEXT NOT NULL, state TEXT NOT NULL,
  stage TEXT NOT NULL DEFAULT '', bound REAL, gap REAL, status TEXT NOT NULL DEFAULT '',
  message TEXT NOT NULL DEFAULT '', created REAL NOT NULL, started REAL, finished REAL);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created);
"""


def new_id() -> str:
    return uuid.uuid4().hex[:12]


def valid_id(value: str) -> bool:
    return isinstance(value, str) and bool(ID_RE.match(value))


def connect(path: Path) -> sqlite3.Connection:
    """A connection with WAL journaling and a wait (not an error) when another process writes."""
    con = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    con.row_factory = sqlite3.Row
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA busy_timeout=30000")
    return con


class Store:
    """The SQLite file and the jobs folder under one data directory (thread-safe)."""

    def __init__(self, data_dir: str | Path) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.jobs_dir = self.data_dir / "jobs"
        self.cache_dir = self.data_dir / "cache"
        self.generated_dir = self.data_dir / "instances"  # presets generated from the page
        for d in (self.data_dir, self.jobs_dir, self.cache_dir, self.generated_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "workspace.sqlite"
        self._lock = threading.Lock()
        self._con = connect(self.db_path)
        self._con.executescript(SCHEMA)

    @contextmanager
    def _tx(self):
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def _all(self, sql: str, args=()) -> list[dict]:
        with self._lock:
            return [dict(r) for r in self._con.execute(sql, args).fetchall()]

    # ------------------------------------------------------------------ scenarios
    def add_scenario(self, instance_id: str, name: str, toml: str) -> str:
        sid, now = new_id(), time.time()
        with self._tx() as con:
            con.execute("INSERT INTO scenarios VALUES (?,?,?,?,?,?)", (sid, instance_id, name, toml, now, now))
        return sid

    def update_scenario(self, sid: str, name: str, toml: str) -> bool:
        with self._tx() as con:
            cur = con.execute("UPDATE scenarios SET name=?, toml=?, updated=? WHERE id=?", (name, toml, time.time(), sid))
        return cur.rowcount == 1

    def delete_scenario(self, sid: str) -> bool:
        with self._tx() as con:
            cur = con.execute("DELETE FROM scenarios WHERE id=?", (sid,))
        return cur.rowcount == 1

    def scenario(self, sid: str) -> dict | None:
        if not valid_id(sid):
            return None
        rows = self._all("SELECT * FROM scenarios WHERE id=?", (sid,))
        return rows[0] if rows else None

    def scenarios(self, instance_id: str | None = None) -> list[dict]:
        if instance_id is None:
            return self._all("SELECT * FROM scenarios ORDER BY created")
        return self._all("SELECT * FROM scenarios WHERE instance_id=? ORDER BY created", (instance_id,))

    # ------------------------------------------------------------------ jobs
    def add_job(self, *, kind: str, instance_id: str, scenario_id: str | None, name: str, toml: str,
                options: dict) -> str:
        jid = new_id()
        with self._tx() as con:
            con.execute("INSERT INTO jobs (id, kind, instance_id, scenario_id, name, toml, options, state, created) "
                        "VALUES (?,?,?,?,?,?,?,?,?)",
                        (jid, kind, instance_id, scenario_id, name, toml, json.dumps(options), "queued", time.time()))
        return jid

    def job(self, jid: str) -> dict | None:
        if not valid_id(jid):
            return None
        rows = self._all("SELECT * FROM jobs WHERE id=?", (jid,))
        return _job_row(rows[0]) if rows else None

    def jobs(self, instance_id: str | None = None, *, state: str | None = None) -> list[dict]:
        sql, args = "SELECT * FROM jobs", []
        where = []
        if instance_id is not None:
            where.append("instance_id=?")
            args.append(instance_id)
        if state is not None:
            where.append("state=?")
            args.append(state)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [_job_row(r) for r in self._all(sql + " ORDER BY created", args)]

    def set_job(self, jid: str, **fields) -> None:
        if not fields:
            return
        cols = ", ".join(f"{k}=?" for k in fields)
        with self._tx() as con:
            con.execute(f"UPDATE jobs SET {cols} WHERE id=?", (*fields.values(), jid))

    def claim(self, jid: str) -> bool:
        """queued -> running, atomically (False if it was cancelled meanwhile)."""
        with self._tx() as con:
            cur = con.execute("UPDATE jobs SET state='running', started=?, stage='starting' "
                              "WHERE id=? AND state='queued'", (time.time(), jid))
        return cur.rowcount == 1

    def requeue_interrupted(self) -> list[str]:
        """Jobs left 'running' by a server that stopped: queued again (their process is gone)."""
        with self._tx() as con:
            ids = [r["id"] for r in con.execute("SELECT id FROM jobs WHERE state='running'").fetchall()]
            con.execute("UPDATE jobs SET state='queued', stage='', started=NULL, "
                        "message='re-queued: the server stopped while it ran' WHERE state='running'")
        return ids

    def job_dir(self, jid: str) -> Path:
        if not valid_id(jid):
            raise ValueError(f"not a job id: {jid!r}")
        return self.jobs_dir / jid

    def close(self) -> None:
        with self._lock:
            self._con.close()


def _job_row(row: dict) -> dict:
    row = dict(row)
    row["options"] = json.loads(row["options"] or "{}")
    return row


class JobWriter:
    """What a job's worker process uses to report progress (its own connection)."""

    def __init__(self, db_path: str | Path, jid: str) -> None:
        self.con = connect(Path(db_path))
        self.jid = jid

    def update(self, **fields) -> None:
        cols = ", ".join(f"{k}=?" for k in fields)
        self.con.execute(f"UPDATE jobs SET {cols} WHERE id=? AND state='running'", (*fields.values(), self.jid))

    def close(self) -> None:
        self.con.close()
