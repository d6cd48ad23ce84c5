"""Sending-or-not-sending twin-field QKD with and without AOPP: closed forms and limits
(Wang, Yu and Hu, PRA 98, 062323 (2018); Xu et al., PRA 101, 042330 (2020))."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qinet.errors import ConfigError
from qinet.physical.bounds import plob_bound
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.sns_tf_bounds import (
    aopp,
    single_photon_yield,
    sns_aopp_key_rate_asymptotic,
    sns_key_rate_asymptotic,
    sns_z_statistics,
)

LINK = {"dark_count_probability": 1e-10, "misalignment": 0.05}


def test_both_sending_click_is_the_phase_average_of_two_pulses():
    # two pulses with independent random phases: average the single-click chance over
    # the relative phase by quadrature and compare with the I0 closed form
    eta, mu, p_d, eps = 0.3, 0.5, 1e-3, 0.5
    z = sns_z_statistics(eta, eta, mu=mu, send_probability=eps, dark_count_probability=p_d,
                         misalignment=0.0)
    theta = np.linspace(0.0, 2.0 * math.pi, 20001)[:-1]
    lam = eta * mu
    left, right = lam * (1 + np.cos(theta)), lam * (1 - np.cos(theta))
    keep = 1 - p_d
    single = keep * (np.exp(-left) + np.exp(-right)) - 2 * keep**2 * np.exp(-2 * lam)
    assert float(z.wrong_0) == pytest.approx(eps**2 * single.mean(), rel=1e-12)


def test_key_basis_error_tends_to_the_sending_probability_without_dark_counts():
    # small η, no dark counts: wrong 2ε²ημ against right 2ε(1-ε)ημ, so E_Z = ε
    for eps in (0.05, 0.2, 0.3):
        z = sns_z_statistics(1e-9, 1e-9, mu=0.4, send_probability=eps,
                             dark_count_probability=0.0, misalignment=0.1)
        assert float(z.qber) == pytest.approx(eps, rel=1e-6)


def test_key_basis_does_not_see_the_misalignment():
    a = sns_z_statistics(1e-3, 1e-3, mu=0.4, send_probability=0.1,
                         dark_count_probability=1e-8, misalignment=0.0)
    b = sns_z_statistics(1e-3, 1e-3, mu=0.4, send_probability=0.1,
                         dark_count_probability=1e-8, misalignment=0.3)
    assert float(a.gain) == float(b.gain)
    assert float(a.qber) == float(b.qber)
    assert float(b.phase_error) > float(a.phase_error)


def test_single_photon_yield_and_error_by_hand():
    s1, e1 = single_photon_yield(0.2, dark_count_probability=0.01, misalignment=0.03)
    s1_hand = 0.2 * 0.99 + 2 * 0.8 * 0.01 * 0.99
    assert float(s1) == pytest.approx(s1_hand, rel=1e-14)
    assert float(e1) == pytest.approx((0.03 * 0.2 * 0.99 + 0.8 * 0.01 * 0.99) / s1_hand,
                                      rel=1e-14)


@pytest.mark.parametrize("rate", [sns_key_rate_asymptotic, sns_aopp_key_rate_asymptotic])
def test_rate_scales_with_the_square_root_of_the_channel(rate):
    # no dark counts: every term is linear in the arm transmittance at high loss, so ten
    # times less arm (100 times less channel) gives ten times less key, to O(η)
    kw = {"mu": 0.4, "send_probability": 0.05, "dark_count_probability": 0.0,
          "misalignment": 0.03}
    high, low = rate(1e-6, 1e-6, **kw), rate(1e-7, 1e-7, **kw)
    assert float(high) > 0
    assert float(high) / float(low) == pytest.approx(10.0, rel=1e-5)


def test_rate_without_aopp_is_wyh_eq1_by_hand():
    eta, mu, eps, p_d, e_d = 1e-4, 0.4, 0.05, 1e-9, 0.05
    r = sns_key_rate_asymptotic(eta, eta, mu=mu, send_probability=eps,
                                dark_count_probability=p_d, misalignment=e_d, f_ec=1.1,
                                z_window_probability=0.8)
    keep = 1 - p_d
    one = 2 * keep * math.exp(-eta * mu / 2) * (1 - keep * math.exp(-eta * mu / 2))
    both = 2 * keep * math.exp(-eta * mu) * np.i0(eta * mu) - 2 * keep**2 * math.exp(
        -2 * eta * mu)
    dark = 2 * p_d * keep
    gain = 2 * eps * (1 - eps) * one + eps**2 * both + (1 - eps) ** 2 * dark
    qber = (eps**2 * both + (1 - eps) ** 2 * dark) / gain
    s1 = eta * keep + 2 * (1 - eta) * p_d * keep
    e1 = (e_d * eta * keep + (1 - eta) * p_d * keep) / s1
    n1 = 2 * eps * (1 - eps) * mu * math.exp(-mu) * s1
    hand = 0.64 * (n1 * (1 - binary_entropy(e1)) - 1.1 * gain * binary_entropy(qber))
    assert float(r) == pytest.approx(hand, rel=1e-9)


def test_aopp_removes_every_error_without_dark_counts():
    z = sns_z_statistics(1e-5, 1e-5, mu=0.4, send_probability=0.25,
                         dark_count_probability=0.0, misalignment=0.04)
    out = aopp(z)
    assert float(out.qber) == 0.0
    e1 = float(z.phase_error)
    assert float(out.phase_error) == pytest.approx(2 * e1 * (1 - e1), rel=1e-14)
    # Bob's sending group is the larger (both-send errors sit in it), so every bit of
    # the other group is paired
    assert float(out.pairs) == pytest.approx(float(z.correct_1 + z.wrong_1), rel=1e-14)


def test_aopp_error_rate_from_the_two_groups():
    z = sns_z_statistics(1e-6, 1e-6, mu=0.4, send_probability=0.2,
                         dark_count_probability=1e-8, misalignment=0.04)
    out = aopp(z)
    e0 = float(z.wrong_0 / (z.correct_0 + z.wrong_0))
    e1 = float(z.wrong_1 / (z.correct_1 + z.wrong_1))
    assert float(out.qber) == pytest.approx(e0 * e1 / ((1 - e0) * (1 - e1) + e0 * e1),
                                            rel=1e-12)
    assert float(out.qber) < min(e0, e1, float(z.qber))


def _best(rate, eta_arm, **kw):
    grid = [(m, e) for m in np.linspace(0.1, 0.8, 15) for e in np.linspace(0.02, 0.4, 20)]
    return max(float(rate(eta_arm, eta_arm, mu=m, send_probability=e, **kw))
               for m, e in grid)


def test_aopp_reaches_further_than_plain_sns():
    # with dark counts, AOPP's error rejection keeps key where plain SNS has none
    kw = {"dark_count_probability": 1e-8, "misalignment": 0.05}
    far = 10 ** (-0.2 * 500 / 20)  # 500 km of 0.2 dB/km, arms of 250 km, ideal detectors
    assert _best(sns_key_rate_asymptotic, far, **kw) == 0.0
    assert _best(sns_aopp_key_rate_asymptotic, far, **kw) > 0.0


def test_beats_the_repeaterless_bound_at_long_distance():
    # 400 km at 0.2 dB/km, perfect detectors with 1e-10 dark counts: √η scaling wins
    eta_ab = 10 ** (-0.2 * 400 / 10)
    rate = _best(sns_aopp_key_rate_asymptotic, math.sqrt(eta_ab), **LINK)
    assert rate > float(plob_bound(eta_ab))
    # and not at 50 km, where the bound is far above any single-photon rate
    near = 10 ** (-0.2 * 50 / 10)
    assert _best(sns_aopp_key_rate_asymptotic, math.sqrt(near), **LINK) < float(
        plob_bound(near))


def test_bad_arguments_name_their_field():
    with pytest.raises(ConfigError, match="send_probability"):
        sns_key_rate_asymptotic(1e-3, 1e-3, mu=0.4, send_probability=1.0, **LINK)
    with pytest.raises(ConfigError, match="mu"):
        sns_aopp_key_rate_asymptotic(1e-3, 1e-3, mu=0.0, send_probability=0.1, **LINK)
    with pytest.raises(ConfigError, match="z_window_probability"):
        sns_key_rate_asymptotic(1e-3, 1e-3, mu=0.4, send_probability=0.1,
                                z_window_probability=0.0, **LINK)
