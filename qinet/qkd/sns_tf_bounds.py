"""Sending-or-not-sending twin-field QKD: asymptotic key rates, with and without AOPP.

In the protocol of X.-B. Wang, Z.-W. Yu and X.-L. Hu, "Twin-field quantum key
distribution with large misalignment error", Phys. Rev. A 98, 062323 (2018) (cited as
*WYH 2018*), Alice and Bob each decide, in a Z window, to send a phase-randomised
coherent pulse of mean ``μ`` (probability ε) or nothing. Alice's bit is 1 when she
sends, Bob's is 1 when he does not. Charlie interferes the pulses and announces single
clicks ("effective events"). One sender and one silent end give correct bits; both
sending or both silent give wrong ones. X windows (decoy pulses at both ends, phases
announced) serve only to bound the phase error, so the key basis's error rate does not
depend on the interference visibility: the protocol tolerates large misalignment.

Channel model, per pulse pair in Z windows, with arms ``η_a``, ``η_b`` (fibre to Charlie
times his detector efficiency) and ``p_d`` the dark-count probability of each of his two
detectors per window; a single click of a pulse of mean λ split evenly over the two
detectors is ``P_1(λ) = 2 (1 - p_d) e^{-λ/2} [1 - (1 - p_d) e^{-λ/2}]``, and of two
pulses with independent random phases ``P_2 = 2 (1 - p_d) e^{-λ_a/2 - λ_b/2}
I0(√(λ_a λ_b)) - 2 (1 - p_d)² e^{-λ_a - λ_b}`` (the phase average of
``e^{-√(λ_a λ_b) cos θ}`` is ``I0``):

* Alice silent, Bob sends: ``ε (1 - ε) P_1(η_b μ)``, correct, Bob's bit 0;
* both send: ``ε² P_2``, wrong, Bob's bit 0;
* Alice sends, Bob silent: ``ε (1 - ε) P_1(η_a μ)``, correct, Bob's bit 1;
* both silent: ``(1 - ε)² 2 p_d (1 - p_d)``, wrong, Bob's bit 1.

The untagged bits are those where the sender sent exactly one photon: ``n_1 = ε (1 - ε)
μ e^{-μ} (s_{1a} + s_{1b})`` with the single-photon yield ``s_1 = η (1 - p_d) +
2 (1 - η) p_d (1 - p_d)``; their phase error is the bit error of the single-photon state
in X windows, ``e_1 s_1 = e_d η (1 - p_d) + (1 - η) p_d (1 - p_d)`` (``e_d`` the
interference misalignment). With infinitely many decoys these are known and

    ``R = n_1 [1 - H2(e_1)] - f S_Z H2(E_Z)``  (WYH 2018, Eq. 1),

per pulse pair in Z windows (times ``p_z²`` per pulse pair sent).

**AOPP** (actively odd-parity pairing; H. Xu, Z.-W. Yu, C. Jiang, X.-L. Hu and X.-B.
Wang, "Sending-or-not-sending twin-field quantum key distribution: breaking the direct
transmission key rate", Phys. Rev. A 101, 042330 (2020), cited as *Xu 2020*): before
error correction, Bob pairs each of his 0 bits with one of his 1 bits (``n_g =
min(n_0, n_1)`` pairs) and announces the pairs; Alice keeps a pair when her two bits
have odd parity too, and each kept pair leaves one bit. A pair is kept when both its
bits are right or both wrong, so with error rates ``e_0``, ``e_1`` in Bob's two groups the
kept bits have ``E' = e_0 e_1 / [(1 - e_0)(1 - e_1) + e_0 e_1]``: the both-sending errors
(group 0) meet dark-count errors (group 1) only, which are rare at long distance. A pair
of two untagged bits is always kept (both are right) and its surviving bit carries
the phase error ``2 e_1 (1 - e_1)`` (the parity reveals one bit; the surviving bit's
phase flips when one of the two had a phase error, as in the B step of Gottesman and
Lo, IEEE Trans. Inf. Theory 49, 457 (2003)); pairs with a tagged bit count as tagged.
Then ``R = n_11 [1 - H2(2 e_1 (1 - e_1))] - f n' H2(E')`` with ``n' = n_g [(1 - e_0)(1 - e_1)
+ e_0 e_1]`` and ``n_11 = n_g (n_{1,0}/n_0)(n_{1,1}/n_1)``.

Both rates scale as the arm transmittance ``η ∝ √η_AB`` at long distance.

Examples:
    >>> r = sns_key_rate_asymptotic(1e-4, 1e-4, mu=0.4, send_probability=0.05,
    ...                             dark_count_probability=1e-9, misalignment=0.05)
    >>> f"{r:.4e}"
    '4.7974e-07'
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import i0e

from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray
from qinet.qkd.bounds import F_EC, binary_entropy_unchecked


@dataclass(frozen=True, slots=True)
class SnsZStatistics:
    """Effective-event probabilities per Z-window pulse pair, by Bob's bit.

    Attributes:
        correct_0: Alice silent, Bob sends (Bob's bit 0, right).
        wrong_0: both send (Bob's bit 0, wrong).
        correct_1: Alice sends, Bob silent (Bob's bit 1, right).
        wrong_1: both silent, a dark count (Bob's bit 1, wrong).
        untagged_0: the part of ``correct_0`` where Bob sent exactly one photon.
        untagged_1: the part of ``correct_1`` where Alice sent exactly one photon.
        phase_error: e_1, the phase error rate of the untagged bits.
    """

    correct_0: FloatArray
    wrong_0: FloatArray
    correct_1: FloatArray
    wrong_1: FloatArray
    untagged_0: FloatArray
    untagged_1: FloatArray
    phase_error: FloatArray

    @property
    def gain(self) -> FloatArray:
        """S_Z: effective events per Z-window pulse pair."""
        total: FloatArray = self.correct_0 + self.wrong_0 + self.correct_1 + self.wrong_1
        return total

    @property
    def qber(self) -> FloatArray:
        """E_Z: their bit error rate (1/2 where there are none)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            out: FloatArray = np.where(self.gain > 0.0,
                                       (self.wrong_0 + self.wrong_1) / self.gain, 0.5)
        return out

    @property
    def untagged(self) -> FloatArray:
        """n_1: untagged effective events per Z-window pulse pair."""
        total: FloatArray = self.untagged_0 + self.untagged_1
        return total


def _single_click(lam: FloatArray, keep: FloatArray) -> FloatArray:
    """One pulse of mean λ split over two detectors: exactly one clicks."""
    half = np.exp(-lam / 2.0)
    out: FloatArray = 2.0 * keep * half * (1.0 - keep * half)
    return out


def single_photon_yield(eta: ArrayLike, *, dark_count_probability: ArrayLike,
                        misalignment: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """``(s_1, e_1)``: single click of one photon sent through an arm, and its phase error.

    ``s_1 = η (1 - p_d) + 2 (1 - η) p_d (1 - p_d)``, ``e_1 s_1 = e_d η (1 - p_d) + (1 - η)
    p_d (1 - p_d)``: the photon arrives and the other detector stays dark, or it is lost
    and one dark count decides, right half the time.

    Examples:
        >>> s1, e1 = single_photon_yield(0.01, dark_count_probability=0.0, misalignment=0.03)
        >>> float(s1), round(float(e1), 12)
        (0.01, 0.03)
    """
    e = chk.probability("eta", eta)
    p_d = chk.probability("dark_count_probability", dark_count_probability)
    e_d = chk.checked("misalignment", misalignment, low=0.0, high=0.5)
    keep = 1.0 - p_d
    s1 = e * keep + 2.0 * (1.0 - e) * p_d * keep
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = np.where(s1 > 0.0, (e_d * e * keep + (1.0 - e) * p_d * keep) / s1, 0.5)
    return s1, e1


def sns_z_statistics(
    eta_a: ArrayLike,
    eta_b: ArrayLike,
    *,
    mu: float,
    send_probability: float,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
) -> SnsZStatistics:
    """The four kinds of effective event in Z windows and the untagged ones (see module).

    Args:
        eta_a: Alice→Charlie transmittance times detector efficiency (vectorised).
        eta_b: Bob→Charlie transmittance times detector efficiency (vectorised).
        mu: mean photon number of a sent Z pulse (> 0), the same at both ends.
        send_probability: ε, the probability of sending in a Z window, in (0, 1).
        dark_count_probability: p_d per detector and window.
        misalignment: e_d of the X-window interference (sets the phase error only).

    Examples:
        >>> z = sns_z_statistics(0.01, 0.01, mu=0.5, send_probability=0.5,
        ...                      dark_count_probability=0.0, misalignment=0.0)
        >>> float(z.wrong_1), round(float(z.qber), 4)  # no dark counts: group 1 is clean
        (0.0, 0.4994)
    """
    a = chk.probability("eta_a", eta_a)
    b = chk.probability("eta_b", eta_b)
    m = float(chk.positive("mu", mu))
    eps = float(chk.checked("send_probability", send_probability, low=0.0, high=1.0,
                            low_open=True, high_open=True))
    p_d = chk.probability("dark_count_probability", dark_count_probability)
    keep = 1.0 - p_d
    la, lb = a * m, b * m
    cross = np.sqrt(la * lb)
    # e^{-(λa+λb)/2} I0(√(λa λb)) with i0e so that bright pulses stay finite
    both = 2.0 * keep * np.exp(cross - (la + lb) / 2.0) * i0e(cross) \
        - 2.0 * keep**2 * np.exp(-la - lb)
    s1a, e1a = single_photon_yield(a, dark_count_probability=p_d, misalignment=misalignment)
    s1b, e1b = single_photon_yield(b, dark_count_probability=p_d, misalignment=misalignment)
    one = eps * (1.0 - eps)
    single = m * np.exp(-m)
    with np.errstate(divide="ignore", invalid="ignore"):
        e1 = np.where(s1a + s1b > 0.0, (e1a * s1a + e1b * s1b) / (s1a + s1b), 0.5)
    return SnsZStatistics(
        correct_0=one * _single_click(lb, keep), wrong_0=eps**2 * both,
        correct_1=one * _single_click(la, keep),
        # dark counts alone: no transmittance in it, broadcast to the arms' shape
        wrong_1=np.broadcast_to((1.0 - eps) ** 2 * 2.0 * p_d * keep,
                                np.broadcast_shapes(a.shape, b.shape, p_d.shape)),
        untagged_0=one * single * s1b, untagged_1=one * single * s1a, phase_error=e1)


def _checked_rate_args(f_ec: float, z_window_probability: float) -> tuple[float, float]:
    f = float(chk.checked("f_ec", f_ec, low=1.0))
    pz = float(chk.checked("z_window_probability", z_window_probability, low=0.0, high=1.0,
                           low_open=True))
    return f, pz


def sns_key_rate_asymptotic(
    eta_a: ArrayLike,
    eta_b: ArrayLike,
    *,
    mu: float,
    send_probability: float,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
    f_ec: float = F_EC,
    z_window_probability: float = 1.0,
) -> float | FloatArray:
    """SNS key rate with infinitely many decoys: ``p_z² {n_1 [1 - H2(e_1)] - f S_Z H2(E_Z)}``.

    WYH 2018, Eq. 1, per pulse pair sent (``p_z`` the probability that an end opens a Z
    window; 1, its default, is the asymptotic limit of a vanishing test share),
    clipped at 0.

    Examples:
        >>> r = sns_key_rate_asymptotic(1e-3, 1e-3, mu=0.4, send_probability=0.05,
        ...                             dark_count_probability=0.0, misalignment=0.0,
        ...                             f_ec=1.0)
        >>> round(float(r) / 1e-3, 4)  # bits per pulse pair over the arm transmittance
        0.014
    """
    f, pz = _checked_rate_args(f_ec, z_window_probability)
    z = sns_z_statistics(eta_a, eta_b, mu=mu, send_probability=send_probability,
                         dark_count_probability=dark_count_probability,
                         misalignment=misalignment)
    rate = z.untagged * (1.0 - binary_entropy_unchecked(np.clip(z.phase_error, 0.0, 0.5))) \
        - f * z.gain * binary_entropy_unchecked(np.clip(z.qber, 0.0, 1.0))
    return chk.out(np.maximum(pz * pz * rate, 0.0))


@dataclass(frozen=True, slots=True)
class AoppOutcome:
    """The raw key after actively odd-parity pairing, per Z-window pulse pair.

    Attributes:
        pairs: n_g, pairs Bob forms (one 0 bit and one 1 bit each).
        kept: n', pairs Alice keeps (odd parity at both ends), one bit each.
        qber: E', the error rate of the kept bits.
        untagged: n_11, kept pairs of two untagged bits.
        phase_error: e_1' = 2 e_1 (1 - e_1), their phase error rate.
    """

    pairs: FloatArray
    kept: FloatArray
    qber: FloatArray
    untagged: FloatArray
    phase_error: FloatArray


def aopp(z: SnsZStatistics) -> AoppOutcome:
    """What AOPP leaves of the Z-window events ``z`` (Xu 2020; formulas in the module).

    Examples:
        >>> z = sns_z_statistics(1e-4, 1e-4, mu=0.4, send_probability=0.2,
        ...                      dark_count_probability=0.0, misalignment=0.03)
        >>> out = aopp(z)
        >>> float(out.qber), round(float(out.phase_error), 4)  # no dark count: no error
        (0.0, 0.0582)
    """
    group_0 = z.correct_0 + z.wrong_0
    group_1 = z.correct_1 + z.wrong_1
    pairs = np.minimum(group_0, group_1)
    with np.errstate(divide="ignore", invalid="ignore"):
        e0 = np.where(group_0 > 0.0, z.wrong_0 / group_0, 0.0)
        e1 = np.where(group_1 > 0.0, z.wrong_1 / group_1, 0.0)
        share_0 = np.where(group_0 > 0.0, z.untagged_0 / group_0, 0.0)
        share_1 = np.where(group_1 > 0.0, z.untagged_1 / group_1, 0.0)
        survive = (1.0 - e0) * (1.0 - e1) + e0 * e1
        qber = np.where(survive > 0.0, e0 * e1 / survive, 0.0)
    e_ph = np.clip(z.phase_error, 0.0, 0.5)
    return AoppOutcome(pairs=pairs, kept=pairs * survive, qber=qber,
                       untagged=pairs * share_0 * share_1,
                       phase_error=2.0 * e_ph * (1.0 - e_ph))


def sns_aopp_key_rate_asymptotic(
    eta_a: ArrayLike,
    eta_b: ArrayLike,
    *,
    mu: float,
    send_probability: float,
    dark_count_probability: ArrayLike,
    misalignment: ArrayLike,
    f_ec: float = F_EC,
    z_window_probability: float = 1.0,
) -> float | FloatArray:
    """SNS key rate after AOPP, infinitely many decoys: ``p_z² {n_11 [1 - H2(e_1')]
    - f n' H2(E')}`` per pulse pair sent (Xu 2020; the module gives each term), at 0.

    Examples:
        >>> r = sns_aopp_key_rate_asymptotic(1e-4, 1e-4, mu=0.4, send_probability=0.2,
        ...                                  dark_count_probability=1e-9,
        ...                                  misalignment=0.05)
        >>> f"{r:.4e}"
        '1.0414e-06'
    """
    f, pz = _checked_rate_args(f_ec, z_window_probability)
    out = aopp(sns_z_statistics(eta_a, eta_b, mu=mu, send_probability=send_probability,
                                dark_count_probability=dark_count_probability,
                                misalignment=misalignment))
    rate = out.untagged * (1.0 - binary_entropy_unchecked(out.phase_error)) \
        - f * out.kept * binary_entropy_unchecked(np.clip(out.qber, 0.0, 1.0))
    return chk.out(np.maximum(pz * pz * rate, 0.0))
