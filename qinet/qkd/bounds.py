"""Asymptotic secret-key rates of BB84, BBM92 and E91 over lossy links, and their yardsticks.

Every rate here is in secret bits per pulse sent (prepare-and-measure) or per pair
measured (entanglement based), in the infinite-key limit. Channel parameters are passed
in, never hard-coded: the total transmittance ``η = η_fibre η_Bob`` (fibre times Bob's
optics and detector efficiency), the background yield ``Y0`` (dark-count probability
per gate) and the misalignment error ``e_d``.

The channel model, the decoy-state estimates and the GLLP formula follow Ma, Qi, Zhao
and Lo, "Practical decoy state for quantum key distribution", Phys. Rev. A 72, 012326
(2005), arXiv:quant-ph/0503005 (cited below as *Ma 2005*), with Lo, Ma and Chen,
Phys. Rev. Lett. 94, 230504 (2005) for the infinite-decoy limit.

Examples:
    >>> from qinet.physical.fibre import fibre_transmittance
    >>> eta = fibre_transmittance(50.0, 0.21) * 0.045
    >>> rate = decoy_bb84_key_rate_asymptotic(eta, mu=0.48, y0=1.7e-6, e_d=0.033, f_ec=1.22)
    >>> f"{rate:.2e}"
    '2.23e-04'
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from qinet.errors import ConfigError
from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray
from qinet.physical.fibre import fibre_transmittance

E0 = 0.5
"""Error rate of a background (dark) count: a random click is wrong half the time."""

F_EC = 1.16
"""Default error-correction inefficiency f (a CASCADE-like code, as in Ma 2005)."""


def binary_entropy(p: ArrayLike) -> float | FloatArray:
    """Shannon binary entropy ``H2(p) = -p log2 p - (1 - p) log2(1 - p)``, in bits.

    Defined by continuity as 0 at ``p = 0`` and ``p = 1`` (Cover and Thomas, *Elements
    of Information Theory*, 2nd ed., 2006, eq. 2.5).

    Args:
        p: probability (scalar or array) in [0, 1].

    Returns:
        Entropy in bits, a float for scalar input, else an array of the same shape.

    Raises:
        ConfigError: ``p`` outside [0, 1] or not finite.

    Examples:
        >>> binary_entropy(0.5)
        1.0
        >>> binary_entropy([0.0, 1.0])
        array([0., 0.])
        >>> round(binary_entropy(0.11), 4)
        0.4999
    """
    x = chk.probability("p", p)
    return chk.out(binary_entropy_unchecked(x))


def binary_entropy_unchecked(x: ArrayLike) -> FloatArray:
    """``H2`` elementwise, without checks, for arguments already known to lie in [0, 1].

    The formula of :func:`binary_entropy`, for the inner loops of the rate formulas
    whose arguments were checked (or clipped) once; always returns an array.

    Examples:
        >>> binary_entropy_unchecked(np.array([0.0, 0.5, 1.0])).tolist()
        [0.0, 1.0, 0.0]
    """
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inner = (x > 0.0) & (x < 1.0)
        safe = np.where(inner, x, 0.5)
        h = -safe * np.log2(safe) - (1.0 - safe) * np.log2(1.0 - safe)
    return np.where(inner, h, 0.0)


def gain_and_qber(
    mu: ArrayLike,
    *,
    transmittance_total: ArrayLike,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
) -> tuple[float | FloatArray, float | FloatArray]:
    """Gain ``Q_μ`` and quantum bit error rate ``E_μ`` of a weak coherent pulse of mean ``μ``.

    ``Q_μ = Y0 + 1 - exp(-η μ)`` and ``E_μ Q_μ = e0 Y0 + e_d (1 - exp(-η μ))`` with
    ``e0 = 1/2`` (Ma 2005, eqs. 10 and 11). Like the paper, this adds the dark-count and
    signal click probabilities, which is accurate to first order in ``Y0``.

    Args:
        mu: mean photon number per pulse (>= 0).
        transmittance_total: η, fibre transmittance times Bob's efficiency, in [0, 1].
        dark_count_probability: background yield ``Y0`` per pulse, in [0, 1].
        misalignment: probability ``e_d`` that a signal photon hits the wrong detector.

    Returns:
        ``(Q_μ, E_μ)``, each broadcast over the inputs; ``E_μ`` is 0 where ``Q_μ = 0``.

    Raises:
        ConfigError: an argument out of its range.

    Examples:
        >>> q, e = gain_and_qber(0.5, transmittance_total=0.045, dark_count_probability=1.7e-6,
        ...                      misalignment=0.033)
        >>> f"{q:.4e} {e:.4f}"
        '2.2250e-02 0.0330'
    """
    m = chk.non_negative("mu", mu)
    eta = chk.probability("transmittance_total", transmittance_total)
    y0 = chk.probability("dark_count_probability", dark_count_probability)
    e_d = chk.probability("misalignment", misalignment)
    q, e = _gain_and_qber(m, eta, y0, e_d)
    return chk.out(q), chk.out(e)


def _gain_and_qber(
    mu: FloatArray, eta: FloatArray, y0: FloatArray, e_d: FloatArray
) -> tuple[FloatArray, FloatArray]:
    signal = -np.expm1(-eta * mu)
    gain = y0 + signal
    with np.errstate(divide="ignore", invalid="ignore"):
        qber = np.where(gain > 0.0, (E0 * y0 + e_d * signal) / gain, 0.0)
    return gain, qber


def _check_link(mu: ArrayLike, y0: ArrayLike, e_d: ArrayLike, f_ec: ArrayLike, q: ArrayLike
                ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    return (
        chk.positive("mu", mu),
        chk.probability("y0", y0),
        chk.probability("e_d", e_d),
        chk.checked("f_ec", f_ec, low=1.0),
        chk.probability("q", q),
    )


def _secure_part(q1: FloatArray, e1: FloatArray) -> FloatArray:
    """``Q1 [1 - H2(e1)]``, and nothing where the single-photon error reaches 1/2."""
    e1c = np.clip(e1, 0.0, 0.5)
    return np.where((q1 > 0.0) & (e1 < 0.5), q1 * (1.0 - binary_entropy_unchecked(e1c)), 0.0)


def gllp_rate(q1: ArrayLike, e1: ArrayLike, gain: ArrayLike, qber: ArrayLike,
              f_ec: ArrayLike) -> FloatArray:
    """``Q1 [1 - H2(e1)] - f Q H2(E)``: the GLLP key rate from its terms, not clipped.

    Gottesman, Lo, Lütkenhaus and Preskill, Quantum Inf. Comput. 4, 325 (2004), in the
    form of Ma 2005, eq. 1: the single-photon gain ``Q1`` and error ``e1`` (no secrecy
    where ``Q1 = 0`` or ``e1 >= 1/2``), the measured gain ``Q`` and error rate ``E``
    (clipped to [0, 1]) of the key. Arguments are taken as checked; vectorised.

    Examples:
        >>> float(gllp_rate(0.01, 0.0, 0.01, 0.0, 1.16))
        0.01
        >>> round(float(gllp_rate(0.01, 0.5, 0.01, 0.11, 1.0)), 4)  # only the leak: H2(0.11) ≈ 1/2
        -0.005
    """
    q1, e1, gain = (np.asarray(v, dtype=np.float64) for v in (q1, e1, gain))
    leak = gain * np.asarray(f_ec, dtype=np.float64) * binary_entropy_unchecked(
        np.clip(np.asarray(qber, dtype=np.float64), 0.0, 1.0))
    rate: FloatArray = _secure_part(q1, e1) - leak
    return rate


def decoy_bb84_key_rate_asymptotic(
    transmittance_total: ArrayLike,
    *,
    mu: ArrayLike,
    y0: ArrayLike,
    e_d: ArrayLike,
    f_ec: ArrayLike = F_EC,
    q: ArrayLike = 0.5,
) -> float | FloatArray:
    """Decoy-state BB84 key rate with infinitely many decoys (the single-photon terms known).

    ``R = q {-Q_μ f H2(E_μ) + Q1 [1 - H2(e1)]}`` with ``Q1 = Y1 μ e^{-μ}``,
    ``Y1 = Y0 + η`` and ``e1 = (e0 Y0 + e_d η) / Y1`` (Ma 2005, eqs. 1, 8, 9 and 13;
    Lo, Ma and Chen 2005, eq. 1), clipped at 0.

    Args:
        transmittance_total: η in [0, 1] (scalar or array; the rate is vectorised over it).
        mu: signal mean photon number (> 0).
        y0: background yield per pulse.
        e_d: misalignment error probability.
        f_ec: error-correction inefficiency f(E) >= 1 (1.16 for a CASCADE-like code).
        q: sifting and signal fraction (1/2 for BB84 with unbiased bases).

    Returns:
        Secret bits per pulse sent (>= 0).

    Raises:
        ConfigError: an argument out of its range.

    Examples:
        >>> r = decoy_bb84_key_rate_asymptotic(0.045, mu=0.48, y0=1.7e-6, e_d=0.033, f_ec=1.22)
        >>> f"{r:.3e}"
        '2.555e-03'
        >>> decoy_bb84_key_rate_asymptotic(1e-9, mu=0.48, y0=1.7e-6, e_d=0.033)
        0.0
    """
    eta = chk.probability("transmittance_total", transmittance_total)
    m, y, ed, f, qq = _check_link(mu, y0, e_d, f_ec, q)
    gain, qber = _gain_and_qber(m, eta, y, ed)
    y1 = y + eta
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = np.where(y1 > 0.0, (E0 * y + ed * eta) / y1, 0.5)
    rate = qq * gllp_rate(y1 * m * np.exp(-m), e1, gain, qber, f)
    return chk.out(np.maximum(rate, 0.0))


def decoy_bb84_key_rate_vacuum_weak(
    transmittance_total: ArrayLike,
    *,
    mu: ArrayLike,
    nu: ArrayLike,
    y0: ArrayLike,
    e_d: ArrayLike,
    f_ec: ArrayLike = F_EC,
    q: ArrayLike = 0.5,
) -> float | FloatArray:
    """Vacuum + weak decoy BB84 key rate: signal ``μ``, weak decoy ``ν`` and vacuum.

    The single-photon yield and error are bounded from the expected gains and errors:
    ``Y1 >= Y1L = μ / (μν - ν²) [Q_ν e^ν - Q_μ e^μ ν²/μ² - (μ² - ν²)/μ² Y0]`` and
    ``e1 <= e1U = (E_ν Q_ν e^ν - e0 Y0) / (Y1L ν)`` (Ma 2005, eqs. 34 and 37), and then
    ``R = q {-Q_μ f H2(E_μ) + Y1L μ e^{-μ} [1 - H2(e1U)]}`` clipped at 0. The vacuum
    decoy measures ``Y0`` itself. As ``ν -> 0`` the rate tends to the infinite-decoy one.

    Args:
        transmittance_total: η in [0, 1] (vectorised).
        mu: signal mean photon number (> 0).
        nu: weak-decoy mean photon number, ``0 < ν < μ`` (the bound needs ``μ e^{-μ}``
            large enough against ``ν``; Ma 2005 takes ν well below μ).
        y0: background yield per pulse.
        e_d: misalignment error probability.
        f_ec: error-correction inefficiency (>= 1).
        q: sifting and signal fraction.

    Returns:
        Secret bits per pulse sent (>= 0).

    Raises:
        ConfigError: an argument out of its range, or ``ν >= μ``.

    Examples:
        >>> r = decoy_bb84_key_rate_vacuum_weak(0.045, mu=0.48, nu=0.05, y0=1.7e-6,
        ...                                     e_d=0.033, f_ec=1.22)
        >>> f"{r:.3e}"
        '2.414e-03'
    """
    eta = chk.probability("transmittance_total", transmittance_total)
    m, y, ed, f, qq = _check_link(mu, y0, e_d, f_ec, q)
    n = chk.positive("nu", nu)
    if np.any(n >= m):
        raise ConfigError("nu", f"must be smaller than mu, got nu={chk.show(np.max(n))} "
                                f"and mu={chk.show(np.min(m))}")
    gain_mu, qber_mu = _gain_and_qber(m, eta, y, ed)
    gain_nu, qber_nu = _gain_and_qber(n, eta, y, ed)
    y1_low, e1_up = decoy_estimates(gain_mu, gain_nu, qber_nu, y0=y, mu=m, nu=n)
    q1_low = y1_low * m * np.exp(-m)
    rate = qq * gllp_rate(q1_low, e1_up, gain_mu, qber_mu, f)
    return chk.out(np.maximum(rate, 0.0))


def decoy_estimates(gain_mu: ArrayLike, gain_nu: ArrayLike, qber_nu: ArrayLike, *,
                    y0: ArrayLike, mu: ArrayLike, nu: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Single-photon yield lower bound and error upper bound from vacuum + weak decoys.

    ``Y1 >= μ/(μν - ν²) (Q_ν e^ν - Q_μ e^μ ν²/μ² - (μ² - ν²)/μ² Y0)`` and
    ``e1 <= (E_ν Q_ν e^ν - Y0/2) / (Y1 ν)`` (Ma, Qi, Zhao and Lo, PRA 72, 012326 (2005),
    eqs. 34 and 37). Works on measured gains as well as on model ones.

    Returns:
        ``(Y1_lower, e1_upper)``, with ``Y1 >= 0`` and ``e1 = 1/2`` where no bound holds.

    Examples:
        >>> y1, e1 = decoy_estimates(0.0216, 0.00227, 0.0347, y0=1.7e-6, mu=0.48, nu=0.05)
        >>> round(float(y1), 4), round(float(e1), 3)
        (0.0448, 0.037)
    """
    m, n, y = np.asarray(mu, float), np.asarray(nu, float), np.asarray(y0, float)
    q_mu, q_nu, e_nu = (np.asarray(v, float) for v in (gain_mu, gain_nu, qber_nu))
    y1 = m / (m * n - n * n) * (q_nu * np.exp(n) - q_mu * np.exp(m) * n * n / (m * m)
                                - (m * m - n * n) / (m * m) * y)
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = np.where(y1 > 0.0, (e_nu * q_nu * np.exp(n) - E0 * y) / (y1 * n), 0.5)
    return np.maximum(y1, 0.0), np.clip(e1, 0.0, 0.5)


