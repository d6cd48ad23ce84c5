"""Finite-key secret length of decoy-state BB84 with two decoys (three intensities).

The bound of C. C. W. Lim, M. Curty, N. Walenta, F. Xu and H. Zbinden, "Concise security
bounds for practical decoy-state quantum key distribution", Phys. Rev. A 89, 022307
(2014), Eqs. (1)-(5), valid against general attacks. Here the key is drawn from the Z
basis and the phase error is estimated from the X basis (the paper calls the key basis
X; only the labels differ). With intensities μ1 > μ2 + μ3, μ2 > μ3 ≥ 0 chosen with
probabilities p_k, and ``τ_n = Σ_k p_k e^{-k} k^n / n!``:

* Hoeffding-corrected counts ``n^±_{Z,k} = e^k / p_k [n_{Z,k} ± δ(n_Z, ε_sec/21)]`` with
  ``δ(n, ε) = sqrt(n/2 · ln(1/ε))``, the same for the X counts and the X errors
  ``m^±_{X,k}`` (with ``m_X`` in δ);
* vacuum events ``s_0 ≥ τ_0 (μ2 n^-_{μ3} − μ3 n^+_{μ2}) / (μ2 − μ3)`` (Eq. 2);
* single-photon events ``s_1 ≥ τ_1 μ1 [n^-_{μ2} − n^+_{μ3} − (μ2² − μ3²)/μ1² (n^+_{μ1} −
  s_0/τ_0)] / [μ1 (μ2 − μ3) − μ2² + μ3²]`` (Eq. 3), in both bases;
* single-photon errors in X ``v_{X,1} ≤ τ_1 (m^+_{X,μ2} − m^-_{X,μ3}) / (μ2 − μ3)`` (Eq. 4);
* phase error rate ``φ_Z ≤ v_{X,1}/s_{X,1} + γ(ε_sec, v_{X,1}/s_{X,1}, s_{X,1}, s_{Z,1})`` with
  ``γ(a, b, c, d) = sqrt((c + d)(1 − b) b / (c d ln 2) · log2((c + d) 21² / (c d (1 − b) b a²)))``
  (Eq. 5);
* ``ℓ = ⌊s_{Z,0} + s_{Z,1} (1 − h(φ_Z)) − λ_EC − 6 log2(21/ε_sec) − log2(2/ε_cor)⌋`` (Eq. 1).

Counts that a bound drives below zero are clipped at zero (the true counts are
non-negative, so the clipped value is still a valid lower bound), and φ_Z at 1/2.

Against the paper's evaluation (Sec. IV, dedicated fibre; n = n_X is the post-processing
block, the key-basis detections of all intensities, and ℓ/N the rate per pulse), with
η_sys = η_ch η_Bob in the misalignment term (the printed η_ch would make the optical
error 5 % of the detections and end even 10^4-bit blocks before 100 km) and λ_EC from the
key basis's pooled error rate:

* at 100 km the optimised rate with n = 10^9 is 1.79 times that with n = 10^7 (paper:
  "about 1.75");
* a block of 10^4 gives its last key, about 40 bits, at 130.4 km, not at the published
  135 km. Every formula above is as printed in the paper, so the gap lies in an input
  of the evaluation. ε_sec is the likeliest: with ε_sec = κ ℓ and κ = 10^-15 it is about
  4e-14 at the end of that curve, and 6 log2(21/ε_sec), δ and γ all grow as it shrinks.
  Held at 10^-10 the last key moves to 135.3 km (κ = 10^-12: 134.1 km). Other inputs
  move it less (f_EC = 1.10: 132.7 km; ε_cor = 10^-10: 130.6 km; γ without its 21²:
  130.8 km) or past it (no after-pulses: 145 km).
  The rate-optimal test basis grows towards the end (q → 0 for the key basis), so the
  rate there falls well below the 10^-7 at the bottom of the paper's Fig. 1.

Examples:
    Expected counts of a 50 km link (the model of the paper's Fig. 1, 10^7 key bits):

    >>> b = lim2014_key_length([6163605, 3834112, 2283], [172734, 107450, 64],
    ...                        [4176, 2611, 13], intensities=(0.41, 0.22, 2e-4),
    ...                        probabilities=(0.38, 0.44, 0.18), lambda_ec=1911205,
    ...                        epsilon_sec=1e-10, epsilon_cor=1e-15)
    >>> b.length, round(b.phi_z, 4), round(b.s_z1)
    (2604933, 0.0567, 6585354)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qinet.errors import ConfigError
from qinet.qkd._checks import check_epsilons
from qinet.qkd.bounds import binary_entropy

EPSILON_SHARES = 21
"""ε_sec is split into 21 equal failure probabilities (Lim et al. 2014, Eq. B4)."""


@dataclass(frozen=True, slots=True)
class Lim2014Bound:
    """Every estimate behind one finite-key length of :func:`lim2014_key_length`.

    Attributes:
        length: ℓ, secret bits after privacy amplification (≥ 0).
        length_unclipped: the right-hand side of Eq. (1) before flooring and clipping.
        s_z0: lower bound on the vacuum events in the key basis.
        s_z1: lower bound on the single-photon events in the key basis.
        s_x0: lower bound on the vacuum events in the test basis.
        s_x1: lower bound on the single-photon events in the test basis.
        v_x1: upper bound on the single-photon bit errors in the test basis.
        phi_z: upper bound on the single-photon phase error rate of the key, in [0, 1/2].
        lambda_ec: bits disclosed by error correction, as given.
        epsilon_sec: secrecy parameter, as given.
        epsilon_cor: correctness parameter, as given.
    """

    length: int
    length_unclipped: float
    s_z0: float
    s_z1: float
    s_x0: float
    s_x1: float
    v_x1: float
    phi_z: float
    lambda_ec: float
    epsilon_sec: float
    epsilon_cor: float


def hoeffding_delta(n: float, epsilon: float) -> float:
    """δ(n, ε) = sqrt(n/2 · ln(1/ε)) (Hoeffding, J. Am. Stat. Assoc. 58, 13 (1963)).

    Examples:
        >>> round(hoeffding_delta(200, math.exp(-1)), 12)
        10.0
    """
    return math.sqrt(n / 2.0 * math.log(1.0 / epsilon))


def photon_number_probability(n: int, intensities: Sequence[float],
                              probabilities: Sequence[float]) -> float:
    """τ_n = Σ_k p_k e^{-k} k^n / n!: probability that Alice sends n photons.

    Examples:
        >>> photon_number_probability(0, (0.5, 0.0), (0.5, 0.5)) == 0.5 * math.exp(-0.5) + 0.5
        True
    """
    return sum(p * math.exp(-k) * k**n / math.factorial(n)
               for k, p in zip(intensities, probabilities, strict=True))


def gamma_sampling(a: float, b: float, c: float, d: float, *,
                   shares: int = EPSILON_SHARES) -> float:
    """γ(a, b, c, d) of Lim et al. 2014, Eq. (5): random-sampling correction to a rate.

    ``b`` is the rate observed on ``c`` sampled events and ``d`` the size of the other
    set; ``a`` is ε_sec, split into ``shares`` parts (21 in Lim et al.; 19 in the
    one-decoy analysis of Rusca et al. 2018, whose factor is 19²). Its limit at b = 0 or
    1 is 0.

    Examples:
        >>> gamma_sampling(1e-10, 0.0, 1e4, 1e5)
        0.0
        >>> 0.0 < gamma_sampling(1e-10, 0.02, 1e4, 1e5) < 0.05
        True
        >>> round(gamma_sampling(1e-9, 0.02, 1e4, 1e5, shares=19), 4)
        0.0138
    """
    spread = b * (1.0 - b)
    if spread <= 0.0:
        return 0.0
    inner = (c + d) / (c * d * spread) * shares**2 / a**2
    return math.sqrt((c + d) * spread / (c * d * math.log(2.0)) * math.log2(inner))


def phase_error_upper(v_x1: float, s_x1: float, s_z1: float, epsilon_sec: float, *,
                      shares: int = EPSILON_SHARES) -> float:
    """φ_Z^u = v_X1 / s_X1 + γ(ε_sec, v_X1 / s_X1, s_X1, s_Z1), at most 1/2 (1/2 when
    either basis has no single photons or the errors fill s_X1): Lim et al. 2014,
    Eq. (4), shared by the one-decoy bound of Rusca et al. 2018."""
    if s_x1 > 0.0 and s_z1 > 0.0 and v_x1 < s_x1:
        ratio = v_x1 / s_x1
        return min(0.5, ratio + gamma_sampling(epsilon_sec, ratio, s_x1, s_z1, shares=shares))
    return 0.5


def key_length_unclipped(s_z0: float, s_z1: float, phase_error: float, lambda_ec: float,
                         epsilon_sec: float, epsilon_cor: float, *,
                         shares: int = EPSILON_SHARES) -> float:
    """ℓ before the floor: s_Z0 + s_Z1 (1 − h(φ)) − λ_EC − 6 log2(shares/ε_sec) −
    log2(2/ε_cor) (Lim et al. 2014, Eq. (1); Rusca et al. 2018 with 19 shares)."""
    return (s_z0 + s_z1 * (1.0 - float(binary_entropy(phase_error))) - lambda_ec
            - 6.0 * math.log2(shares / epsilon_sec) - math.log2(2.0 / epsilon_cor))


def _three(name: str, values: ArrayLike, *, low: float = 0.0) -> tuple[float, ...]:
    out = tuple(float(v) for v in np.ravel(np.asarray(values, dtype=np.float64)))
    if len(out) != 3:
        raise ConfigError(name, f"must have one entry per intensity (3), got {len(out)}")
    if any(not math.isfinite(v) or v < low for v in out):
        raise ConfigError(name, f"must be finite and >= {low:g}, got {list(out)}")
    return out


def _check_source(mu: tuple[float, ...], p: tuple[float, ...]) -> None:
    if not (mu[1] > mu[2] and mu[0] > mu[1] + mu[2]):
        raise ConfigError("intensities", f"need mu1 > mu2 + mu3 and mu2 > mu3 >= 0, got {list(mu)}")
    if any(x <= 0.0 for x in p) or abs(sum(p) - 1.0) > 1e-9:
        raise ConfigError("probabilities", f"must be positive and sum to 1, got {list(p)}")


def corrected_counts(counts: Sequence[float], mu: Sequence[float], p: Sequence[float],
                     delta: float, sign: float) -> tuple[float, ...]:
    """n^±_k = e^{μ_k} / p_k (n_k ± δ), per intensity (Lim et al. 2014, Eq. (2))."""
    return tuple(math.exp(k) / pk * (n + sign * delta) for n, k, pk in zip(counts, mu, p,
                                                                           strict=True))


def _vacuum_and_single(counts: tuple[float, ...], mu: tuple[float, ...], p: tuple[float, ...],
                       epsilon: float) -> tuple[float, float]:
    """Eqs. (2) and (3): lower bounds on the vacuum and single-photon events of one basis."""
    delta = hoeffding_delta(sum(counts), epsilon)
    lo = corrected_counts(counts, mu, p, delta, -1.0)
    hi = corrected_counts(counts, mu, p, delta, +1.0)
    m1, m2, m3 = mu
    tau0 = photon_number_probability(0, mu, p)
    tau1 = photon_number_probability(1, mu, p)
    s0 = max(0.0, tau0 * (m2 * lo[2] - m3 * hi[1]) / (m2 - m3))
    multi = (m2 * m2 - m3 * m3) / (m1 * m1) * (hi[0] - s0 / tau0)
    s1 = tau1 * m1 * (lo[1] - hi[2] - multi) / (m1 * (m2 - m3) - m2 * m2 + m3 * m3)
    return s0, max(0.0, s1)


def lim2014_key_length(
    n_z: ArrayLike,
    n_x: ArrayLike,
    m_x: ArrayLike,
    intensities: ArrayLike,
    probabilities: ArrayLike,
    *,
    lambda_ec: float,
    epsilon_sec: float,
    epsilon_cor: float,
) -> Lim2014Bound:
    """Secret key length of decoy-state BB84 after a finite run (Lim et al., PRA 89, 022307).

    Args:
        n_z: key-basis (Z) detections per intensity (μ1, μ2, μ3); all three enter the key.
        n_x: test-basis (X) detections per intensity.
        m_x: test-basis bit errors per intensity.
        intensities: (μ1, μ2, μ3) with μ1 > μ2 + μ3 and μ2 > μ3 ≥ 0.
        probabilities: (p_μ1, p_μ2, p_μ3), positive, summing to 1.
        lambda_ec: bits disclosed by error correction (plus any verification beyond
            log2(2/ε_cor)).
        epsilon_sec: secrecy parameter ε_sec in (0, 1).
        epsilon_cor: correctness parameter ε_cor in (0, 1).

    Returns:
        The length and every bound it rests on.

    Raises:
        ConfigError: a count is negative, a list has the wrong length, the intensities
            break μ1 > μ2 + μ3 > ..., or a parameter is out of range.
    """
    nz = _three("n_z", n_z)
    nx = _three("n_x", n_x)
    mx = _three("m_x", m_x)
    mu = _three("intensities", intensities)
    p = _three("probabilities", probabilities)
    _check_source(mu, p)
    if any(e > n for e, n in zip(mx, nx, strict=True)):
        raise ConfigError("m_x", f"errors cannot exceed detections, got {list(mx)} > {list(nx)}")
    if not math.isfinite(lambda_ec) or lambda_ec < 0.0:
        raise ConfigError("lambda_ec", f"must be non-negative, got {lambda_ec!r}")
    check_epsilons(epsilon_sec, epsilon_cor)
    eps1 = epsilon_sec / EPSILON_SHARES
    s_z0, s_z1 = _vacuum_and_single(nz, mu, p, eps1)
    s_x0, s_x1 = _vacuum_and_single(nx, mu, p, eps1)
    delta_m = hoeffding_delta(sum(mx), eps1)
    m_hi = corrected_counts(mx, mu, p, delta_m, +1.0)
    m_lo = corrected_counts(mx, mu, p, delta_m, -1.0)
    tau1 = photon_number_probability(1, mu, p)
    v_x1 = max(0.0, tau1 * (m_hi[1] - m_lo[2]) / (mu[1] - mu[2]))
    phi = phase_error_upper(v_x1, s_x1, s_z1, epsilon_sec)
    raw = key_length_unclipped(s_z0, s_z1, phi, lambda_ec, epsilon_sec, epsilon_cor)
    length = max(0, math.floor(raw))
    return Lim2014Bound(length, raw, s_z0, s_z1, s_x0, s_x1, v_x1, phi, float(lambda_ec),
                        epsilon_sec, epsilon_cor)
