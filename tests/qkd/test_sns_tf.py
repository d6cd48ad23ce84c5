"""Sending-or-not-sending twin field, simulated as counts: its statistics against the
closed forms of qkd/sns_tf_bounds.py, its decoy bounds, AOPP and keys end to end."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical import Detector, Fibre
from qinet.qkd.protocols.sns_tf import (
    SnsLink,
    matched_click_probabilities,
    odd_parity_pairs,
    run_sns,
    simulate_sns,
    sns_estimates,
)
from qinet.qkd.sns_tf_bounds import aopp, single_photon_yield, sns_z_statistics
from qinet.rng import RngTree


def _link(**kw):
    base = {"fibre_alice": Fibre(100.0), "fibre_bob": Fibre(100.0),
            "detector": Detector(efficiency=0.6, dark_count_rate_hz=1e3)}
    return SnsLink(**{**base, **kw})


def _within(count, trials, p, sigmas=5.0):
    return abs(count - trials * p) <= sigmas * math.sqrt(trials * p * (1 - p)) + 1e-9


def test_counts_follow_the_closed_forms():
    link = _link(send_probability=0.3)
    ev = simulate_sns(link, 10**10, rng=np.random.default_rng(4))
    z = sns_z_statistics(link.eta_alice, link.eta_bob, mu=link.z_intensity,
                         send_probability=0.3, dark_count_probability=link.dark_probability,
                         misalignment=link.misalignment)
    eps = 0.3
    per_cell = {(0, 0): float(z.wrong_1) / (1 - eps) ** 2,
                (0, 1): float(z.correct_0) / (eps * (1 - eps)),
                (1, 0): float(z.correct_1) / (eps * (1 - eps)),
                (1, 1): float(z.wrong_0) / eps**2}
    for (a, b), p in per_cell.items():
        assert _within(ev.z_clicks[a, b], ev.z_sent[a, b], p)
    # the window choices: both Z with p_z², both X with (1 - p_z)², the rest discarded
    assert _within(ev.z_pairs, ev.pulses, 0.64)
    assert _within(int(ev.x_sent.sum()), ev.pulses, 0.04)
    # one end silent in an X window: the other's pulse alone, split over two detectors
    keep = 1 - link.dark_probability
    lam = link.eta_alice * link.decoy_intensities[1]
    one = 2 * keep * math.exp(-lam / 2) * (1 - keep * math.exp(-lam / 2))
    assert _within(ev.x_clicks[2, 0], ev.x_sent[2, 0], one)
    # a fraction Δ/π of the μ1/μ1 pairs is phase-matched
    assert _within(ev.matched, ev.x_sent[1, 1], link.phase_window_rad / math.pi)
    right, wrong = matched_click_probabilities(link)
    assert _within(ev.matched_errors, ev.matched, wrong)
    assert wrong < 0.1 * right


def test_decoy_bounds_hold_and_are_near_the_truth():
    link = _link()
    ev = simulate_sns(link, 3 * 10**10, rng=np.random.default_rng(7))
    est = sns_estimates(link, ev, epsilon=1e-10)
    s1, e1 = single_photon_yield(link.eta_alice, dark_count_probability=link.dark_probability,
                                 misalignment=link.misalignment)
    assert est.s1_alice <= float(s1)
    assert est.s1_bob <= float(s1)
    # two decoys bound the yield within the three-photon terms' slack, ~μ1 μ2 / 6
    assert est.s1_point == pytest.approx(float(s1), rel=0.1)
    # the matched pairs' error also holds the phase mismatch and multi-photon errors
    assert est.e1_upper >= float(e1)
    assert est.e1_upper < 0.2


def test_odd_parity_pairing_leaves_the_closed_form_error_rate():
    link = _link(send_probability=0.25)
    ev = simulate_sns(link, 10**10, rng=np.random.default_rng(9))
    kept = odd_parity_pairs(ev.alice_bit, ev.bob_bit, np.random.default_rng(1))
    out = aopp(sns_z_statistics(link.eta_alice, link.eta_bob, mu=link.z_intensity,
                                send_probability=0.25,
                                dark_count_probability=link.dark_probability,
                                misalignment=link.misalignment))
    errors = int(np.count_nonzero(ev.alice_bit[kept] != ev.bob_bit[kept]))
    assert _within(errors, kept.size, float(out.qber))
    # kept pairs per Z-window pulse pair, against n' of the closed form
    kept_rate = kept.size / ev.z_pairs
    assert kept_rate == pytest.approx(float(out.kept), rel=5 / math.sqrt(kept.size))
    assert np.unique(kept).size == kept.size  # every bit is used at most once


def test_aopp_run_distils_equal_keys_where_plain_sns_gives_none():
    kw = {"fibre_alice": Fibre(150.0), "fibre_bob": Fibre(150.0),
          "detector": Detector(efficiency=0.6, dark_count_rate_hz=10.0)}
    with_aopp = run_sns(SnsLink(**kw, send_probability=0.25), 2 * 10**10, rng=RngTree(2),
                        block_size=10**5)
    assert with_aopp.key_bits > 0
    assert with_aopp.keys_equal
    assert with_aopp.qber["Z"] < 0.01 < with_aopp.qber["Z_raw"]
    plain = run_sns(SnsLink(**kw, send_probability=0.25, aopp=False), 2 * 10**10,
                    rng=RngTree(2), block_size=10**5)
    # a quarter of the ends send: the raw key's error rate is about ε, too much alone
    assert plain.qber["Z"] == pytest.approx(0.25, abs=0.01)
    assert plain.key_bits == 0


def test_same_seed_same_run():
    link = _link()
    a = run_sns(link, 10**9, rng=RngTree(5), block_size=10**4)
    b = run_sns(link, 10**9, rng=RngTree(5), block_size=10**4)
    assert a.sifted_bits == b.sifted_bits
    assert np.array_equal(a.key_alice, b.key_alice)


@pytest.mark.parametrize(("field", "value"), [
    ("send_probability", 1.0), ("decoy_intensities", (0.4, 0.1)),
    ("decoy_probabilities", (0.5, 0.5, 0.0)), ("phase_window_rad", 4.0),
    ("z_intensity", 0.0), ("misalignment", 0.6)])
def test_bad_settings_name_their_field(field, value):
    with pytest.raises(ConfigError, match=field):
        _link(**{field: value})


def test_measured_rate_lies_between_the_finite_key_and_infinitely_many_decoys():
    # two decoys and a finite phase window can only loosen the bounds of the closed form
    # with every yield known; blocks pay the finite-size terms on top
    from qinet.qkd.sns_tf_bounds import sns_aopp_key_rate_asymptotic

    link = _link(detector=Detector(efficiency=0.6, dark_count_rate_hz=10.0),
                 send_probability=0.25)
    r = run_sns(link, 3 * 10**10, rng=RngTree(1), block_size=10**6)
    ideal = float(sns_aopp_key_rate_asymptotic(
        link.eta_alice, link.eta_bob, mu=link.z_intensity, send_probability=0.25,
        dark_count_probability=link.dark_probability, misalignment=link.misalignment,
        z_window_probability=link.z_window_probability))
    assert 0 < r.key_bits / r.pulses < r.asymptotic_bits_per_pulse < ideal