def gllp_key_rate_no_decoy(
    transmittance_total: ArrayLike,
    *,
    mu: ArrayLike,
    y0: ArrayLike,
    e_d: ArrayLike,
    f_ec: ArrayLike = F_EC,
    q: ArrayLike = 0.5,
) -> float | FloatArray:
    """BB84 with weak coherent pulses and no decoys: GLLP with every multi-photon pulse tagged.

    With ``P_multi = 1 - (1 + μ) e^{-μ}`` and ``Δ = P_multi / Q_μ`` the worst-case
    fraction of tagged detections, ``R = q Q_μ {-f H2(E_μ) + (1 - Δ)[1 - H2(E_μ/(1 - Δ))]}``
    (Gottesman, Lo, Lütkenhaus and Preskill, Quantum Inf. Comput. 4, 325 (2004), with
    the channel of Ma 2005, eq. 3), clipped at 0.

    Args:
        transmittance_total: η in [0, 1] (vectorised).
        mu: mean photon number (> 0); the optimum is of order η.
        y0: background yield per pulse.
        e_d: misalignment error probability.
        f_ec: error-correction inefficiency (>= 1).
        q: sifting and signal fraction.

    Returns:
        Secret bits per pulse sent (>= 0).

    Raises:
        ConfigError: an argument out of its range.

    Examples:
        >>> r = gllp_key_rate_no_decoy(0.045, mu=0.03, y0=1.7e-6, e_d=0.033, f_ec=1.22)
        >>> f"{r:.2e}"
        '1.50e-04'
    """
    eta = chk.probability("transmittance_total", transmittance_total)
    m, y, ed, f, qq = _check_link(mu, y0, e_d, f_ec, q)
    gain, qber = _gain_and_qber(m, eta, y, ed)
    p_multi = -np.expm1(-m) - m * np.exp(-m)
    with np.errstate(divide="ignore", invalid="ignore"):
        untagged = np.where(gain > 0.0, 1.0 - p_multi / gain, 0.0)
        e_untagged = np.where(untagged > 0.0, qber / untagged, 0.5)
    rate = qq * gain * (-f * binary_entropy_unchecked(qber)
                        + _secure_part(untagged, e_untagged))
    return chk.out(np.maximum(rate, 0.0))


