"""Single-click heralding (one photon, bright-state parameter alpha).

Each node prepares its memory in ``√(1-α)|0⟩ + √α|1⟩`` and emits a photon only from
``|1⟩`` (the bright state). The photons meet on a beam splitter at the station, and a
click in exactly one detector heralds ``|01⟩ ± |10⟩`` (Cabrillo et al., PRA 59, 1025
(1999); Humphreys et al., Nature 558, 268 (2018)). At low loss the success probability
is about ``2αη`` and the fidelity ``1 - α``: alpha trades rate for fidelity.

The closed form below sums the photon-number branches exactly: no photon (a dark count
heralds ``|00⟩``), one photon (coherent with visibility V when it is detected,
incoherent when a dark count stands in for a lost one), two photons (bunching heralds
``|11⟩``). Both signs are corrected to Φ+, so the heralded state is one density matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.link.hardware import LinkHardware, depolarize_each, flip_to_phi_plus
from qinet.link.model import (
    AttemptModel,
    AttemptSampler,
    AttemptTiming,
    multiplexed_probability,
    multiplexed_sampler,
)
from qinet.units import s_to_ps


@dataclass(frozen=True, slots=True)
class SingleClickScheme:
    """Parameters of single-click heralding.

    Attributes:
        bright_state: alpha, the population of the bright (emitting) state, in (0, 1).
        attempt_period_s: time between attempts of one memory pair; ``None`` takes the
            shortest possible, the round trip to the station plus ``reset_time_s``.
        reset_time_s: local time to re-initialise a memory between attempts (default
            1 µs, the order of a spin reset by optical pumping).
        modes: modes per attempt (multiplexing).
    """

    bright_state: float = 0.1
    attempt_period_s: float | None = None
    reset_time_s: float = 1e-6
    modes: int = 1

    def __post_init__(self) -> None:
        if not 0.0 < self.bright_state < 1.0:
            raise ConfigError("bright_state", f"must lie in (0, 1), got {self.bright_state}")

    def compile(self, hw: LinkHardware) -> AttemptModel:
        """The closed-form attempt model and its photon-level sampler for ``hw``."""
        p_mode, rho = heralded_state(self.bright_state, hw)
        timing = emission_timing(hw, rounds=1, round_gap_s=0.0,
                                 reset_time_s=self.reset_time_s,
                                 attempt_period_s=self.attempt_period_s)
        return AttemptModel(
            scheme="single-click",
            success_probability=multiplexed_probability(p_mode, self.modes),
            heralded_state=rho,
            timing=timing,
            sample=multiplexed_sampler(_sampler(self.bright_state, hw), self.modes),
            modes=self.modes,
            channel_transmittance=hw.total_transmittance,
        )


def heralded_state(alpha: float, hw: LinkHardware) -> tuple[float, NDArray[np.complex128]]:
    """Success probability of one mode and the heralded state (Φ+ frame).

    Returns:
        ``(p, rho)``: probability that exactly one detector clicks, and the normalised
        4x4 state after the Pauli correction and the memories' raw-fidelity noise.

    Examples:
        >>> from qinet.physical import Detector, Fibre, QuantumMemory
        >>> perfect = QuantumMemory(efficiency=1.0)
        >>> hw = LinkHardware(perfect, perfect, Fibre(0.0), Fibre(0.0),
        ...                   Detector(efficiency=1.0, dark_count_rate_hz=0.0))
        >>> p, rho = heralded_state(0.1, hw)
        >>> round(p, 6)  # 2 alpha (1 - alpha) + alpha^2: the |11> branch clicks too
        0.19
    """
    ea, eb = hw.photon_efficiencies
    pd, v = hw.p_dark, hw.visibility
    quiet = 1.0 - pd
    one_dark = pd * quiet  # a given detector has a dark count, the other none
    # Unnormalised state heralded by the "+" detector alone, in the basis |a b>, Ψ frame.
    rho = np.zeros((4, 4), dtype=np.complex128)
    rho[0, 0] = (1 - alpha) ** 2 * one_dark
    single = alpha * (1 - alpha)
    rho[2, 2] = single * (0.5 * ea * quiet + (1 - ea) * one_dark)  # |10>: a emitted
    rho[1, 1] = single * (0.5 * eb * quiet + (1 - eb) * one_dark)
    rho[1, 2] = rho[2, 1] = single * 0.5 * v * np.sqrt(ea * eb) * quiet
    p_two_in_one_port = 0.25 * ea * eb * (1 + v)  # both detected and bunched into "+"
    p_one_of_two = 0.5 * (ea * (1 - eb) + eb * (1 - ea))
    rho[3, 3] = alpha**2 * ((p_two_in_one_port + p_one_of_two) * quiet
                            + (1 - ea) * (1 - eb) * one_dark)
    p_plus = float(np.real(np.trace(rho)))
    rho = flip_to_phi_plus(rho / p_plus)
    rho = depolarize_each(rho, (hw.memory_a.raw_fidelity, hw.memory_b.raw_fidelity))
    return 2.0 * p_plus, rho


def emission_timing(
    hw: LinkHardware,
    *,
    rounds: int,
    round_gap_s: float,
    reset_time_s: float,
    attempt_period_s: float | None,
) -> AttemptTiming:
    """Timing of schemes where both nodes emit towards a station in the middle.

    Emissions are offset so the photons meet at the station; each node learns the outcome
    when the station's message has come back along its arm.
    """
    tau_a, tau_b = hw.arm_delays_ps
    meet = max(tau_a, tau_b)
    resolved = meet + (rounds - 1) * s_to_ps(round_gap_s)
    known = (resolved + tau_a, resolved + tau_b)
    reset = s_to_ps(reset_time_s)
    period = max(known) + reset if attempt_period_s is None else s_to_ps(attempt_period_s)
    return AttemptTiming(period_ps=period, stored_ps=(meet - tau_a, meet - tau_b),
                         resolved_ps=resolved, known_ps=known, reset_ps=reset)


def emitted_photons_arrive(
    emit_probability: tuple[float, float], hw: LinkHardware, n: int, rng: np.random.Generator
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Whether each node's photon reaches the station, attempt by attempt.

    Emission (with the bright-state and memory-efficiency odds) and fibre loss are drawn
    here; detector efficiency is the station's business.
    """
    arrive = []
    for p_emit, memory, arm in ((emit_probability[0], hw.memory_a, hw.arm_a),
                                (emit_probability[1], hw.memory_b, hw.arm_b)):
        emitted = rng.random(n) < p_emit * memory.efficiency
        arrive.append(emitted & (rng.random(n) < arm.transmittance))
    return arrive[0], arrive[1]


def _sampler(alpha: float, hw: LinkHardware) -> AttemptSampler:
    station = hw.station()

    def sample(n: int, rng: np.random.Generator) -> NDArray[np.bool_]:
        arrived_a, arrived_b = emitted_photons_arrive((alpha, alpha), hw, n, rng)
        return station.detect(arrived_a, arrived_b, rng=rng).single_click

    return sample
