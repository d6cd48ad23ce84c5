"""Finite-key length of one-decoy BB84 (Rusca et al., APL 112, 171104 (2018)) and the
mean counts of the three-state protocol."""

from __future__ import annotations

import math

import pytest

from qinet.errors import ConfigError
from qinet.qkd.bounds import binary_entropy
from qinet.qkd.finite_key import gamma_sampling
from qinet.qkd.one_decoy import (
    EPSILON_SHARES,
    one_decoy_key_length,
    three_state_expected_counts,
)

MU, P = (0.5, 0.15), (0.7, 0.3)


def _counts(eta, block, *, p_d=1e-9, e_z=0.003, e_x=0.02, pz=0.9):
    return three_state_expected_counts(eta, key_block=block, intensities=MU, probabilities=P,
                                       alice_z_probability=pz, bob_z_probability=pz,
                                       dark_count_probability=p_d, error_z=e_z, error_x=e_x)


def test_bounds_and_length_by_hand():
    n_z, n_x, m_z, m_x = (6e6, 1.2e6), (2e5, 4e4), (2e4, 5e3), (4e3, 1e3)
    eps, cor, lam = 1e-9, 1e-15, 1.5e6
    b = one_decoy_key_length(n_z, n_x, m_z, m_x, intensities=MU, probabilities=P,
                             lambda_ec=lam, epsilon_sec=eps, epsilon_cor=cor)
    tau0 = sum(p * math.exp(-m) for m, p in zip(MU, P, strict=True))
    tau1 = sum(p * math.exp(-m) * m for m, p in zip(MU, P, strict=True))

    def corrected(counts, sign):
        d = math.sqrt(sum(counts) / 2 * math.log(19 / eps))
        return [math.exp(m) / p * (c + sign * d) for c, m, p in zip(counts, MU, P, strict=True)]

    d_z = math.sqrt(sum(n_z) / 2 * math.log(19 / eps))
    s0_up = 2 * (tau0 * math.exp(0.15) / 0.3 * m_z[1] + d_z)
    lo, hi = corrected(n_z, -1), corrected(n_z, +1)
    s0_lo = tau0 * (0.5 * lo[1] - 0.15 * hi[0]) / 0.35
    s1 = tau1 * 0.5 * (lo[1] - 0.15**2 / 0.25 * hi[0] - (0.25 - 0.15**2) / 0.25 * s0_up / tau0
                       ) / (0.15 * 0.35)
    assert b.s_z0_upper == pytest.approx(s0_up, rel=1e-12)
    assert b.s_z0 == pytest.approx(max(s0_lo, 0.0), abs=1e-6)
    assert b.s_z1 == pytest.approx(s1, rel=1e-12)
    mhi, mlo = corrected(m_x, +1), corrected(m_x, -1)
    assert b.v_x1 == pytest.approx(tau1 * (mhi[0] - mlo[1]) / 0.35, rel=1e-12)
    ratio = b.v_x1 / b.s_x1
    phi = ratio + gamma_sampling(eps, ratio, b.s_x1, b.s_z1, shares=EPSILON_SHARES)
    assert b.phi_z == pytest.approx(phi, rel=1e-12)
    raw = (b.s_z0 + b.s_z1 * (1 - binary_entropy(phi)) - lam - 6 * math.log2(19 / eps)
           - math.log2(2 / cor))
    assert b.length_unclipped == pytest.approx(raw, rel=1e-12)
    assert b.length == math.floor(raw)


def test_single_photon_bound_holds_and_tightens_with_the_block():
    # the mean counts hold exactly τ1-weighted single-photon clicks: the bound is below
    # them, and its gap shrinks as the Hoeffding terms fall with 1/√n
    eta, p_d = 1e-3, 1e-9
    y1 = 1 - (1 - p_d) ** 2 * (1 - eta)
    tau1 = sum(p * math.exp(-m) * m for m, p in zip(MU, P, strict=True))
    gaps = []
    for block in (1e6, 1e8, 1e10):
        c = _counts(eta, block, p_d=p_d)
        truth = c.pulses * 0.81 * tau1 * y1
        b = one_decoy_key_length(c.n_z, c.n_x, c.m_z, c.m_x, intensities=MU,
                                 probabilities=P, lambda_ec=0.0, epsilon_sec=1e-9,
                                 epsilon_cor=1e-15)
        assert b.s_z1 <= truth
        gaps.append(1 - b.s_z1 / truth)
    assert gaps[0] > gaps[1] > gaps[2]
    # the residue is the two-intensity bound's own slack (multi-photon terms), not noise
    assert gaps[2] < 0.12


