"""Sweep throughput: runs per second on local processes and on Dask, and where the Dask
backend's per-task overhead goes.

Case 1: a grid of small runs of the metro-link preset (``--runs`` points: link lengths
10 to 50 km times seeds, ``--duration`` of simulated time each) swept into a fresh
folder with 1 and 2 local worker processes, each sent one run a call (as before:
``LOCAL_BATCH_S = 0``) and batched (now), then on a ``dask.distributed.LocalCluster``
of one worker process with one thread, first with one Dask task per run (as the backend
did before batching: ``DASK_BATCH_S = 0``) and then as it does now (short runs batched
into tasks of about ``DASK_BATCH_S``). Runs per wall second, the time to resolve and
validate the grid (done once per sweep, in the calling process) included.

Case 2: ``--long`` runs of about ``--task-s`` each (metro-link with its duration
calibrated by CPU time in process), on one local process and on the Dask worker: as the
backend ran them before (each run in the worker's thread, beside the worker's event loop
and its profiler), with the profiler paused only (``execute.QUIET``), with each run in
a process of the worker's own only (``execute.ISOLATE``), and with both (now). The
overhead per task of a backend is (wall time of the sweep - the in-process time of the
same runs) / runs. It is split into
  - the fixed cost of a Dask task (scheduling, transfer of the point and the result):
    ``--noop`` empty tasks through the same cluster, one after another;
  - the time a run takes inside the worker's thread and inside the worker's own
    process, against in process: each run timed there (wall and CPU time) by a
    wrapper task.
The cluster's worker is not daemonic (``distributed.worker.daemon: false``), so that it
may start the process of its own.

Case 2 is repeated ``--repeat`` times, interleaved, and each backend's fastest sweep kept;
beside the wall time, the CPU time of this process and every process below it (the
pool's, the cluster's) over the sweep, against that of the same runs in process, is
the overhead in CPU time, less sensitive to the load of a shared machine.

    python benchmarks/sweep_throughput.py [--runs 1000] [--duration "5 ms"] [--long 5]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qinet.sweep import execute, resolve, run_sweep, run_task


def _grid(runs: int) -> list[str]:
    lengths = 5
    seeds = max(1, runs // lengths)
    return [f"links[*].length=10km..50km:{lengths}", f"seed=1..{seeds}"]


def _timed_sweep(sets: list[str], duration: str, **kwargs: Any) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        table = run_sweep("metro-link", sets, out=out, duration=duration, **kwargs)
        wall_s = time.perf_counter() - started
    assert (table["status"] == "ok").all()
    return wall_s, len(table)


def _cpu_s() -> float:
    """CPU time, in s, of this process and every process below it (the local pool's,
    the cluster's nanny and worker, the worker's own process), alive or ended: less
    sensitive to a shared machine's load than the wall clock."""
    import psutil  # a dependency of dask.distributed

    me = psutil.Process()
    total = 0.0
    for process in [me, *me.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = process.cpu_times()
            # an ended child's time is in its parent's children_* once it is reaped
            total += t.user + t.system + t.children_user + t.children_system
    return total


def _timed_run(data: Any) -> tuple[float, float]:
    """A run's wall and thread CPU time, in s, wherever it runs."""
    wall, cpu = time.perf_counter(), time.thread_time()
    run_task(data)
    return time.perf_counter() - wall, time.thread_time() - cpu


def _timed_isolated(data: Any) -> tuple[float, float]:
    """A run's wall and CPU time in the Dask worker's own process, in s."""
    pool = execute._isolated()
    assert pool is not None, "the worker may not start processes"
    # functions of this script do not reach the spawned process: qinet's and time's do
    cpu = pool.submit(time.process_time).result()
    wall_s = pool.submit(execute.run_batch, [("run", data)]).result()[1]
    return wall_s, pool.submit(time.process_time).result() - cpu


def _noop(x: int) -> int:
    return x


def _dask_sweep(address: str, sets: list[str], duration: str, *, batch_s: float,
                isolate: bool = True, quiet: bool = True) -> tuple[float, int]:
    saved = execute.DASK_BATCH_S, execute.ISOLATE, execute.QUIET
    execute.DASK_BATCH_S, execute.ISOLATE, execute.QUIET = batch_s, isolate, quiet
    try:
        return _timed_sweep(sets, duration, dask=address)
    finally:
        execute.DASK_BATCH_S, execute.ISOLATE, execute.QUIET = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--duration", default="5 ms")
    parser.add_argument("--long", type=int, default=5, help="runs of the overhead case")
    parser.add_argument("--task-s", type=float, default=1.0,
                        help="wall time of one run in the overhead case")
    parser.add_argument("--noop", type=int, default=200, help="empty Dask tasks timed")
    parser.add_argument("--repeat", type=int, default=3, help="repeats of case 2")
    args = parser.parse_args()
    import dask
    from dask.distributed import Client, LocalCluster

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    sets = _grid(args.runs)
    print(f"case 1: metro-link, {args.duration} simulated per run")
    saved = execute.LOCAL_BATCH_S
    for workers in (1, 2):
        for label, batch_s in (("one call per run (before)", 0.0),
                               ("batched (now)", saved)):
            execute.LOCAL_BATCH_S = batch_s
            try:
                wall_s, runs = _timed_sweep(sets, args.duration, workers=workers)
            finally:
                execute.LOCAL_BATCH_S = saved
            print(f"  local, {workers} process(es), {label}: {runs} runs in {wall_s:.2f} s "
                  f"= {runs / wall_s:.1f} runs/s")
    dask.config.set({"distributed.worker.daemon": False})  # it may start processes
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        address = cluster.scheduler_address
        # a fresh worker (and its own process) first imports qinet: warm both untimed
        _dask_sweep(address, ["seed=1001"], "10 ms", batch_s=0.0, isolate=False)
        _dask_sweep(address, ["seed=1002"], "10 ms", batch_s=0.0)
        for label, batch_s, isolate in (
                ("one task per run, in the worker's thread (before batching)", 0.0, False),
                ("batched, in the worker's thread", execute.DASK_BATCH_S, False),
                ("batched, in the worker's own process (now)", execute.DASK_BATCH_S, True)):
            wall_s, runs = _dask_sweep(address, sets, args.duration, batch_s=batch_s,
                                       isolate=isolate, quiet=isolate)
            print(f"  dask, 1 worker process, {label}: {runs} runs in {wall_s:.2f} s = "
                  f"{runs / wall_s:.1f} runs/s")

        # case 2: calibrate the duration of a run of about task_s, in process
        probe = resolve("metro-link", ["seed=1"], duration="1 s")[0].data
        run_task(probe)  # warm-up
        # by CPU time: on a loaded machine the wall clock would give shorter runs
        per_sim_s = _timed_run(resolve("metro-link", ["seed=1"], duration="10 s")[0].data
                               )[1] / 10.0
        duration = f"{args.task_s / per_sim_s:.3g} s"
        # a run's cost is not proportional to its duration (the network fills up
        # first): once more at the duration found, scaled by what that run took
        took_s = _timed_run(resolve("metro-link", ["seed=1"], duration=duration)[0].data)[1]
        duration = f"{args.task_s / per_sim_s * args.task_s / took_s:.3g} s"
        long_sets = [f"seed=1..{args.long}"]
        points = resolve("metro-link", long_sets, duration=duration)
        # each measure repeated, interleaved, and the fastest kept: on a shared machine
        # the other processes only ever add time
        best: dict[str, float] = {}
        best_cpu: dict[str, float] = {}  # CPU time of every process of the machine's own
        cpu_s = 0.0
        variants: dict[str, Any] = {
            "local": lambda: _timed_sweep(long_sets, duration, workers=1),
            "dask, thread (before)": lambda: _dask_sweep(
                address, long_sets, duration, batch_s=execute.DASK_BATCH_S,
                isolate=False, quiet=False),
            "dask, thread, profiler paused": lambda: _dask_sweep(
                address, long_sets, duration, batch_s=execute.DASK_BATCH_S,
                isolate=False, quiet=True),
            "dask, own process": lambda: _dask_sweep(
                address, long_sets, duration, batch_s=execute.DASK_BATCH_S,
                isolate=True, quiet=False),
            "dask, own process, profiler paused (now)": lambda: _dask_sweep(
                address, long_sets, duration, batch_s=execute.DASK_BATCH_S)}
        for _ in range(args.repeat):
            before = _cpu_s()
            in_process = [_timed_run(p.data) for p in points]
            cpu_s = sum(t[1] for t in in_process)
            measured = {"in process": (sum(t[0] for t in in_process), _cpu_s() - before)}
            for key, sweep in variants.items():
                before = _cpu_s()
                measured[key] = sweep()[0], _cpu_s() - before
            for key, (wall_s, all_cpu_s) in measured.items():
                best[key] = min(best.get(key, wall_s), wall_s)
                best_cpu[key] = min(best_cpu.get(key, all_cpu_s), all_cpu_s)
        compute_s = best["in process"]
        print(f"case 2: {args.long} runs of metro-link, {duration} simulated each; in "
              f"process {compute_s / args.long * 1e3:.0f} ms a run (CPU "
              f"{cpu_s / args.long * 1e3:.0f} ms); fastest of {args.repeat}")

        def cpu_ms(key: str) -> float:
            return (best_cpu[key] - best_cpu["in process"]) / args.long * 1e3

        for key in best:
            if key == "in process":
                continue
            print(f"  {key}, 1 worker process: {best[key]:.2f} s, overhead "
                  f"{(best[key] - compute_s) / args.long * 1e3:+.0f} ms/task"
                  + ("" if key == "local" else
                     f", {(best[key] - best['local']) / args.long * 1e3:+.0f} ms/task "
                     f"against local")
                  + f"; CPU of all processes {cpu_ms(key):+.0f} ms/task")
        with Client(address) as client:
            started = time.perf_counter()
            for i in range(args.noop):
                client.submit(_noop, i, pure=False).result()
            noop_ms = (time.perf_counter() - started) / args.noop * 1e3
            in_worker = {
                "the worker's thread": [client.submit(_timed_run, p.data, pure=False).result()
                                        for p in points],
                "the worker's own process": [
                    client.submit(_timed_isolated, p.data, pure=False).result()
                    for p in points]}
        opened = []
        for _ in range(10):
            started = time.perf_counter()
            with execute.Runner(dask=address):
                pass
            opened.append(time.perf_counter() - started)
        print("  where the dask overhead goes:")
        print(f"    fixed cost of a task (empty task, round trip): {noop_ms:.1f} ms")
        print(f"    fixed cost of a sweep (its client opened and closed, fastest of 10): "
              f"{min(opened) * 1e3:.0f} ms")
        for where, timed in in_worker.items():
            worker_s = sum(t[0] for t in timed)
            print(f"    a run inside {where}: {worker_s / args.long * 1e3:.0f} ms wall, "
                  f"{sum(t[1] for t in timed) / args.long * 1e3:.0f} ms CPU "
                  f"({(worker_s - compute_s) / args.long * 1e3:+.0f} ms/run against in "
                  f"process)")
    print(f"load average {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
