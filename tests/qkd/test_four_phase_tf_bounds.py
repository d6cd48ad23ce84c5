"""Twin-field QKD without phase post-selection (Curty, Azuma and Lo, npj QI 5, 64 (2019)):
yields, the Cauchy-Schwarz phase error and the rate's limits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import gammaln, i0e

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.four_phase_tf_bounds import (
    four_phase_gain_and_qber,
    four_phase_key_rate_asymptotic,
    four_phase_phase_error,
    photon_pair_yields,
)


def test_yields_average_to_the_phase_randomised_gain():
    # Σ P_μ(n) P_μ(m) Y_nm is one detector's single click with random relative phase:
    # (1 - p_d) e^{-(λa+λb)/2} I0(√(λa λb)) - (1 - p_d)² e^{-λa-λb}
    a, b, mu, p_d = 0.3, 0.2, 0.4, 1e-3
    y = photon_pair_yields(a, b, dark_count_probability=p_d, cutoff=30)
    n = np.arange(31)
    pmf = np.exp(-mu + n * math.log(mu) - gammaln(n + 1))
    la, lb = a * mu, b * mu
    c = math.sqrt(la * lb)
    expected = (1 - p_d) * math.exp(c - (la + lb) / 2) * i0e(c) - (1 - p_d) ** 2 * math.exp(
        -la - lb)
    assert float(pmf @ y @ pmf) == pytest.approx(expected, rel=1e-12)


def test_hong_ou_mandel_yields_of_lossless_arms():
    y = photon_pair_yields(1.0, 1.0, dark_count_probability=0.0, cutoff=3)
    # |1,1> leaves bunched, half the time in each port; |2,0> both in one port a quarter
    assert float(y[1, 1]) == pytest.approx(0.5)
    assert float(y[2, 0]) == pytest.approx(0.25)
    assert float(y[0, 2]) == pytest.approx(0.25)
    assert float(y[0, 0]) == 0.0
    assert float(y[2, 2]) == pytest.approx(6 / 16)


def test_code_rounds_have_no_error_without_noise():
    q, e = four_phase_gain_and_qber(1e-3, 1e-3, mu=0.05, dark_count_probability=0.0,
                                    misalignment=0.0)
    assert float(e) == 0.0
    assert float(q) == pytest.approx(-math.expm1(-2e-3 * 0.05), rel=1e-12)


def test_misalignment_is_the_key_error_at_small_light():
    _, e = four_phase_gain_and_qber(1e-6, 1e-6, mu=0.05, dark_count_probability=0.0,
                                    misalignment=0.03)
    assert float(e) == pytest.approx(0.03, rel=1e-5)


def test_phase_error_is_three_mu_at_small_light():
    # two-photon terms (0,2), (2,0) even-even and (1,1) odd-odd give 6 μ² η over the gain
    # 2 η μ: e_ph ≈ 3 μ to first order in μ and η
    for mu in (1e-3, 3e-3):
        q, _ = four_phase_gain_and_qber(1e-6, 1e-6, mu=mu, dark_count_probability=0.0,
                                        misalignment=0.0)
        e_ph = float(four_phase_phase_error(1e-6, 1e-6, mu=mu, dark_count_probability=0.0,
                                            gain=q))
        assert e_ph == pytest.approx(3 * mu, rel=5 * mu)


def test_rate_by_hand_and_square_root_scaling():
    kw = {"mu": 0.03, "dark_count_probability": 0.0, "misalignment": 0.02, "f_ec": 1.1}
    r = four_phase_key_rate_asymptotic(1e-5, 1e-5, **kw)
    q, e = four_phase_gain_and_qber(1e-5, 1e-5, mu=0.03, dark_count_probability=0.0,
                                    misalignment=0.02)
    e_ph = four_phase_phase_error(1e-5, 1e-5, mu=0.03, dark_count_probability=0.0, gain=q)
    hand = float(q) * (1 - binary_entropy(float(e_ph)) - 1.1 * binary_entropy(float(e)))
    assert float(r) == pytest.approx(hand, rel=1e-12)
    assert float(r) / float(four_phase_key_rate_asymptotic(1e-6, 1e-6, **kw)) == \
        pytest.approx(10.0, rel=1e-4)


def test_vectorised_over_the_arm():
    etas = np.array([1e-3, 1e-4, 1e-5])
    rates = four_phase_key_rate_asymptotic(etas, etas, mu=0.02, dark_count_probability=1e-9,
                                           misalignment=0.02)
    singles = [four_phase_key_rate_asymptotic(e, e, mu=0.02, dark_count_probability=1e-9,
                                              misalignment=0.02) for e in etas]
    np.testing.assert_allclose(rates, singles, rtol=1e-12)


def test_bad_arguments_name_their_field():
    with pytest.raises(ConfigError, match="misalignment"):
        four_phase_key_rate_asymptotic(1e-3, 1e-3, mu=0.02, dark_count_probability=0.0,
                                       misalignment=0.7)
    with pytest.raises(ConfigError, match="code_probability"):
        four_phase_key_rate_asymptotic(1e-3, 1e-3, mu=0.02, dark_count_probability=0.0,
                                       misalignment=0.0, code_probability=0.0)
