"""Run a sweep: resolve every point, run the unfinished tasks, merge the table.

The same tasks run on either backend: local processes
(:class:`concurrent.futures.ProcessPoolExecutor`, one per core by default) or a running
``dask.distributed`` scheduler. A task gets the scenario data of its point and returns
the run's JSON document; the process that started the sweep writes each task's record
as it finishes (workers need not share its file system). Every task's randomness comes
from its scenario's ``seed``, so a sweep gives the same table whatever the backend,
the number of workers or the order the tasks finish in. On Dask, short runs share a
task, a worker that may start processes runs its points in a process of its own, and
the workers' profiler is paused while the sweep is connected (docs/sweeps.md says why).
"""

from __future__ import annotations

import contextlib
import copy
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qinet.errors import ConfigError
from qinet.qkd.postprocessing import THREADS_ENV
from qinet.scenario.loader import _read, read_scenario
from qinet.scenario.presets import scenario_path
from qinet.sweep.manifest import SweepManifest, write_manifest
from qinet.sweep.spec import Axis, apply, grid, parse_set
from qinet.sweep.store import read_task, task_name, write_table, write_task

Progress = Callable[[int, int, int], object]  # (finished, failed, total), tasks


@dataclass(frozen=True, slots=True)
class Point:
    """One resolved point of a sweep.

    Attributes:
        task: the task's name (see :func:`qinet.sweep.store.task_name`).
        params: each swept path and the value the validated scenario took there.
        data: the scenario data of the point, as a file would give it.
    """

    task: str
    params: dict[str, Any]
    data: dict[str, Any]


def run_task(data: Mapping[str, Any]) -> dict[str, Any]:
    """Run one point's scenario and return its JSON document, as ``qinet run --json``
    builds it: the metrics, ``partial``, ``simulated_s``, ``requested_duration_s`` and
    the ``notes``."""
    from qinet.analysis.api import run_watched

    loaded = read_scenario(data)
    outcome = run_watched(loaded.scenario)
    document = outcome.result.to_dict()
    document.update(partial=outcome.partial, simulated_s=outcome.simulated_s,
                    requested_duration_s=outcome.requested_s,
                    notes=[*loaded.notes, *outcome.notes])
    return document


def base_data(scenario: str | Path | Mapping[str, Any] | None, *,
              duration: str | None = None) -> dict[str, Any]:
    """The scenario data every point of a sweep starts from (``duration`` set in it).

    Raises:
        ConfigError: the scenario names neither a file nor a preset, or cannot be read.
    """
    if isinstance(scenario, Mapping):
        base = copy.deepcopy(dict(scenario))
    else:
        base = _read(scenario if isinstance(scenario, Path) else scenario_path(scenario))
    if duration is not None:
        base["duration"] = duration
    return base


def resolve(scenario: str | Path | Mapping[str, Any] | None, sets: Sequence[str], *,
            zipped: bool = False, zip_sets: Sequence[str] = (),
            duration: str | None = None) -> list[Point]:
    """Every point of a sweep, each validated by the scenario schema.

    Args:
        scenario: a preset name, a YAML file, or scenario data; ``None``: metro-link.
        sets: the ``--set PATH=VALUES`` texts (see :mod:`qinet.sweep.spec`).
        zipped: take the axes together, index by index, rather than their product.
        zip_sets: ``--zip PATH=VALUES`` texts: axes taken together, index by index, as
            one axis of the product of ``sets`` (its slowest).
        duration: the simulated time of every run, e.g. ``"50 ms"``.

    Raises:
        ConfigError: a bad ``--set`` or ``--zip``, or a point the schema refuses, named
            by the option whose field it is and by the field.
    """
    base = base_data(scenario, duration=duration)
    zip_axes = [parse_set(text, option="--zip") for text in zip_sets]
    axes = [*zip_axes, *(parse_set(text) for text in sets)]
    points = []
    for values in grid(axes[len(zip_axes):], zipped=zipped, zip_axes=zip_axes):
        data = copy.deepcopy(base)
        concrete = {axis.path: apply(data, axis, values[axis.path]) for axis in axes}
        try:
            scenario_ = read_scenario(data).scenario
        except ConfigError as exc:
            raise _point_error(exc, axes, concrete, values) from None
        # the schema's numbers (km, s, Hz) for the table; its JSON form names the task
        params = {axis.path: _lookup(scenario_, concrete[axis.path][0], values[axis.path])
                  for axis in axes}
        points.append(Point(task_name(scenario_.model_dump(mode="json")), params, data))
    return points