def werner_qber(fidelity: ArrayLike) -> float | FloatArray:
    """Bit error rate of a Werner pair measured in Z (or X): ``e = 2(1 - F)/3``.

    A Werner state ``F |Φ+><Φ+| + (1 - F)/3 (other Bell states)`` flips the Z outcome
    on two of the three other Bell states (Werner, Phys. Rev. A 40, 4277 (1989); see
    Dür, Briegel, Cirac and Zoller, Phys. Rev. A 59, 169 (1999), section II).

    Args:
        fidelity: Bell-state fidelity F in [0, 1].

    Returns:
        QBER in [0, 2/3].

    Examples:
        >>> werner_qber(1.0)
        0.0
        >>> round(werner_qber(0.85), 12)
        0.1
    """
    f = chk.probability("fidelity", fidelity)
    return chk.out(2.0 * (1.0 - f) / 3.0)


def bbm92_key_fraction(
    qber_z: ArrayLike, qber_x: ArrayLike | None = None, f_ec: ArrayLike = 1.0
) -> float | FloatArray:
    """Asymptotic secret fraction of BBM92 / entanglement-based BB84 per sifted bit.

    ``r = 1 - f H2(e_z) - H2(e_x)`` (Shor and Preskill, Phys. Rev. Lett. 85, 441 (2000);
    Bennett, Brassard and Mermin, Phys. Rev. Lett. 68, 557 (1992)), clipped at 0. With
    ``f = 1`` and ``e_x = e_z`` it vanishes at e = 11.00 %.

    Args:
        qber_z: bit error rate in the key (Z) basis, in [0, 1].
        qber_x: phase error rate (X basis); ``None`` means equal to ``qber_z``.
        f_ec: error-correction inefficiency (>= 1).

    Returns:
        Secret bits per sifted bit (>= 0).

    Examples:
        >>> bbm92_key_fraction(werner_qber(1.0))
        1.0
        >>> round(bbm92_key_fraction(0.05), 4)
        0.4272
    """
    ez = chk.probability("qber_z", qber_z)
    ex = ez if qber_x is None else chk.probability("qber_x", qber_x)
    f = chk.checked("f_ec", f_ec, low=1.0)
    return chk.out(np.maximum(1.0 - f * binary_entropy_unchecked(ez)
                              - binary_entropy_unchecked(ex), 0.0))


