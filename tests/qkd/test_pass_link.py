"""A protocol over a satellite pass: per-step counts against the channel's closed-form
probabilities, totals against the series, and BBM92 over two arms."""

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd.pass_link import PassChannel, run_bbm92_pass, run_decoy_pass
from qinet.qkd.protocols._bb84_channel import ChannelSampler, PrepareMeasureLink
from qinet.rng import RngTree

_BASE = PrepareMeasureLink(
    WeakCoherentSource(rate_hz=1e7, intensities=(0.8, 0.1, 0.0),
                       probabilities=(0.5, 0.25, 0.25)),
    Fibre(0.0), Detector(0.5, 25.0, 0.0, 0.0), detection_window_s=2e-9)


def _steps(eta, sending, *, arms=None, background=0.0):
    n = len(eta)
    return PassChannel(
        name="sat-ground", start_utc="2017-01-01T00:00:00+00:00", start_s=10.0,
        step_s=np.full(n, 2.0), elevation_rad=np.linspace(0.4, 1.0, n),
        range_m=np.linspace(1.2e6, 6e5, n), transmittance=np.asarray(eta, dtype=float),
        background_hz=np.full(n, background), sending=np.asarray(sending),
        arm_transmittance=None if arms is None else np.asarray(arms, dtype=float),
        arm_background_hz=None if arms is None else np.full((2, n), background))


def test_each_step_sifts_what_its_channel_predicts():
    eta = [1e-2, 3e-3, 1e-3, 0.0]
    steps = _steps(eta, [True, True, True, True], background=100.0)
    run, record = run_decoy_pass(_BASE, steps, rate_hz=1e7, rng=RngTree(4),
                                 block_size=100_000)
    for k, e in enumerate(eta):
        if e == 0.0:  # no light: nothing sent, nothing sifted
            assert record.sifted_rate_bps[k] == 0.0
            continue
        link = PrepareMeasureLink(_BASE.source, Fibre(-10 * math.log10(e), 1.0),
                                  Detector(0.5, 125.0, 0.0, 0.0), detection_window_s=2e-9)
        mean = 2e7 * ChannelSampler(link).key_probability
        # binomial over 2e7 pulses, 5 sigma
        assert abs(record.sifted_rate_bps[k] * 2.0 - mean) < 5 * math.sqrt(mean)
    assert record.pulses == run.pulses == 3 * 20_000_000
    assert float(record.sifted_rate_bps @ steps.step_s) == pytest.approx(record.sifted_bits)
    assert float(record.secret_rate_bps @ steps.step_s) == pytest.approx(
        record.asymptotic_key_bits)
    assert record.key_bits == run.key_bits
    assert run.keys_equal
    assert record.end_s == pytest.approx(18.0)
    assert record.loss_db[0] == pytest.approx(20.0)


def test_steps_that_may_not_send_send_nothing():
    _, record = run_decoy_pass(_BASE, _steps([1e-2, 1e-2], [False, False]), rate_hz=1e7,
                               rng=RngTree(1), block_size=100_000)
    assert (record.pulses, record.sifted_bits, record.key_bits, record.qber) == (0, 0, 0, None)


def test_bbm92_over_two_arms_counts_true_and_accidental_coincidences():
    arms = [[0.1, 0.1], [0.1, 0.1]]
    steps = _steps([1e-2, 1e-2], [True, True], arms=arms)
    noiseless = Detector(1.0, 0.0, 0.0, 0.0)
    run, record = run_bbm92_pass(steps, pair_rate_hz=1e7, detector=noiseless,
                                 window_s=1e-9, misalignment=0.02, rng=RngTree(2),
                                 block_size=1_000_000)
    true = 1e7 * 0.1 * 0.1 * 4.0  # pairs/s x both arms x seconds
    accidental = (1e7 * 0.1) ** 2 * 1e-9 * 4.0  # singles at each side x window x seconds
    expected = true + accidental
    assert abs(run.detections - expected) < 5 * math.sqrt(expected)  # Poisson
    n = record.sifted_bits
    assert abs(n - run.detections / 4) < 5 * math.sqrt(run.detections * 3 / 16)
    qber = (0.02 * true + 0.5 * accidental) / expected
    assert abs(record.qber - qber) < 5 * math.sqrt(qber * (1 - qber) / n)
    assert run.key_bits > 0
    assert run.keys_equal


def test_a_pair_source_pass_needs_both_arms():
    with pytest.raises(ConfigError, match="each arm"):
        run_bbm92_pass(_steps([1e-4], [True]), pair_rate_hz=1e6, detector=Detector(),
                       window_s=1e-9, misalignment=0.01, rng=RngTree(1), block_size=1000)
