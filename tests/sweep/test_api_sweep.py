"""qinet.run_sweep and qinet.plot_sweep: the sweep and its figure from the top-level API."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import qinet
from qinet.errors import ConfigError


def test_the_sweep_functions_are_public_with_keyword_options() -> None:
    assert {"run_sweep", "plot_sweep"} <= set(qinet.__all__)
    for function, positional in ((qinet.run_sweep, {"source", "sets"}),
                                 (qinet.plot_sweep, {"results"})):
        for name, parameter in inspect.signature(function).parameters.items():
            keyword = parameter.kind is inspect.Parameter.KEYWORD_ONLY
            assert keyword == (name not in positional), name


def test_plot_sweep_returns_the_plotted_numbers_and_draws_the_figure(tmp_path: Path) -> None:
    table = qinet.run_sweep("metro-link", ["seed=1..2"], zip_sets=[
        "links[0].length=10km,30km", "links[0].visibility=0.9,0.95"], out=tmp_path,
        duration="30 ms", workers=1)
    assert table[["links[0].length", "links[0].visibility", "seed"]].values.tolist() == [
        [10.0, 0.9, 1], [10.0, 0.9, 2], [30.0, 0.95, 1], [30.0, 0.95, 2]]
    figure = tmp_path / "f.pdf"
    data = qinet.plot_sweep(tmp_path, x="links[0].length", y="demands[0].rate_hz",
                            hue="visibility", out=figure)
    assert figure.read_bytes().startswith(b"%PDF")
    assert [s.hue for s in data.series] == [0.9, 0.95]  # the zipped axis varies with x
    assert [s.x for s in data.series] == [(10.0,), (30.0,)]
    assert data.series[0].mean[0] == pytest.approx(
        table["demands[0].rate_hz"][:2].mean(), rel=1e-12)
    with pytest.raises(ConfigError, match="not a folder") as info:
        qinet.plot_sweep(tmp_path / "nowhere", x="seed", y="demands[0].rate_hz")
    assert info.value.field == "results"
    with pytest.raises(ConfigError) as info:
        qinet.plot_sweep(tmp_path, x="seed", y="demands[0].rate_hz", out=tmp_path / "f.jpg")
    assert info.value.field == "out"


def test_the_command_line_zips_axes_and_records_the_command(tmp_path: Path) -> None:
    from qinet.cli.main import main
    from qinet.sweep import MANIFEST, SweepManifest, load_results

    args = ["sweep", "metro-link", "--zip", "links[0].length=10km,30km", "--zip",
            "links[0].visibility=0.9,0.95", "--set", "seed=1..2", "--duration", "30 ms",
            "--out", str(tmp_path), "--quiet"]
    assert main(args) == 0
    table, manifest = load_results(tmp_path)
    assert isinstance(manifest, SweepManifest)
    assert (tmp_path / MANIFEST).is_file()
    assert manifest.params == ("links[0].length", "links[0].visibility", "seed")
    assert manifest.units == {"links[0].length": "km"}
    assert manifest.base["duration"] == "30 ms"
    # the recorded command is the one that was run
    assert manifest.command == ("qinet sweep metro-link --zip 'links[0].length=10km,30km' "
                                "--zip 'links[0].visibility=0.9,0.95' --set seed=1..2 "
                                "--duration '30 ms'")
    assert table["links[0].length"].tolist() == [10.0, 10.0, 30.0, 30.0]
    assert main(["sweep", "metro-link", "--zip", "seed=1,2", "--zip", "links[0].length=1km",
                 "--out", str(tmp_path / "bad")]) == 2
