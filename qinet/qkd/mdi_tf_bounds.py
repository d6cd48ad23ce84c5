"""Asymptotic key rates of MDI-QKD and phase-matching twin-field QKD, with their decoy bounds.

Both protocols put the detectors at an untrusted relay, Charlie, between Alice and Bob.
Rates are in secret bits per pulse pair (one pulse from each end), channel parameters
are passed in: ``eta_a`` and ``eta_b`` are the transmittances Alice→Charlie and
Bob→Charlie times Charlie's detection efficiency, ``dark_count_probability`` is ``p_d``
of each of Charlie's detectors per window and ``misalignment`` is ``e_d``.

**MDI-QKD** (Lo, Curty and Qi, PRL 108, 130503 (2012), cited as *LCQ 2012*), with
polarisation encoding and a Bell-state measurement on four threshold detectors. The
gains and error rates of weak coherent pulses follow the channel model of Ma and
Razavi, PRA 86, 062319 (2012), appendix (also Xu, Curty, Qi and Lo, NJP 15, 113007
(2013), appendix B): misalignment flips the polarisation that reaches the beam splitter
to the orthogonal state of the same basis with probability ``e_d``. The key comes from
the Z basis, the phase error from the single-photon pairs of the X basis:

    ``R = Q11^Z [1 - H2(e11^X)] - Q_μμ^Z f H2(E_μμ^Z)``,  ``Q11 = μ_a μ_b e^{-μ_a-μ_b} Y11``.

**Twin field: phase-matching QKD** (Ma, Zeng and Zhou, PRX 8, 031043 (2018), cited as
*MZZ 2018*). Alice and Bob send ``|e^{i(φ + πκ)} √μ_a>`` and ``|e^{i(φ' + πκ')} √μ_b>``;
Charlie interferes them on a beam splitter and announces which single detector clicked.
Phases are announced as one of ``M`` slices and only pairs whose slices agree modulo π
are kept (a fraction ``2/M``). The residual phase difference δ inside matched slices is
triangular on ``[-2π/M, 2π/M]`` and acts like a misalignment. The phase error comes
from the even-photon-number part of the emitted pair of pulses:

    ``R = (2/M) Q_μ [1 - f H2(E_μ^Z) - H2(E_μ^X)]``,  ``E_μ^X <= q_even = 1 - Σ_{k odd} q_k``,

with ``q_k = P_μ(k) Y_k / Q_μ`` and ``μ = μ_a + μ_b`` the total intensity. The rate scales
as ``√η`` of the Alice–Bob channel, so it crosses the repeaterless (PLOB) bound at long
distance. PM-QKD is used for the twin field rather than sending-or-not-sending because
its key-basis error rate is the misalignment plus the phase-slice mismatch (a few %),
which the ordinary BB84 error correction handles, while the raw sending-or-not-sending
key has an error rate close to the sending probability (10–30 %) and needs odd-parity
pairing first.

Examples:
    >>> r = mdi_key_rate_asymptotic(0.1, 0.1, mu=0.3, dark_count_probability=1e-7,
    ...                             misalignment=0.015)
    >>> f"{r:.3e}"
    '1.631e-04'
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import i0e

from qinet.errors import ConfigError
from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray
from qinet.qkd.bounds import E0, F_EC, binary_entropy_unchecked, decoy_estimates, gllp_rate


def _bessel_i0(x: FloatArray) -> FloatArray:
    """I0(x) as ``i0e(x) e^x`` (kept separate so large arguments stay finite in products)."""
    return i0e(x) * np.exp(x)


def _misalignment(e_d: ArrayLike) -> FloatArray:
    return chk.checked("misalignment", e_d, low=0.0, high=0.5)


def _check_weak_decoy(mu: float, nu: float) -> None:
    if not 0.0 < nu < mu:
        raise ConfigError("nu", f"must lie in (0, mu={mu:g}), got {nu:g}")


def _mdi_inputs(eta_a: ArrayLike, eta_b: ArrayLike, p_d: ArrayLike, e_d: ArrayLike
                ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    return (chk.probability("eta_a", eta_a), chk.probability("eta_b", eta_b),
            chk.probability("dark_count_probability", p_d), _misalignment(e_d))


def mdi_gains_and_errors(
    mu_a: ArrayLike,
    mu_b: ArrayLike,
    *,
    eta_a: ArrayLike,
    eta_b: ArrayLike,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Gains and error rates of MDI-QKD in the Z and X bases for intensities ``(μ_a, μ_b)``.

    A gain is the probability that Charlie announces Ψ− or Ψ+ per pulse pair, averaged
    over the bits (Ma and Razavi, PRA 86, 062319 (2012), appendix; Xu et al., NJP 15,
    113007 (2013), eqs. B1–B3). With ``x = √(η_a μ_a η_b μ_b)/2``, ``μ' = η_a μ_a + η_b μ_b``
    and ``y = (1 - p_d) e^{-μ'/4}``:

    * ``Q_C = 2(1-p_d)² e^{-μ'/2} [1-(1-p_d)e^{-η_a μ_a/2}][1-(1-p_d)e^{-η_b μ_b/2}]``,
      ``Q_E = 2 p_d (1-p_d)² e^{-μ'/2} [I0(2x) - (1-p_d) e^{-μ'/2}]``,
      ``Q^Z = Q_C + Q_E``, ``E^Z Q^Z = e_d Q_C + (1 - e_d) Q_E``;
    * ``Q^X = 2y² [1 + 2y² - 4y I0(x) + I0(2x)]``,
      ``E^X Q^X = e0 Q^X - 2(e0 - e_d) y² [I0(2x) - 1]``.

    Args:
        mu_a: Alice's mean photon number (>= 0).
        mu_b: Bob's mean photon number (>= 0).
        eta_a: transmittance Alice→Charlie times detector efficiency, in [0, 1].
        eta_b: transmittance Bob→Charlie times detector efficiency, in [0, 1].
        dark_count_probability: p_d of each of the four detectors per window.
        misalignment: e_d, polarisation flip probability, in [0, 1/2].

    Returns:
        ``(Q^Z, E^Z, Q^X, E^X)``, broadcast over the inputs (``E = 1/2`` where ``Q = 0``).

    Examples:
        >>> qz, ez, qx, ex = mdi_gains_and_errors(0.5, 0.5, eta_a=0.1, eta_b=0.1,
        ...                                       dark_count_probability=0.0, misalignment=0.0)
        >>> float(ez), round(float(ex), 4)
        (0.0, 0.2469)
    """
    a, b, p_d, e_d = _mdi_inputs(eta_a, eta_b, dark_count_probability, misalignment)
    ua, ub = chk.non_negative("mu_a", mu_a) * a, chk.non_negative("mu_b", mu_b) * b
    keep = 1.0 - p_d
    half = np.exp(-(ua + ub) / 2.0)
    x = np.sqrt(ua * ub) / 2.0
    q_c = 2.0 * keep**2 * half * (1.0 - keep * np.exp(-ua / 2.0)) * (1.0 - keep * np.exp(-ub / 2.0))
    # e^{-μ'/2} I0(2x) written with i0e so that bright pulses do not overflow
    q_e = 2.0 * p_d * keep**2 * (np.exp(2.0 * x - (ua + ub) / 2.0) * i0e(2.0 * x) - keep * half**2)
    q_z = q_c + q_e
    y = keep * np.exp(-(ua + ub) / 4.0)
    q_x = 2.0 * y**2 * (1.0 + 2.0 * y**2 - 4.0 * y * _bessel_i0(x) + _bessel_i0(2.0 * x))
    err_x = E0 * q_x - 2.0 * (E0 - e_d) * y**2 * (_bessel_i0(2.0 * x) - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_z = np.where(q_z > 0.0, (e_d * q_c + (1.0 - e_d) * q_e) / q_z, E0)
        e_x = np.where(q_x > 0.0, err_x / q_x, E0)
    return q_z, e_z, q_x, e_x


def mdi_single_photon_yield(
    eta_a: ArrayLike, eta_b: ArrayLike, *, dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
) -> tuple[FloatArray, FloatArray]:
    """Yield and error rate of single-photon pairs, the same in both bases.

    ``Y11 = (1-p_d)² [η_a η_b/2 + (2η_a + 2η_b - 3η_a η_b) p_d + 4(1-η_a)(1-η_b) p_d²]`` and
    ``e11 Y11 = e0 Y11 - (e0 - e_d)(1-p_d)² η_a η_b / 2`` (Ma and Razavi 2012, appendix;
    Xu et al. 2013, eq. B4).

    Examples:
        >>> y11, e11 = mdi_single_photon_yield(0.1, 0.1, dark_count_probability=0.0,
        ...                                    misalignment=0.015)
        >>> round(float(y11), 12), round(float(e11), 12)
        (0.005, 0.015)
    """
    a, b, p_d, e_d = _mdi_inputs(eta_a, eta_b, dark_count_probability, misalignment)
    keep2 = (1.0 - p_d) ** 2
    y11 = keep2 * (a * b / 2.0 + (2.0 * a + 2.0 * b - 3.0 * a * b) * p_d
                   + 4.0 * (1.0 - a) * (1.0 - b) * p_d**2)
    with np.errstate(divide="ignore", invalid="ignore"):
        e11 = np.where(y11 > 0.0, E0 - (E0 - e_d) * keep2 * a * b / 2.0 / y11, E0)
    return y11, e11


def _rate(q11: FloatArray, e11: FloatArray, gain: FloatArray, qber: FloatArray,
          f_ec: FloatArray) -> FloatArray:
    return np.maximum(gllp_rate(q11, e11, gain, qber, f_ec), 0.0)


def mdi_key_rate_asymptotic(
    eta_a: ArrayLike,
    eta_b: ArrayLike,
    *,
    mu: ArrayLike,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
    f_ec: ArrayLike = F_EC,
) -> float | FloatArray:
    """MDI-QKD key rate with infinitely many decoys (``Y11`` and ``e11`` known exactly).

    ``R = Q11^Z [1 - H2(e11^X)] - Q_μμ^Z f H2(E_μμ^Z)`` (LCQ 2012, eq. 1) with both ends
    sending signals of mean ``μ`` in Z, per Z-basis signal pulse pair, clipped at 0.

    Args:
        eta_a: Alice→Charlie transmittance times detector efficiency (vectorised).
        eta_b: Bob→Charlie transmittance times detector efficiency (vectorised).
        mu: signal mean photon number of both ends (> 0).
        dark_count_probability: p_d per detector and window.
        misalignment: e_d.
        f_ec: error-correction inefficiency (>= 1).

    Returns:
        Secret bits per pulse pair (>= 0).

    Examples:
        >>> mdi_key_rate_asymptotic(1e-6, 1e-6, mu=0.3, dark_count_probability=1e-5,
        ...                         misalignment=0.015)
        0.0
    """
    m = chk.positive("mu", mu)
    f = chk.checked("f_ec", f_ec, low=1.0)
    gain, qber, _, _ = mdi_gains_and_errors(m, m, eta_a=eta_a, eta_b=eta_b,
                                            dark_count_probability=dark_count_probability,
                                            misalignment=misalignment)
    y11, e11 = mdi_single_photon_yield(eta_a, eta_b, dark_count_probability=dark_count_probability,
                                       misalignment=misalignment)
    return chk.out(_rate(m * m * np.exp(-2.0 * m) * y11, e11, gain, qber, f))


def mdi_decoy_coefficients(mu: float, nu: float) -> tuple[FloatArray, FloatArray]:
    """Weights that turn a 3×3 table of gains into the vacuum + weak decoy bounds.

    Rows index Alice's class, columns Bob's: 0 signal μ, 1 weak decoy ν, 2 vacuum. With
    ``S_x = Q_xx e^{2x} - Q_x0 e^x - Q_0x e^x + Q_00 = Σ_{n,m>=1} x^{n+m} Y_nm / (n! m!)``
    (every term where one end sends vacuum cancels) and ``ν^{n+m} <= (ν/μ)³ μ^{n+m}`` for
    ``n + m >= 3``, ``S_ν - ν² Y11 <= (ν/μ)³ (S_μ - μ² Y11)``, so

        ``Y11 >= (μ³ S_ν - ν³ S_μ) / (μ² ν² (μ - ν))``.

    The same cancellation on the error gains gives ``e11 Y11 ν² <= T_ν`` with
    ``T_ν = (EQ)_νν e^{2ν} - (EQ)_ν0 e^ν - (EQ)_0ν e^ν + (EQ)_00``. This is the analytic
    two-intensity bound in the manner of Ma et al., PRA 72, 012326 (2005), eq. 34, as
    carried to MDI-QKD by Xu, Xu and Lo, PRA 89, 052333 (2014), appendix.

    Args:
        mu: signal intensity, the same at both ends.
        nu: weak-decoy intensity, ``0 < ν < μ``.

    Returns:
        ``(c, d)``: ``Y11_lower = Σ c_ij Q_ij`` and ``e11 Y11 ν² <= Σ d_ij (E Q)_ij``.

    Raises:
        ConfigError: ``ν`` not in (0, μ).

    Examples:
        >>> c, d = mdi_decoy_coefficients(0.5, 0.1)
        >>> round(float(c[2, 2]), 6), float(d[2, 2])
        (124.0, 1.0)
    """
    _check_weak_decoy(mu, nu)
    den = mu**2 * nu**2 * (mu - nu)
    c = np.zeros((3, 3))
    c[1, 1] = mu**3 * math.exp(2.0 * nu)
    c[1, 2] = c[2, 1] = -(mu**3) * math.exp(nu)
    c[0, 0] = -(nu**3) * math.exp(2.0 * mu)
    c[0, 2] = c[2, 0] = nu**3 * math.exp(mu)
    c[2, 2] = mu**3 - nu**3
    d = np.zeros((3, 3))
    d[1, 1] = math.exp(2.0 * nu)
    d[1, 2] = d[2, 1] = -math.exp(nu)
    d[2, 2] = 1.0
    return c / den, d


def mdi_key_rate_vacuum_weak(
    eta_a: ArrayLike,
    eta_b: ArrayLike,
    *,
    mu: float,
    nu: float,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
    f_ec: ArrayLike = F_EC,
) -> float | FloatArray:
    """MDI-QKD key rate with a signal, one weak decoy and the vacuum at each end.

    ``Y11^Z`` is bounded from the Z-basis gains, ``Y11^X`` and ``e11^X`` from the X basis
    with :func:`mdi_decoy_coefficients`, and ``R = μ² e^{-2μ} Y11^{Z,L} [1 - H2(e11^{X,U})]
    - Q_μμ^Z f H2(E_μμ^Z)`` per Z-basis signal pulse pair (LCQ 2012, eq. 1), clipped at 0.

    Examples:
        >>> r = mdi_key_rate_vacuum_weak(0.1, 0.1, mu=0.3, nu=0.05,
        ...                              dark_count_probability=1e-7, misalignment=0.015)
        >>> f"{r:.3e}"
        '1.208e-04'
    """
    c, d = mdi_decoy_coefficients(mu, nu)
    f = chk.checked("f_ec", f_ec, low=1.0)
    mus = np.array([mu, nu, 0.0])
    shape = np.broadcast(np.asarray(eta_a), np.asarray(eta_b)).shape
    tables = [np.zeros((3, 3, *shape)) for _ in range(4)]
    for i in range(3):
        for j in range(3):
            stats = mdi_gains_and_errors(mus[i], mus[j], eta_a=eta_a, eta_b=eta_b,
                                         dark_count_probability=dark_count_probability,
                                         misalignment=misalignment)
            for table, value in zip(tables, stats, strict=True):
                table[i, j] = value
    q_z, e_z, q_x, e_x = tables
    y11_z = np.maximum(np.tensordot(c, q_z, axes=2), 0.0)
    y11_x = np.maximum(np.tensordot(c, q_x, axes=2), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e11 = np.where(y11_x > 0.0, np.tensordot(d, e_x * q_x, axes=2) / (nu**2 * y11_x), E0)
    q11 = mu**2 * math.exp(-2.0 * mu) * y11_z
    return chk.out(_rate(q11, np.clip(e11, 0.0, E0), q_z[0, 0], e_z[0, 0], f))


# ---------------------------------------------------------------------------------------
# Phase-matching twin-field QKD


def slice_mismatch_visibility(phase_slices: int, phase_noise_rad: float = 0.0) -> float:
    """``E[cos δ]`` of the residual phase difference inside matched slices.

    The two phases are uniform in slices of width ``2π/M``, so their difference is
    triangular on ``[-2π/M, 2π/M]`` with characteristic function ``sinc²(π/M)``; Gaussian
    phase noise of standard deviation σ multiplies it by ``e^{-σ²/2}``.

    Examples:
        >>> round(slice_mismatch_visibility(16), 6)
        0.987215
    """
    m = check_phase_slices(phase_slices)
    half_width = math.pi / m
    return (math.sin(half_width) / half_width) ** 2 * math.exp(-phase_noise_rad**2 / 2.0)


def check_phase_slices(phase_slices: int) -> int:
    """``M`` as an int, after checking that it is an even integer of at least 2.

    Matching modulo π needs the slice half a turn away, so ``M`` must be even.

    Examples:
        >>> check_phase_slices(7)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: phase_slices: must be an even integer >= 2, got 7
    """
    if isinstance(phase_slices, bool) or not isinstance(phase_slices, int | np.integer) or (
            phase_slices < 2 or phase_slices % 2):
        raise ConfigError("phase_slices", f"must be an even integer >= 2, got {phase_slices!r}")
    return int(phase_slices)


def _mismatch_nodes(phase_slices: int, phase_noise_rad: float, order: int = 24
                    ) -> tuple[FloatArray, FloatArray]:
    """Quadrature nodes and weights of δ: triangular(2π/M) plus Gaussian noise."""
    w = 2.0 * math.pi / check_phase_slices(phase_slices)
    x, wx = np.polynomial.legendre.leggauss(order)
    t = (x + 1.0) * w / 2.0  # nodes on [0, w]; the density (w - t)/w² is even in t
    wt = wx * w / 2.0 * (w - t) / w**2
    t, wt = np.concatenate([t, -t]), np.concatenate([wt, wt])
    if phase_noise_rad <= 0.0:
        return t, wt
    g, wg = np.polynomial.hermite_e.hermegauss(order)
    delta = (t[:, None] + phase_noise_rad * g[None, :]).ravel()
    return delta, (wt[:, None] * wg[None, :] / math.sqrt(2.0 * math.pi)).ravel()


def _pm_channel(eta_arm: ArrayLike, dark_count_probability: ArrayLike,
                misalignment: ArrayLike, phase_slices: int, phase_noise_rad: float, *,
                axes: int) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """Checked ``(η, p_d, V)``, each with ``axes`` trailing axes added, and the δ quadrature."""
    def widen(x: FloatArray) -> FloatArray:
        return x[(..., *(None,) * axes)]

    eta = widen(chk.probability("eta_arm", eta_arm))
    p_d = widen(chk.probability("dark_count_probability", dark_count_probability))
    vis = 1.0 - 2.0 * widen(_misalignment(misalignment))
    delta, weight = _mismatch_nodes(phase_slices, chk.scalar("phase_noise_rad", phase_noise_rad))
    return eta, p_d, vis, delta, weight


def pm_gain_and_qber(
    eta_arm: ArrayLike,
    *,
    mu: ArrayLike,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
    phase_slices: int = 16,
    phase_noise_rad: float = 0.0,
) -> tuple[float | FloatArray, float | FloatArray]:
    """Single-click gain and key-basis error rate of PM-QKD in phase-matched pairs.

    Each end sends ``μ/2`` through an arm of transmittance ``η`` (detector included). For a
    residual phase δ the two detectors see ``λ_{L,R} = ημ (1 ± V cos δ)/2`` with
    visibility ``V = 1 - 2e_d``; a single click has probability
    ``(1-p_d)(e^{-λ_L} + e^{-λ_R}) - 2(1-p_d)² e^{-ημ}`` and is wrong (the detector the bits
    do not point to) with ``(1-p_d) e^{-λ_L} - (1-p_d)² e^{-ημ}`` (MZZ 2018, appendix,
    with the mismatch averaged by quadrature over δ).

    Returns:
        ``(Q_μ, E_μ^Z)``.

    Examples:
        >>> q, e = pm_gain_and_qber(1e-4, mu=0.1, dark_count_probability=0.0,
        ...                         misalignment=0.0, phase_slices=16)
        >>> f"{q:.6e} {e:.6f}"
        '9.999949e-06 0.006393'
    """
    m = chk.non_negative("mu", mu)[..., None]
    eta, p_d, vis, delta, weight = _pm_channel(eta_arm, dark_count_probability, misalignment,
                                               phase_slices, phase_noise_rad, axes=1)
    lam = eta * m
    lam_l = lam * (1.0 + vis * np.cos(delta)) / 2.0
    lam_r = lam - lam_l
    keep = 1.0 - p_d
    none = keep**2 * np.exp(-lam)
    single = keep * (np.exp(-lam_l) + np.exp(-lam_r)) - 2.0 * none
    wrong = keep * np.exp(-lam_l) - none
    q = single @ weight
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(q > 0.0, (wrong @ weight) / q, E0)
    return chk.out(q), chk.out(e)


def pm_photon_yields(eta_arm: ArrayLike, k_max: int, *, dark_count_probability: ArrayLike,
                     misalignment: ArrayLike, phase_slices: int = 16,
                     phase_noise_rad: float = 0.0) -> FloatArray:
    """Yields ``Y_k`` (k = 0..k_max) of k photons emitted into the matched pair of pulses.

    Each photon is lost with ``1 - η`` or reaches the left detector with
    ``(1 + V cos δ)/2``, so ``Y_k = (1-p_d)[(1-η p_R)^k + (1-η p_L)^k] - 2(1-p_d)²(1-η)^k``
    averaged over δ; ``Σ_k P_μ(k) Y_k`` is the gain of :func:`pm_gain_and_qber`.

    Returns:
        Array of shape ``eta_arm.shape + (k_max + 1,)``.

    Examples:
        >>> pm_photon_yields(0.5, 2, dark_count_probability=0.0, misalignment=0.0,
        ...                  phase_slices=2**20).round(6)
        array([0.  , 0.5 , 0.75])
    """
    eta, p_d, vis, delta, weight = _pm_channel(eta_arm, dark_count_probability, misalignment,
                                               phase_slices, phase_noise_rad, axes=2)
    k = np.arange(chk.sample_size("k_max", k_max) + 1)[:, None]
    p_l = (1.0 + vis * np.cos(delta)) / 2.0
    keep = 1.0 - p_d
    y = keep * ((1.0 - eta * (1.0 - p_l)) ** k + (1.0 - eta * p_l) ** k) \
        - 2.0 * keep**2 * (1.0 - eta) ** k
    return y @ weight


def pm_key_rate_asymptotic(eta_arm: ArrayLike, *, mu: float, dark_count_probability: float,
                           misalignment: float, phase_slices: int = 16,
                           phase_noise_rad: float = 0.0, f_ec: float = F_EC,
                           k_max: int = 40) -> float | FloatArray:
    """PM-QKD key rate with infinitely many decoys: ``(2/M) Q_μ [1 - f H2(E^Z) - H2(E^X)]``.

    ``E^X = 1 - Σ_{k odd} q_k`` with ``q_k = e^{-μ} μ^k Y_k / (k! Q_μ)`` (MZZ 2018, eqs. 5
    and 6), ``μ`` the total intensity of the two pulses, per pulse pair sent, clipped at 0.
    At small η it tends to ``(2/M) μ η [1 - f H2(E0^Z) - H2((1 - e^{-2μ})/2)]`` with
    ``E0^Z = (1 - V sinc²(π/M))/2``: linear in the arm transmittance, i.e. ``√η_AB``.

    Examples:
        >>> r = pm_key_rate_asymptotic(1e-4, mu=0.1, dark_count_probability=0.0,
        ...                            misalignment=0.0)
        >>> f"{r:.4e}"
        '6.2089e-07'
    """
    m = float(chk.positive("mu", mu))
    f = float(chk.checked("f_ec", f_ec, low=1.0))
    kw: dict[str, Any] = {"dark_count_probability": dark_count_probability,
                          "misalignment": misalignment, "phase_slices": phase_slices,
                          "phase_noise_rad": phase_noise_rad}
    q, e_z = pm_gain_and_qber(eta_arm, mu=m, **kw)
    y = pm_photon_yields(eta_arm, k_max, **kw)
    k = np.arange(k_max + 1)
    pmf = np.exp(k * math.log(m) - m - np.cumsum(np.log(np.maximum(k, 1))))
    odd = (y * pmf)[..., 1::2].sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_x = np.where(np.asarray(q) > 0.0, 1.0 - odd / q, E0)
    return chk.out(_pm_rate(q, e_z, np.clip(e_x, 0.0, E0), f, phase_slices))


def _pm_rate(q: ArrayLike, e_z: ArrayLike, e_x: ArrayLike, f: float, phase_slices: int
             ) -> FloatArray:
    q, e_z, e_x = np.asarray(q), np.asarray(e_z), np.asarray(e_x)
    frac = (1.0 - f * binary_entropy_unchecked(np.clip(e_z, 0.0, 1.0))
            - binary_entropy_unchecked(np.clip(e_x, 0.0, E0)))
    return np.maximum(2.0 / check_phase_slices(phase_slices) * q * frac, 0.0)


def pm_key_rate_vacuum_weak(eta_arm: ArrayLike, *, mu: float, nu: float,
                            dark_count_probability: float, misalignment: float,
                            phase_slices: int = 16, phase_noise_rad: float = 0.0,
                            f_ec: float = F_EC) -> float | FloatArray:
    """PM-QKD key rate with a signal (total μ), a weak decoy (total ν) and the vacuum.

    ``Y1`` is bounded with the vacuum + weak decoy formula of Ma et al., PRA 72, 012326
    (2005), eq. 34 (:func:`qinet.qkd.bounds.decoy_estimates`, the total photon number of
    the two pulses being Poisson of the total intensity), and ``E^X <= 1 - μ e^{-μ} Y1^L
    / Q_μ`` drops the three- and more-photon odd terms (MZZ 2018, eq. 6).

    Examples:
        >>> r = pm_key_rate_vacuum_weak(1e-4, mu=0.1, nu=0.02, dark_count_probability=0.0,
        ...                             misalignment=0.0)
        >>> f"{r:.4e}"
        '5.9846e-07'
    """
    _check_weak_decoy(mu, nu)
    f = float(chk.checked("f_ec", f_ec, low=1.0))
    kw: dict[str, Any] = {"dark_count_probability": dark_count_probability,
                          "misalignment": misalignment, "phase_slices": phase_slices,
                          "phase_noise_rad": phase_noise_rad}
    q_mu, e_mu = pm_gain_and_qber(eta_arm, mu=mu, **kw)
    q_nu, e_nu = pm_gain_and_qber(eta_arm, mu=nu, **kw)
    q_0, _ = pm_gain_and_qber(eta_arm, mu=0.0, **kw)
    y1, _ = decoy_estimates(q_mu, q_nu, e_nu, y0=q_0, mu=mu, nu=nu)
    return chk.out(_pm_rate(q_mu, e_mu, pm_phase_error_bound(y1, q_mu, mu), f, phase_slices))


def pm_phase_error_bound(y1_lower: ArrayLike, gain: ArrayLike, mu: float) -> FloatArray:
    """``E^X <= 1 - q_1 = 1 - μ e^{-μ} Y1^L / Q_μ``, clipped to [0, 1/2] (MZZ 2018, eq. 6).

    Examples:
        >>> round(float(pm_phase_error_bound(0.01, 0.001, 0.1)), 6)
        0.095163
    """
    y1, q = np.asarray(y1_lower, float), np.asarray(gain, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        e_x = np.where(q > 0.0, 1.0 - mu * math.exp(-mu) * y1 / q, E0)
    return np.clip(e_x, 0.0, E0)
