"""Published figures that are closed forms of qinet's bounds and key rates, or a small
optimisation over one: decoy BB84's reach, finite-key block sizes, QBER thresholds and
the repeaterless bound. Each takes well under a second; ``quick`` changes nothing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import partial

import numpy as np

from qinet.analysis.reproductions import Paper, Reproduction
from qinet.physical.bounds import plob_bound
from qinet.qkd.bounds import (
    bbm92_key_fraction,
    binary_entropy,
    decoy_bb84_key_rate_asymptotic,
    di_secret_fraction,
    max_distance_km,
)
from qinet.qkd.finite_key import lim2014_key_length

# --- Ma, Qi, Zhao and Lo 2005: decoy BB84 on the GYS link ----------------------------------

def _gys_max_distance(*, quick: bool = False) -> float:
    # Table I of Ma et al. (the GYS link of Gobby, Yuan and Shields, APL 84, 3762
    # (2004)): 0.21 dB/km, η_Bob = 4.5 %, Y0 = 1.7e-6, e_d = 3.3 %, f = 1.22, q = 1/2,
    # at their optimal μ ≈ 0.48, infinitely many decoys
    rate = partial(decoy_bb84_key_rate_asymptotic, mu=0.48, y0=1.7e-6, e_d=0.033,
                   f_ec=1.22, q=0.5)
    return max_distance_km(rate, attenuation_db_per_km=0.21, detector_efficiency=0.045)


# --- Lim, Curty, Walenta, Xu and Zbinden 2014: finite-key decoy BB84 -----------------------

# Sec. IV, dedicated fibre: η_Bob = 10 %, p_dc = 6e-7, after-pulses 4 %, e_mis = 0.5 %,
# f_EC = 1.16, ε_sec = κ ℓ with κ = 1e-15, ε_cor = 1e-15, μ3 = 2e-4, 0.2 dB/km
_LIM = {"eta_bob": 0.1, "p_dc": 6e-7, "p_ap": 4e-2, "e_mis": 5e-3, "f_ec": 1.16,
        "kappa": 1e-15, "eps_cor": 1e-15, "mu3": 2e-4}


def lim2014_paper_block(length_km: float, n_key: float, x: Sequence[float], *,
                        epsilon_sec: float | None = None) -> tuple[float, float] | None:
    """``(ℓ, pulses)`` of Lim et al.'s evaluation (Sec. IV) at key-basis block ``n_key``;
    ``None`` when ``x`` is outside the parameter space.

    ``x = (q, p_μ1, p_μ2, μ1, μ2)``, q the key-basis probability of each party. Expected
    detections ``D_k = 1 - (1 - 2 p_dc) e^{-η μ_k}``, ``R_k = D_k (1 + p_ap)``, errors
    ``p_dc + e_mis (1 - e^{-η μ_k}) + p_ap D_k / 2`` with ``η = η_ch η_Bob`` (the printed
    η_ch would put the 0.5 % optical error at 5 % of the detections; see
    :mod:`qinet.qkd.finite_key`), λ_EC = f n h(e) from the key basis's pooled error rate
    (the mean of the three rates would count the near-vacuum decoy's ~50 % as a third of
    it). ε_sec = κ ℓ is solved as a fixed point from above unless ``epsilon_sec`` holds
    it; ℓ is not clipped, ℓ ≤ 1 means no key.
    """
    q, p1, p2, mu1, mu2 = x
    mu3 = _LIM["mu3"]
    if not (0 < q < 1 and p1 > 0 and p2 > 0 and p1 + p2 < 1 and mu2 > mu3
            and mu2 + mu3 < mu1 < 2):
        return None
    mu, p = (mu1, mu2, mu3), (p1, p2, 1 - p1 - p2)
    eta = 10 ** (-0.02 * length_km) * _LIM["eta_bob"]
    detect = [1 - (1 - 2 * _LIM["p_dc"]) * math.exp(-eta * k) for k in mu]
    clicks = [d * (1 + _LIM["p_ap"]) for d in detect]
    errors = [_LIM["p_dc"] + _LIM["e_mis"] * (1 - math.exp(-eta * k)) + _LIM["p_ap"] * d / 2
              for k, d in zip(mu, detect, strict=True)]
    pulses = n_key / (q * q * sum(pk * c for pk, c in zip(p, clicks, strict=True)))
    z, x_share = pulses * q * q, pulses * (1 - q) ** 2
    n_z = [z * pk * c for pk, c in zip(p, clicks, strict=True)]
    m_z = [z * pk * e for pk, e in zip(p, errors, strict=True)]
    n_x = [x_share * pk * c for pk, c in zip(p, clicks, strict=True)]
    m_x = [x_share * pk * e for pk, e in zip(p, errors, strict=True)]
    leak = _LIM["f_ec"] * n_key * float(binary_entropy(sum(m_z) / n_key))
    eps = _LIM["kappa"] * n_key if epsilon_sec is None else epsilon_sec
    for _ in range(60):  # ε_sec = κ ℓ, iterated down to its largest fixed point
        length = lim2014_key_length(n_z, n_x, m_x, mu, p, lambda_ec=leak, epsilon_sec=eps,
                                    epsilon_cor=_LIM["eps_cor"]).length_unclipped
        if epsilon_sec is not None or length <= 1 or abs(_LIM["kappa"] * length - eps) <= (
                1e-9 * eps):
            break
        eps = _LIM["kappa"] * length
    return length, pulses


def lim2014_paper_rate(length_km: float, n_key: float, x: Sequence[float]) -> float:
    """ℓ/N of :func:`lim2014_paper_block`, 0 outside the parameter space."""
    out = lim2014_paper_block(length_km, n_key, x)
    return 0.0 if out is None else out[0] / out[1]


def lim2014_optimal_rate(length_km: float, n_key: float, start: Sequence[float]) -> float:
    """The largest :func:`lim2014_paper_rate` over x, by Nelder-Mead from ``start``."""
    def negative_rate(x: np.ndarray) -> float:
        return -lim2014_paper_rate(length_km, n_key, [float(v) for v in x])

    from scipy.optimize import minimize  # here, not at the top: 0.2 s of every start
    res = minimize(negative_rate, np.asarray(start), method="Nelder-Mead",
                   options={"xatol": 1e-7, "fatol": 1e-16, "maxfev": 6000})
    return float(-res.fun)


def _lim_block_ratio(*, quick: bool = False) -> float:
    # the optimiser starts near each block's optimum (q, p_μ1, p_μ2, μ1, μ2)
    return (lim2014_optimal_rate(100.0, 1e9, (0.93, 0.76, 0.16, 0.44, 0.17))
            / lim2014_optimal_rate(100.0, 1e7, (0.85, 0.38, 0.44, 0.41, 0.22)))


# --- thresholds of entanglement-based and device-independent QKD ---------------------------

def _shor_preskill_threshold(*, quick: bool = False) -> float:
    # 1 - 2 H2(e) = 0 with equal bit and phase errors and Shannon-limit correction
    from scipy.optimize import brentq  # here, not at the top: 0.2 s of every start
    return 100 * float(brentq(lambda e: float(bbm92_key_fraction(e)) - 1e-15, 0.05, 0.2,
                              xtol=1e-12))


def _di_threshold(*, quick: bool = False) -> float:
    # Werner pairs: S = 2√2 (1 - 2Q); the fraction vanishes where the key stops
    from scipy.optimize import brentq  # here, not at the top: 0.2 s of every start
    return 100 * float(brentq(lambda q: di_secret_fraction(q, 2 * math.sqrt(2) * (1 - 2 * q))
                              - 1e-15, 1e-3, 0.1, xtol=1e-12))


def _plob_slope(*, quick: bool = False) -> float:
    eta = 1e-9  # deep in the high-loss regime, where -log2(1 - η) / η → 1 / ln 2
    return float(plob_bound(eta)) / eta


ENTRIES: tuple[Reproduction, ...] = (
    Reproduction(
        name="ma2005-gys-decoy-distance",
        paper=Paper("X. Ma, B. Qi, Y. Zhao and H.-K. Lo", "Phys. Rev. A 72, 012326", 2005,
                    doi="10.1103/PhysRevA.72.012326"),
        quantity="longest fibre with key, decoy BB84, GYS link", unit="km",
        published=142.0, tolerance=3.0,
        why="a whole-km figure read off the end of a log-scale rate curve; 3 km (2 %) "
            "allows for that reading",
        compute=_gys_max_distance),
    Reproduction(
        name="lim2014-block-ratio",
        paper=Paper("C. C. W. Lim, M. Curty, N. Walenta, F. Xu and H. Zbinden",
                    "Phys. Rev. A 89, 022307", 2014, doi="10.1103/PhysRevA.89.022307"),
        quantity="key rate with n_X = 1e9 over n_X = 1e7 at 100 km", unit="×",
        published=1.75, tolerance=0.07,
        why="'about 1.75' read as its two digits (±0.05), plus the spread of the "
            "five-parameter optimisation of each rate",
        compute=_lim_block_ratio),
    Reproduction(
        name="shor-preskill-threshold",
        paper=Paper("P. W. Shor and J. Preskill", "Phys. Rev. Lett. 85, 441", 2000,
                    doi="10.1103/PhysRevLett.85.441"),
        quantity="largest QBER with key, BB84 / BBM92", unit="%",
        published=11.0, tolerance=0.05,
        why="published as 11 %; half a unit in the next digit",
        compute=_shor_preskill_threshold),
    Reproduction(
        name="acin2007-di-threshold",
        paper=Paper("A. Acín, N. Brunner, N. Gisin, S. Massar, S. Pironio and V. Scarani",
                    "Phys. Rev. Lett. 98, 230501", 2007, doi="10.1103/PhysRevLett.98.230501"),
        quantity="largest QBER with device-independent key, Werner pairs", unit="%",
        published=7.1, tolerance=0.1,
        why="published as 'Q ≈ 7.1 %' to two digits; one unit in the last digit",
        compute=_di_threshold),
    Reproduction(
        name="plob2017-high-loss-slope",
        paper=Paper("S. Pirandola, R. Laurenza, C. Ottaviani and L. Banchi",
                    "Nat. Commun. 8, 15043", 2017, doi="10.1038/ncomms15043"),
        quantity="repeaterless key capacity over transmittance η at high loss",
        unit="bit/use/η", published=1.44, tolerance=0.005,
        why="published as '≃ 1.44 η'; half a unit in the last digit",
        compute=_plob_slope),
)


