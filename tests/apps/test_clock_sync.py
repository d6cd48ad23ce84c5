"""Clock synchronisation on GHZ states: closed forms, sampled precision, time transfer.

Tolerances as in test_sensing.py: 5 standard errors of a sample standard deviation
(relative ``1/sqrt(2(M-1))``) or of a ratio of two (``1/sqrt(M-1)``), M trials.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from qinet.apps import clock_sync
from qinet.errors import ConfigError
from qinet.network.topology import LinkInfo, build_graph
from qinet.physical.fibre import fibre_delay_s
from qinet.physical.timing import Clock
from qinet.quantum.states import werner_weights
from qinet.units import s_to_ps

TRIALS = 4000
STD_REL_TOL = 5.0 / math.sqrt(2 * (TRIALS - 1))
RATIO_REL_TOL = 5.0 / math.sqrt(TRIALS - 1)
# 87Sr lattice-clock transition to the hertz; measured e.g. as 429 228 004 229 873.082(76) Hz
# (NICT, Metrologia 2020) and 429 228 004 229 872.9(5) Hz (PTB)
SR_CLOCK_HZ = 429_228_004_229_873.0
CS_CLOCK_HZ = 9_192_631_770.0         # the caesium frequency defining the SI second


@pytest.mark.parametrize("n", [2, 4, 8, 16])
def test_precision_versus_number_of_clocks(n):
    rounds = 1000
    offsets = 1e-19 * np.arange(n)
    report = clock_sync.synchronise_clocks(
        offsets_s=offsets, qubit_frequency_hz=SR_CLOCK_HZ, pair_weights=None, rounds=rounds,
        trials=TRIALS, rng=np.random.default_rng(n), message_latency_s=0.0)
    omega = 2 * math.pi * SR_CLOCK_HZ
    assert report.ghz_cramer_rao_std_s == pytest.approx(1 / (omega * n * math.sqrt(rounds)))
    assert report.independent_cramer_rao_std_s == pytest.approx(
        1 / (omega * math.sqrt(n * rounds)))
    assert report.ghz_time_offset_std_s == pytest.approx(report.ghz_cramer_rao_std_s,
                                                         rel=STD_REL_TOL)
    assert report.independent_time_offset_std_s == pytest.approx(
        report.independent_cramer_rao_std_s, rel=STD_REL_TOL)
    assert report.gain_over_independent == pytest.approx(math.sqrt(n), rel=RATIO_REL_TOL)
    assert abs(report.ghz_mean_offset_estimate_s - offsets.mean()) < (
        5 * report.ghz_time_offset_std_s / math.sqrt(TRIALS))


@pytest.mark.parametrize("fidelity", [1.0, 0.97, None, 0.8])
def test_precision_versus_pair_fidelity(fidelity):
    n = 4
    f_star = clock_sync.crossover_pair_fidelity(n)
    f = f_star if fidelity is None else fidelity
    report = clock_sync.synchronise_clocks(
        offsets_s=[0.0] * n, qubit_frequency_hz=SR_CLOCK_HZ, pair_weights=werner_weights(f),
        rounds=2000, trials=TRIALS, rng=np.random.default_rng(31), message_latency_s=0.0)
    predicted = math.sqrt(n) * ((4 * f - 1) / 3) ** (n - 1)
    assert report.predicted_gain_over_independent == pytest.approx(predicted)
    assert report.gain_over_independent == pytest.approx(predicted, rel=RATIO_REL_TOL)
    if fidelity is None:
        assert report.gain_over_independent == pytest.approx(1.0, rel=RATIO_REL_TOL)
    if fidelity == 0.8:  # below F* = 0.845 for four clocks: entanglement loses
        assert report.gain_over_independent < 1 - RATIO_REL_TOL


def test_crossover_fidelity_closed_form():
    for n in (2, 3, 5, 10):
        f = clock_sync.crossover_pair_fidelity(n)
        assert math.sqrt(n) * ((4 * f - 1) / 3) ** (n - 1) == pytest.approx(1.0)
    with pytest.raises(ConfigError, match="clocks"):
        clock_sync.crossover_pair_fidelity(1)


def test_dephasing_shrinks_the_gain():
    n, t2, t = 4, 1.0, 0.1
    report = clock_sync.synchronise_clocks(
        offsets_s=[0.0] * n, qubit_frequency_hz=SR_CLOCK_HZ, pair_weights=None, rounds=2000,
        trials=TRIALS, rng=np.random.default_rng(8), message_latency_s=1e-3, t2_s=t2,
        interrogation_time_s=t)
    predicted = math.sqrt(n) * math.exp(-(n - 1) * t / t2)
    assert report.gain_over_independent == pytest.approx(predicted, rel=RATIO_REL_TOL)
    assert report.ghz_contrast == pytest.approx(math.exp(-n * t / t2))
    assert report.time_to_estimate_s == pytest.approx(2000 * t + 1e-3)
    slow = clock_sync.synchronise_clocks(
        offsets_s=[0.0] * n, qubit_frequency_hz=SR_CLOCK_HZ, pair_weights=None, rounds=2000,
        trials=10, rng=np.random.default_rng(8), message_latency_s=1e-3, t2_s=t2,
        interrogation_time_s=t, ghz_rate_hz=2.0)
    # the rounds wait for the network's GHZ states (0.5 s apart); independent ones do not
    assert slow.time_to_estimate_s == pytest.approx(2000 * 0.5 + 1e-3)
    assert slow.independent_time_to_estimate_s == pytest.approx(2000 * t + 1e-3)


def test_two_way_time_transfer_symmetric_and_asymmetric():
    d, hold = float(fibre_delay_s(50.0)), 1e-3
    clock = Clock(offset_s=2.5e-6, drift_ppm=0.5)
    exact = clock_sync.two_way_time_transfer(remote_clock=clock, delay_out_s=d, delay_back_s=d,
                                             hold_s=hold)
    assert exact.offset_error_s == pytest.approx(0.0, abs=1e-15)
    # a drifting clock is read at the mean of its two stamps, d + hold/2 after the start
    assert exact.offset_estimate_s == pytest.approx(2.5e-6 + 0.5e-6 * (d + hold / 2), abs=1e-15)
    assert exact.round_trip_s == pytest.approx(2 * d, abs=1e-12)
    assert exact.message_latency_s == pytest.approx(d, abs=1e-12)
    skew = clock_sync.two_way_time_transfer(remote_clock=clock, delay_out_s=d + 40e-12,
                                            delay_back_s=d)
    assert skew.offset_error_s == pytest.approx(20e-12, abs=1e-15)  # half the asymmetry


def test_two_way_time_transfer_jitter():
    exchanges = 2000
    tol = 5.0 / math.sqrt(2 * (exchanges - 1))
    clock = Clock(offset_s=-4e-9, jitter_rms_s=30e-12)
    tt = clock_sync.two_way_time_transfer(
        remote_clock=clock, delay_out_s=1e-4, delay_back_s=1e-4, exchanges=exchanges,
        hub_jitter_rms_s=20e-12, rng=np.random.default_rng(4))
    assert tt.predicted_offset_spread_s == pytest.approx(math.sqrt((30e-12**2 + 20e-12**2) / 2))
    assert tt.offset_spread_s == pytest.approx(tt.predicted_offset_spread_s, rel=tol)
    assert abs(tt.offset_error_s) < 5 * tt.predicted_offset_spread_s / math.sqrt(exchanges)
    with pytest.raises(ConfigError) as err:
        clock_sync.two_way_time_transfer(remote_clock=clock, delay_out_s=0.0, delay_back_s=0.0)
    assert err.value.field == "rng"


def test_hub_latencies_follow_the_fastest_path():
    def link(name, km):
        return LinkInfo(name, km, s_to_ps(float(fibre_delay_s(km))), 100.0, 0.9)
    graph = build_graph(["hub", "a", "b"], {
        ("hub", "a"): link("hub-a", 10.0), ("a", "b"): link("a-b", 10.0),
        ("hub", "b"): link("hub-b", 30.0)})
    latency = clock_sync.hub_latencies_s(graph, "hub")
    assert latency["b"] == pytest.approx(float(fibre_delay_s(20.0)), abs=1e-12)
    assert latency["hub"] == 0.0
    with pytest.raises(ConfigError, match="hub"):
        clock_sync.hub_latencies_s(graph, "nowhere")


def test_classical_prior_must_fit_the_ghz_range():
    # Caesium clocks, four of them: the GHZ resolves the mean offset only within
    # ±1/(4 N f) = 6.8 ps, so the two-way transfer's asymmetry error must stay below it.
    n = 4
    offsets = np.array([0.0, 3e-9, -1e-9, 7e-9])
    d = float(fibre_delay_s(20.0))

    def priors(asymmetry_s):
        return [clock_sync.two_way_time_transfer(
            remote_clock=Clock(offset_s=float(o)), delay_out_s=d + asymmetry_s,
            delay_back_s=d).offset_estimate_s for o in offsets]
    args = {"offsets_s": offsets, "qubit_frequency_hz": CS_CLOCK_HZ, "pair_weights": None,
            "rounds": 1000, "trials": 100, "rng": np.random.default_rng(2),
            "message_latency_s": d}
    good = clock_sync.synchronise_clocks(prior_offsets_s=priors(4e-12), **args)
    assert good.ghz_unambiguous_range_s == pytest.approx(1 / (4 * n * CS_CLOCK_HZ))
    assert abs(good.ghz_mean_offset_estimate_s - offsets.mean()) < 5 * good.ghz_cramer_rao_std_s
    with pytest.raises(ConfigError) as err:
        clock_sync.synchronise_clocks(prior_offsets_s=priors(20e-12), **args)
    assert err.value.field == "prior_offsets_s"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"qubit_frequency_hz": 0.0}, "qubit_frequency_hz"),
    ({"message_latency_s": -1.0}, "message_latency_s"),
    ({"ghz_rate_hz": 0.0}, "ghz_rate_hz"),
    ({"prior_offsets_s": [0.0]}, "prior_offsets_s"),
    ({"offsets_s": [0.0]}, "offsets_s"),
    ({"offsets_s": [0.0, float("nan")]}, "offsets_s"),
])
def test_bad_input_names_the_field(kwargs, field):
    args = {"offsets_s": [0.0, 0.0], "qubit_frequency_hz": 1e9, "pair_weights": None,
            "rounds": 10, "trials": 10, "rng": np.random.default_rng(0),
            "message_latency_s": 0.0} | kwargs
    with pytest.raises(ConfigError) as err:
        clock_sync.synchronise_clocks(**args)
    assert err.value.field == field
