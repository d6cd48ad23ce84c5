import json

import pytest

from qinet.cli.main import main


def test_keyrate_json_lists_rates_below_the_plob_bound(capsys):
    assert main(["keyrate", "--json", "--max-distance", "120 km", "--step", "20 km"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["rows"]
    assert [r["distance_km"] for r in rows] == [0, 20, 40, 60, 80, 100, 120]
    for row in rows[1:]:
        assert row["decoy-asymptotic_bits_per_pulse"] < row["plob_bits_per_pulse"]
        assert row["decoy-vacuum-weak_bits_per_pulse"] <= row["decoy-asymptotic_bits_per_pulse"]
        assert row["decoy-asymptotic_bps"] == row["decoy-asymptotic_bits_per_pulse"] * 1e9
    rates = [r["decoy-asymptotic_bits_per_pulse"] for r in rows]
    assert rates == sorted(rates, reverse=True)
    # without decoys, photon-number splitting ends the key far sooner
    assert rows[-1]["bb84-no-decoy_bits_per_pulse"] == 0.0
    assert rows[-1]["decoy-asymptotic_bits_per_pulse"] > 0.0


def test_keyrate_table_and_plot(capsys, tmp_path):
    path = tmp_path / "keyrate.png"
    assert main(["keyrate", "--max-distance", "60 km", "--step", "30 km",
                 "--plot", str(path)]) == 0
    out = capsys.readouterr().out
    assert "bit/s" in out
    assert "60 km" in out
    assert path.stat().st_size > 1000


@pytest.mark.parametrize(("option", "value"), [
    ("--step", "-5 km"), ("--step", "0 km"), ("--max-distance", "-5 km"),
    ("--max-distance", "inf km"),
])
def test_keyrate_bad_distance_names_its_option(capsys, option, value):
    assert main(["keyrate", option, value]) == 2
    err = capsys.readouterr().err
    assert f"{option}:" in err
    assert repr(value) in err
    assert ("--step" if option == "--max-distance" else "--max-distance") not in err


def test_twin_field_beats_the_plob_bound_far_away_and_decoy_bb84_does_not(capsys):
    # Twin-field rates scale as sqrt(eta) (Lucamarini et al., Nature 557, 400 (2018)), so
    # with good detectors they cross the repeaterless bound; point-to-point BB84 cannot.
    assert main(["keyrate", "--json", "--max-distance", "500 km", "--step", "50 km",
                 "--protocols", "decoy-asymptotic,mdi,tf", "--detector-efficiency", "0.3",
                 "--dark-count-probability", "1e-8"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert "bb84-no-decoy_bits_per_pulse" not in rows[0]
    far = rows[-1]
    assert far["tf_bits_per_pulse"] > far["plob_bits_per_pulse"]
    assert all(r["decoy-asymptotic_bits_per_pulse"] < r["plob_bits_per_pulse"] for r in rows[1:])
    assert all(r["mdi_bits_per_pulse"] < r["plob_bits_per_pulse"] for r in rows[1:])
    near = rows[1]
    assert near["tf_bits_per_pulse"] < near["plob_bits_per_pulse"]


def test_keyrate_unknown_protocol_names_the_option(capsys):
    assert main(["keyrate", "--protocols", "decoy-asymptotic,e91"]) == 2
    assert "--protocols: unknown 'e91'; use decoy-asymptotic" in capsys.readouterr().err


@pytest.mark.parametrize(("option", "value"), [
    ("--detector-efficiency", "nan"), ("--detector-efficiency", "1.5"),
    ("--detector-efficiency", "0"), ("--dark-count-probability", "-0.1"),
    ("--misalignment", "0.6"), ("--mu", "0"), ("--nu", "1.5"), ("--f-ec", "0.9"),
    ("--protocols", ""), ("--protocols", " , "),
])
def test_keyrate_refuses_a_bad_number_naming_its_option(capsys, option, value):
    assert main(["keyrate", option, value, "--json"]) == 2
    err = capsys.readouterr().err
    assert f"{option}:" in err
    assert "transmittance" not in err  # no internal name


def test_a_weak_decoy_above_the_given_signal_is_refused(capsys):
    assert main(["keyrate", "--mu", "0.3", "--nu", "0.4", "--json"]) == 2
    assert "--nu: must lie in (0, 0.3)" in capsys.readouterr().err


def test_without_mu_the_curves_use_the_best_intensities_at_each_distance():
    import numpy as np
    from scipy.optimize import minimize_scalar

    from qinet.analysis.keyrate import key_rate_curve
    from qinet.physical.fibre import fibre_transmittance
    from qinet.qkd.bounds import decoy_bb84_key_rate_asymptotic

    distance = np.arange(0.0, 181.0, 20.0)
    best = key_rate_curve(distance, protocols=("decoy-asymptotic", "decoy-vacuum-weak"))
    fixed = key_rate_curve(distance, mu=0.5, nu=0.1,
                           protocols=("decoy-asymptotic", "decoy-vacuum-weak"))
    for name in ("decoy-asymptotic", "decoy-vacuum-weak"):
        assert np.all(best.rates[name] >= fixed.rates[name])
        assert np.any(best.rates[name] > 1.05 * fixed.rates[name])
    # the grid's optimum is within 1 % of a continuous maximisation over mu
    eta = fibre_transmittance(distance, 0.2) * 0.1
    for k, value in enumerate(eta):
        found = minimize_scalar(
            lambda m, v=value: -float(decoy_bb84_key_rate_asymptotic(
                v, mu=m, y0=1e-6, e_d=0.01, f_ec=1.16)),
            bounds=(1e-3, 1.0), method="bounded", options={"xatol": 1e-5})
        assert best.rates["decoy-asymptotic"][k] == pytest.approx(-found.fun, rel=0.01)


def test_the_longest_distance_with_key_is_reported(capsys):
    import json

    assert main(["keyrate", "--max-distance", "300 km", "--step", "10 km", "--json",
                 "--protocols", "decoy-asymptotic,bb84-no-decoy"]) == 0
    doc = json.loads(capsys.readouterr().out)
    for name, longest in doc["max_distance_km"].items():
        rates = {row["distance_km"]: row[f"{name}_bps"] for row in doc["rows"]}
        assert rates[longest] > 0
        assert all(rate <= 0 for d, rate in rates.items() if d > longest)
    # decoy states reach much farther than BB84 with bright pulses and no decoys
    assert doc["max_distance_km"]["decoy-asymptotic"] > 2 * doc["max_distance_km"][
        "bb84-no-decoy"]
    assert main(["keyrate", "--max-distance", "300 km", "--step", "10 km",
                 "--protocols", "decoy-asymptotic"]) == 0
    longest = doc["max_distance_km"]["decoy-asymptotic"]
    assert (f"decoy-asymptotic: key up to {longest:g} km (none at {longest + 10:g} km)"
            in capsys.readouterr().out)


def test_the_default_protocol_list_is_every_curve():
    from qinet.analysis.keyrate import PROTOCOLS
    from qinet.cli.main import _KEYRATE_PROTOCOLS

    assert tuple(_KEYRATE_PROTOCOLS.split(",")) == PROTOCOLS


def test_keyrate_json_is_strict_and_an_unbounded_plob_is_null(capsys):
    def refuse(constant):
        raise ValueError(f"non-standard JSON constant {constant}")

    assert main(["keyrate", "--json", "--max-distance", "20 km", "--step", "10 km"]) == 0
    doc = json.loads(capsys.readouterr().out, parse_constant=refuse)
    first = doc["rows"][0]
    assert first["distance_km"] == 0
    assert first["plob_bits_per_pulse"] is None  # -log2(1 - 1) is infinite at 0 km
    assert first["plob_bps"] is None
    assert doc["rows"][1]["plob_bits_per_pulse"] > 0


def test_keyrate_options_are_named_in_errors(capsys):
    assert main(["keyrate", "--pulse-rate", "1 ghz"]) == 2
    assert '--pulse-rate: unknown unit "ghz"' in capsys.readouterr().err
    assert main(["keyrate", "--attenuation", "0.2"]) == 2
    assert "--attenuation: an attenuation needs a unit" in capsys.readouterr().err
    assert main(["keyrate", "--step", "1 um"]) == 2
    assert "more than 100,000 distances" in capsys.readouterr().err


def test_the_record_protocols_are_drawn_when_named(capsys):
    assert main(["keyrate", "--json", "--max-distance", "500 km", "--step", "100 km",
                 "--protocols", "one-decoy,sns,sns-aopp,four-phase",
                 "--detector-efficiency", "0.3", "--dark-count-probability", "1e-9"]) == 0
    doc = json.loads(capsys.readouterr().out)
    rows = doc["rows"]
    assert "tf_bits_per_pulse" not in rows[0]
    for row in rows[1:]:
        # odd-parity pairing only removes errors: it never loses to plain SNS
        assert row["sns-aopp_bits_per_pulse"] >= row["sns_bits_per_pulse"]
        # one-way BB84 stays below the repeaterless bound
        assert row["one-decoy_bits_per_pulse"] < row["plob_bits_per_pulse"]
    far = rows[4]  # 400 km: every twin-field curve above the bound, BB84 ended
    for name in ("sns", "sns-aopp", "four-phase"):
        assert far[f"{name}_bits_per_pulse"] > far["plob_bits_per_pulse"]
    assert far["one-decoy_bits_per_pulse"] == 0.0
    assert doc["max_distance_km"]["sns-aopp"] >= doc["max_distance_km"]["sns"]


def test_a_record_curve_is_its_closed_form_at_the_best_grid_point():
    import numpy as np

    from qinet.analysis.keyrate import key_rate_curve
    from qinet.physical.fibre import fibre_transmittance
    from qinet.qkd.four_phase_tf_bounds import four_phase_key_rate_asymptotic

    curve = key_rate_curve(np.array([300.0]), detector_efficiency=0.3,
                           dark_count_probability=1e-9, protocols=("four-phase",))
    arm = fibre_transmittance(150.0, 0.2) * 0.3
    grid = np.geomspace(1e-3, 0.5, 40)
    best = max(float(four_phase_key_rate_asymptotic(arm, arm, mu=m, dark_count_probability=1e-9,
                                                    misalignment=0.01)) for m in grid)
    assert curve.rates["four-phase"][0] == best
