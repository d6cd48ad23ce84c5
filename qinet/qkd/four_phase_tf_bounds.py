"""Twin-field QKD without phase post-selection (four phases): asymptotic key rate.

The key of the four-phase twin-field protocol (S. Wang et al., Nat. Photon. 16, 154
(2022), after Curty, Azuma and Lo, npj Quantum Inf. 5, 64 (2019), cited as *CAL 2019*,
and Cui et al., Phys. Rev. Applied 11, 034053 (2019)) comes from coherent states whose
phases are *not* randomised: in a code round Alice sends ``|(-1)^{b_A} √μ>`` and Bob
``|(-1)^{b_B} √μ>`` (phases 0 or π; the other pair of the four phases, π/2 and 3π/2,
plays the conjugate basis), so no phase slices are announced and no round is thrown
away for mismatched phases. Decoy rounds with randomised phases measure the yields
``Y^j_{nm}`` of n photons from Alice and m from Bob clicking detector j alone.

Charlie's detector 0 clicks alone for equal bits, detector 1 for different ones. With
arms ``η_a``, ``η_b`` (fibre times detector efficiency), misalignment taken as a fixed
residual phase δ between the pulses (``e_d = (1 - cos δ)/2``, a shift the phase-randomised
decoys do not see), ``λ_{0,1} = (η_a μ + η_b μ)/2 ± √(η_a η_b) μ cos δ`` and dark counts
``p_d``:

* gain ``Q = (1 - p_d)(e^{-λ_0} + e^{-λ_1}) - 2 (1 - p_d)² e^{-λ_0 - λ_1}``, error
  ``E Q = (1 - p_d) e^{-λ_0} - (1 - p_d)² e^{-λ_0 - λ_1}`` (the wrong detector alone);
* phase error, by the Cauchy–Schwarz bound of CAL 2019 (Eq. 5, summed over detectors),
  from the even and odd photon-number parts of the code states,
  ``e_ph Q <= Σ_j [(Σ_{n,m} c_{2n} c_{2m} √Y^j_{2n,2m})² + (Σ c_{2n+1} c_{2m+1}
  √Y^j_{2n+1,2m+1})²]`` with ``c_k = e^{-μ/2} μ^{k/2} / √k!``;
* ``R = Q [1 - H2(e_ph)] - f Q H2(E)`` per code-round pulse pair (times ``p_code²``).

The yield of k photons from Alice and l from Bob reaching the beam splitter is the
chance that all of them leave by port j, ``C(k+l, k)/2^{k+l}`` (bosonic bunching of
indistinguishable photons), times no dark count in the other detector, less the chance
of no click at all; losses thin n and m binomially. The rate scales as ``√η_AB``.

Examples:
    >>> r = four_phase_key_rate_asymptotic(1e-4, 1e-4, mu=0.02,
    ...                                    dark_count_probability=1e-9, misalignment=0.02)
    >>> f"{r:.4e}"
    '1.8871e-06'
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import comb, gammaln

from qinet.errors import ConfigError
from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray
from qinet.qkd.bounds import F_EC, binary_entropy_unchecked

PHOTON_CUTOFF = 14
"""Photon numbers per end kept in the phase-error sum; the weights beyond fall as
``μ^{n/2}/√n!``, negligible for the signals TF-QKD uses (μ < 1)."""


def four_phase_gain_and_qber(eta_a: ArrayLike, eta_b: ArrayLike, *, mu: float,
                             dark_count_probability: ArrayLike,
                             misalignment: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``(Q, E)`` of the code rounds (the module's first bullet).

    Examples:
        >>> q, e = four_phase_gain_and_qber(0.01, 0.01, mu=0.1, dark_count_probability=0.0,
        ...                                 misalignment=0.0)
        >>> round(float(q), 6), float(e)
        (0.001998, 0.0)
    """
    a = chk.probability("eta_a", eta_a)
    b = chk.probability("eta_b", eta_b)
    m = float(chk.non_negative("mu", mu))
    p_d = chk.probability("dark_count_probability", dark_count_probability)
    e_d = chk.checked("misalignment", misalignment, low=0.0, high=0.5)
    keep = 1.0 - p_d
    mean = (a + b) * m / 2.0
    coherent = np.sqrt(a * b) * m * (1.0 - 2.0 * e_d)
    lam0, lam1 = mean + coherent, mean - coherent
    none = keep**2 * np.exp(-lam0 - lam1)
    gain = keep * (np.exp(-lam0) + np.exp(-lam1)) - 2.0 * none
    wrong = keep * np.exp(-lam0) - none
    with np.errstate(divide="ignore", invalid="ignore"):
        qber = np.where(gain > 0.0, wrong / gain, 0.5)
    return gain, qber


