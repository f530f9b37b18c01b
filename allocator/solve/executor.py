"""Where independent tasks run: this process, local worker processes, or a Dask cluster.

One interface (:class:`Executor`) serves the county decomposition
(:mod:`allocator.solve.decompose.run`, :mod:`allocator.solve.decompose.lagrange`), ``whatif``
and ``frontier``:

- ``share(obj)`` sends large read-only data (the instance, the part models)
  to every worker **once** and returns a handle;
- ``map(fn, tasks, shared=handle)`` calls ``fn(data, task)`` for each task
  and returns the results **in task order**, whatever order they finish in
  (the deterministic merge: the same plan with 1, 2 or N workers).

:class:`LocalExecutor` uses forked processes (the shared data is inherited
through the fork, copy-on-write, so it is never pickled per task; where the
platform cannot fork it is pickled with each task). :class:`DaskExecutor`
connects to a ``dask.distributed`` scheduler and broadcasts the shared data
with ``Client.scatter(..., broadcast=True)``; every task then refers to it.

:func:`open_executor` picks one: a scheduler address (``--scheduler
tcp://HOST:8786`` or the ``ALLOCATOR_SCHEDULER`` environment variable) gives
Dask, anything else local processes.
"""
from __future__ import annotations

import gc
import itertools
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_all_start_methods, get_context

from ..errors import OptionsError

#: environment variable naming a Dask scheduler (same as ``--scheduler``)
SCHEDULER_ENV = "ALLOCATOR_SCHEDULER"
#: seconds to wait for the scheduler to answer
CONNECT_SECONDS = 20

# data shared with forked workers: filled before the pool forks, read by the children
_SHARED: dict = {}
_KEYS = itertools.count()


class Executor:
    """Run ``fn(shared_data, task)`` for many tasks; results in task order."""

    workers: int = 1
    remote: bool = False          # True when tasks run in other processes (their CPU is not ours)
    description: str = ""

    def share(self, obj) -> object:
        raise NotImplementedError

    def map(self, fn: Callable, tasks: list, *, shared=None, sizes: list | None = None,
            progress: Callable[[int, int], None] | None = None) -> list:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _order(n: int, sizes) -> list[int]:
    """Biggest tasks first (the small ones fill the gaps), ties by position."""
    if sizes is None:
        return list(range(n))
    return sorted(range(n), key=lambda i: (-sizes[i], i))


def _call_local(fn, key, task):
    return fn(_SHARED.get(key) if key is not None else None, task)


def _call_with(fn, data, task):
    return fn(data, task)


class LocalExecutor(Executor):
    """``workers`` forked processes (or this process alone for one worker).

    Every solver in a worker runs one thread, so a HiGHS thread pool
    inherited through the fork is never used. Sharing new data after the
    pool started restarts the pool (the children must fork after it)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.remote = workers > 1
        self.description = f"{workers} local process(es)" if workers > 1 else "this process"
        self._pool = None
        self._forking = "fork" in get_all_start_methods()
        self._keys: list = []

    def share(self, obj) -> object:
        key = next(_KEYS)
        _SHARED[key] = obj
        self._keys.append(key)
        if self._pool is not None:
            self._stop()
        return key

    def _start(self):
        if self._pool is None:
            if self._forking:  # the children's garbage collector would otherwise copy every inherited page
                gc.freeze()
            self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                             mp_context=get_context("fork") if self._forking else None)
        return self._pool

    def _stop(self):
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._pool = None
        if self._forking:
            gc.unfreeze()

    def map(self, fn, tasks, *, shared=None, sizes=None, progress=None) -> list:
        order = _order(len(tasks), sizes)
        out = [None] * len(tasks)
        if self.workers <= 1:
            for done, i in enumerate(order, 1):
                out[i] = _call_local(fn, shared, tasks[i])
                if progress:
                    progress(done, len(tasks))
            return out
        pool = self._start()
        if self._forking:
            futures = {pool.submit(_call_local, fn, shared, tasks[i]): i for i in order}
        else:  # spawned children do not see _SHARED: the data goes with each task
            data = _SHARED.get(shared) if shared is not None else None
            futures = {pool.submit(_call_with, fn, data, tasks[i]): i for i in order}
        for done, fut in enumerate(as_completed(futures), 1):
            out[futures[fut]] = fut.result()
            if progress:
                progress(done, len(tasks))
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._stop()
        for key in self._keys:
            _SHARED.pop(key, None)
        self._keys = []


class DaskExecutor(Executor):
    """Tasks on a ``dask.distributed`` cluster (``address``: ``tcp://HOST:8786``, or a Client)."""

    remote = True

    def __init__(self, address) -> None:
        try:
            from distributed import Client
        except ImportError as exc:  # pragma: no cover - the [cluster] extra
            raise OptionsError("a scheduler was given but dask.distributed is not installed",
                               fix='pip install "allocator[cluster]" (or leave out --scheduler / ALLOCATOR_SCHEDULER)') from exc
        self._own = not isinstance(address, Client)
        try:
            self.client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False) if self._own else address
        except (OSError, TimeoutError) as exc:
            raise OptionsError(f"cannot reach the Dask scheduler at {address}: {exc}",
                               fix="start it with `dask scheduler` and workers with `dask worker ADDRESS` "
                                   "(docs/scale.md), or leave out --scheduler / ALLOCATOR_SCHEDULER") from None
        info = self.client.scheduler_info()
        self.workers = max(sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()), 1)
        self.description = f"Dask scheduler {self.client.scheduler.address} ({self.workers} worker thread(s))"

    def share(self, obj) -> object:
        # one copy per worker, sent now; tasks refer to it by its future
        [future] = self.client.scatter([obj], broadcast=True, hash=False)
        return future

    def map(self, fn, tasks, *, shared=None, sizes=None, progress=None) -> list:
        from distributed import as_completed as dask_completed

        order = _order(len(tasks), sizes)
        futures = {}
        for rank, i in enumerate(order):
            f = self.client.submit(_call_with, fn, shared, tasks[i], pure=False, priority=len(order) - rank)
            futures[f] = i
        out = [None] * len(tasks)
        for done, fut in enumerate(dask_completed(list(futures), loop=self.client.loop), 1):
            out[futures[fut]] = fut.result()
            if progress:
                progress(done, len(tasks))
        return out

    def close(self) -> None:
        if self._own:
            self.client.close()


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The scheduler given, else ``ALLOCATOR_SCHEDULER``, else None (local processes)."""
    address = scheduler if scheduler is not None else os.environ.get(SCHEDULER_ENV, "")
    return address.strip() or None if isinstance(address, str) else address


def open_executor(*, workers: int = 1, scheduler=None) -> Executor:
    """Dask when a scheduler is given (argument or environment), else ``workers`` local processes."""
    address = scheduler_address(scheduler)
    if address is not None:
        return DaskExecutor(address)
    return LocalExecutor(workers)
