"""Heralding stations: a beam splitter and two threshold detectors (a linear-optics BSM).

The station sees photons from the two arms of a link. Photons that reach the beam splitter
leave by port ``+`` or ``-``: a lone photon picks a port at random; two photons that are
indistinguishable (two-photon visibility ``V``) bunch into one port with probability
``(1 + V)/2`` (Hong-Ou-Mandel effect; Hong, Ou and Mandel, PRL 59, 2044 (1987)). Each
detector then clicks if it detects one of its photons or has a dark count.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qinet.physical.detectors import Detector


@dataclass(frozen=True, slots=True)
class DetectionRound:
    """Click outcomes of a batch of detection windows at the two detectors."""

    plus: NDArray[np.bool_]
    minus: NDArray[np.bool_]

    @property
    def single_click(self) -> NDArray[np.bool_]:
        """Exactly one of the two detectors clicked: a herald."""
        return self.plus ^ self.minus


class BeamSplitterStation:
    """A 50:50 beam splitter followed by two identical threshold detectors.

    Args:
        detector: the detectors' physics (efficiency, dark counts, jitter).
        window_s: detection window in s; jitter that throws a photon out of it is loss.
        visibility: two-photon interference visibility of photons from the two arms.
    """

    __slots__ = ("detection_efficiency", "detector", "p_dark", "visibility", "window_s")

    def __init__(self, detector: Detector, *, window_s: float, visibility: float = 1.0) -> None:
        self.detector = detector
        self.window_s = window_s
        self.visibility = visibility
        self.detection_efficiency = float(
            detector.efficiency * detector.window_efficiency(window_s))
        self.p_dark = float(detector.dark_probability(window_s))

    def detect(
        self,
        arrived_a: NDArray[np.bool_],
        arrived_b: NDArray[np.bool_],
        *,
        rng: np.random.Generator,
    ) -> DetectionRound:
        """Click outcomes for single photons that reached the beam splitter from a and b.

        Args:
            arrived_a: per window, whether a photon from arm a reached the beam splitter.
            arrived_b: the same for arm b.
            rng: the station's random generator.
        """
        n = arrived_a.shape[0]
        both = arrived_a & arrived_b
        # Port of the first photon, and whether the second one joins it (bunching).
        port_first = rng.random(n) < 0.5
        bunch = rng.random(n) < 0.5 * (1.0 + self.visibility)
        port_other = np.logical_not(port_first)
        port_second = np.where(bunch, port_first, port_other)
        eta = self.detection_efficiency
        seen_first = (arrived_a | arrived_b) & (rng.random(n) < eta)
        seen_second = both & (rng.random(n) < eta)
        plus = (seen_first & port_first) | (seen_second & port_second)
        minus = (seen_first & port_other) | (seen_second & np.logical_not(port_second))
        plus |= rng.random(n) < self.p_dark
        minus |= rng.random(n) < self.p_dark
        return DetectionRound(plus=plus, minus=minus)


class HeraldedStorage:
    """A memory that absorbs an arriving photon and heralds the absorption.

    Used at both ends of a midpoint-source link: the node detects that its memory took
    a photon (write efficiency times herald detection), or is fooled by a dark count.

    Args:
        write_efficiency: probability that one arriving photon is stored and heralded.
        p_dark: probability of a false herald per window.
    """

    __slots__ = ("p_dark", "write_efficiency")

    def __init__(self, *, write_efficiency: float, p_dark: float) -> None:
        self.write_efficiency = write_efficiency
        self.p_dark = p_dark

    def store(self, photons: NDArray[np.int64], *, rng: np.random.Generator) -> tuple[
        NDArray[np.int64], NDArray[np.bool_]
    ]:
        """Photons stored (each one independently) and whether the window heralds."""
        stored = rng.binomial(photons, self.write_efficiency)
        herald = (stored > 0) | (rng.random(photons.shape[0]) < self.p_dark)
        return stored, herald
