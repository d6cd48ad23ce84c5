"""What a sweep was: the scenario it started from and its axes, kept beside its table.

``OUT/sweep.json`` records the scenario data every point started from (so a report can
show it and a plot can read the fibre's attenuation from it), the ``--set`` and ``--zip``
axes, the duration and qinet's version. It is written before the first task runs, and
rewritten by every sweep into the same folder, as the table is: both describe the
latest sweep. :func:`load_results` reads the table and the manifest back.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qinet import __version__
from qinet.errors import ConfigError, QinetError

MANIFEST = "sweep.json"


@dataclass(frozen=True, slots=True)
class SweepManifest:
    """A sweep's description (``OUT/sweep.json``).

    Attributes:
        scenario: the scenario as it was given: a preset name, a file path, or
            ``None`` for scenario data given from Python.
        base: the scenario data every point started from (``duration`` set in it).
        sets: the ``--set`` axes, in order.
        zip_sets: the ``--zip`` axes, in order.
        zipped: every ``--set`` axis was zipped (``zipped=True``).
        duration: the ``--duration`` given, or ``None``.
        params: the swept paths: the parameter columns of the table.
        units: the unit each swept column is held in (``{"links[*].length": "km"}``).
        qinet_version: the version that ran the sweep.
    """

    scenario: str | None
    base: dict[str, Any]
    sets: tuple[str, ...]
    zip_sets: tuple[str, ...] = ()
    zipped: bool = False
    duration: str | None = None
    params: tuple[str, ...] = field(default=())
    units: dict[str, str] = field(default_factory=dict)
    qinet_version: str = __version__

    @property
    def command(self) -> str:
        """The ``qinet sweep`` command line that runs this sweep (``SCENARIO.yaml`` in
        place of scenario data given from Python).

        Examples:
            >>> SweepManifest("metro-link", {}, ("seed=1..3",), duration="50 ms").command
            "qinet sweep metro-link --set seed=1..3 --duration '50 ms'"
        """
        words = ["qinet", "sweep", self.scenario or "SCENARIO.yaml"]
        for text in self.zip_sets:
            words += ["--zip", text]
        for text in self.sets:
            words += ["--zip" if self.zipped else "--set", text]
        if self.duration is not None:
            words += ["--duration", self.duration]
        return shlex.join(words)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form written to ``sweep.json``."""
        return {"scenario": self.scenario, "base": self.base, "sets": list(self.sets),
                "zip_sets": list(self.zip_sets), "zipped": self.zipped,
                "duration": self.duration, "params": list(self.params),
                "units": dict(self.units), "qinet_version": self.qinet_version}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SweepManifest:
        """Read the JSON form back (see :meth:`to_dict`)."""
        return cls(scenario=data.get("scenario"), base=dict(data.get("base") or {}),
                   sets=tuple(data.get("sets", ())), zip_sets=tuple(data.get("zip_sets", ())),
                   zipped=bool(data.get("zipped", False)), duration=data.get("duration"),
                   params=tuple(data.get("params", ())), units=dict(data.get("units") or {}),
                   qinet_version=str(data.get("qinet_version", "")))


def write_manifest(out: Path, manifest: SweepManifest) -> None:
    """Write ``OUT/sweep.json`` atomically (a temporary file, then renamed).

    Raises:
        QinetError: the file could not be written.
    """
    path = out / MANIFEST
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        out.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(manifest.to_dict(), indent=1, allow_nan=True) + "\n",
                       encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        raise QinetError(f"--out: cannot write {str(path)!r}: {exc.strerror or exc}") from None


def read_manifest(out: Path) -> SweepManifest | None:
    """The manifest of the sweep in ``out``, or ``None`` when it has none."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return SweepManifest.from_dict(data) if isinstance(data, Mapping) else None


def load_results(out: str | Path, *, option: str = "RESULTS_DIR"
                 ) -> tuple[Any, SweepManifest | None]:
    """The table of a sweep folder as a pandas DataFrame, and its manifest (``None``
    for a folder written before manifests were kept).

    Raises:
        ConfigError: naming ``option``: the folder, or its ``results.parquet``, is missing
            or unreadable.
    """
    import pyarrow.parquet as pq

    from qinet.sweep.store import TABLE

    folder = Path(out)
    if not folder.is_dir():
        raise ConfigError(option, f"{str(folder)!r} is not a folder; give the --out folder "
                                  f"of a qinet sweep")
    try:
        table = pq.read_table(folder / TABLE).to_pandas()
    except (OSError, ValueError) as exc:
        raise ConfigError(option, f"cannot read {str(folder / TABLE)!r}: {exc}") from None
    return table, read_manifest(folder)


def swept_columns(table: Any, manifest: SweepManifest | None) -> tuple[str, ...]:
    """The table's parameter columns: the manifest's, or for a folder without one the
    columns between ``error`` and the run document's first key (``scenario``)."""
    if manifest is not None and manifest.params:
        return tuple(p for p in manifest.params if p in table.columns)
    columns = list(table.columns)
    if "error" in columns and "scenario" in columns:
        return tuple(columns[columns.index("error") + 1:columns.index("scenario")])
    return ()
