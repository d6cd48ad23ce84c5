"""Figures are written without touching matplotlib's global state."""

import dataclasses

import pytest

from qinet.analysis.plots import plot_run


@pytest.mark.parametrize("suffix", [".png", ".svg"])
def test_plot_run_writes_a_file(short_run, tmp_path, suffix):
    path = plot_run(short_run, tmp_path / f"run{suffix}")
    assert path.stat().st_size > 1000


def test_plot_run_leaves_the_backend_alone(short_run, tmp_path):
    import matplotlib

    before = matplotlib.get_backend()
    plot_run(short_run, tmp_path / "run.png")
    assert matplotlib.get_backend() == before


def test_plot_run_without_pairs_or_demands(short_run, tmp_path):
    empty = dataclasses.replace(short_run.demands[0], pairs=0, fidelity_mean=None,
                                fidelity_std=None)
    link = dataclasses.replace(short_run.links[0], successes=0, rate_hz=0.0)
    plot_run(dataclasses.replace(short_run, demands=[empty], links=[link]), tmp_path / "a.png")
    plot_run(dataclasses.replace(short_run, demands=[]), tmp_path / "b.png")
    assert (tmp_path / "a.png").stat().st_size > 1000
    assert (tmp_path / "b.png").stat().st_size > 1000
