"""The Python face of qinet: a scenario in, a :class:`~qinet.analysis.metrics.RunResult` out.

:func:`simulate` takes a scenario in any form a user holds one (a preset name, a file, YAML
text, a dict, a :class:`~qinet.scenario.schema.Scenario`) and the few top-level choices
worth changing per run as typed keyword options.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from qinet.analysis.api import run_scenario
from qinet.analysis.metrics import RunResult
from qinet.errors import ConfigError
from qinet.scenario import Scenario, load_scenario, scenario_path

if TYPE_CHECKING:
    from qinet.analysis.sweep_plots import PlotData
    from qinet.sweep.optimize import Evaluate, OptimizeResult, Template

Source = Scenario | Mapping[str, Any] | str | os.PathLike[str]
Mode = Literal["fast-forward", "detailed"]
Backend = Literal["bell-diagonal", "density-matrix"]


def simulate(
    source: Source,
    *,
    seed: int | None = None,
    duration: str | None = None,
    mode: Mode | None = None,
    backend: Backend | None = None,
    progress: Callable[[float, float], object] | None = None,
) -> RunResult:
    """Run a scenario and summarise it.

    Args:
        source: the scenario: a preset name (``"metro-link"``, see
            :func:`qinet.preset_names`), a path to a YAML file (``str`` or
            :class:`~pathlib.Path`), YAML text (any string with a line break), a mapping
            of fields as the YAML file would hold them, or a loaded :class:`Scenario`.
        seed: root of every random stream (``None``: the scenario's own seed). The same
            scenario and seed give the same numbers, bit for bit.
        duration: simulated time with its unit (``"2 s"``, ``"500 ms"``); ``None``: the
            scenario's own duration.
        mode: ``"fast-forward"`` (sample the successful attempt) or ``"detailed"``
            (every attempt and herald as an event); ``None``: the scenario's own.
        backend: ``"bell-diagonal"`` or ``"density-matrix"``; ``None``: the scenario's.
        progress: called as ``progress(done_s, total_s)`` in simulated seconds while the
            run goes on (after each slice of about 0.1 s of wall time), for progress
            bars.

    Returns:
        The run's metrics; ``result.to_dict()`` is the document ``qinet run --json``
        prints (without the keys that command adds: ``partial``, ``simulated_s``,
        ``requested_duration_s``, ``notes``). ``result.duration_s`` is the simulated
        time actually run: below ``duration`` when every demand had the ``pairs`` it
        asked for before the end.

    Raises:
        ConfigError: the source is of no accepted kind, names neither a file nor a preset,
            cannot be read, or holds an invalid field; or an option is invalid. The
            message names the field and the value.

    Examples:
        >>> import qinet
        >>> result = qinet.simulate("metro-link", seed=3, duration="50 ms")
        >>> result.scenario, result.seed, result.duration_s
        ('metro-link', 3, 0.05)
        >>> result.demands[0].pairs > 0
        True
        >>> qinet.simulate("metro-lnk")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: source: 'metro-lnk' is neither a scenario file nor a preset; ...
    """
    overrides = {"seed": seed, "duration": duration, "mode": mode, "backend": backend}
    return run_scenario(_load(source, overrides), progress=progress)


def _load(source: Source, overrides: dict[str, Any]) -> Scenario:
    changed = {key: value for key, value in overrides.items() if value is not None}
    if isinstance(source, Scenario):
        return load_scenario(source.model_dump(), **changed) if changed else source
    if isinstance(source, Mapping):
        return load_scenario(source, **changed)
    if isinstance(source, os.PathLike):
        return load_scenario(Path(source), **changed)
    if isinstance(source, str):
        if "\n" in source:
            return load_scenario(source, **changed)  # YAML text
        try:
            path = scenario_path(source)
        except ConfigError as exc:
            raise ConfigError("source", exc.reason) from None
        return load_scenario(path, **changed)
    raise ConfigError("source", "expected a preset name, a path, YAML text, a mapping or a "
                                f"Scenario, got {type(source).__name__} {source!r}")


def optimize(
    source: str | os.PathLike[str] | Mapping[str, Any] | Template | None,
    *,
    goals: list[str],
    vary: list[str],
    cost: str = "capital",
    trials: int = 50,
    seed: int = 0,
    out: str | os.PathLike[str] | None = None,
    duration: str | None = None,
    evaluate: Evaluate | None = None,
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> OptimizeResult:
    """Find the cheapest design of a scenario that meets every goal (``qinet optimize``).

    Args:
        source: a preset name, a YAML file or scenario data (``None``: metro-link); or
            a template, a function of the varied values by name returning scenario data
            (for designs whose structure changes, e.g. the number of trusted nodes).
        goals: ``METRIC>=X`` / ``METRIC<=X`` texts on the run's JSON document
            (``"rate_hz>=10"``, ``"demands[1].fidelity_mean>=0.9"``).
        vary: ``PATH=RANGE`` texts with the paths of ``qinet sweep --set``
            (``"nodes[r*].memories=1..50"``, ``"policy.cutoff=1ms..1s"``).
        cost: what to minimise: ``"capital"`` (euros).
        trials: designs to try.
        seed: the sampler's seed (the same seed gives the same trials).
        out: the folder of the task store, shared with sweeps; ``None``: no store.
        duration: simulated time of every run (``"50 ms"``).
        evaluate: scenario data to the run's document (default: simulate it).
        workers: run the trials in batches of this many on as many local processes
            (``None``: one at a time, in this process).
        dask: run the batches on a ``dask.distributed`` scheduler at this address.
        progress: called with (trials done, trials in all).

    Returns:
        The best design, the goal that binds, and every trial
        (``result.table()`` is a pandas DataFrame of them). See
        :mod:`qinet.sweep.optimize` and docs/planning.md.

    Raises:
        ConfigError: a bad goal, range or option, naming it.
        QinetError: optuna is not installed (``pip install 'qinet[planner]'``).
    """
    from qinet.sweep.optimize import optimize as search

    return search(source if source is None or callable(source) or isinstance(source, Mapping)
                  else str(source), goals, vary, cost=cost, trials=trials, seed=seed,
                  out=None if out is None else Path(out), duration=duration,
                  evaluate=evaluate, workers=workers, dask=dask, progress=progress)


def run_sweep(
    source: str | os.PathLike[str] | Mapping[str, Any] | None,
    sets: Sequence[str] = (),
    *,
    out: str | os.PathLike[str],
    zip_sets: Sequence[str] = (),
    duration: str | None = None,
    workers: int | None = None,
    dask: str | None = None,
    progress: Callable[[int, int, int], object] | None = None,
) -> Any:
    """Run a parameter sweep (``qinet sweep``) and return its table as a pandas DataFrame.

    Args:
        source: a preset name, a YAML file or scenario data (``None``: metro-link).
        sets: ``PATH=VALUES`` axes spanning a product (``"links[*].length=10km..90km:5"``,
            ``"seed=1..3"``); see docs/sweeps.md for the grammar.
        out: the results folder: task records, ``results.parquet`` and ``sweep.json``;
            runs finished there by an earlier sweep are not run again.
        zip_sets: axes taken together, index by index, as one axis of the product.
        duration: simulated time of every run (``"50 ms"``).
        workers: local processes (default: one per core).
        dask: the address of a ``dask.distributed`` scheduler to run on instead.
        progress: called with (runs finished, of which failed, runs in all).

    Returns:
        One row per point: ``task``, ``status``, ``error``, each swept path, then every
        metric of the run's JSON document under its path (``demands[0].rate_hz``).

    Raises:
        ConfigError: a bad axis, point or option, naming it.
    """
    from qinet.sweep.execute import run_sweep as sweep

    return sweep(source if source is None or isinstance(source, Mapping) else str(source),
                 sets, out=Path(out), zip_sets=zip_sets, duration=duration, workers=workers,
                 dask=dask, progress=progress)


def plot_sweep(
    results: str | os.PathLike[str],
    *,
    x: str,
    y: str,
    hue: str | None = None,
    out: str | os.PathLike[str] | None = None,
) -> PlotData:
    """The figure of a sweep (``qinet plot``): ``y``'s mean over seeds and standard error
    at each ``x``, per ``hue`` value, and its PLOB bound; saved to ``out`` if given.

    Args:
        results: a sweep's results folder.
        x, y, hue: columns of its table, or their ends (``"links.length"``,
            ``"secret_key_rate_bps"``); see :func:`qinet.analysis.sweep_plots.resolve_column`.
        out: a ``.png``, ``.svg`` or ``.pdf`` file to draw the figure to.

    Returns:
        The numbers drawn: ``data.series`` (one per hue value: ``x``, ``mean``,
        ``stderr``, ``runs``) and ``data.bounds``.

    Raises:
        ConfigError: no such folder or column (the columns are listed), naming it.
    """
    from qinet.analysis.sweep_plots import save_figure, sweep_figure
    from qinet.sweep.figures import sweep_plot_data

    if out is not None and Path(out).suffix.lower() not in (".png", ".svg", ".pdf"):
        raise ConfigError("out", f"use a file name ending in .png, .svg or .pdf, got "
                                 f"{str(out)!r}")
    data = sweep_plot_data(Path(results), x=x, y=y, hue=hue, option="results")
    if out is not None:
        save_figure(sweep_figure(data), Path(out))
    return data