def photon_pair_yields(eta_a: ArrayLike, eta_b: ArrayLike, *,
                       dark_count_probability: ArrayLike,
                       cutoff: int = PHOTON_CUTOFF) -> FloatArray:
    """``Y_{nm}`` for n, m = 0..cutoff: one given detector alone clicks (either, by symmetry).

    Returns:
        Array of shape ``broadcast(eta_a, eta_b).shape + (cutoff + 1, cutoff + 1)``.

    Examples:
        >>> y = photon_pair_yields(1.0, 1.0, dark_count_probability=0.0, cutoff=2)
        >>> float(y[1, 1]), float(y[0, 1]), float(y[2, 0])  # HOM: 1 + 1 photons bunch
        (0.5, 0.5, 0.25)
    """
    a = chk.probability("eta_a", eta_a)[..., None, None]
    b = chk.probability("eta_b", eta_b)[..., None, None]
    keep = 1.0 - chk.probability("dark_count_probability",
                                 dark_count_probability)[..., None, None]
    n = np.arange(cutoff + 1)
    total, part = np.meshgrid(n, n, indexing="ij")
    # all-in-one-port chance of k and l surviving photons: C(k+l, k) / 2^{k+l}
    click = keep * comb(total + part, total) / 2.0 ** (total + part)
    click = click - keep**2 * ((total + part) == 0)
    # survive[..., n, k]: k of n photons cross an arm, C(n, k) η^k (1 - η)^{n-k}
    lost = np.maximum(total - part, 0)
    choose = comb(total, part)

    def survive(eta: FloatArray) -> FloatArray:
        out: FloatArray = choose * eta**part * (1.0 - eta) ** lost
        return out

    yields: FloatArray = survive(a) @ click @ np.swapaxes(survive(b), -1, -2)
    return yields


