"""Eavesdroppers on prepare-and-measure links, and the fingerprints they leave.

An attack is a frozen description. It says what reaches Bob's detectors for every photon
number that leaves Alice's source, as a short list of :class:`Delivery` branches; the
protocol's channel model turns each branch into click and error probabilities. Each
branch also says whether Eve learns Alice's bit once the bases are announced, so a run
can count the sifted bits she knows.

Three attacks are described (Gisin, Ribordy, Tittel and Zbinden, Rev. Mod. Phys. 74,
145 (2002), sec. VI; Lütkenhaus, Phys. Rev. A 61, 052304 (2000)):

* :class:`InterceptResend`: measure and resend; a quarter of the attacked share shows
  up in the QBER.
* :class:`PhotonNumberSplitting`: keep one photon of every multi-photon pulse, block
  single photons; invisible in the QBER and in the signal gain, visible in the decoys.
* :class:`BeamSplitting`: tap the light at Alice's door and send the rest over a
  lossless fibre; invisible in every statistic, paid for by privacy amplification.

Examples:
    >>> import numpy as np
    >>> pmf = np.array([[0.0, 1.0, 0.0]])  # one class, always one photon
    >>> [d.eve_knows for d in InterceptResend().deliveries(
    ...     pmf, fibre_transmittance=0.1, detector_efficiency=0.9)]
    [False, True, False]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.special import comb

from qinet.errors import ConfigError

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One branch of what the channel does to a pulse.

    Attributes:
        weight: shape ``(classes, n_max + 1)``: probability, given the intensity class,
            that the pulse holds ``n`` photons at Alice's door *and* takes this branch.
        photons: shape ``(n_max + 1,)``: photons sent on towards Bob for ``n`` at Alice.
        transmittance: probability that each of them reaches Bob's detectors (the
            detectors' own efficiency excluded).
        conjugate: the photons were re-prepared in the basis Alice did not use, with a
            random bit, so they carry no information on Alice's bit.
        eve_knows: Eve learns Alice's bit in this branch once the bases are announced.
    """

    weight: FloatArray
    photons: IntArray
    transmittance: float
    conjugate: bool = False
    eve_knows: bool = False


def honest_delivery(pmf: FloatArray, *, fibre_transmittance: float) -> Delivery:
    """No eavesdropper: every photon travels the fibre.

    Examples:
        >>> honest_delivery(np.array([[0.5, 0.5]]), fibre_transmittance=0.1).photons.tolist()
        [0, 1]
    """
    return Delivery(np.asarray(pmf, dtype=float), _orders(pmf), float(fibre_transmittance))


def _orders(pmf: FloatArray) -> IntArray:
    return np.arange(np.shape(pmf)[-1], dtype=np.int64)


