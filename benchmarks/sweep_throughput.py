"""Sweep throughput: runs per second on local processes, and the Dask backend's per-task
overhead against local processes.

Case 1: a grid of small runs of the metro-link preset (``--runs`` points: link lengths
10 to 50 km times seeds, ``--duration`` of simulated time each) swept into a fresh
folder with 1 and with 2 local worker processes; reports runs per wall second, the time
to resolve and validate the grid (done once per sweep, in the calling process) included.

Case 2: ``--long`` runs of about 1 s of wall time each (metro-link with its duration
calibrated so that one in-process run takes ``--task-s``), swept with one local worker
process and then on a ``dask.distributed.LocalCluster`` of one worker process with one
thread (warmed by one untimed short task, since a fresh worker first imports qinet);
the per-task overhead of a backend is (wall time of the sweep - the in-process
time of the same runs) / runs, and the difference of the two is the Dask backend's cost.

    python benchmarks/sweep_throughput.py [--runs 200] [--duration "5 ms"] [--long 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qinet.sweep import resolve, run_sweep, run_task


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


def _in_process_s(sets: list[str], duration: str) -> float:
    started = time.perf_counter()
    for point in resolve("metro-link", sets, duration=duration):
        run_task(point.data)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--duration", default="5 ms")
    parser.add_argument("--long", type=int, default=5, help="runs of the overhead case")
    parser.add_argument("--task-s", type=float, default=1.0,
                        help="wall time of one run in the overhead case")
    args = parser.parse_args()

    sets = _grid(args.runs)
    print(f"case 1: metro-link, {args.duration} simulated per run")
    for workers in (1, 2):
        wall_s, runs = _timed_sweep(sets, args.duration, workers=workers)
        print(f"  {workers} worker(s): {runs} runs in {wall_s:.2f} s = "
              f"{runs / wall_s:.1f} runs/s")

    # calibrate: the wall time of 1 s simulated, in process
    probe = ["seed=1"]
    run_task(resolve("metro-link", probe, duration="1 s")[0].data)  # warm-up
    per_sim_s = _in_process_s(probe, "10 s") / 10.0
    duration = f"{args.task_s / per_sim_s:.3g} s"
    long_sets = [f"seed=1..{args.long}"]
    compute_s = _in_process_s(long_sets, duration)
    print(f"case 2: {args.long} runs of metro-link, {duration} simulated each, "
          f"{compute_s / args.long:.2f} s a run in process")
    local_s, _ = _timed_sweep(long_sets, duration, workers=1)
    print(f"  local, 1 process: {local_s:.2f} s, overhead "
          f"{(local_s - compute_s) / args.long * 1e3:+.0f} ms/task")
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        cold_s, _ = _timed_sweep(["seed=1001"], "10 ms", dask=cluster.scheduler_address)
        dask_s, _ = _timed_sweep(long_sets, duration, dask=cluster.scheduler_address)
    print(f"  dask, first task on a fresh worker (imports qinet): {cold_s:.2f} s")
    print(f"  dask, 1 worker process: {dask_s:.2f} s, overhead "
          f"{(dask_s - compute_s) / args.long * 1e3:+.0f} ms/task")
    print(f"  dask backend against local processes: "
          f"{(dask_s - local_s) / args.long * 1e3:+.0f} ms/task")


if __name__ == "__main__":
    main()
