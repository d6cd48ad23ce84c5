"""MDI-QKD and phase-matching twin-field rates against closed forms and published claims."""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import brentq

from qinet.errors import ConfigError
from qinet.physical.bounds import plob_bound
from qinet.qkd.bounds import decoy_bb84_key_rate_asymptotic
from qinet.qkd.mdi_tf_bounds import (
    mdi_decoy_coefficients,
    mdi_gains_and_errors,
    mdi_key_rate_asymptotic,
    mdi_key_rate_vacuum_weak,
    mdi_single_photon_yield,
    pm_gain_and_qber,
    pm_key_rate_asymptotic,
    pm_key_rate_vacuum_weak,
    pm_photon_yields,
    slice_mismatch_visibility,
)

# Detector and fibre parameters used for the MDI curves of Xu, Curty, Qi and Lo, NJP 15,
# 113007 (2013), table 1 (from the 144 km experiment of Ursin et al., Nat. Phys. 3, 481
# (2007)): efficiency 14.5 %, background 3e-6 per detector, misalignment 1.5 %, f = 1.16,
# 0.2 dB/km.
ETA_D, P_D, E_D, F, ALPHA = 0.145, 3e-6, 0.015, 1.16, 0.2
MUS = np.linspace(0.02, 1.5, 150)


def _arm(length_km):
    return 10 ** (-ALPHA * length_km / 20) * ETA_D  # half the fibre each side


def _best_mdi(length_km):
    eta = _arm(length_km)
    return max(mdi_key_rate_asymptotic(eta, eta, mu=m, dark_count_probability=P_D,
                                       misalignment=E_D, f_ec=F) for m in MUS)


def _best_bb84(length_km):
    eta = 10 ** (-ALPHA * length_km / 10) * ETA_D
    return max(decoy_bb84_key_rate_asymptotic(eta, mu=m, y0=2 * P_D, e_d=E_D, f_ec=F, q=1.0)
               for m in MUS)


def _edge(rate, lo, hi):
    while hi - lo > 0.5:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if rate(mid) > 0 else (lo, mid)
    return lo


def test_mdi_gains_are_the_four_detector_phase_average():
    # Q^Z, Q^X as the phase average of threshold-detector patterns of two coherent pulses
    # (the integral behind the Bessel functions of Ma and Razavi 2012), Ψ- and Ψ+ together.
    eta_a, eta_b, p_d, mu_a, mu_b = 0.3, 0.1, 1e-3, 0.6, 0.4
    a, b = math.sqrt(eta_a * mu_a), math.sqrt(eta_b * mu_b)
    jones = {("Z", 0): (1, 0), ("Z", 1): (0, 1), ("X", 0): (2**-0.5, 2**-0.5),
             ("X", 1): (2**-0.5, -(2**-0.5))}

    def herald(basis, bit_a, bit_b, theta):
        pa, pb = np.array(jones[basis, bit_a]) * a, np.array(jones[basis, bit_b]) * b
        lam = [abs(pa[p] * np.exp(1j * theta) + s * pb[p]) ** 2 / 2
               for s in (1, -1) for p in (0, 1)]  # 3H, 3V, 4H, 4V
        c = [1 - (1 - p_d) * math.exp(-x) for x in lam]
        n = [1 - x for x in c]
        return (c[0] * c[3] * n[1] * n[2] + c[1] * c[2] * n[0] * n[3]
                + c[0] * c[1] * n[2] * n[3] + c[2] * c[3] * n[0] * n[1])

    qz, _, qx, _ = mdi_gains_and_errors(mu_a, mu_b, eta_a=eta_a, eta_b=eta_b,
                                        dark_count_probability=p_d, misalignment=0.0)
    for basis, closed in (("Z", qz), ("X", qx)):
        avg = np.mean([quad(lambda t, b=basis, x=x, y=y: herald(b, x, y, t), 0, 2 * math.pi)[0]
                       / (2 * math.pi) for x in (0, 1) for y in (0, 1)])
        assert avg == pytest.approx(closed, rel=1e-9)


