"""``qinet plot``: a figure of a sweep's metric against a swept parameter, with its bound."""

from __future__ import annotations

from pathlib import Path

from qinet.cli._common import json_document, stderr_console
from qinet.errors import ConfigError, QinetError

PLOT_SUFFIXES = (".png", ".svg", ".pdf")


def plot(*, results: Path, x: str, y: str, hue: str | None = None, out: Path | None = None,
         as_json: bool = False) -> Path:
    """Draw the figure the way ``qinet plot`` does; returns the file written.

    Raises:
        ConfigError: a bad folder, column or output name.
        QinetError: the figure could not be written.
    """
    from qinet.analysis.sweep_plots import save_figure, sweep_figure
    from qinet.sweep.figures import sweep_plot_data

    path = out if out is not None else results / "plot.png"
    if path.suffix.lower() not in PLOT_SUFFIXES:
        raise ConfigError("--out", f"use a file name ending in {', '.join(PLOT_SUFFIXES)}, "
                                   f"got {str(path)!r}")
    if not path.parent.is_dir():
        raise ConfigError("--out", f"folder {str(path.parent)!r} does not exist")
    data = sweep_plot_data(results, x=x, y=y, hue=hue)
    try:
        save_figure(sweep_figure(data), path)
    except OSError as exc:
        raise QinetError(f"--out: cannot write {str(path)!r}: {exc.strerror or exc}") from None
    if as_json:
        print(json_document({"figure": str(path), **data.to_dict()}))
    else:
        err = stderr_console()
        if not data.bounds:
            err.print(f"note: no bound drawn for {data.y}", markup=False)
        err.print(f"wrote the figure to {path}", markup=False)
    return path
