"""BBM92 keys of the user pairs of a shared entangled-pair source, sampled from the
closed-form coincidence rates of :mod:`qinet.physical.wdm_source`.

Each user analyses polarisation with a passive basis choice (a 50:50 beam splitter
before two polarising beam splitters), so half of the coincidences are sifted. Over a
run of ``T`` seconds the coincidences counted in the window are Poisson with mean
``(C + A) T``; the sifted ones a binomial half of them, and the errors among those a
binomial draw at the closed-form QBER. The key is the asymptotic BBM92 fraction on the
measured error rate, ``1 - f H2(e) - H2(e)`` per sifted bit (Shor and Preskill, Phys.
Rev. Lett. 85, 441 (2000), bit and phase errors equal for a source of equal visibility
in both bases); finite-size terms are not taken off.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qinet.physical.wdm_source import UserPairRates
from qinet.qkd.bounds import binary_entropy

SIFT_FRACTION = 0.5
"""Share of coincidences whose two passive basis choices agree."""


@dataclass(frozen=True, slots=True)
class UserPairResult:
    """What one user pair of a pair source measured over a run.

    Attributes:
        source: the source's name.
        users: the two users.
        pair_rate_hz: pairs per second emitted into the pair's channel pair.
        coincidence_rate_theory_hz: true coincidences per second, ``B eta_i eta_j``.
        accidental_rate_theory_hz: accidental coincidences per second in the window.
        car: coincidence-to-accidental ratio ``(C + A) / A`` (closed form).
        coincidences: coincidences counted over the run (true and accidental).
        sifted_bits: coincidences in matching bases.
        errors: sifted bits that disagree.
        qber: ``errors / sifted_bits`` (``None`` without sifted bits).
        qber_theory: closed-form error rate.
        sifted_rate_bps: sifted bits per second.
        secret_key_rate_bps: asymptotic BBM92 key per second on the measured QBER.
        secret_key_rate_theory_bps: the same on the closed-form rates.
        fidelity_theory: fidelity to the Bell state of a Werner state with this QBER,
            ``1 - 3 e / 2``.
    """

    source: str
    users: tuple[str, str]
    pair_rate_hz: float
    coincidence_rate_theory_hz: float
    accidental_rate_theory_hz: float
    car: float
    coincidences: int
    sifted_bits: int
    errors: int
    qber: float | None
    qber_theory: float
    sifted_rate_bps: float
    secret_key_rate_bps: float
    secret_key_rate_theory_bps: float
    fidelity_theory: float


def key_fraction(qber: float, f_ec: float) -> float:
    """``max(0, 1 - f H2(e) - H2(e))``: secret bits per sifted bit.

    Examples:
        >>> key_fraction(0.0, 1.16), key_fraction(0.2, 1.16)
        (1.0, 0.0)
    """
    h = float(binary_entropy(min(qber, 0.5)))
    return max(0.0, 1.0 - f_ec * h - h)


def sample_user_pair(source: str, users: tuple[str, str], pair_rate_hz: float,
                     rates: UserPairRates, *, duration_s: float, f_ec: float,
                     rng: np.random.Generator) -> UserPairResult:
    """Counts of one user pair over ``duration_s`` and its keys (module docstring)."""
    coincidences = int(rng.poisson(rates.detected_rate_hz * duration_s))
    sifted = int(rng.binomial(coincidences, SIFT_FRACTION))
    errors = int(rng.binomial(sifted, rates.qber))
    qber = errors / sifted if sifted else None
    sifted_rate = sifted / duration_s
    theory_sifted = SIFT_FRACTION * rates.detected_rate_hz
    return UserPairResult(
        source=source, users=users, pair_rate_hz=pair_rate_hz,
        coincidence_rate_theory_hz=rates.coincidence_rate_hz,
        accidental_rate_theory_hz=rates.accidental_rate_hz, car=rates.car,
        coincidences=coincidences, sifted_bits=sifted, errors=errors, qber=qber,
        qber_theory=rates.qber, sifted_rate_bps=sifted_rate,
        secret_key_rate_bps=sifted_rate * key_fraction(qber, f_ec) if qber is not None
        else 0.0,
        secret_key_rate_theory_bps=theory_sifted * key_fraction(rates.qber, f_ec),
        fidelity_theory=1.0 - 1.5 * rates.qber)