def _fraction(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ConfigError(name, f"must lie in [0, 1], got {value}")


@dataclass(frozen=True, slots=True)
class InterceptResend:
    """Eve measures a share of the pulses at Alice's door and resends what she saw.

    She measures each attacked pulse with a perfect detector in a random basis; when it
    holds at least one photon she sends Bob one photon in her basis and bit through the
    fibre, otherwise nothing. In the bases Alice and Bob keep she is wrong half the time
    she chose the other basis, so the sifted error rate rises by ``fraction / 4``
    (Bennett and Brassard 1984; Gisin et al., RMP 74, 145 (2002), sec. VI.A), and the
    gains of the decoy classes no longer scale as ``1 - e^{-ημ}``. She knows Alice's bit
    whenever she guessed the basis.

    Attributes:
        fraction: share of pulses attacked, in [0, 1].

    Examples:
        >>> InterceptResend(fraction=1.5)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: fraction: must lie in [0, 1], got 1.5
    """

    fraction: float = 1.0

    def __post_init__(self) -> None:
        _fraction("fraction", self.fraction)

    def deliveries(self, pmf: FloatArray, *, fibre_transmittance: float,
                   detector_efficiency: float) -> tuple[Delivery, ...]:
        """The untouched share, and Eve's resent photon in Alice's basis or the other one."""
        del detector_efficiency  # Eve resends through the fibre as it is
        n = _orders(pmf)
        occupied = pmf * (n >= 1)
        # an empty pulse is the same whether Eve looked at it or not
        untouched = pmf - self.fraction * occupied
        one = np.minimum(n, 1)
        half = 0.5 * self.fraction * occupied
        return (Delivery(untouched, n, fibre_transmittance),
                Delivery(half, one, fibre_transmittance, eve_knows=True),
                Delivery(half, one, fibre_transmittance, conjugate=True))


@dataclass(frozen=True, slots=True)
class PhotonNumberSplitting:
    """Eve keeps one photon of every multi-photon pulse and hides behind the fibre's loss.

    At Alice's door Eve counts the photons of each pulse without disturbing them. From a
    pulse of ``n >= 2`` photons she keeps one in a quantum memory and sends the other
    ``n - 1`` to Bob over her own channel of transmittance ``t``; she blocks a share ``β``
    of the single-photon pulses and sends the others the same way. After the bases are
    announced she measures her photon and knows Alice's bit. By default ``β`` and ``t``
    are chosen so that Bob's detection probability for the signal class (the first) is
    the one the honest fibre would give: ``t = 1`` and β from the linear equation when
    that suffices, otherwise ``β = 1`` and ``t < 1`` (Brassard, Lütkenhaus, Mor and
    Sanders, PRL 85, 1330 (2000); Lütkenhaus, PRA 61, 052304 (2000)). Eve cannot tell
    the intensity classes apart, so the decoy gains betray her (Hwang, PRL 91, 057901
    (2003); Lo, Ma and Chen, PRL 94, 230504 (2005)).

    Attributes:
        blocked_single_fraction: β; ``None`` matches the signal gain (with ``t``).

    Examples:
        >>> pmf = np.array([[0.6, 0.3, 0.1]])
        >>> pns = PhotonNumberSplitting()
        >>> beta, t = pns.strategy(pmf[0], fibre_transmittance=0.5, detector_efficiency=1.0)
        >>> round(beta, 4), t  # 0.3 (1 - β) + 0.1 = 0.3 (0.5) + 0.1 (0.75)
        (0.5833, 1.0)
    """

    blocked_single_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.blocked_single_fraction is not None:
            _fraction("blocked_single_fraction", self.blocked_single_fraction)

    def strategy(self, signal_pmf: FloatArray, *, fibre_transmittance: float,
                 detector_efficiency: float) -> tuple[float, float]:
        """``(β, t)``: share of single photons blocked and Eve's channel transmittance."""
        if self.blocked_single_fraction is not None:
            return self.blocked_single_fraction, 1.0
        p = np.asarray(signal_pmf, dtype=float)
        n = _orders(p)
        eta_d = detector_efficiency
        honest = float(np.sum(p * (1.0 - (1.0 - fibre_transmittance * eta_d) ** n)))

        def multi(t: float) -> float:
            kept = np.maximum(n - 1, 0)
            return float(np.sum(p[2:] * (1.0 - (1.0 - t * eta_d) ** kept[2:])))

        single = p[1] * eta_d if p.size > 1 else 0.0
        if multi(1.0) >= honest:
            if honest <= 0.0:
                return 1.0, 0.0
            from scipy.optimize import brentq  # here, not at the top: 0.2 s of every start
            return 1.0, float(brentq(lambda t: multi(t) - honest, 0.0, 1.0, xtol=1e-15))
        if single <= 0.0:
            return 0.0, 1.0
        return float(np.clip(1.0 - (honest - multi(1.0)) / single, 0.0, 1.0)), 1.0

    def deliveries(self, pmf: FloatArray, *, fibre_transmittance: float,
                   detector_efficiency: float) -> tuple[Delivery, ...]:
        """Empty and passed single photons, blocked single photons, split multi-photons."""
        beta, t = self.strategy(pmf[0], fibre_transmittance=fibre_transmittance,
                                detector_efficiency=detector_efficiency)
        n = _orders(pmf)
        low = pmf * (n <= 1) * np.where(n == 1, 1.0 - beta, 1.0)
        blocked = pmf * (n == 1) * beta
        split = pmf * (n >= 2)
        return (Delivery(low, n, t),
                Delivery(blocked, np.zeros_like(n), t),
                Delivery(split, np.maximum(n - 1, 0), t, eve_knows=True))


@dataclass(frozen=True, slots=True)
class BeamSplitting:
    """Eve taps a share of the light at Alice's door and sends the rest over a lossless fibre.

    Each photon goes to Eve with probability τ (a beam splitter); the others reach Bob's
    detectors without loss. Eve stores her photons and measures them once the bases are
    announced: she knows Alice's bit whenever she holds at least one. With the default
    ``τ = 1 - η_fibre`` Bob sees exactly the honest fibre, so no statistic moves; for
    Poisson light Eve's and Bob's parts are independent and she knows a share
    ``1 - e^{-μτ}`` of Bob's detections of class μ (Bennett et al., J. Cryptology 5, 3
    (1992); Dušek, Jahma and Lütkenhaus, PRA 62, 022306 (2000)). Only the single-photon
    bound of privacy amplification (GLLP, decoys) accounts for it.

    Attributes:
        tap_fraction: τ in [0, 1]; ``None`` taps exactly the fibre's loss.

    Examples:
        >>> BeamSplitting().tap(fibre_transmittance=0.1)
        0.9
    """

    tap_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.tap_fraction is not None:
            _fraction("tap_fraction", self.tap_fraction)

    def tap(self, *, fibre_transmittance: float) -> float:
        """τ: the tapped share of the light."""
        return 1.0 - fibre_transmittance if self.tap_fraction is None else self.tap_fraction

    def deliveries(self, pmf: FloatArray, *, fibre_transmittance: float,
                   detector_efficiency: float) -> tuple[Delivery, ...]:
        """One branch per number ``j`` of photons Eve keeps (binomial split of ``n``)."""
        del detector_efficiency
        tau = self.tap(fibre_transmittance=fibre_transmittance)
        n = _orders(pmf)
        out = []
        for j in range(n.size):
            split = comb(n, j) * tau**j * (1.0 - tau) ** np.maximum(n - j, 0) * (n >= j)
            out.append(Delivery(pmf * split, np.maximum(n - j, 0), 1.0, eve_knows=j >= 1))
        return tuple(out)


Attack = InterceptResend | PhotonNumberSplitting | BeamSplitting
"""Any eavesdropper a prepare-and-measure run accepts."""
