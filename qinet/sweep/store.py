"""The task store of a sweep: one JSON file per finished task, and the merged table.

A task is named by the SHA-256 of its resolved scenario as canonical JSON (the validated
scenario, every default filled in, keys sorted) and qinet's version, so the same point
of the same scenario is the same task in every sweep that contains it, and a new qinet
version runs it afresh. Each finished task is written to ``OUT/tasks/<name>.json``,
to a temporary file first and then renamed, so a task file is either whole or absent
however the sweep is stopped. A rerun skips the tasks that have a file with status
``ok``; failed tasks are run again.

The table ``OUT/results.parquet`` has one row per point of the sweep, in grid order:
``task`` (the name), ``status`` (``ok`` or ``failed``), ``error`` (the failure, else
null), each swept parameter under its path (``links[*].length``) holding the value the
validated scenario took there (the schema's units: km, s, Hz), then every number and text
of the run's JSON document (as ``qinet run --json`` prints it) under its path, e.g.
``demands[0].rate_hz`` or ``links[0].heralding_efficiency``; a metric whose path is
also a swept parameter's is prefixed ``result.``.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from qinet import __version__
from qinet.errors import QinetError

TASKS_DIR = "tasks"
TABLE = "results.parquet"


def task_name(resolved: Mapping[str, Any]) -> str:
    """The name of the task that runs the validated scenario ``resolved``
    (``Scenario.model_dump(mode="json")``): a SHA-256 hex digest of it and the version.

    Examples:
        >>> task_name({"seed": 1}) == task_name({"seed": 1})
        True
        >>> task_name({"seed": 1}) == task_name({"seed": 2})
        False
    """
    canonical = json.dumps({"qinet_version": __version__, "scenario": resolved},
                           sort_keys=True, separators=(",", ":"), allow_nan=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def task_path(out: Path, name: str) -> Path:
    """Where the task ``name`` is recorded."""
    return out / TASKS_DIR / f"{name}.json"


def read_task(out: Path, name: str) -> dict[str, Any] | None:
    """The record of a task, or ``None`` when it has none (or an unreadable one)."""
    try:
        record: dict[str, Any] = json.loads(task_path(out, name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record


def write_task(out: Path, name: str, record: Mapping[str, Any]) -> None:
    """Write a task's record atomically: to a temporary file, then renamed into place.

    Raises:
        QinetError: the file could not be written.
    """
    path = task_path(out, name)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(record, allow_nan=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise QinetError(f"--out: cannot write {str(path)!r}: {exc.strerror or exc}") from None


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """The scalars of a JSON document under their paths.

    Examples:
        >>> flatten({"demands": [{"rate_hz": 2.0, "between": ["a", "b"]}], "seed": 7})
        {'demands[0].rate_hz': 2.0, 'demands[0].between[0]': 'a', \
'demands[0].between[1]': 'b', 'seed': 7}
    """
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A task record as one row of the results table (columns in the module docstring)."""
    params: dict[str, Any] = dict(record.get("params", {}))
    out: dict[str, Any] = {"task": record["task"], "status": record["status"],
                           "error": record.get("error")}
    out.update(params)
    for key, value in flatten(record.get("document") or {}).items():
        out[f"result.{key}" if key in out else key] = value
    return out


def write_table(out: Path, records: Sequence[Mapping[str, Any]]) -> Any:
    """Merge task records into ``OUT/results.parquet`` and return the table as a pandas
    DataFrame (rows in the order given).

    A column whose values mix types across rows (a number in one run, text in another)
    is written as text, so that every sweep can be stored.

    Raises:
        QinetError: the table could not be written.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [row(r) for r in records]
    columns: dict[str, Any] = {}
    for name in dict.fromkeys(key for r in rows for key in r):
        values = [r.get(name) for r in rows]
        try:
            columns[name] = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            columns[name] = pa.array([None if v is None else str(v) for v in values],
                                     pa.string())
    table = pa.table(columns)
    path = out / TABLE
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, path)
    except OSError as exc:
        raise QinetError(f"--out: cannot write {str(path)!r}: {exc.strerror or exc}") from None
    return table.to_pandas()
