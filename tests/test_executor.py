"""One executor for local processes and Dask (allocator/solve/executor.py): results in task order
whatever the workers, shared data sent once per worker, and the same decomposed plan on a
dask.distributed LocalCluster (two worker processes, loopback only) as on local processes."""
from __future__ import annotations

import pytest

from allocator.solve import executor
from allocator.solve.decompose.run import solve_decomposed
from allocator.errors import OptionsError
from allocator.solve.executor import (
    SCHEDULER_ENV,
    DaskExecutor,
    LocalExecutor,
    open_executor,
    scheduler_address,
)
from allocator.io import load_instance

from .builders import make_instance_dir

distributed = pytest.importorskip("distributed", reason="the [cluster] extra (dask[distributed]) is not installed: pip install -e \".[test]\"")


def scaled(shared, task):
    """A task that needs the shared data: the worker's copy of it, and who it is."""
    import os
    return shared["factor"] * task, os.getpid()


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address=None) as c:
        yield c


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_local_results_in_task_order(workers):
    with LocalExecutor(workers) as ex:
        handle = ex.share({"factor": 3})
        out = ex.map(scaled, list(range(20)), shared=handle, sizes=[i % 7 for i in range(20)])
    assert [v for v, _ in out] == [3 * i for i in range(20)]
    assert len({pid for _, pid in out}) <= workers


def test_sharing_after_the_pool_started_reaches_new_tasks():
    with LocalExecutor(2) as ex:
        first = ex.share({"factor": 2})
        assert [v for v, _ in ex.map(scaled, [1, 2], shared=first)] == [2, 4]
        second = ex.share({"factor": 5})
        assert [v for v, _ in ex.map(scaled, [1, 2], shared=second)] == [5, 10]


def test_dask_results_in_task_order_and_data_on_every_worker(cluster):
    with DaskExecutor(cluster.scheduler_address) as ex:
        assert ex.workers == 2
        handle = ex.share({"factor": 3})
        # broadcast: every worker holds the one copy before any task runs
        holders = ex.client.who_has([handle])[handle.key]
        assert len(holders) == 2
        out = ex.map(scaled, list(range(12)), shared=handle, sizes=list(range(12)))
    assert [v for v, _ in out] == [3 * i for i in range(12)]


def test_environment_names_the_scheduler(monkeypatch, cluster):
    monkeypatch.setenv(SCHEDULER_ENV, cluster.scheduler_address)
    assert scheduler_address() == cluster.scheduler_address
    with open_executor(workers=1) as ex:
        assert isinstance(ex, DaskExecutor)
    monkeypatch.setenv(SCHEDULER_ENV, "")
    with open_executor(workers=1) as ex:
        assert isinstance(ex, LocalExecutor)


def test_unreachable_scheduler_is_an_options_error(monkeypatch):
    monkeypatch.setattr(executor, "CONNECT_SECONDS", 2)
    with pytest.raises(OptionsError, match="cannot reach the Dask scheduler") as err:
        DaskExecutor("tcp://127.0.0.1:9")  # discard port: nothing listens there
    assert "dask scheduler" in err.value.fix


def test_decomposed_plan_same_on_a_cluster_as_locally(tmp_path, cluster):
    """Exact routing with price rounds, a budget that binds across the two counties."""
    inst = load_instance(make_instance_dir(tmp_path, meta={"budget": 1_000_000.0}))
    local = solve_decomposed(inst, mode="exact", workers=2)
    one = solve_decomposed(inst, mode="exact", workers=1)
    dask = solve_decomposed(inst, mode="exact", scheduler=cluster.scheduler_address)
    assert local.decision == one.decision == dask.decision
    assert local.summary["bound"] == one.summary["bound"] == dask.summary["bound"]
    assert dask.summary["verified"] and dask.summary["decomposition"]["price"]["executor"] == "dask"


def test_frontier_on_a_cluster_same_as_locally(tmp_path, cluster):
    from allocator.analysis.frontier import trace_frontier

    inst = load_instance(make_instance_dir(tmp_path))
    kw = {"budget_from": 800_000.0, "budget_to": 1_600_000.0, "points": 4}
    local = trace_frontier(inst, workers=1, **kw).points
    remote = trace_frontier(inst, scheduler=cluster.scheduler_address, **kw).points
    assert local["objective"].fillna(-1).tolist() == remote["objective"].fillna(-1).tolist()
    assert local["status"].tolist() == remote["status"].tolist()
    assert (local["objective"] > 0).sum() >= 2  # the range has plans, not only infeasible budgets


def test_whatif_on_a_cluster_writes_the_plans_here(tmp_path, cluster):
    from allocator.analysis.scenario import parse_scenario
    from allocator.analysis.whatif import run_whatif

    base = make_instance_dir(tmp_path)
    poorer = tmp_path / "poorer.toml"
    poorer.write_text('name = "poorer"\nbudget = 900000\n', encoding="utf-8")
    local = run_whatif(base, [parse_scenario(poorer)], tmp_path / "local", workers=1)
    remote = run_whatif(base, [parse_scenario(poorer)], tmp_path / "remote", scheduler=cluster.scheduler_address)
    assert local.loc["objective"].tolist() == remote.loc["objective"].tolist()
    assert (tmp_path / "remote" / "poorer" / "summary.json").exists()
    assert (tmp_path / "remote" / "poorer" / "scenario.json").exists()


def test_solve_command_on_a_cluster(tmp_path, cluster, capsys):
    import json

    from allocator.cli import main

    base = make_instance_dir(tmp_path, meta={"budget": 1_000_000.0})
    out = tmp_path / "plan"
    assert main(["solve", str(base), "--mode", "decomposed-exact", "--scheduler", cluster.scheduler_address,
                 "--rounds", "5", "-o", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verified"] and summary["decomposition"]["price"]["executor"] == "dask"
    assert "round 1: bound" in capsys.readouterr().err  # progress on stderr
