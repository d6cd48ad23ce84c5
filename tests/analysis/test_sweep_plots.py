"""Sweep figures: the numbers drawn (means, standard errors, the PLOB bound), not pixels."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from qinet.analysis.sweep_plots import plot_data, resolve_column, sweep_figure
from qinet.errors import ConfigError
from qinet.scenario import load_scenario

LENGTHS_KM = (10.0, 50.0, 100.0)
SEEDS = (1, 2, 3)
OFFSETS = (-1.0, 0.0, 1.0)  # per seed: mean 0, sample standard deviation 1
SOURCE_RATE_HZ = 1e9
ATTENUATION_DB_PER_KM = 0.25  # not the 0.2 default, so the scenario's value must be read


def _scenario():
    return load_scenario({
        "name": "pm", "duration": "1 s",
        "hardware": {"ulf": {"kind": "fibre", "attenuation": f"{ATTENUATION_DB_PER_KM} dB/km"}},
        "nodes": [{"name": "alice"}, {"name": "bob"}],
        "links": [{"between": ["alice", "bob"], "length": "50 km", "scheme": "qkd",
                   "fibre": "ulf"}],
        "demands": [{"kind": "qkd", "protocol": "bb84-decoy", "between": ["alice", "bob"],
                     "source_rate": "1 GHz"}]})


def _table(hues=("snspd", "ingaas")):
    """A sweep's table: lengths x detectors x seeds, key rate = base(L, detector) +
    spread(L) x offset(seed), so each point's mean is base and its standard error
    spread / sqrt(3)."""
    rows = []
    for length in LENGTHS_KM:
        for k, hue in enumerate(hues):
            for seed, offset in zip(SEEDS, OFFSETS, strict=True):
                rows.append({
                    "task": f"{length}-{hue}-{seed}", "status": "ok", "error": None,
                    "links[0].length": length, "links[0].detector": hue, "seed": seed,
                    "scenario": "pm",
                    "qkd_links[0].between[0]": "alice", "qkd_links[0].between[1]": "bob",
                    "qkd_links[0].length_km": length,
                    "qkd_links[0].source_rate_hz": SOURCE_RATE_HZ,
                    "qkd_links[0].secret_key_rate_bps": _base(length, k)
                    + _spread(length) * offset})
    return pd.DataFrame(rows)


def _base(length, k):
    return 1e6 * 10 ** (-length / 50) / (1 + k)


def _spread(length):
    return 10.0 + length


PARAMS = ("links[0].length", "links[0].detector", "seed")


def test_one_series_per_hue_with_the_mean_and_standard_error_over_seeds():
    data = plot_data(_table(), x="links.length", y="secret_key_rate_bps", hue="detector",
                     params=PARAMS, scenario=_scenario())
    assert (data.x, data.y, data.hue) == ("links[0].length",
                                          "qkd_links[0].secret_key_rate_bps",
                                          "links[0].detector")
    assert [s.hue for s in data.series] == ["snspd", "ingaas"]
    for k, series in enumerate(data.series):
        assert series.x == LENGTHS_KM
        assert series.runs == (3, 3, 3)
        np.testing.assert_allclose(series.mean, [_base(L, k) for L in LENGTHS_KM],
                                   rtol=1e-12)
        # the sample standard deviation of (-1, 0, 1) is 1
        np.testing.assert_allclose(series.stderr,
                                   [_spread(L) / math.sqrt(3) for L in LENGTHS_KM],
                                   rtol=1e-12)
    assert data.log_y
    assert not data.log_x  # 10 to 100 km is one decade
    assert "standard error" in data.error_bars
    assert (data.runs, data.failed) == (18, 0)


def test_the_plob_bound_is_minus_log2_of_one_minus_eta_at_each_swept_length():
    data = plot_data(_table(), x="links.length", y="secret_key_rate_bps", hue="detector",
                     params=PARAMS, scenario=_scenario())
    (bound,) = data.bounds  # the detector does not change the channel: one bound
    assert bound.label == "PLOB bound (bit/s)"
    assert bound.x == LENGTHS_KM
    eta = [10 ** (-ATTENUATION_DB_PER_KM * L / 10) for L in LENGTHS_KM]
    np.testing.assert_allclose(bound.transmittance, eta, rtol=1e-12)
    # Pirandola et al., Nat. Commun. 8, 15043 (2017), eq. 19, at the source's pulse rate
    np.testing.assert_allclose(bound.value,
                               [-math.log2(1 - e) * SOURCE_RATE_HZ for e in eta], rtol=1e-12)


def test_a_swept_attenuation_is_read_per_run():
    table = _table(hues=("x",))
    table["hardware.ulf.attenuation"] = 0.16
    data = plot_data(table, x="links[0].length", y="qkd_links[0].secret_key_rate_bps",
                     params=PARAMS, scenario=_scenario())
    np.testing.assert_allclose(data.bounds[0].transmittance,
                               [10 ** (-0.016 * L) for L in LENGTHS_KM], rtol=1e-12)


def test_failed_runs_are_left_out_and_counted():
    table = _table(hues=("x",))
    table.loc[0, "status"] = "failed"
    table.loc[0, "qkd_links[0].secret_key_rate_bps"] = None
    data = plot_data(table, x="links.length", y="secret_key_rate_bps", params=PARAMS)
    assert (data.runs, data.failed) == (8, 1)
    assert data.series[0].runs == (2, 3, 3)
    assert data.bounds == ()  # no scenario given: no bound


def test_a_log_x_axis_when_the_swept_values_span_two_decades():
    table = _table(hues=("x",))
    table["links[0].length"] = table["links[0].length"].map({10.0: 1.0, 50.0: 10.0,
                                                             100.0: 100.0})
    data = plot_data(table, x="links.length", y="secret_key_rate_bps", params=PARAMS)
    assert data.log_x


def test_a_metric_that_is_no_rate_gets_a_linear_axis_and_no_bound():
    table = _table(hues=("x",))
    table["qkd_links[0].qber.Z"] = 0.02
    data = plot_data(table, x="links.length", y="qber.Z", params=PARAMS, scenario=_scenario())
    assert not data.log_y
    assert data.bounds == ()


@pytest.mark.parametrize(("option", "kwargs", "words"), [
    ("--x", {"x": "links.width"}, "no column 'links.width'"),
    ("--y", {"y": "fidelity"}, "no column 'fidelity'"),
    ("--hue", {"hue": "colour"}, "no column 'colour'"),
])
def test_a_missing_column_is_named_and_the_columns_listed(option, kwargs, words):
    args = {"x": "links.length", "y": "secret_key_rate_bps", **kwargs}
    with pytest.raises(ConfigError, match=words) as info:
        plot_data(_table(), params=PARAMS, **args)
    assert info.value.field == option
    assert "qkd_links[0].secret_key_rate_bps" in info.value.reason  # the list


def test_ambiguous_names_are_refused_and_derived_figures_yield_to_run_metrics():
    columns = ["demands[0].rate_hz", "links[0].rate_hz", "cost.demands[0].key_rate_bps",
               "demands[1].key_rate_bps"]
    with pytest.raises(ConfigError, match="several columns"):
        resolve_column("rate_hz", columns, "--y")
    assert resolve_column("key_rate_bps", columns, "--y") == "demands[1].key_rate_bps"


def test_another_varied_parameter_must_be_the_hue():
    with pytest.raises(ConfigError, match=r"also varies 'links\[0\]\.detector'") as info:
        plot_data(_table(), x="links.length", y="secret_key_rate_bps", params=PARAMS)
    assert info.value.field == "--hue"


def test_text_on_the_x_axis_is_refused():
    with pytest.raises(ConfigError, match="holds text"):
        plot_data(_table(hues=("x",)), x="detector", y="secret_key_rate_bps")


def test_the_figure_draws_every_series_and_the_bound():
    data = plot_data(_table(), x="links.length", y="secret_key_rate_bps", hue="detector",
                     params=PARAMS, scenario=_scenario())
    ax = sweep_figure(data).axes[0]
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["PLOB bound (bit/s)", "detector = snspd (mean ± s.e.)",
                      "detector = ingaas (mean ± s.e.)"]
    assert ax.get_yscale() == "log"
    assert ax.get_xlabel() == "links[0].length"  # no unit given
    assert data.to_dict()["series"][0]["stderr"][0] == pytest.approx(20 / math.sqrt(3))


def test_qinet_plot_on_a_real_sweep(tmp_path: Path, capsys):
    from qinet.cli.main import main
    from qinet.sweep import run_sweep

    table = run_sweep("metro-link", ["links[*].length=10km,40km", "seed=1..2"],
                      out=tmp_path, duration="30 ms", workers=1)
    figure = tmp_path / "fig.svg"
    assert main(["plot", str(tmp_path), "--x", "links.length", "--y", "demands[0].rate_hz",
                 "--out", str(figure), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert figure.read_text().lstrip().startswith("<?xml")
    assert shown["x_label"] == "links[*].length (km)"
    means = table.groupby("links[*].length")["demands[0].rate_hz"].mean()
    assert shown["series"][0]["mean"] == pytest.approx(means.tolist(), rel=1e-12)
    # the bound from length and attenuation equals the run's own PLOB figure
    direct = table.groupby("links[*].length")["demands[0].bound.direct_ebits_per_s"].mean()
    assert shown["bounds"][0]["value"] == pytest.approx(direct.tolist(), rel=1e-9)

    assert main(["plot", str(tmp_path), "--x", "links.length", "--y", "bogus"]) == 2
    err = capsys.readouterr().err
    assert "--y: no column 'bogus'" in err
    assert "demands[0].rate_hz" in err


def test_a_free_space_link_gets_no_fibre_bound():
    from qinet.scenario import preset_path

    table = _table(hues=("x",))
    for end, name in (("qkd_links[0].between[0]", "micius"),
                      ("qkd_links[0].between[1]", "xinglong")):
        table[end] = name
    data = plot_data(table, x="links.length", y="secret_key_rate_bps", params=PARAMS,
                     scenario=load_scenario(preset_path("micius-downlink")))
    assert data.bounds == ()
