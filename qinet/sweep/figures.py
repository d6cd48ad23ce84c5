"""A sweep folder's figure data: its table and manifest read, the plot prepared.

The glue between the results folder (:mod:`qinet.sweep.manifest`) and the figure's
numbers (:func:`qinet.analysis.sweep_plots.plot_data`), shared by ``qinet plot``,
``qinet report`` and :func:`qinet.plot_sweep`.
"""

from __future__ import annotations

from pathlib import Path

from qinet.analysis.sweep_plots import PlotData, plot_data
from qinet.scenario.loader import read_scenario
from qinet.sweep.manifest import load_results, swept_columns


def sweep_plot_data(results: str | Path, *, x: str, y: str, hue: str | None = None,
                    option: str = "RESULTS_DIR") -> PlotData:
    """The :class:`~qinet.analysis.sweep_plots.PlotData` of ``y`` against ``x`` in a sweep
    folder, with the bound taken from the scenario its ``sweep.json`` records (none for
    a folder without one).

    Raises:
        ConfigError: the folder or its table cannot be read (naming ``option``), or a
            column is wrong (naming ``--x``, ``--y`` or ``--hue``).
    """
    table, manifest = load_results(results, option=option)
    scenario = read_scenario(manifest.base).scenario if manifest is not None else None
    return plot_data(table, x=x, y=y, hue=hue, params=swept_columns(table, manifest),
                     units=manifest.units if manifest is not None else None,
                     scenario=scenario)