def test_single_photon_yield_matches_photon_counting():
    # Y11 averaged over bits: orthogonal photons herald with eta_a eta_b (both arrive), two
    # partner patterns per photon arriving alone, four dark pairs; equal photons bunch.
    eta_a, eta_b, p_d = 0.3, 0.2, 1e-3
    k2 = (1 - p_d) ** 2
    alone = eta_a * (1 - eta_b) + eta_b * (1 - eta_a)
    none = (1 - eta_a) * (1 - eta_b)
    y_diff = k2 * (eta_a * eta_b + 2 * p_d * alone + 4 * p_d**2 * none)
    y_same = k2 * (2 * p_d * eta_a * eta_b + 2 * p_d * alone + 4 * p_d**2 * none)
    y11, e11 = mdi_single_photon_yield(eta_a, eta_b, dark_count_probability=p_d,
                                       misalignment=0.0)
    assert y11 == pytest.approx((y_diff + y_same) / 2, rel=1e-12)
    # the published error yield counts a photon pair that bunches into one detector plus a
    # dark count as right half the time: it sits below the exact Y_same/2 by that term
    exact_error_yield = y_same / 2
    assert e11 * y11 == pytest.approx(exact_error_yield - k2 * eta_a * eta_b * p_d / 2,
                                      rel=1e-12)


def test_vacuum_weak_bound_approaches_infinite_decoys():
    eta = _arm(50.0)
    exact = mdi_key_rate_asymptotic(eta, eta, mu=0.3, dark_count_probability=P_D,
                                    misalignment=E_D)
    rates = [mdi_key_rate_vacuum_weak(eta, eta, mu=0.3, nu=nu, dark_count_probability=P_D,
                                      misalignment=E_D) for nu in (0.1, 0.03, 0.003)]
    assert rates[0] < rates[1] < rates[2] <= exact
    assert rates[2] == pytest.approx(exact, rel=0.02)


def test_decoy_coefficients_recover_y11_from_exact_yields():
    # gains built from known photon-number yields: the bound is below Y11 and tight as nu -> 0
    rng = np.random.default_rng(0)
    y = rng.uniform(0.0, 1.0, (12, 12))
    mu, nu = 0.4, 0.02
    pmf = [np.array([math.exp(-m) * m**k / math.factorial(k) for k in range(12)])
           for m in (mu, nu, 0.0)]
    gains = np.array([[pmf[i] @ y @ pmf[j] for j in range(3)] for i in range(3)])
    c, _ = mdi_decoy_coefficients(mu, nu)
    lower = float(np.sum(c * gains))
    assert lower <= y[1, 1]
    assert lower == pytest.approx(y[1, 1], abs=0.1)
    with pytest.raises(ConfigError, match="nu"):
        mdi_decoy_coefficients(0.1, 0.2)


def test_mdi_reaches_beyond_200_km_and_far_beyond_decoy_bb84():
    # LCQ 2012 (abstract): "long-distance quantum cryptography over say 200 km will remain
    # secure" with MDI-QKD and decoy states. With the detectors of Xu et al. 2013 the
    # infinite-decoy rate is positive to 232 km; decoy BB84 with the same detectors and
    # twice Y0 (two detectors) stops at 160 km.
    mdi_edge, bb84_edge = _edge(_best_mdi, 150.0, 400.0), _edge(_best_bb84, 100.0, 300.0)
    assert 225.0 < mdi_edge < 240.0
    assert 155.0 < bb84_edge < 165.0
    assert _best_mdi(200.0) > 1e-8


def test_mdi_rate_falls_with_the_product_of_both_arms():
    # without dark counts Q11 = mu^2 e^{-2mu} eta_a eta_b / 2 and the X and Z errors do not
    # depend on eta at small eta: R is linear in eta_a eta_b = eta_AB eta_d^2
    rates = [mdi_key_rate_asymptotic(eta, eta, mu=0.3, dark_count_probability=0.0,
                                     misalignment=E_D) for eta in (1e-3, 1e-4)]
    assert rates[0] / rates[1] == pytest.approx(100.0, rel=1e-3)


def test_mdi_bad_parameters_name_the_field():
    with pytest.raises(ConfigError, match="misalignment"):
        mdi_key_rate_asymptotic(0.1, 0.1, mu=0.3, dark_count_probability=0.0, misalignment=0.7)
    with pytest.raises(ConfigError, match="eta_b"):
        mdi_gains_and_errors(0.3, 0.3, eta_a=0.1, eta_b=1.5, dark_count_probability=0.0,
                             misalignment=0.0)
    with pytest.raises(ConfigError, match="mu"):
        mdi_key_rate_asymptotic(0.1, 0.1, mu=-1.0, dark_count_probability=0.0, misalignment=0.0)


