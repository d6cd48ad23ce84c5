"""Running sweeps: resumed sweeps equal uninterrupted ones, dask equals local processes,
failures are recorded, and the command line writes the same table."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from qinet.cli.main import main
from qinet.sweep import TABLE, TASKS_DIR, run_sweep
from qinet.sweep import execute as sweep_execute

SETS = ["links[*].length=10km..30km:2", "seed=1..2"]
DURATION = "50 ms"  # about 300 pairs a run at 20 km: a run takes well under a second


def _sweep(out: Path, sets: list[str] = SETS, **kwargs: Any) -> pd.DataFrame:
    table: pd.DataFrame = run_sweep("metro-link", sets, out=out, duration=DURATION, **kwargs)
    return table


def test_a_sweep_has_a_row_per_point_with_its_parameters_and_metrics(tmp_path: Path) -> None:
    table = _sweep(tmp_path, workers=2)
    assert table["links[*].length"].tolist() == [10.0, 10.0, 30.0, 30.0]
    assert table["seed"].tolist() == [1, 2, 1, 2]
    assert (table["status"] == "ok").all()
    assert table["error"].isna().all()
    assert (table["duration_s"] == 0.05).all()
    # the table is the run's own document: seed and length as the runs saw them
    assert table["links[0].length_km"].tolist() == table["links[*].length"].tolist()
    # longer links herald fewer pairs: 30 km loses 2 dB more fibre than 10 km
    rate = table.set_index(["links[*].length", "seed"])["demands[0].rate_hz"]
    assert rate[30.0, 1] < rate[10.0, 1]
    assert table.equals(pd.read_parquet(tmp_path / TABLE))
    assert len(list((tmp_path / TASKS_DIR).glob("*.json"))) == 4


def test_a_resumed_sweep_equals_an_uninterrupted_one_and_reruns_nothing(
        tmp_path: Path) -> None:
    whole = _sweep(tmp_path / "whole", workers=2)

    resumed = tmp_path / "resumed"
    # first stopped after its first task: Ctrl-C arrives while the sweep runs
    def stop(done: int, failed: int, total: int) -> None:
        if done >= 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _sweep(resumed, workers=1, progress=stop)
    partial = pd.read_parquet(resumed / TABLE)
    assert len(partial) == 1  # what finished is in the table
    # then a smaller sweep over part of the grid
    _sweep(resumed, ["links[*].length=10km..30km:2", "seed=1"], workers=1)
    finished = {p: p.stat().st_mtime_ns for p in (resumed / TASKS_DIR).glob("*.json")}
    assert 2 <= len(finished) <= 3

    calls: list[tuple[int, int, int]] = []
    table = _sweep(resumed, workers=2, progress=lambda *c: calls.append(c))
    assert calls[0] == (len(finished), 0, 4)  # finished tasks are counted, not rerun
    assert len(calls) == 1 + 4 - len(finished)
    for path, mtime in finished.items():
        assert path.stat().st_mtime_ns == mtime
    pd.testing.assert_frame_equal(table, whole)
    pd.testing.assert_frame_equal(pd.read_parquet(resumed / TABLE),
                                  pd.read_parquet(tmp_path / "whole" / TABLE))


def test_dask_gives_the_same_rows_as_local_processes(tmp_path: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    local = _sweep(tmp_path / "local", workers=2)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        on_dask = _sweep(tmp_path / "dask", dask=cluster.scheduler_address)
    pd.testing.assert_frame_equal(on_dask, local)


def _fails_for_seed_2(data: Mapping[str, Any]) -> dict[str, Any]:
    if data["seed"] == 2:
        raise RuntimeError("detector on fire")
    return run_task(data)


run_task = sweep_execute.run_task


def test_failures_are_recorded_counted_and_run_again(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sweep_execute, "run_task", _fails_for_seed_2)
    calls: list[tuple[int, int, int]] = []
    table = _sweep(tmp_path, workers=1, progress=lambda *c: calls.append(c))
    assert calls[-1] == (4, 2, 4)
    failed = table[table["status"] == "failed"]
    assert failed["seed"].tolist() == [2, 2]
    assert (failed["error"] == "RuntimeError: detector on fire").all()
    assert failed["demands[0].rate_hz"].isna().all()
    record = json.loads(next((tmp_path / TASKS_DIR).glob("*.json")).read_text())
    assert record["status"] in {"ok", "failed"}
    # a rerun runs the failed tasks again (and only them)
    monkeypatch.setattr(sweep_execute, "run_task", run_task)
    calls.clear()
    table = _sweep(tmp_path, workers=1, progress=lambda *c: calls.append(c))
    assert calls[0] == (2, 0, 4)
    assert (table["status"] == "ok").all()


def test_the_command_line_writes_the_same_table(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    args = ["sweep", "metro-link", "--duration", DURATION, "--out", str(tmp_path / "cli"),
            "--workers", "2"]
    for text in SETS:
        args += ["--set", text]
    assert main(args) == 0
    assert "4 runs, 0 failed" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "cli" / TABLE),
                                  _sweep(tmp_path / "api", workers=2))
    assert main(args) == 0  # again: every task comes from the first run
    assert "4 runs (4 from an earlier run), 0 failed" in capsys.readouterr().err
    assert main(["sweep", "metro-link", "--set", "linkz[0].length=1km", "--out",
                 str(tmp_path / "bad")]) == 2
    assert "--set 'linkz[0].length=1km'" in capsys.readouterr().err


_BATCHES: list[int] = []  # sizes of the batches run (the Dask workers below are threads)
run_batch = sweep_execute.run_batch


def _counted_batch(items: Any, *args: Any) -> Any:
    _BATCHES.append(len(items))
    return run_batch(items, *args)


def test_on_dask_short_runs_share_tasks_and_a_failure_stays_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    distributed = pytest.importorskip("dask.distributed")
    monkeypatch.setattr(sweep_execute, "run_task", _fails_for_seed_2)
    sets = ["links[*].length=10km..30km:3", "seed=1..4"]
    submitted = _BATCHES
    submitted.clear()
    monkeypatch.setattr(sweep_execute, "run_batch", _counted_batch)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        table = run_sweep("metro-link", sets, out=tmp_path, duration="5 ms",
                          dask=cluster.scheduler_address)
    assert sum(submitted) == 12
    assert submitted[0] == 1  # until a run's time is known
    assert max(submitted) > 1  # then runs of a few ms share a task
    assert table["seed"].tolist() == [1, 2, 3, 4] * 3
    failed = table[table["status"] == "failed"]
    assert failed["seed"].tolist() == [2, 2, 2]
    assert (failed["error"] == "RuntimeError: detector on fire").all()
    assert (table.loc[table["seed"] != 2, "status"] == "ok").all()


def _where(data: Mapping[str, Any]) -> dict[str, Any]:
    """A stand-in run that says which process ran it."""
    return {"pid": os.getpid(), "parent": os.getppid(), "seed": data["seed"]}


def test_a_worker_that_may_start_processes_runs_points_in_its_own(tmp_path: Path) -> None:
    # a worker shares its interpreter with its event loop and messages; one that may
    # start processes (not daemonic) hands the points to a process of its own
    distributed = pytest.importorskip("dask.distributed")
    dask = pytest.importorskip("dask")
    with dask.config.set({"distributed.worker.daemon": False}), distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True,
            dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            (worker_pid,) = client.run(os.getpid).values()
        with sweep_execute.Runner(dask=cluster.scheduler_address, run=_where) as runner:
            outcomes = list(runner.map([("a", {"seed": 1}), ("b", {"seed": 2})]))
    assert sorted(name for name, _, _ in outcomes) == ["a", "b"]
    assert all(error is None for _, _, error in outcomes)
    documents = [document for _, document, _ in outcomes if document is not None]
    assert {d["parent"] for d in documents} == {worker_pid}
    assert len({d["pid"] for d in documents}) == 1  # one process per worker thread
    assert documents[0]["pid"] not in {worker_pid, os.getpid()}


def test_a_sweep_pauses_the_workers_profiler_while_it_is_connected() -> None:
    # the profiler samples every thread's stack each 10 ms on the worker's event loop;
    # a sweep pauses it and the last sweep to leave starts it again
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        (worker,) = cluster.workers.values()
        profiler = worker.periodic_callbacks["profile"]
        assert profiler.is_running()
        with sweep_execute.Runner(dask=cluster.scheduler_address):
            assert not profiler.is_running()
            with sweep_execute.Runner(dask=cluster.scheduler_address):
                assert not profiler.is_running()
            assert not profiler.is_running()  # the first sweep is still connected
        assert profiler.is_running()


def test_only_a_run_sent_by_name_goes_to_the_workers_own_process() -> None:
    # a spawned process imports what it runs: a module's function, not a closure
    assert sweep_execute._by_name(None)
    assert sweep_execute._by_name(sweep_execute.run_task)
    assert sweep_execute._by_name(_where)
    assert not sweep_execute._by_name(lambda data: dict(data))


def test_a_sweep_worker_decodes_on_one_thread_unless_told_otherwise(monkeypatch):
    import os

    from qinet.qkd.postprocessing import THREADS_ENV
    from qinet.sweep.execute import _one_thread

    monkeypatch.delenv(THREADS_ENV, raising=False)
    _one_thread()
    assert os.environ[THREADS_ENV] == "1"
    monkeypatch.setenv(THREADS_ENV, "4")  # the user's own setting stands
    _one_thread()
    assert os.environ[THREADS_ENV] == "4"