def _point_error(exc: ConfigError, axes: Sequence[Axis], concrete: Mapping[str, list[str]],
                 values: Mapping[str, Any]) -> ConfigError:
    shown = ", ".join(f"{path}={value!r}" for path, value in values.items())
    for axis in axes:
        if any(exc.field == p or exc.field.startswith((f"{p}.", f"{p}[")) or
               p.startswith((f"{exc.field}.", f"{exc.field}["))
               for p in concrete[axis.path]) and exc.field:
            return ConfigError(axis.where, f"at {shown}: {exc}")
    return ConfigError("--set", f"at {shown}: {exc}")


def _lookup(scenario: Any, path: str, given: Any) -> Any:
    """The value of the validated scenario's field at ``path`` (a number in the schema's
    unit, e.g. km for a length), or ``given`` where the path reaches no plain value."""
    from qinet.sweep.spec import steps

    node = scenario
    for step in steps(path, "--set"):
        indexed = isinstance(node, list | tuple) and isinstance(step, int) and (
            -len(node) <= step < len(node))
        if indexed or (isinstance(node, Mapping) and isinstance(step, str) and step in node):
            node = node[step]
        elif isinstance(step, str) and step in getattr(type(node), "model_fields", ()):
            node = getattr(node, step)
        else:
            return given  # a field the schema keeps elsewhere: report the value written
    if hasattr(node, "value") and isinstance(node.value, str):
        node = node.value  # an enum member: its text
    return node if isinstance(node, str | int | float | bool) or node is None else given


def param_units(point: Point) -> dict[str, str]:
    """The unit each swept path's value is held in (``{"links[*].length": "km"}``), read
    from the schema's field; paths to fields without a unit are left out."""
    from qinet.scenario.schema import Quantity
    from qinet.sweep.spec import steps

    scenario = read_scenario(point.data).scenario
    units = {}
    for path in point.params:
        node: Any = scenario
        field_info = None
        for step in steps(path, "--set"):
            if isinstance(node, list | tuple) and isinstance(step, int | str) and node:
                node = node[step] if isinstance(step, int) else node[0]  # [*], [r*]: any
                field_info = None
            elif isinstance(node, Mapping) and step in node:
                node, field_info = node[step], None
            elif isinstance(step, str) and step in getattr(type(node), "model_fields", {}):
                field_info = type(node).model_fields[step]
                node = getattr(node, step)
            else:
                break
        else:
            unit = next((m.unit for m in getattr(field_info, "metadata", ())
                         if isinstance(m, Quantity)), None)
            if unit is not None:
                units[path] = unit
    return units


def run_sweep(scenario: str | Path | Mapping[str, Any] | None, sets: Sequence[str], *,
              out: str | Path, zipped: bool = False, zip_sets: Sequence[str] = (),
              duration: str | None = None,
              workers: int | None = None, dask: str | None = None,
              progress: Progress | None = None) -> Any:
    """Run a parameter sweep, resumably, and return its table as a pandas DataFrame.

    Tasks already finished in ``out`` (from an earlier, perhaps interrupted, run of any
    sweep holding them) are not run again; each task finished now is recorded at once.
    The table is written to ``out/results.parquet`` (columns in
    :mod:`qinet.sweep.store`); ``pandas.read_parquet(out / "results.parquet")`` reads it.
    The scenario and the axes are written to ``out/sweep.json``
    (:mod:`qinet.sweep.manifest`) before the first task runs.

    Args:
        scenario: a preset name, a YAML file, or scenario data; ``None``: metro-link.
        sets: the ``PATH=VALUES`` axes, e.g. ``["links[*].length=10km..200km:20"]``.
        out: the folder of the task records and the table (made if missing).
        zipped: take the axes together, index by index, rather than their product.
        zip_sets: ``PATH=VALUES`` axes taken together, index by index, as one axis of
            the product of ``sets`` (its slowest), e.g. the lengths of two links.
        duration: the simulated time of every run, e.g. ``"50 ms"``.
        workers: local processes (default: one per core); ignored with ``dask``.
        dask: the address of a running ``dask.distributed`` scheduler
            (``tcp://host:8786``) to run the tasks on instead.
        progress: called with (tasks finished, of which failed, tasks in all) after
            each task.

    Raises:
        ConfigError: a bad ``--set`` or point (see :func:`resolve`), or bad ``workers``.
        QinetError: a record or the table could not be written.

    Examples:
        >>> import tempfile
        >>> from qinet.sweep import run_sweep
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     table = run_sweep("metro-link", ["seed=1..2"], out=tmp,
        ...                       duration="20 ms", workers=1)
        >>> table[["seed", "status"]].values.tolist()
        [[1, 'ok'], [2, 'ok']]
    """
    if workers is not None and workers < 1:
        raise ConfigError("--workers", f"must be at least 1, got {workers}")
    folder = Path(out)
    points = resolve(scenario, sets, zipped=zipped, zip_sets=zip_sets, duration=duration)
    records: dict[str, dict[str, Any]] = {}
    pending: dict[str, Point] = {}
    for point in points:
        record = read_task(folder, point.task)
        if record is not None and record.get("status") == "ok":
            records[point.task] = record
        else:
            pending.setdefault(point.task, point)
    total = len(records) + len(pending)
    failed = 0
    if progress is not None:
        progress(len(records), failed, total)
    folder.mkdir(parents=True, exist_ok=True)
    write_manifest(folder, SweepManifest(
        scenario=None if isinstance(scenario, Mapping) else str(scenario or "metro-link"),
        base=base_data(scenario, duration=duration), sets=tuple(sets),
        zip_sets=tuple(zip_sets), zipped=zipped, duration=duration,
        params=tuple(points[0].params) if points else (),
        units=param_units(points[0]) if points else {}))
    try:
        for name, document, error in _execute(pending, workers=workers, dask=dask):
            point = pending[name]
            record = {"task": name, "status": "ok" if error is None else "failed",
                      "error": error, "params": point.params, "document": document}
            write_task(folder, name, record)
            records[name] = record
            failed += error is not None
            if progress is not None:
                progress(len(records), failed, total)
    except BaseException:
        # the table holds what finished, also when the sweep is stopped
        write_table(folder, [_with_params(records[p.task], p) for p in points
                             if p.task in records])
        raise
    return write_table(folder, [_with_params(records[p.task], p) for p in points])