def chsh_werner(fidelity: ArrayLike) -> float | FloatArray:
    """Optimal CHSH value of a Werner pair: ``S = 2√2 (4F - 1)/3``.

    The singlet fraction sets the visibility ``V = (4F - 1)/3`` and ``S = 2√2 V``
    (Horodecki, Horodecki and Horodecki, Phys. Lett. A 200, 340 (1995)); the local
    bound ``S = 2`` is crossed at ``F = (1 + 3/√2)/4 ≈ 0.7803``.

    Args:
        fidelity: Bell-state fidelity F in [0, 1].

    Returns:
        CHSH value (negative below F = 1/4).

    Examples:
        >>> round(chsh_werner(1.0), 6)
        2.828427
        >>> round(chsh_werner((1 + 3 / 2 ** 0.5) / 4), 12)
        2.0
    """
    f = chk.probability("fidelity", fidelity)
    return chk.out(2.0 * math.sqrt(2.0) * (4.0 * f - 1.0) / 3.0)


def holevo_error(chsh: float) -> float:
    """``q_E = (1 - √((S/2)² - 1))/2``: ``H2(q_E)`` bounds Eve's information per bit.

    The Holevo bound of Acín, Brunner, Gisin, Massar, Pironio and Scarani, PRL 98,
    230501 (2007), for outcomes of a setting that enters a CHSH test of value S.

    ``S ≤ 2`` gives 1/2 (no secrecy); values above ``2√2`` (sampling noise) count as
    ``2√2``.

    Examples:
        >>> holevo_error(2 * 2 ** 0.5), holevo_error(1.5)
        (0.0, 0.5)
    """
    excess = min(max((chsh / 2.0) ** 2 - 1.0, 0.0), 1.0)
    return (1.0 - math.sqrt(excess)) / 2.0


