"""A shared entangled-pair source's user pairs: coincidences, accidentals, QBER, CAR."""

from __future__ import annotations

import pytest

from qinet.errors import ConfigError
from qinet.physical.wdm_source import bandwidth_hz, user_pair_rates, wavelength_channels
from qinet.units import SPEED_OF_LIGHT_M_PER_S


def test_bandwidth_is_c_delta_lambda_over_lambda_squared_to_first_order():
    # exact c (1/l_lo - 1/l_hi) = c dl / (l^2 - dl^2/4)
    lam, dl = 1550e-9, 60e-9
    assert bandwidth_hz(dl, lam) == pytest.approx(
        SPEED_OF_LIGHT_M_PER_S * dl / (lam**2 - dl**2 / 4), rel=1e-12)
    assert wavelength_channels(dl, 100e9, lam) == pytest.approx(bandwidth_hz(dl, lam) / 100e9)


def test_true_and_accidental_coincidences():
    r = user_pair_rates(2e6, 0.05, 0.02, 3e5, 1e5, 0.5e-9, 0.97)
    assert r.coincidence_rate_hz == pytest.approx(2e6 * 0.05 * 0.02)
    assert r.accidental_rate_hz == pytest.approx(3e5 * 1e5 * 0.5e-9)
    c, a = r.coincidence_rate_hz, r.accidental_rate_hz
    assert r.qber == pytest.approx((c * 0.03 / 2 + a / 2) / (c + a))
    assert r.car == pytest.approx((c + a) / a)


def test_limits_of_the_error_rate():
    # no accidentals: the source's own (1 - V) / 2; only accidentals: 1/2
    assert user_pair_rates(1e6, 0.1, 0.1, 1e5, 1e5, 0.0, 0.9).qber == pytest.approx(0.05)
    assert user_pair_rates(0.0, 0.1, 0.1, 1e5, 1e5, 1e-9, 1.0).qber == pytest.approx(0.5)
    # CAR ~ B eta_i eta_j / (S_i S_j tau) when the singles are the pairs' own photons:
    # 1 / (B tau), the multi-pair limit of a source (low efficiency, no noise)
    r = user_pair_rates(1e6, 0.01, 0.01, 1e6 * 0.01, 1e6 * 0.01, 1e-9, 1.0)
    assert r.car == pytest.approx(1 + 1 / (1e6 * 1e-9))


def test_more_singles_mean_more_errors():
    low = user_pair_rates(1e6, 0.05, 0.05, 1e5, 1e5, 1e-9, 0.98)
    high = user_pair_rates(1e6, 0.05, 0.05, 1e6, 1e6, 1e-9, 0.98)
    assert high.qber > low.qber
    assert high.car < low.car


def test_bad_input():
    with pytest.raises(ConfigError, match="efficiency_i"):
        user_pair_rates(1e6, 1.5, 0.1, 1e5, 1e5, 1e-9, 1.0)
    with pytest.raises(ConfigError, match="bandwidth_m"):
        bandwidth_hz(4e-6, 1.55e-6)


def test_the_published_source_sizes():
    # Joshi et al., Sci. Adv. 6, eaba0959 (2020), supplement: "~60 nm (~7492 GHz)" holding
    # "a maximum of ~75" channels of 100 GHz; the centre wavelength is not stated, and
    # 1545-1555 nm moves the band by +-50 GHz
    assert bandwidth_hz(60e-9, 1550e-9) / 1e9 == pytest.approx(7492, abs=50)
    assert wavelength_channels(60e-9, 100e9, 1550e-9) == pytest.approx(75, abs=1)
    # Zhu et al., arXiv:1506.03896: "more than 25" frequency-conjugate pairs for a band of
    # more than 90 nm about 1555 nm on the 200 GHz grid (two channels per pair)
    assert 25 < wavelength_channels(90e-9, 200e9, 1555e-9) / 2 < 29