def _with_params(record: Mapping[str, Any], point: Point) -> dict[str, Any]:
    # two points can resolve to one task (a value equal to the default): each row
    # keeps its own parameters
    return {**record, "params": point.params}


Outcome = tuple[str, dict[str, Any] | None, str | None]  # task, document, error
Run = Callable[[Mapping[str, Any]], dict[str, Any]]  # scenario data -> run's document


def _execute(pending: Mapping[str, Point], *, workers: int | None,
             dask: str | None) -> Iterable[Outcome]:
    if not pending:
        return
    with Runner(workers=workers, dask=dask, most=len(pending)) as runner:
        yield from runner.map([(name, point.data) for name, point in pending.items()])


class Runner:
    """The executor of a sweep's or a search's runs, open across calls of :meth:`map`:
    local processes (one per core by default) or a ``dask.distributed`` scheduler.

    Args:
        workers: local processes (default: one per core); ignored with ``dask``.
        dask: the address of a running scheduler (``tcp://host:8786``).
        run: turns a point's scenario data into the run's document (default:
            :func:`run_task`); it must be picklable (a module's function) to reach
            other processes.
        most: the most runs one call will hold (no more local processes are started).

    Attributes:
        slots: the runs that take place at once: the local processes, or the worker
            threads of the scheduler's workers when the runner opened.

    Raises:
        ConfigError: bad ``workers``, or no scheduler answers at ``dask``.
    """

    def __init__(self, *, workers: int | None = None, dask: str | None = None,
                 run: Run | None = None, most: int | None = None) -> None:
        if workers is not None and workers < 1:
            raise ConfigError("--workers", f"must be at least 1, got {workers}")
        self.run = run
        self._runs, self._busy_s = 0, 0.0  # runs finished locally and their wall time
        self._pool: ProcessPoolExecutor | None = None
        self._dask: _Dask | None = None
        if dask is not None:
            self._dask = _Dask(dask)
            self.slots = self._dask.threads
        else:
            self.slots = max(1, min(workers or os.cpu_count() or 1, most or 1 << 30))

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the local processes, or leave the scheduler."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._dask is not None:
            self._dask.close()
            self._dask = None

    def map(self, items: Sequence[tuple[str, Mapping[str, Any]]]) -> Iterator[Outcome]:
        """Run each ``(task, scenario data)`` and yield its outcome as it finishes (a
        failed run's error is its outcome, its own)."""
        if not items:
            return
        if self._dask is not None:
            yield from self._dask.map(items, self.run)
            return
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.slots, initializer=_one_thread)
        pool = self._pool
        # a call to a local process costs about a millisecond (pickled, piped, woken,
        # answered): runs of a few ms go several to a call, as on Dask
        queue = list(reversed(items))  # popped from the end: in order
        batches: dict[Future[tuple[list[Outcome], float]], list[str]] = {}

        def submit() -> None:
            while queue and len(batches) < 2 * self.slots:
                size = batch_size(self._busy_s / self._runs if self._runs else None,
                                  len(queue), self.slots, LOCAL_BATCH_S)
                batch = [queue.pop() for _ in range(min(size, len(queue)))]
                batches[pool.submit(run_batch, batch, self.run)] = [n for n, _ in batch]

        submit()
        try:
            while batches:
                finished, _ = wait(batches, return_when=FIRST_COMPLETED)
                for future in finished:
                    names = batches.pop(future)
                    error = future.exception()
                    if error is None:
                        outcomes, elapsed_s = future.result()
                        self._runs += len(outcomes)
                        self._busy_s += elapsed_s
                    else:  # the process died (or the call could not be sent): all failed
                        outcomes = [_failed(name, error) for name in names]
                    submit()
                    yield from outcomes
        finally:
            for future in batches:
                future.cancel()


