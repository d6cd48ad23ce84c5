"""Finite-key secret length of BB84 with one decoy (two intensities), and its three-state form.

The bound of D. Rusca, A. Boaron, F. Grünenfelder, A. Martin and H. Zbinden,
"Finite-key analysis for the 1-decoy state QKD protocol", Appl. Phys. Lett. 112, 171104
(2018), arXiv:1801.03443 (cited as *Rusca 2018*), valid against general attacks. Alice
sends a signal μ1 and a single decoy μ2 < μ1 with probabilities p_μ1, p_μ2 = 1 - p_μ1;
there is no vacuum class. The key is drawn from the Z basis and the phase error is
estimated in the X basis. With ``τ_n = Σ_k p_k e^{-μ_k} μ_k^n / n!`` and
``δ(n, ε) = sqrt(n/2 · ln(1/ε))``:

* corrected counts ``n^±_{Z,k} = e^{μ_k} / p_k [n_{Z,k} ± δ(n_Z, ε_sec/19)]``, the same for
  X counts and for errors (with the error total in δ);
* vacuum events, an upper bound from the decoy's errors (a vacuum click is wrong half the
  time): ``s^u_{Z,0} = 2 [τ_0 e^{μ2}/p_μ2 m_{Z,μ2} + δ(n_Z, ε_sec/19)]``, and a lower
  bound ``s^l_{Z,0} = τ_0 (μ1 n^-_{Z,μ2} - μ2 n^+_{Z,μ1}) / (μ1 - μ2)``;
* single-photon events ``s_{Z,1} >= τ_1 μ1 [n^-_{Z,μ2} - μ2²/μ1² n^+_{Z,μ1}
  - (μ1² - μ2²)/μ1² s^u_{Z,0}/τ_0] / (μ2 (μ1 - μ2))``, the same in X;
* single-photon errors in X ``v_{X,1} <= τ_1 (m^+_{X,μ1} - m^-_{X,μ2}) / (μ1 - μ2)``;
* the phase error ``φ_Z <= v_{X,1}/s_{X,1} + γ(ε_sec, v_{X,1}/s_{X,1}, s_{X,1}, s_{Z,1})``
  with the sampling term γ of Lim et al. 2014, Eq. (5) (19 shares of ε_sec here);
* ``ℓ = ⌊s^l_{Z,0} + s_{Z,1} (1 - h(φ_Z)) - λ_EC - 6 log2(19/ε_sec) - log2(2/ε_cor)⌋``.

Dropping the vacuum class costs little: the vacuum yield is bounded from the decoy's
error rate instead, and fewer classes leave more pulses per class, which helps at small
blocks (Rusca 2018).

**Three states** (Boaron et al., Phys. Rev. Lett. 121, 190502 (2018)): Alice prepares the
two Z states (time bins) and a single X state ``|+>``; Bob measures Z directly and X
with an interferometer. Rusca, Boaron, Curty, Martin and Zbinden, Phys. Rev. A 98,
052336 (2018) show that the phase error is then bounded as in BB84 from the errors of
``|+>`` in X, so the bound above applies with the X counts being the ``|+>`` rounds
measured in X. :func:`three_state_expected_counts` gives the counts a link of known
transmittance, dark counts and optical errors produces on average.

Examples:
    A block of 10^7 key bits over a 30 dB link (the counts it gives on average):

    >>> c = three_state_expected_counts(1e-3, key_block=1e7, intensities=(0.5, 0.15),
    ...     probabilities=(0.7, 0.3), alice_z_probability=0.9, bob_z_probability=0.9,
    ...     dark_count_probability=1e-9, error_z=0.003, error_x=0.02)
    >>> b = one_decoy_key_length(c.n_z, c.n_x, c.m_z, c.m_x, intensities=(0.5, 0.15),
    ...                          probabilities=(0.7, 0.3), lambda_ec=1.1e7 * 0.0295,
    ...                          epsilon_sec=1e-9, epsilon_cor=1e-15)
    >>> round(b.length / 1e7, 3), round(b.phi_z, 3)
    (0.309, 0.083)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qinet.errors import ConfigError
from qinet.qkd._checks import check_epsilons, check_misalignment, check_open_probability
from qinet.qkd.bounds import F_EC, binary_entropy
from qinet.qkd.finite_key import (
    corrected_counts,
    hoeffding_delta,
    key_length_unclipped,
    phase_error_upper,
    photon_number_probability,
)

EPSILON_SHARES = 19
"""ε_sec is split into 19 failure probabilities in the one-decoy analysis (Rusca 2018)."""


@dataclass(frozen=True, slots=True)
class OneDecoyBound:
    """Every estimate behind one finite-key length of :func:`one_decoy_key_length`.

    Attributes:
        length: ℓ, secret bits after privacy amplification (>= 0).
        length_unclipped: the right-hand side before flooring and clipping.
        s_z0: lower bound on the vacuum events of the key basis.
        s_z0_upper: upper bound on them (from the decoy's errors).
        s_z1: lower bound on the single-photon events of the key basis.
        s_x1: lower bound on the single-photon events of the test basis.
        v_x1: upper bound on the single-photon errors of the test basis.
        phi_z: upper bound on the single-photon phase error rate of the key, in [0, 1/2].
    """

    length: int
    length_unclipped: float
    s_z0: float
    s_z0_upper: float
    s_z1: float
    s_x1: float
    v_x1: float
    phi_z: float


def _two(name: str, values: ArrayLike) -> tuple[float, float]:
    out = tuple(float(v) for v in np.ravel(np.asarray(values, dtype=np.float64)))
    if len(out) != 2:
        raise ConfigError(name, f"must have one entry per intensity (2), got {len(out)}")
    if any(not math.isfinite(v) or v < 0.0 for v in out):
        raise ConfigError(name, f"must be finite and >= 0, got {list(out)}")
    return out[0], out[1]


def _single_photons(counts: tuple[float, float], errors: tuple[float, float],
                    mu: tuple[float, float], p: tuple[float, float], delta: float
                    ) -> tuple[float, float, float]:
    """``(s0_lower, s0_upper, s1_lower)`` of one basis (Rusca 2018, Eqs. 2-4), with the
    Hoeffding excess ``delta`` of its detections (0: the asymptotic bounds)."""
    m1, m2 = mu
    tau0 = photon_number_probability(0, mu, p)
    tau1 = photon_number_probability(1, mu, p)
    lo = corrected_counts(counts, mu, p, delta, -1.0)
    hi = corrected_counts(counts, mu, p, delta, +1.0)
    s0_up = 2.0 * (tau0 * math.exp(m2) / p[1] * errors[1] + delta)
    s0_lo = max(0.0, tau0 * (m1 * lo[1] - m2 * hi[0]) / (m1 - m2))
    s1 = tau1 * m1 * (lo[1] - m2 * m2 / (m1 * m1) * hi[0]
                      - (m1 * m1 - m2 * m2) / (m1 * m1) * s0_up / tau0) / (m2 * (m1 - m2))
    return s0_lo, s0_up, max(0.0, s1)


def one_decoy_key_length(
    n_z: ArrayLike,
    n_x: ArrayLike,
    m_z: ArrayLike,
    m_x: ArrayLike,
    *,
    intensities: ArrayLike,
    probabilities: ArrayLike,
    lambda_ec: float,
    epsilon_sec: float,
    epsilon_cor: float,
) -> OneDecoyBound:
    """Secret key length of one-decoy BB84 after a finite run (Rusca 2018, Eq. 1).

    Args:
        n_z: key-basis detections per intensity (μ1, μ2); both enter the key.
        n_x: test-basis detections per intensity.
        m_z: key-basis errors per intensity (they bound the vacuum events).
        m_x: test-basis errors per intensity.
        intensities: (μ1, μ2) with μ1 > μ2 > 0.
        probabilities: (p_μ1, p_μ2), positive, summing to 1.
        lambda_ec: bits disclosed by error correction.
        epsilon_sec: secrecy parameter in (0, 1).
        epsilon_cor: correctness parameter in (0, 1).

    Returns:
        The length and the bounds it rests on.

    Raises:
        ConfigError: a count negative or an error count above its detections, the
            intensities out of order, or a parameter out of range.
    """
    nz, nx, mz, mx = (_two(name, v) for name, v in
                      (("n_z", n_z), ("n_x", n_x), ("m_z", m_z), ("m_x", m_x)))
    mu = _two("intensities", intensities)
    p = _two("probabilities", probabilities)
    if not mu[0] > mu[1] > 0.0:
        raise ConfigError("intensities", f"need mu1 > mu2 > 0, got {list(mu)}")
    if min(p) <= 0.0 or abs(sum(p) - 1.0) > 1e-9:
        raise ConfigError("probabilities", f"must be positive and sum to 1, got {list(p)}")
    for name, errs, dets in (("m_z", mz, nz), ("m_x", mx, nx)):
        if any(e > n for e, n in zip(errs, dets, strict=True)):
            raise ConfigError(name, f"errors cannot exceed detections, got {list(errs)} > "
                                    f"{list(dets)}")
    if not math.isfinite(lambda_ec) or lambda_ec < 0.0:
        raise ConfigError("lambda_ec", f"must be non-negative, got {lambda_ec!r}")
    check_epsilons(epsilon_sec, epsilon_cor)
    eps = epsilon_sec / EPSILON_SHARES
    s_z0, s_z0_up, s_z1 = _single_photons(nz, mz, mu, p, hoeffding_delta(sum(nz), eps))
    _, _, s_x1 = _single_photons(nx, mx, mu, p, hoeffding_delta(sum(nx), eps))
    tau1 = photon_number_probability(1, mu, p)
    delta_m = hoeffding_delta(sum(mx), eps)
    m_hi = corrected_counts(mx, mu, p, delta_m, +1.0)
    m_lo = corrected_counts(mx, mu, p, delta_m, -1.0)
    v_x1 = max(0.0, tau1 * (m_hi[0] - m_lo[1]) / (mu[0] - mu[1]))
    phi = phase_error_upper(v_x1, s_x1, s_z1, epsilon_sec, shares=EPSILON_SHARES)
    raw = key_length_unclipped(s_z0, s_z1, phi, lambda_ec, epsilon_sec, epsilon_cor,
                               shares=EPSILON_SHARES)
    return OneDecoyBound(max(0, math.floor(raw)), raw, s_z0, s_z0_up, s_z1, s_x1, v_x1, phi)


@dataclass(frozen=True, slots=True)
class ExpectedCounts:
    """Mean detections and errors of a three-state one-decoy run, per intensity (μ1, μ2).

    Attributes:
        pulses: pulses sent.
        n_z: key-basis detections (Z prepared, Z measured).
        m_z: their errors.
        n_x: test detections (``|+>`` prepared, X measured).
        m_x: their errors.
    """

    pulses: float
    n_z: tuple[float, float]
    m_z: tuple[float, float]
    n_x: tuple[float, float]
    m_x: tuple[float, float]


def three_state_expected_counts(
    transmittance_total: float,
    *,
    key_block: float,
    intensities: Sequence[float],
    probabilities: Sequence[float],
    alice_z_probability: float,
    bob_z_probability: float,
    dark_count_probability: float,
    error_z: float,
    error_x: float,
) -> ExpectedCounts:
    """The counts of one block of ``key_block`` key-basis detections, on average.

    A pulse of mean μ reaches Bob's detectors with ``η μ`` photons on average (``η`` the
    total transmittance, detector efficiency included), so a basis clicks with
    ``D_k = 1 - (1 - p_d)² e^{-η μ_k}`` (two detection windows or detectors per basis,
    each dark with ``p_d``) and is wrong with ``p_d + e (1 - e^{-η μ_k})``, ``e`` the optical
    error of that basis (time-bin crosstalk in Z, interferometer visibility in X).
    Alice sends Z states with ``alice_z_probability`` (the X state the rest), Bob
    measures Z with ``bob_z_probability``; the run lasts until the Z basis holds
    ``key_block`` detections.

    Examples:
        >>> c = three_state_expected_counts(1e-3, key_block=1e6, intensities=(0.5, 0.2),
        ...     probabilities=(0.8, 0.2), alice_z_probability=0.9, bob_z_probability=0.9,
        ...     dark_count_probability=0.0, error_z=0.0, error_x=0.02)
        >>> round(sum(c.n_z)), c.m_z
        (1000000, (0.0, 0.0))
    """
    mu = _two("intensities", intensities)
    p = _two("probabilities", probabilities)
    for name, v in (("alice_z_probability", alice_z_probability),
                    ("bob_z_probability", bob_z_probability)):
        check_open_probability(name, v)
    check_misalignment(error_z)
    check_misalignment(error_x)
    eta, p_d = float(transmittance_total), float(dark_count_probability)
    if not (0.0 < eta <= 1.0 and 0.0 <= p_d < 1.0):
        raise ConfigError("transmittance_total", f"need 0 < eta <= 1 and 0 <= p_d < 1, got "
                                                 f"{eta!r}, {p_d!r}")
    signal = [-math.expm1(-eta * k) for k in mu]
    click = [1.0 - (1.0 - p_d) ** 2 * math.exp(-eta * k) for k in mu]
    share_z = alice_z_probability * bob_z_probability
    share_x = (1.0 - alice_z_probability) * (1.0 - bob_z_probability)
    pulses = key_block / (share_z * sum(pk * d for pk, d in zip(p, click, strict=True)))

    def per_class(share: float, values: list[float]) -> tuple[float, float]:
        return (pulses * share * p[0] * values[0], pulses * share * p[1] * values[1])

    return ExpectedCounts(
        pulses=pulses,
        n_z=per_class(share_z, click),
        m_z=per_class(share_z, [p_d + error_z * s for s in signal]),
        n_x=per_class(share_x, click),
        m_x=per_class(share_x, [p_d + error_x * s for s in signal]))


def one_decoy_key_rate_asymptotic(
    transmittance_total: float,
    *,
    intensities: Sequence[float],
    probabilities: Sequence[float],
    alice_z_probability: float,
    bob_z_probability: float,
    dark_count_probability: float,
    error_z: float,
    error_x: float,
    f_ec: float = F_EC,
) -> float:
    """The one-decoy bound without statistical fluctuations: secret bits per pulse sent.

    The bounds of :func:`one_decoy_key_length` on the mean counts of
    :func:`three_state_expected_counts` with every Hoeffding and sampling term at zero,
    ``R = [s_{Z,0} + s_{Z,1} (1 - H2(v_{X,1}/s_{X,1})) - f n_Z H2(E_Z)] / N``, clipped at 0:
    the rate a block of unbounded size approaches. Two intensities bound the single
    photons less tightly than infinitely many decoys, so on a common link it falls below
    :func:`qinet.qkd.bounds.decoy_bb84_key_rate_asymptotic` (the tests check three).

    Examples:
        >>> r = one_decoy_key_rate_asymptotic(1e-3, intensities=(0.5, 0.15),
        ...     probabilities=(0.7, 0.3), alice_z_probability=0.9, bob_z_probability=0.9,
        ...     dark_count_probability=1e-9, error_z=0.003, error_x=0.02)
        >>> f"{r:.4e}"
        '1.3312e-04'
    """
    if not f_ec >= 1.0:
        raise ConfigError("f_ec", f"must be at least 1, got {f_ec!r}")
    mu = _two("intensities", intensities)
    p = _two("probabilities", probabilities)
    if not mu[0] > mu[1] > 0.0:
        raise ConfigError("intensities", f"need mu1 > mu2 > 0, got {list(mu)}")
    c = three_state_expected_counts(
        transmittance_total, key_block=1.0, intensities=mu, probabilities=p,
        alice_z_probability=alice_z_probability, bob_z_probability=bob_z_probability,
        dark_count_probability=dark_count_probability, error_z=error_z, error_x=error_x)
    s_z0, _, s_z1 = _single_photons(c.n_z, c.m_z, mu, p, 0.0)
    _, _, s_x1 = _single_photons(c.n_x, c.m_x, mu, p, 0.0)
    tau1 = photon_number_probability(1, mu, p)
    v_x1 = max(0.0, tau1 * (math.exp(mu[0]) / p[0] * c.m_x[0]
                            - math.exp(mu[1]) / p[1] * c.m_x[1]) / (mu[0] - mu[1]))
    phi = min(0.5, v_x1 / s_x1) if s_x1 > 0.0 else 0.5
    e_z = sum(c.m_z) / sum(c.n_z)
    key = (s_z0 + s_z1 * (1.0 - float(binary_entropy(phi)))
           - f_ec * sum(c.n_z) * float(binary_entropy(min(e_z, 1.0))))
    return max(key, 0.0) / c.pulses
