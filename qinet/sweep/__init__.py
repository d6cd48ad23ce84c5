"""Parameter sweeps: a grid of scenario points run on local processes or a Dask cluster,
resumable, with the results in one Parquet table.

Import from here: ``from qinet.sweep import run_sweep``. See ``docs/sweeps.md``.
"""

from qinet.sweep.execute import Point, resolve, run_sweep, run_task
from qinet.sweep.manifest import MANIFEST, SweepManifest, load_results
from qinet.sweep.spec import Axis, grid, parse_set
from qinet.sweep.store import TABLE, TASKS_DIR, task_name

__all__ = ["MANIFEST", "TABLE", "TASKS_DIR", "Axis", "Point", "SweepManifest", "grid",
           "load_results", "parse_set", "resolve", "run_sweep", "run_task", "task_name"]