def test_key_fraction_tends_to_the_asymptotic_one():
    # at 1e12 key bits the finite-size terms vanish: ℓ/n_Z → s1/n_Z (1 - h(e1)) - f h(E)
    c = _counts(1e-3, 1e12)
    ez = sum(c.m_z) / sum(c.n_z)
    leak = 1.1 * 1e12 * float(binary_entropy(ez))
    b = one_decoy_key_length(c.n_z, c.n_x, c.m_z, c.m_x, intensities=MU, probabilities=P,
                             lambda_ec=leak, epsilon_sec=1e-9, epsilon_cor=1e-15)
    e1 = b.v_x1 / b.s_x1
    asymptotic = b.s_z1 / 1e12 * (1 - float(binary_entropy(e1))) - leak / 1e12
    assert b.length / 1e12 == pytest.approx(asymptotic, rel=2e-3)
    # e1 bounds the optical X error the counts hold (2 %) from above; the two-intensity
    # bound also counts the two-photon errors, (μ1² - μ2²)/2 · 2ηe against (μ1 - μ2) ηe,
    # a relative excess of μ1 + μ2 = 0.65, and divides by a lower s1
    assert 0.02 * (1 + 0.65) < e1 < 0.05


def test_small_blocks_give_no_key():
    c = _counts(1e-3, 1e4)
    b = one_decoy_key_length(c.n_z, c.n_x, c.m_z, c.m_x, intensities=MU, probabilities=P,
                             lambda_ec=0.0, epsilon_sec=1e-9, epsilon_cor=1e-15)
    assert b.length == 0
    assert b.phi_z == 0.5


def test_expected_counts_fill_the_block_and_split_by_basis():
    c = _counts(1e-2, 1e6, p_d=0.0, e_z=0.0, pz=0.8)
    assert sum(c.n_z) == pytest.approx(1e6, rel=1e-12)
    assert sum(c.n_x) / sum(c.n_z) == pytest.approx((0.2 * 0.2) / (0.8 * 0.8), rel=1e-12)
    assert c.m_z == (0.0, 0.0)


def test_bad_inputs_name_their_field():
    with pytest.raises(ConfigError, match="intensities"):
        one_decoy_key_length((1, 1), (1, 1), (0, 0), (0, 0), intensities=(0.1, 0.5),
                             probabilities=P, lambda_ec=0, epsilon_sec=1e-9, epsilon_cor=1e-9)
    with pytest.raises(ConfigError, match="m_x"):
        one_decoy_key_length((10, 10), (1, 1), (0, 0), (2, 0), intensities=MU,
                             probabilities=P, lambda_ec=0, epsilon_sec=1e-9, epsilon_cor=1e-9)
    with pytest.raises(ConfigError, match="n_z"):
        one_decoy_key_length((10, 10, 1), (1, 1), (0, 0), (0, 0), intensities=MU,
                             probabilities=P, lambda_ec=0, epsilon_sec=1e-9, epsilon_cor=1e-9)


def test_asymptotic_rate_is_the_limit_of_large_blocks():
    from qinet.qkd.one_decoy import one_decoy_key_rate_asymptotic

    kw = {"intensities": MU, "probabilities": P, "alice_z_probability": 0.9,
          "bob_z_probability": 0.9, "dark_count_probability": 1e-9, "error_z": 0.003,
          "error_x": 0.02}
    rate = one_decoy_key_rate_asymptotic(1e-3, f_ec=1.1, **kw)
    c = _counts(1e-3, 1e14)
    ez = sum(c.m_z) / sum(c.n_z)
    b = one_decoy_key_length(c.n_z, c.n_x, c.m_z, c.m_x, intensities=MU, probabilities=P,
                             lambda_ec=1.1 * 1e14 * float(binary_entropy(ez)),
                             epsilon_sec=1e-9, epsilon_cor=1e-15)
    # the finite-size terms fall as 1/√n: at 1e14 key bits they are below 1e-3 of the key
    assert b.length / c.pulses == pytest.approx(rate, rel=1e-3)
    assert b.length / c.pulses < rate


def test_two_intensities_give_less_than_infinitely_many_decoys():
    from qinet.qkd.bounds import decoy_bb84_key_rate_asymptotic
    from qinet.qkd.one_decoy import one_decoy_key_rate_asymptotic

    for eta in (1e-1, 1e-3, 1e-5):
        one = one_decoy_key_rate_asymptotic(
            eta, intensities=(0.5, 0.1), probabilities=(0.9, 0.1), alice_z_probability=0.5,
            bob_z_probability=0.5, dark_count_probability=1e-7, error_z=0.01, error_x=0.01)
        # the same link as infinitely many decoys at μ = 0.5 (Ma et al. 2005): e_d = 1 %,
        # Y0 = 2 p_d, sifting 1/4 of the signals
        ideal = decoy_bb84_key_rate_asymptotic(eta, mu=0.5, y0=2e-7, e_d=0.01, q=0.25 * 0.9)
        assert one < ideal
