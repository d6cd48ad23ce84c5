"""Midpoint source: an SPDC pair source between two absorptive memories.

The source sends one photon of each pair towards each node, where a memory absorbs it
and heralds the absorption. An attempt succeeds when both memories herald. Multi-pair
emission is what limits the fidelity: with ``n`` pairs in a mode, the two memories may
keep photons of different pairs, and such a pair is maximally mixed (Sangouard et al.,
Rev. Mod. Phys. 83, 33 (2011), sec. IV; pairs are treated as independent modes).

The closed form sums over the pair number ``n`` (thermal or Poisson), the multinomial
fate of each pair (both photons stored, only a's, only b's, neither) and the dark
counts of the herald detectors; each memory keeps one of its stored photons at random.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from scipy.special import gammaln

from qinet.devices.station import HeraldedStorage
from qinet.link.hardware import PHI_PLUS, LinkHardware, depolarize_each
from qinet.link.model import (
    AttemptModel,
    AttemptSampler,
    AttemptTiming,
    multiplexed_probability,
    multiplexed_sampler,
)
from qinet.physical.sources import SPDCSource
from qinet.units import s_to_ps

_TAIL = 1e-12  # pair numbers beyond this much probability are dropped from the sum


@dataclass(frozen=True, slots=True)
class MidpointSourceScheme:
    """Parameters of midpoint-source entanglement distribution.

    Attributes:
        source: the SPDC source (mean pairs per mode, pump rate, statistics).
        modes: pump pulses per attempt (multi-mode memories store one of them).
        attempt_period_s: time between attempts; ``None`` waits until both nodes know
            the outcome (the pulse train, the photons' flight and the nodes' messages).
        reset_time_s: local time to re-initialise a memory between attempts.
    """

    source: SPDCSource = field(default_factory=SPDCSource)
    modes: int = 1
    attempt_period_s: float | None = None
    reset_time_s: float = 1e-6

    def compile(self, hw: LinkHardware) -> AttemptModel:
        """The closed-form attempt model and its photon-level sampler for ``hw``."""
        p_mode, rho = heralded_state(self.source, hw)
        return AttemptModel(
            scheme="midpoint-source",
            success_probability=multiplexed_probability(p_mode, self.modes),
            heralded_state=rho,
            timing=self._timing(hw),
            sample=multiplexed_sampler(_sampler(self.source, hw), self.modes),
            modes=self.modes,
            channel_transmittance=hw.total_transmittance,
        )

    def _timing(self, hw: LinkHardware) -> AttemptTiming:
        tau_a, tau_b = hw.arm_delays_ps
        train = s_to_ps(self.modes / self.source.rate_hz)
        # Each node knows its own herald after the train, and the other's after the
        # message has crossed the whole link (a -> b is tau_a + tau_b).
        known = (max(tau_a, tau_b + tau_a + tau_b) + train,
                 max(tau_b, tau_a + tau_a + tau_b) + train)
        reset = s_to_ps(self.reset_time_s)
        period = (max(known) + reset if self.attempt_period_s is None
                  else s_to_ps(self.attempt_period_s))
        return AttemptTiming(period_ps=period, stored_ps=(tau_a, tau_b),
                             resolved_ps=max(tau_a, tau_b) + train, known_ps=known,
                             reset_ps=reset)


def heralded_state(source: SPDCSource, hw: LinkHardware) -> tuple[float, NDArray[np.complex128]]:
    """Success probability of one mode and the heralded state (Φ+ frame).

    Examples:
        >>> from qinet.physical import Detector, Fibre, QuantumMemory
        >>> m = QuantumMemory(efficiency=1.0)
        >>> hw = LinkHardware(m, m, Fibre(0.0), Fibre(0.0),
        ...                   Detector(efficiency=1.0, dark_count_rate_hz=0.0))
        >>> p, rho = heralded_state(SPDCSource(mean_pairs_per_mode=0.01), hw)
        >>> round(p, 6)  # lossless: success whenever a pair is emitted, mu/(1+mu)
        0.009901
    """
    ea, eb = hw.photon_efficiencies
    pd = hw.p_dark
    probs = np.array([ea * eb, ea * (1 - eb), (1 - ea) * eb, (1 - ea) * (1 - eb)])
    log_probs = np.log(np.where(probs > 0, probs, 1.0))
    pmf = source.pmf(_n_max(source))
    success = same_pair = 0.0
    for n, p_n in enumerate(pmf):
        # Every split of n pairs into (both, a only, b only, neither).
        for both in range(n + 1):
            for a_only in range(n - both + 1):
                for b_only in range(n - both - a_only + 1):
                    neither = n - both - a_only - b_only
                    counts = np.array([both, a_only, b_only, neither])
                    if np.any((counts > 0) & (probs == 0)):
                        continue
                    log_m = gammaln(n + 1) - gammaln(counts + 1).sum() + counts @ log_probs
                    weight = p_n * np.exp(log_m)
                    k_a, k_b = both + a_only, both + b_only
                    herald = (1.0 if k_a else pd) * (1.0 if k_b else pd)
                    success += weight * herald
                    if k_a and k_b:
                        same_pair += weight * both / (k_a * k_b)
    v = hw.visibility
    phi = np.outer(PHI_PLUS, PHI_PLUS.conj())
    mixed = np.eye(4, dtype=np.complex128) / 4
    good = same_pair / success
    rho: NDArray[np.complex128] = good * (v * phi + (1 - v) * mixed) + (1 - good) * mixed
    rho = depolarize_each(rho, (hw.memory_a.raw_fidelity, hw.memory_b.raw_fidelity))
    return float(success), rho


def _n_max(source: SPDCSource) -> int:
    tail_from = np.nonzero(np.cumsum(source.pmf(200)) > 1 - _TAIL)[0]
    return int(tail_from[0]) if tail_from.size else 200


def _sampler(source: SPDCSource, hw: LinkHardware) -> AttemptSampler:
    p_dark = hw.p_dark
    eta_d = hw.detection_efficiency
    nodes = [
        (hw.arm_a.transmittance, HeraldedStorage(write_efficiency=hw.memory_a.efficiency * eta_d,
                                                 p_dark=p_dark)),
        (hw.arm_b.transmittance, HeraldedStorage(write_efficiency=hw.memory_b.efficiency * eta_d,
                                                 p_dark=p_dark)),
    ]

    def sample(n: int, rng: np.random.Generator) -> NDArray[np.bool_]:
        pairs = source.sample_pairs(n, rng=rng)
        ok = np.ones(n, dtype=bool)
        for transmittance, storage in nodes:
            arrived = rng.binomial(pairs, transmittance)
            _, herald = storage.store(arrived, rng=rng)
            ok &= herald
        return ok

    return sample
