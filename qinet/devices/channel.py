"""Quantum channels on the timeline: a fibre that photons cross, lost ones sampled away."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from qinet.physical.fibre import Fibre
from qinet.units import s_to_ps


class QuantumChannel:
    """A fibre between two places, seen by the protocols as delay and survival.

    Lost photons never become events: :meth:`transmit` thins a batch of photon numbers
    with one binomial draw.

    Args:
        fibre: the fibre's physics (length, attenuation, group index).
        name: for reports.

    Examples:
        >>> ch = QuantumChannel(Fibre(length_km=10.0))
        >>> ch.delay_ps, round(ch.transmittance, 4)
        (48973880, 0.631)
    """

    __slots__ = ("delay_ps", "fibre", "name", "transmittance")

    def __init__(self, fibre: Fibre, *, name: str = "fibre") -> None:
        self.fibre = fibre
        self.name = name
        self.transmittance = fibre.transmittance
        self.delay_ps = s_to_ps(fibre.delay_s)

    def transmit(
        self, photons: NDArray[np.int64], *, rng: np.random.Generator
    ) -> NDArray[np.int64]:
        """Photon numbers that survive the fibre, element by element (binomial thinning)."""
        return rng.binomial(photons, self.transmittance)
