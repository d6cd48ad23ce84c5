"""Double-click (Barrett-Kok) heralding: two rounds, one click in each.

Both memories start in ``(|0⟩ + |1⟩)/√2`` and emit from ``|1⟩``; a π pulse swaps the
states and both emit again. A single click in each round heralds ``|01⟩ ± |10⟩`` with
ideal fidelity 1, at the price of needing both photons: ``p = η_a η_b / 2`` (Barrett and
Kok, PRA 71, 060310 (2005); Bernien et al., Nature 497, 86 (2013)).

The closed form sums over the spin branches. ``|01⟩``/``|10⟩`` put one photon in each
round: coherent (visibility V) when both are detected, incoherent when a dark count
stands in for a lost one. ``|00⟩``/``|11⟩`` put two photons in one round and none in
the other, so only a dark count in the empty round lets them through.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qinet.link.hardware import LinkHardware, depolarize_each, flip_to_phi_plus
from qinet.link.model import (
    AttemptModel,
    AttemptSampler,
    multiplexed_probability,
    multiplexed_sampler,
)
from qinet.link.single_click import emission_timing


@dataclass(frozen=True, slots=True)
class DoubleClickScheme:
    """Parameters of double-click (Barrett-Kok) heralding.

    Attributes:
        attempt_period_s: time between attempts of one memory pair; ``None`` takes the
            shortest possible (both rounds, the round trip and ``reset_time_s``).
        round_gap_s: time between the two emission rounds (the π pulse).
        reset_time_s: local time to re-initialise a memory between attempts (default
            1 µs, the order of a spin reset by optical pumping).
        modes: modes per attempt (multiplexing).
    """

    attempt_period_s: float | None = None
    round_gap_s: float = 1e-6
    reset_time_s: float = 1e-6
    modes: int = 1

    def compile(self, hw: LinkHardware) -> AttemptModel:
        """The closed-form attempt model and its photon-level sampler for ``hw``."""
        p_mode, rho = heralded_state(hw)
        return AttemptModel(
            scheme="double-click",
            success_probability=multiplexed_probability(p_mode, self.modes),
            heralded_state=rho,
            timing=emission_timing(hw, rounds=2, round_gap_s=self.round_gap_s,
                                   reset_time_s=self.reset_time_s,
                                   attempt_period_s=self.attempt_period_s),
            sample=multiplexed_sampler(_sampler(hw), self.modes),
            modes=self.modes,
            channel_transmittance=hw.total_transmittance,
        )


def heralded_state(hw: LinkHardware) -> tuple[float, NDArray[np.complex128]]:
    """Success probability of one mode and the heralded state (Φ+ frame).

    Examples:
        >>> from qinet.physical import Detector, Fibre, QuantumMemory
        >>> m = QuantumMemory(efficiency=1.0)
        >>> hw = LinkHardware(m, m, Fibre(10.0), Fibre(10.0),
        ...                   Detector(efficiency=1.0, dark_count_rate_hz=0.0))
        >>> p, rho = heralded_state(hw)
        >>> round(p, 6), round(float(np.real(rho[0, 0] + rho[3, 3] + 2 * rho[0, 3])) / 2, 6)
        (0.199054, 1.0)
    """
    ea, eb = hw.photon_efficiencies
    pd, v = hw.p_dark, hw.visibility
    quiet = 1.0 - pd
    any_dark = 2.0 * pd * quiet  # exactly one of the two detectors has a dark count
    # One photon in a round: detected (its detector alone clicks) or lost and replaced.
    round_a = ea * quiet + (1 - ea) * any_dark
    round_b = eb * quiet + (1 - eb) * any_dark
    coherent = ea * eb * quiet**2
    incoherent = round_a * round_b - coherent
    two_photon_round = (ea * eb * 0.5 * (1 + v) + ea * (1 - eb) + eb * (1 - ea)) * quiet \
        + (1 - ea) * (1 - eb) * any_dark
    wrong = two_photon_round * any_dark  # the empty round heralded by a dark count
    rho = np.zeros((4, 4), dtype=np.complex128)
    rho[1, 1] = rho[2, 2] = 0.25 * (coherent + incoherent)
    rho[1, 2] = rho[2, 1] = 0.25 * coherent * v
    rho[0, 0] = rho[3, 3] = 0.25 * wrong
    p = float(np.real(np.trace(rho)))
    rho = flip_to_phi_plus(rho / p)
    rho = depolarize_each(rho, (hw.memory_a.raw_fidelity, hw.memory_b.raw_fidelity))
    return p, rho


def _sampler(hw: LinkHardware) -> AttemptSampler:
    station = hw.station()
    eff_a, eff_b = hw.memory_a.efficiency, hw.memory_b.efficiency

    def sample(n: int, rng: np.random.Generator) -> NDArray[np.bool_]:
        # read here, not when the link is compiled: only the detailed mode samples
        t_a, t_b = hw.arm_a.transmittance, hw.arm_b.transmittance
        # Spin of each memory: 1 emits in the first round, 0 in the second.
        spin_a = rng.random(n) < 0.5
        spin_b = rng.random(n) < 0.5
        ok = np.ones(n, dtype=bool)
        for emits_a, emits_b in ((spin_a, spin_b), (~spin_a, ~spin_b)):
            arrived_a = emits_a & (rng.random(n) < eff_a * t_a)
            arrived_b = emits_b & (rng.random(n) < eff_b * t_b)
            ok &= station.detect(arrived_a, arrived_b, rng=rng).single_click
        return ok

    return sample
