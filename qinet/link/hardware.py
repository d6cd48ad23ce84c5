"""The hardware of one link, as the heralding schemes see it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from qinet.devices.station import BeamSplitterStation
from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.memories import QuantumMemory
from qinet.units import s_to_ps

PHI_PLUS = np.array([1, 0, 0, 1], dtype=complex) / np.sqrt(2)
_I2 = np.eye(2, dtype=complex)


@dataclass(frozen=True, slots=True)
class LinkHardware:
    """Two memories, the two fibre arms to the middle station, and its detectors.

    Attributes:
        memory_a: memory physics at node a (efficiency = emission x collection for
            emitter schemes, write efficiency for the midpoint source).
        memory_b: the same at node b.
        arm_a: fibre from node a to the station (the heralding station or the source).
        arm_b: fibre from node b to the station.
        detector: the station's detectors (or the nodes' herald detectors).
        detection_window_s: detection window in s.
        visibility: two-photon (or source) interference visibility in [0, 1].
    """

    memory_a: QuantumMemory
    memory_b: QuantumMemory
    arm_a: Fibre
    arm_b: Fibre
    detector: Detector
    detection_window_s: float = 1e-9
    visibility: float = 1.0

    def __post_init__(self) -> None:
        if not self.detection_window_s > 0:
            raise ConfigError("detection_window",
                              f"must be positive, got {self.detection_window_s} s")
        if not 0.0 <= self.visibility <= 1.0:
            raise ConfigError("visibility", f"must lie in [0, 1], got {self.visibility}")

    @property
    def arm_delays_ps(self) -> tuple[int, int]:
        """Photon (and message) travel time of each arm, in picoseconds."""
        return s_to_ps(self.arm_a.delay_s), s_to_ps(self.arm_b.delay_s)

    @property
    def total_transmittance(self) -> float:
        """Transmittance of the whole fibre from a to b (for the PLOB bound)."""
        return _transmittance(self.arm_a) * _transmittance(self.arm_b)

    @property
    def detection_efficiency(self) -> float:
        """Detector efficiency times the share of photons the jitter keeps in the window."""
        return _detection_efficiency(self.detector, self.detection_window_s)

    @property
    def photon_efficiencies(self) -> tuple[float, float]:
        """Probability that a photon of node a (b) counts: memory x arm x detection.

        For emitters the memory efficiency is emission x collection and the photon must
        reach the station's detectors; for absorbers it is the write efficiency and the
        photon comes from the station. Either way the three factors multiply.
        """
        eta_d = self.detection_efficiency
        return (self.memory_a.efficiency * _transmittance(self.arm_a) * eta_d,
                self.memory_b.efficiency * _transmittance(self.arm_b) * eta_d)

    @property
    def p_dark(self) -> float:
        """Dark-count probability of one detector in one window."""
        return _dark_probability(self.detector, self.detection_window_s)

    def station(self) -> BeamSplitterStation:
        """The heralding station of this link's detectors, window and visibility (links
        that share them share one: it holds no state)."""
        return _station(self.detector, self.detection_window_s, self.visibility)


# A network's links differ in length, rarely in detectors: what depends on the detector
# alone is computed once per detector, not once per link.
@lru_cache(maxsize=256)
def _detection_efficiency(detector: Detector, window_s: float) -> float:
    return float(detector.efficiency * detector.window_efficiency(window_s))


@lru_cache(maxsize=256)
def _dark_probability(detector: Detector, window_s: float) -> float:
    return float(detector.dark_probability(window_s))


@lru_cache(maxsize=4096)
def _transmittance(fibre: Fibre) -> float:
    # one link's compilation reads each arm's transmittance several times
    return fibre.transmittance


@lru_cache(maxsize=256)
def _station(detector: Detector, window_s: float, visibility: float) -> BeamSplitterStation:
    return BeamSplitterStation(detector, window_s=window_s, visibility=visibility)


_FLIP_1 = np.array([1, 0, 3, 2])  # X on qubit 1 permutes |00>,|01>,|10>,|11> to this


def flip_to_phi_plus(rho_psi: NDArray[np.complex128]) -> NDArray[np.complex128]:
    """Apply X to qubit 1: the Pauli-frame correction from the Ψ+ frame to Φ+.

    ``X1 ρ X1`` with ``X1`` a permutation matrix, done as the permutation (exact).
    """
    flipped: NDArray[np.complex128] = np.asarray(rho_psi)[_FLIP_1][:, _FLIP_1]
    return flipped


def depolarize_each(rho: NDArray[np.complex128], fidelities: tuple[float, float]) -> NDArray[
    np.complex128
]:
    """Depolarise qubit i so that it alone would take Φ+ to fidelity ``fidelities[i]``.

    The memories' raw fidelity: one-qubit depolarising with ``p = 4(1 - F)/3`` leaves
    ``F = 1 - 3p/4`` (Nielsen and Chuang, eq. 8.102).
    """
    out = rho.reshape(2, 2, 2, 2)
    for qubit, f in enumerate(fidelities):
        p = 4.0 * (1.0 - f) / 3.0
        if p == 0.0:
            continue
        traced = np.trace(out, axis1=qubit, axis2=qubit + 2)  # 2x2 of the other qubit
        mixed = (np.einsum("ij,kl->ikjl", _I2 / 2, traced) if qubit == 0
                 else np.einsum("ij,kl->ikjl", traced, _I2 / 2))
        out = (1.0 - p) * out + p * mixed
    return out.reshape(4, 4)


def fidelity_to_phi_plus(rho: NDArray[np.complex128]) -> float:
    """⟨Φ+|ρ|Φ+⟩."""
    return float(np.real(PHI_PLUS.conj() @ rho @ PHI_PLUS))