def di_secret_fraction(qber: float, chsh: float, f_ec: float = 1.0) -> float:
    """Device-independent secret fraction ``1 - f H2(Q) - H2((1 + √((S/2)² - 1))/2)``.

    Acín, Brunner, Gisin, Massar, Pironio and Scarani, PRL 98, 230501 (2007), eq. 4 (the
    collective-attack bound), clipped at 0. For a Werner state (``S = 2√2 (1 - 2Q)``)
    it vanishes at ``Q ≈ 7.1 %``, the paper's threshold.

    Args:
        qber: error rate of the key pairs, in [0, 1].
        chsh: CHSH value S.
        f_ec: error-correction inefficiency (>= 1).

    Raises:
        ConfigError: ``qber`` outside [0, 1] or ``f_ec < 1``.

    Examples:
        >>> di_secret_fraction(0.0, 2 * 2 ** 0.5)
        1.0
        >>> di_secret_fraction(0.01, 2.0)
        0.0
    """
    if f_ec < 1.0:
        raise ConfigError("f_ec", f"must be at least 1, got {f_ec!r}")
    leak = f_ec * float(binary_entropy(qber))
    return max(1.0 - leak - float(binary_entropy(holevo_error(chsh))), 0.0)


def max_distance_km(
    rate_function: Callable[[FloatArray], ArrayLike],
    *,
    attenuation_db_per_km: float,
    detector_efficiency: float = 1.0,
    min_km: float = 1e-3,
    max_km: float = 1e4,
    xtol_km: float = 1e-6,
) -> float:
    """Fibre length at which a key rate first falls to zero.

    The rate is evaluated at ``η = fibre_transmittance(L, a) η_det`` on a log-spaced
    grid of L; from the last grid point with a positive rate, :func:`scipy.optimize.brentq`
    finds the crossing on ``log L``. Rates here are clipped at 0, so the search looks for
    the edge of ``rate > 0`` (brentq then converges like bisection, to ``xtol_km``).

    Args:
        rate_function: maps total transmittance (array) to secret bits per pulse.
        attenuation_db_per_km: fibre loss a in dB/km (> 0).
        detector_efficiency: η_det in (0, 1], Bob's optics times detector efficiency.
        min_km: shortest length searched (> 0).
        max_km: longest length searched (> ``min_km``).
        xtol_km: absolute tolerance on the answer, in km.

    Returns:
        Distance in km; 0 if there is no key at ``min_km``, ``inf`` if there still is
        at ``max_km``.

    Raises:
        ConfigError: a bad attenuation, efficiency or search range.

    Examples:
        >>> from functools import partial
        >>> rate = partial(decoy_bb84_key_rate_asymptotic, mu=0.48, y0=1.7e-6, e_d=0.033,
        ...                f_ec=1.22)
        >>> d = max_distance_km(rate, attenuation_db_per_km=0.21, detector_efficiency=0.045)
        >>> round(d, 1)
        142.0
    """
    a = float(chk.positive("attenuation_db_per_km", attenuation_db_per_km))
    eff = float(chk.probability("detector_efficiency", detector_efficiency, zero_ok=False))
    lo = float(chk.positive("min_km", min_km))
    hi = float(chk.positive("max_km", max_km))
    if hi <= lo:
        raise ConfigError("max_km", f"must exceed min_km={chk.show(lo)}, got {chk.show(hi)}")

    def rate_at(log_km: ArrayLike) -> FloatArray:
        eta = np.asarray(fibre_transmittance(np.exp(log_km), a)) * eff
        return np.asarray(rate_function(eta), dtype=float)

    grid = np.linspace(math.log(lo), math.log(hi), 400)
    positive = rate_at(grid) > 0.0
    if not positive[0]:
        return 0.0
    if positive[-1]:
        return math.inf
    last = int(np.flatnonzero(~positive)[0]) - 1

    def signed(log_km: float) -> float:
        r = float(rate_at(log_km))
        return r if r > 0.0 else -1.0

    left, right = float(grid[last]), float(grid[last + 1])
    from scipy.optimize import brentq  # here, not at the top: 0.2 s of every start
    root = brentq(signed, left, right, xtol=xtol_km / math.exp(right), rtol=1e-14)
    return float(math.exp(root))
