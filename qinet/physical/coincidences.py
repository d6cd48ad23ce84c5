"""Coincidences of a photon-pair source seen by one detector at each end: the
coincidence-to-accidental ratio (CAR).

Each pair of a mode (pump pulse) sends one photon to each end; end ``x`` counts a
photon with probability ``eta_x`` (coupling, fibre, detector) and clicks on noise (dark
counts, Raman light) with probability ``d_x`` per window. With ``G(z) = sum_n P(n) z**n``
the generating function of the pair number per mode (thermal ``1 / (1 + mu (1 - z))``,
Poisson ``exp(-mu (1 - z))``), threshold detectors give

* singles ``S_x = 1 - (1 - d_x) G(1 - eta_x)``;
* coincidences in the same mode
  ``C = 1 - (1 - d_a) G(1 - eta_a) - (1 - d_b) G(1 - eta_b)
  + (1 - d_a)(1 - d_b) G((1 - eta_a)(1 - eta_b))``;
* accidentals between different (independent) modes ``S_a S_b``;

and ``CAR = C / (S_a S_b)``, the height of the coincidence peak over the side peaks
(Takesue and Shimizu, Opt. Commun. 283, 276 (2010)). At low efficiency and without
noise the peak holds ``E[n**2] eta_a eta_b`` and a side peak ``mu**2 eta_a eta_b``, so
``CAR -> 1 + 1/mu`` for the many-mode (Poisson) source that a coincidence window much
longer than the photons' coherence time sees, and ``2 + 1/mu`` for a single mode
(thermal, whose pairs bunch). Lossless detection lowers it (Poisson:
``1 / (1 - exp(-mu))``), and noise lowers it towards 1.

Examples:
    >>> round(coincidence_to_accidental_ratio(0.01, 1e-3, 1e-3, thermal=False), 2)
    101.0
    >>> round(coincidence_to_accidental_ratio(0.01, 1e-3, 1e-3), 2)
    102.0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray


def pair_generating_function(mean_pairs: ArrayLike, z: ArrayLike, *,
                             thermal: bool = True) -> FloatArray:
    """``G(z) = E[z**n]`` of the pair number per mode: ``1 / (1 + mu (1 - z))`` for a
    single-mode (thermal) source, ``exp(-mu (1 - z))`` for many modes (Poisson).

    Examples:
        >>> float(pair_generating_function(0.5, 0.0)), float(pair_generating_function(
        ...     0.5, 1.0, thermal=False))
        (0.6666666666666666, 1.0)
    """
    mu = chk.non_negative("mean_pairs", mean_pairs)
    zz = chk.probability("z", z)
    out: FloatArray = 1.0 / (1.0 + mu * (1.0 - zz)) if thermal else np.exp(-mu * (1.0 - zz))
    return out


def coincidence_probabilities(
    mean_pairs: ArrayLike, efficiency_a: ArrayLike, efficiency_b: ArrayLike,
    noise_a: ArrayLike = 0.0, noise_b: ArrayLike = 0.0, *, thermal: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(S_a, S_b, C)``: singles at each end and coincidences, per mode (module docstring).

    Args:
        mean_pairs: mean pairs per mode mu (>= 0).
        efficiency_a: probability that end a counts its photon of a pair, in [0, 1].
        efficiency_b: the same for end b.
        noise_a: noise click probability per window at end a (dark counts, Raman), [0, 1].
        noise_b: the same at end b.
        thermal: single-mode (thermal) pair statistics; False for Poisson.

    Examples:
        >>> s_a, s_b, c = coincidence_probabilities(0.1, 1.0, 1.0, thermal=False)
        >>> bool(round(float(c), 6) == round(float(s_a), 6) == round(1 - np.exp(-0.1), 6))
        True
    """
    mu = chk.non_negative("mean_pairs", mean_pairs)
    eta_a = chk.probability("efficiency_a", efficiency_a)
    eta_b = chk.probability("efficiency_b", efficiency_b)
    d_a = chk.probability("noise_a", noise_a)
    d_b = chk.probability("noise_b", noise_b)
    # Written as S_a S_b plus the correlation (1 - d_a)(1 - d_b)(G_ab - G_a G_b), each in
    # a form without cancellation: at eta ~ 1e-6 the plain sum of four terms near 1
    # keeps no significant digit of C ~ mu eta**2.
    x_a, x_b = mu * eta_a, mu * eta_b
    if thermal:
        g_a, g_b = 1.0 / (1.0 + x_a), 1.0 / (1.0 + x_b)
        g_ab = 1.0 / (1.0 + x_a + x_b - mu * eta_a * eta_b)
        s_a, s_b = (x_a + d_a) * g_a, (x_b + d_b) * g_b
        excess = mu * eta_a * eta_b * (1.0 + mu) * g_a * g_b * g_ab
    else:
        g_a, g_b = np.exp(-x_a), np.exp(-x_b)
        s_a, s_b = -np.expm1(-x_a) + d_a * g_a, -np.expm1(-x_b) + d_b * g_b
        excess = g_a * g_b * np.expm1(mu * eta_a * eta_b)
    c = s_a * s_b + (1.0 - d_a) * (1.0 - d_b) * excess
    return s_a, s_b, c


def coincidence_to_accidental_ratio(
    mean_pairs: ArrayLike, efficiency_a: ArrayLike, efficiency_b: ArrayLike,
    noise_a: ArrayLike = 0.0, noise_b: ArrayLike = 0.0, *, thermal: bool = True,
) -> float | FloatArray:
    """CAR ``= C / (S_a S_b)`` of a pair source seen by one detector at each end.

    Args: as :func:`coincidence_probabilities`.

    Returns:
        The unit-free ratio; ``nan`` where no click is possible (no pairs and no noise).

    Examples:
        >>> round(coincidence_to_accidental_ratio(0.05, 1e-4, 1e-4, thermal=False), 3)
        21.0
    """
    s_a, s_b, c = coincidence_probabilities(mean_pairs, efficiency_a, efficiency_b,
                                            noise_a, noise_b, thermal=thermal)
    accidental = s_a * s_b
    ratio = np.divide(c, accidental, out=np.full(np.shape(accidental), np.nan),
                      where=accidental > 0)
    return chk.out(ratio)