def four_phase_phase_error(eta_a: ArrayLike, eta_b: ArrayLike, *, mu: float,
                           dark_count_probability: ArrayLike, gain: ArrayLike,
                           cutoff: int = PHOTON_CUTOFF) -> FloatArray:
    """The Cauchy–Schwarz phase-error bound of CAL 2019 (module), clipped to [0, 1/2].

    Examples:
        >>> q, _ = four_phase_gain_and_qber(1e-3, 1e-3, mu=0.02, dark_count_probability=0.0,
        ...                                 misalignment=0.0)
        >>> round(float(four_phase_phase_error(1e-3, 1e-3, mu=0.02,
        ...                                    dark_count_probability=0.0, gain=q)), 4)
        0.0599

    At small μ and η it is about ``3μ``: the two-photon terms against the gain ``2ημ``.
    """
    m = float(chk.positive("mu", mu))
    y = photon_pair_yields(eta_a, eta_b, dark_count_probability=dark_count_probability,
                           cutoff=cutoff)
    n = np.arange(cutoff + 1)
    c = np.exp(-m / 2.0 + n / 2.0 * math.log(m) - gammaln(n + 1) / 2.0)
    weight = c[:, None] * c[None, :]
    root = np.sqrt(np.maximum(y, 0.0)) * weight
    even, odd = n % 2 == 0, n % 2 == 1
    per_detector = (root[..., even, :][..., :, even].sum(axis=(-2, -1)) ** 2
                    + root[..., odd, :][..., :, odd].sum(axis=(-2, -1)) ** 2)
    q = np.asarray(gain, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_ph = np.where(q > 0.0, 2.0 * per_detector / q, 0.5)
    return np.clip(e_ph, 0.0, 0.5)


def four_phase_key_rate_asymptotic(
    eta_a: ArrayLike,
    eta_b: ArrayLike,
    *,
    mu: float,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
    f_ec: float = F_EC,
    code_probability: float = 1.0,
) -> float | FloatArray:
    """``p_code² Q [1 - H2(e_ph) - f H2(E)]`` per pulse pair sent, infinitely many decoys,
    clipped at 0 (CAL 2019, Eq. 4; terms in the module).

    Args:
        eta_a: Alice→Charlie transmittance times detector efficiency (vectorised).
        eta_b: Bob→Charlie transmittance times detector efficiency (vectorised).
        mu: mean photon number of each end's code pulse (> 0).
        dark_count_probability: p_d per detector and window.
        misalignment: e_d, the residual phase error as a bit-flip probability.
        f_ec: error-correction inefficiency (>= 1).
        code_probability: the probability that an end sends a code pulse (1 is the
            asymptotic limit of a vanishing decoy share).

    Examples:
        >>> r = four_phase_key_rate_asymptotic(1e-3, 1e-3, mu=0.02, dark_count_probability=0.0,
        ...                                    misalignment=0.0, f_ec=1.0)
        >>> round(float(r) / 1e-3, 4)  # per pulse pair, over the arm transmittance
        0.0269
    """
    f = float(chk.checked("f_ec", f_ec, low=1.0))
    pc = float(chk.checked("code_probability", code_probability, low=0.0, high=1.0,
                           low_open=True))
    q, e = four_phase_gain_and_qber(eta_a, eta_b, mu=mu,
                                    dark_count_probability=dark_count_probability,
                                    misalignment=misalignment)
    e_ph = four_phase_phase_error(eta_a, eta_b, mu=mu,
                                  dark_count_probability=dark_count_probability, gain=q)
    frac = 1.0 - binary_entropy_unchecked(e_ph) - f * binary_entropy_unchecked(
        np.clip(e, 0.0, 1.0))
    return chk.out(np.maximum(pc * pc * q * frac, 0.0))


def cauchy_schwarz_phase_errors(yields: ArrayLike, *, mu: float) -> float:
    """Phase errors per code pulse pair, ``Σ_j [(Σ_even c c √Y^j)² + (Σ_odd c c √Y^j)²]``,
    from yields known only up to a cutoff (CAL 2019, Eq. 5; the module's second bullet).

    ``yields[j, n, m]`` is (an upper bound on) ``Y^j_{nm}`` for detector j and
    ``n, m <= K``; the terms beyond the box, where nothing is known, take ``√Y <= 1``,
    so they add ``Σ c_n c_m`` over the photon numbers outside it (summed to 80, where
    ``c_n`` is below 1e-40 for any μ < 1). Upper bounds in, an upper bound out: each term
    grows with its yield. Divided by the gain this is the phase-error rate.

    Examples:
        >>> q, _ = four_phase_gain_and_qber(1e-3, 1e-3, mu=0.02, dark_count_probability=0.0,
        ...                                 misalignment=0.0)
        >>> y = photon_pair_yields(1e-3, 1e-3, dark_count_probability=0.0, cutoff=8)
        >>> round(cauchy_schwarz_phase_errors(np.stack([y, y]), mu=0.02) / float(q), 4)
        0.0599
    """
    m = float(chk.positive("mu", mu))
    y = np.asarray(yields, dtype=float)
    if y.ndim != 3 or y.shape[1] != y.shape[2]:
        raise ConfigError("yields", f"must have shape (detectors, K + 1, K + 1), got {y.shape}")
    k = y.shape[1]
    n = np.arange(80)
    c = np.exp(-m / 2.0 + n / 2.0 * math.log(m) - gammaln(n + 1) / 2.0)
    weight = c[:, None] * c[None, :]
    outside = np.ones_like(weight, dtype=bool)
    outside[:k, :k] = False
    parity = n[:, None] % 2
    same = parity == parity.T
    total = 0.0
    for j in range(y.shape[0]):
        root = np.sqrt(np.clip(y[j], 0.0, 1.0)) * weight[:k, :k]
        for p in (0, 1):
            inside = (parity[:k, :k] == p) & same[:k, :k]
            tail = weight[outside & same & (parity == p)].sum()
            total += float(root[inside].sum() + tail) ** 2
    return total
