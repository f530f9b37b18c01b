"""The job queue: at most N job processes at once, the rest wait their turn.

Each job runs in its own process, so
a solver crash fails that job only and a cancel terminates exactly that
process. A dispatcher thread starts queued jobs in order of creation and
notices processes that ended without reporting (a crash: the job fails with the
exit code). Jobs a stopped server left running are queued again at start.

Processes come from a *forkserver* where the platform has one: a clean
single-threaded process, started once, that has already imported the solver
stack and forks each job from there (nothing inherited from the server's
threads, and no second or two of imports per job); elsewhere *spawn*.
"""
from __future__ import annotations

import multiprocessing
import os
import threading
import time

from ..io.atomic import clean_leftovers
from .messages import english
from .store import Store
from .worker import run_job

TICK = 0.2  # seconds between dispatcher passes


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def _context():
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["allocator.web.worker", "allocator.solve", "allocator.reports.bundle",
                                    "allocator.analysis.scenario"])
        return ctx
    return multiprocessing.get_context("spawn")


class JobQueue:
    def __init__(self, store: Store, instance_path, *, max_running: int | None = None) -> None:
        """``instance_path(instance_id) -> Path`` of the instance directory (None when unknown)."""
        self.store = store
        self.instance_path = instance_path
        self.max_running = max(1, int(max_running or default_workers()))
        self._ctx = _context()
        self._procs: dict[str, multiprocessing.process.BaseProcess] = {}
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        for jid in self.store.requeue_interrupted():
            self._remove_leftovers(jid)
        self._thread = threading.Thread(target=self._loop, name="allocator-jobs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop dispatching and end the running processes (their jobs are queued again at next start)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            for jid, proc in list(self._procs.items()):
                self._end(proc)
                self._remove_leftovers(jid)
            self._procs.clear()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the dispatcher must outlive one bad pass
                import traceback
                traceback.print_exc()
            self._stop.wait(TICK)

    # ------------------------------------------------------------------ dispatching
    def tick(self) -> None:
        with self._lock:
            for jid, proc in list(self._procs.items()):
                if proc.is_alive():
                    continue
                proc.join()
                del self._procs[jid]
                row = self.store.job(jid)
                if row is not None and row["state"] == "running":  # ended without a word: a crash
                    self.store.set_job(jid, state="failed", status="crashed", stage="error", finished=time.time(),
                                       message=english("job.crashed", exit_code=proc.exitcode))
                    self._remove_leftovers(jid)
            free = self.max_running - len(self._procs)
            if free <= 0:
                return
            for job in self.store.jobs(state="queued")[:free]:
                self._launch(job)

    def _launch(self, job: dict) -> None:
        jid = job["id"]
        path = self.instance_path(job["instance_id"]) if job["kind"] != "generate" \
            else self.store.generated_dir / job["name"]
        if path is None:
            self.store.set_job(jid, state="failed", status="error", finished=time.time(),
                               message=english("job.gone"))
            return
        if not self.store.claim(jid):
            return
        proc = self._ctx.Process(
            target=run_job, name=f"allocator-job-{jid}",
            args=(str(self.store.db_path), jid, job["kind"], str(path), job["toml"], job["options"],
                  str(self.store.job_dir(jid))))
        proc.daemon = True
        proc.start()
        self._procs[jid] = proc

    # ------------------------------------------------------------------ cancel
    def cancel(self, jid: str) -> bool:
        """Cancel a queued or running job; False when it had already ended."""
        with self._lock:
            row = self.store.job(jid)
            if row is None or row["state"] not in ("queued", "running"):
                return False
            # the state changes first, so a worker finishing now cannot report "done" over it
            self.store.set_job(jid, state="cancelled", stage="cancelled", finished=time.time(),
                               message=english("job.cancelled"))
            proc = self._procs.pop(jid, None)
            if proc is not None:
                self._end(proc)
                self._remove_leftovers(jid)
            return True

    @staticmethod
    def _end(proc) -> None:
        proc.terminate()
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join(timeout=5)

    def _remove_leftovers(self, jid: str) -> None:
        """What the atomic write of a killed job left beside its folder (allocator.io.atomic)."""
        clean_leftovers(self.store.job_dir(jid), lock=True)

    def pid(self, jid: str) -> int | None:
        """Process id of a running job (None when it is not running here)."""
        with self._lock:
            proc = self._procs.get(jid)
            return proc.pid if proc is not None else None

    def running(self) -> int:
        with self._lock:
            return len(self._procs)