DASK_BATCH_S = 0.5  # wall time a Dask task aims at: its fixed cost (~5 ms) stays near 1 %
LOCAL_BATCH_S = 0.05  # the same for a call to a local process (~1 ms)
MAX_BATCH = 64  # runs per task at most, however short the runs
ISOLATE = True  # run a Dask worker's points in a process of its own where it may have one
QUIET = True  # pause the workers' statistical profiler while the runs are theirs


def run_batch(items: Sequence[tuple[str, Mapping[str, Any]]], run: Run | None = None,
              isolate_from: int | None = None) -> tuple[list[Outcome], float]:
    """Run several points in one task: each point's outcome (its failure is its own, as
    a task's would be) and the wall time the batch took, in s.

    With ``isolate_from`` (the process id of the client), a Dask worker in another
    process hands the points to a process of its own (:func:`_isolated`), where they
    share the interpreter with nothing: inside the worker they would share it with the
    worker's event loop, its messages and monitors, which take the interpreter lock
    beside the run. A worker that may not start processes (a daemonic one), or a ``run``
    that cannot be sent there by name (a closure), runs them in its thread."""
    started = time.perf_counter()
    if isolate_from is not None and isolate_from != os.getpid() and _by_name(run):
        pool = _isolated()
        if pool is not None:
            elsewhere: list[Outcome] = pool.submit(run_batch, items, run).result()[0]
            return elsewhere, time.perf_counter() - started
    outcomes: list[Outcome] = []
    for name, data in items:
        try:
            outcomes.append((name, (run or run_task)(data), None))
        except Exception as exc:  # recorded as the run's failure, as a lone task's is
            outcomes.append(_failed(name, exc))
    return outcomes, time.perf_counter() - started


def _failed(name: str, error: BaseException | None) -> Outcome:
    """The outcome of a run that failed with ``error``: its message, named by its type."""
    return name, None, f"{type(error).__name__}: {error}"


def _by_name(run: Run | None) -> bool:
    """Whether ``run`` reaches a spawned process: a module's function, sent by name (a
    closure or a function of the client's script reaches the worker by value, and runs
    in its thread)."""
    import pickle

    try:
        pickle.dumps(run)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True


_ISOLATED: list[ProcessPoolExecutor] = []  # this worker process's own pool, once made
_ISOLATED_LOCK = threading.Lock()


def _isolated() -> ProcessPoolExecutor | None:
    """This Dask worker's pool of processes for its runs (one per worker thread, started
    by ``spawn``: forking a process that runs threads can copy a held lock), or ``None``
    where the worker is daemonic, which may start no process (``distributed.worker.daemon:
    false`` in the workers' configuration lets it)."""
    import multiprocessing

    if multiprocessing.current_process().daemon:
        return None
    with _ISOLATED_LOCK:
        if not _ISOLATED:
            threads = 1
            with contextlib.suppress(ImportError, ValueError):
                from distributed import get_worker

                threads = get_worker().state.nthreads
            _ISOLATED.append(ProcessPoolExecutor(
                max_workers=threads, mp_context=multiprocessing.get_context("spawn"),
                initializer=_settle))
        return _ISOLATED[0]


def _settle() -> None:
    """Start of an isolated process: import the simulator, then move every object made
    so far out of the collector's sight (:func:`gc.freeze`): they live as long as the
    process, and the full collections a run sets off need not scan them again. A
    watchdog ends the process once its worker is gone: a worker stopped by its nanny
    does not stop its pool, whose processes would wait for work forever."""
    import gc

    import qinet.analysis.api  # noqa: F401  (the imports a run needs, once)

    _one_thread()
    parent = os.getppid()
    threading.Thread(target=_orphaned, args=(parent,), daemon=True,
                     name="qinet-watchdog").start()
    gc.collect()
    gc.freeze()