# ---- phase-matching twin field


def test_slice_mismatch_error_is_the_triangular_average():
    # delta = difference of two uniforms on a slice of width 2pi/M: E[cos delta] = sinc^2(pi/M)
    m = 16
    w = 2 * math.pi / m
    avg = quad(lambda d: math.cos(d) * (w - abs(d)) / w**2, -w, w)[0]
    assert slice_mismatch_visibility(m) == pytest.approx(avg, rel=1e-12)
    _, e = pm_gain_and_qber(1e-6, mu=0.1, dark_count_probability=0.0, misalignment=0.02,
                            phase_slices=m)
    assert e == pytest.approx((1 - 0.96 * avg) / 2, rel=1e-6)
    with pytest.raises(ConfigError, match="phase_slices"):
        slice_mismatch_visibility(5)


def test_photon_yields_sum_to_the_gain():
    kw = {"dark_count_probability": 1e-4, "misalignment": 0.03, "phase_slices": 8,
          "phase_noise_rad": 0.1}
    y = pm_photon_yields(0.2, 40, **kw)
    pmf = np.array([math.exp(-0.3) * 0.3**k / math.factorial(k) for k in range(41)])
    q, _ = pm_gain_and_qber(0.2, mu=0.3, **kw)
    assert float(pmf @ y) == pytest.approx(q, rel=1e-12)


def test_pm_rate_scales_as_the_square_root_of_the_channel():
    # no dark counts: R = (2/M) mu eta [1 - f H2(E0) - H2((1 - e^{-2mu})/2)] at small eta,
    # E0 = (1 - V sinc^2(pi/M))/2 (MZZ 2018): a factor 100 in eta_AB is 10 in the rate
    mu, m, e_d = 0.1, 16, 0.01
    eta_ab = np.array([1e-8, 1e-10])
    eta_arm = np.sqrt(eta_ab) * 0.9
    rate = pm_key_rate_asymptotic(eta_arm, mu=mu, dark_count_probability=0.0,
                                  misalignment=e_d, phase_slices=m)
    assert rate[0] / rate[1] == pytest.approx(10.0, rel=1e-4)
    e0 = (1 - (1 - 2 * e_d) * slice_mismatch_visibility(m)) / 2
    h = lambda p: -p * math.log2(p) - (1 - p) * math.log2(1 - p)  # noqa: E731
    closed = 2 / m * mu * eta_arm[1] * (1 - 1.16 * h(e0) - h((1 - math.exp(-2 * mu)) / 2))
    assert rate[1] == pytest.approx(closed, rel=1e-4)


def test_pm_beats_plob_beyond_the_crossover():
    # detectors 30 % efficient, 1e-8 dark counts per gate, e_d = 1.5 %, M = 16, f = 1.15,
    # 0.2 dB/km; mu optimised per distance. The transmittance compared with PLOB is the
    # fibre's alone, which favours the bound.
    mus = np.geomspace(0.005, 1.0, 80)

    def log_ratio(length_km):
        eta_arm = 10 ** (-0.2 * length_km / 20) * 0.3
        r = max(pm_key_rate_asymptotic(eta_arm, mu=m, dark_count_probability=1e-8,
                                       misalignment=0.015, phase_slices=16, f_ec=1.15)
                for m in mus)
        return math.log(r) - math.log(plob_bound(10 ** (-0.2 * length_km / 10)))

    crossover = brentq(log_ratio, 200.0, 400.0, xtol=0.1)
    assert 290.0 < crossover < 305.0
    assert log_ratio(crossover - 50) < 0 < log_ratio(crossover + 50)
    # MZZ 2018 (abstract): the key rate "can even exceed the transmission probability eta"
    assert math.exp(log_ratio(400.0)) * plob_bound(1e-8) > 1e-8


def test_pm_vacuum_weak_is_below_infinite_decoys():
    kw = {"dark_count_probability": 1e-8, "misalignment": 0.01, "phase_slices": 16}
    exact = pm_key_rate_asymptotic(1e-3, mu=0.1, **kw)
    weak = pm_key_rate_vacuum_weak(1e-3, mu=0.1, nu=0.01, **kw)
    assert 0.9 * exact < weak < exact
    with pytest.raises(ConfigError, match="nu"):
        pm_key_rate_vacuum_weak(1e-3, mu=0.1, nu=0.2, **kw)
