"""What every heralding scheme compiles to: one attempt's odds, state and timing.

A scheme (single-click, double-click, midpoint source) is physics: given the hardware of
a link it yields an :class:`AttemptModel`, the closed-form description of one attempt of
one memory pair, and a photon-level sampler of attempts. The link protocols (detailed or
fast-forward) only ever see this model, so a scheme is written once and runs in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError

# Photon-level sampler: (n attempts, rng) -> boolean success mask of shape (n,).
AttemptSampler = Callable[[int, np.random.Generator], NDArray[np.bool_]]


@dataclass(frozen=True, slots=True)
class AttemptTiming:
    """When things happen in one attempt, relative to the attempt's start.

    Attributes:
        period_ps: time between two attempts of the same memory pair; a memory cannot
            try again before it knows the outcome of its last attempt.
        stored_ps: per node (a, b), when that node's qubit starts to live in memory
            (it decoheres from then on).
        resolved_ps: when the heralding measurement is made (detection at the station).
        known_ps: per node, when the node has the heralding message, i.e. knows the pair.
        reset_ps: time a memory needs after its pair is used before it can try again.
        delivered_ps: when both nodes know the pair: the pair is delivered then.
        turnaround_ps: from the start of a successful attempt to the earliest next
            attempt when the pair is used at once (the reset, and the period kept).
    """

    period_ps: int
    stored_ps: tuple[int, int]
    resolved_ps: int
    known_ps: tuple[int, int]
    reset_ps: int = 0
    # derived once here: the protocols read them for every pair
    delivered_ps: int = field(init=False)
    turnaround_ps: int = field(init=False)

    def __post_init__(self) -> None:
        if self.period_ps <= 0:
            raise ConfigError("attempt_period", f"must be positive, got {self.period_ps} ps")
        delivered = max(self.known_ps)
        object.__setattr__(self, "delivered_ps", delivered)
        object.__setattr__(self, "turnaround_ps",
                           max(self.period_ps, delivered + self.reset_ps))
        if max(self.known_ps) > self.period_ps:
            raise ConfigError(
                "attempt_period",
                f"{self.period_ps * 1e-12:.4g} s is shorter than the time the nodes need to "
                f"learn an attempt's outcome ({max(self.known_ps) * 1e-12:.4g} s)",
            )



@dataclass(frozen=True, slots=True)
class AttemptModel:
    """One attempt of one memory pair, in closed form.

    Attributes:
        scheme: the scheme's name, e.g. ``"single-click"``.
        success_probability: probability that one attempt (all its modes) heralds.
        heralded_state: 4x4 density matrix of the pair right after heralding, already in
            the Pauli frame of Φ+ (the herald's correction applied), before any storage.
        timing: the attempt's clock, see :class:`AttemptTiming`.
        sample: photon-level sampler of attempts, for the detailed mode.
        modes: modes tried per attempt (temporal or spectral multiplexing).
        channel_transmittance: end-to-end transmittance of the fibre between the two
            nodes, for the repeaterless (PLOB) bound.
    """

    scheme: str
    success_probability: float
    heralded_state: NDArray[np.complex128]
    timing: AttemptTiming
    sample: AttemptSampler = field(repr=False, compare=False)
    modes: int = 1
    channel_transmittance: float = 1.0

    @property
    def heralded_fidelity(self) -> float:
        """Fidelity of the heralded state to Φ+ (before storage):
        ⟨Φ+|ρ|Φ+⟩ = Re(ρ₀₀ + ρ₀₃ + ρ₃₀ + ρ₃₃) / 2, from the four elements (a network
        of 20,000 links reads it once per link)."""
        rho = self.heralded_state
        return float((rho[0, 0] + rho[0, 3] + rho[3, 0] + rho[3, 3]).real) / 2

    @property
    def expected_attempts(self) -> float:
        """Mean attempts per success, 1/p (geometric distribution)."""
        return 1.0 / self.success_probability if self.success_probability > 0 else np.inf

    @property
    def pair_rate_hz(self) -> float:
        """Expected pairs per second of one memory pair generating back to back."""
        return self.success_probability / (self.timing.period_ps * 1e-12)


def multiplexed_probability(p_mode: float, modes: int) -> float:
    """Probability that at least one of ``modes`` independent modes heralds.

    ``1 - (1 - p)^M``, computed stably for small ``p``.

    Examples:
        >>> round(multiplexed_probability(0.01, 100), 6)
        0.633968
    """
    if modes < 1:
        raise ConfigError("modes", f"must be at least 1, got {modes}")
    return float(-np.expm1(modes * np.log1p(-p_mode))) if p_mode < 1 else 1.0


def multiplexed_sampler(sample_mode: AttemptSampler, modes: int) -> AttemptSampler:
    """An attempt sampler that tries ``modes`` modes per attempt and succeeds if any does."""
    if modes == 1:
        return sample_mode

    def sample(n: int, rng: np.random.Generator) -> NDArray[np.bool_]:
        return np.asarray(sample_mode(n * modes, rng).reshape(n, modes).any(axis=1),
                          dtype=np.bool_)

    return sample


def expected_pair_rate_hz(model: AttemptModel, memory_pairs: int) -> float:
    """Mean pairs per second of ``memory_pairs`` memory pairs whose pairs are used at once.

    A memory pair needs ``K`` attempts (geometric, mean ``1/p``) spaced by the period
    ``T``; after the successful one it can try again ``turnaround`` later (the period, or
    the delivery plus the memory reset if that is longer). The renewal theorem gives the
    rate ``1 / ((1/p - 1) T + turnaround)`` per memory pair.

    Examples:
        >>> import numpy as np
        >>> t = AttemptTiming(period_ps=10, stored_ps=(0, 0), resolved_ps=5, known_ps=(10, 10))
        >>> m = AttemptModel("x", 0.5, np.eye(4) / 4, t, sample=None)
        >>> round(expected_pair_rate_hz(m, 1) * 1e-12, 12)
        0.05
    """
    p = model.success_probability
    if p <= 0:
        return 0.0
    t = model.timing
    cycle_ps = (1.0 / p - 1.0) * t.period_ps + t.turnaround_ps
    return memory_pairs / (cycle_ps * 1e-12)