def _one_thread() -> None:
    """A worker process's runs decode their keys on one thread: the sweep already runs a
    process per core, and threads on top would only compete for them."""
    os.environ.setdefault(THREADS_ENV, "1")


def _orphaned(parent: int) -> None:
    """End this process when its parent has gone (it is then another's child)."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


def batch_size(run_s: float | None, remaining: int, threads: int,
               target_s: float | None = None) -> int:
    """Runs in the next task: enough to take about ``target_s`` (default
    :data:`DASK_BATCH_S`) at ``run_s`` a run (one while no run has finished), at most
    :data:`MAX_BATCH`, and never so many that the last runs leave threads idle.

    Examples:
        >>> batch_size(None, 1000, 2), batch_size(0.01, 1000, 2), batch_size(2.0, 1000, 2)
        (1, 50, 1)
        >>> batch_size(0.001, 1000, 2), batch_size(0.01, 40, 4), batch_size(0.01, 1000, 2, 0.05)
        (64, 10, 5)
    """
    if run_s is None:
        return 1
    target = DASK_BATCH_S if target_s is None else target_s
    wanted = max(1, min(MAX_BATCH, int(target / max(run_s, 1e-6))))
    return max(1, min(wanted, -(-remaining // max(threads, 1))))


class _Dask:
    """A client of a Dask scheduler, running points several to a task once their run
    time is known: a Dask task costs a few milliseconds of scheduling and transfer, as
    much as a short run, so short runs are batched (:func:`batch_size`); two tasks per
    worker thread are kept in flight so no thread waits for the next."""

    def __init__(self, address: str) -> None:
        import importlib

        # dask.distributed is an optional extra (and its API is untyped): reached by name
        self.distributed = importlib.import_module("dask.distributed")
        try:
            self.client = self.distributed.Client(address, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ConfigError("--dask", f"cannot reach a scheduler at {address!r}: "
                                        f"{exc}") from None
        self.threads = max(1, sum(self.client.nthreads().values()))
        self.runs, self.busy_s = 0, 0.0
        self.quiet = False
        if QUIET:
            # a worker that refuses (an old or locked-down cluster) is left as it is
            with contextlib.suppress(Exception):
                self.client.run(_pause_profiler)
                self.quiet = True

    def close(self) -> None:
        try:
            if self.quiet:
                with contextlib.suppress(Exception):
                    self.client.run(_resume_profiler)
        finally:
            self.client.close()

    def map(self, items: Sequence[tuple[str, Mapping[str, Any]]],
            run: Run | None) -> Iterator[Outcome]:
        queue = list(reversed(items))  # popped from the end: in order
        batches: dict[Any, list[str]] = {}
        done = self.distributed.as_completed()
        isolate_from = os.getpid() if ISOLATE else None

        def submit() -> None:
            while queue and len(batches) < 2 * self.threads:
                size = batch_size(self.busy_s / self.runs if self.runs else None,
                                  len(queue), self.threads)
                batch = [queue.pop() for _ in range(min(size, len(queue)))]
                future = self.client.submit(run_batch, batch, run, isolate_from, pure=False)
                batches[future] = [name for name, _ in batch]
                done.add(future)

        submit()
        try:
            for future in done:
                names = batches.pop(future)
                if future.status == "finished":
                    outcomes, elapsed_s = future.result()
                    self.runs, self.busy_s = self.runs + len(outcomes), self.busy_s + elapsed_s
                else:  # the task itself failed (a lost worker): every run in it did
                    outcomes = [_failed(name, future.exception()) for name in names]
                submit()
                yield from outcomes
        finally:
            for future in batches:
                future.cancel()


_PROFILER = ("profile", "profile-cycle")  # the worker's periodic callbacks that sample


def _pause_profiler(dask_worker: Any) -> None:
    """Pause a worker's statistical profiler (a stack sample of every thread each 10 ms,
    taken on its event loop) while a sweep's client is connected; clients are counted,
    so the last to leave starts it again."""
    paused = getattr(dask_worker, "_qinet_paused", None)
    if paused is None:
        paused = [0, [key for key in _PROFILER if key in dask_worker.periodic_callbacks
                      and dask_worker.periodic_callbacks[key].is_running()]]
        dask_worker._qinet_paused = paused
        for key in paused[1]:
            dask_worker.periodic_callbacks[key].stop()
    paused[0] += 1


def _resume_profiler(dask_worker: Any) -> None:
    paused = getattr(dask_worker, "_qinet_paused", None)
    if paused is None:
        return
    paused[0] -= 1
    if paused[0] <= 0:
        for key in paused[1]:
            dask_worker.periodic_callbacks[key].start()
        del dask_worker._qinet_paused
