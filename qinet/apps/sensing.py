"""Distributed phase sensing on a GHZ state delivered by the network, against independent sensors.

N sensor nodes each pick up a phase ``φ_i`` (a field acting on the node's qubit as
``exp(-i φ_i Z/2)``); the parameter sought is their average ``θ = Σφ_i / N``.

**The delivered state.** Node 0 holds one half of each of N-1 Bell pairs shared with
nodes 1..N-1 and fuses them into an N-qubit GHZ state ``(|0…0> + |1…1>)/√2`` (it
measures the parities ``Z_0 Z_k`` of its halves and the far ends apply the X
corrections; :mod:`qinet.apps.ghz` builds this fusion for a star, a chain or any
tree, and all that follows holds for any tree with "nodes 0 and k" read as the two
ends of each fused pair). A Bell-diagonal pair with weights
``w = (w_Φ+, w_Ψ+, w_Ψ-, w_Φ-)`` is an ideal pair with the Pauli error ``I, X, Y, Z``
on its far qubit with those probabilities (the convention of
:mod:`qinet.quantum.states`); fusion carries that error onto qubit k of the GHZ.
So the delivered GHZ carries independent Pauli errors: a bit flip (X or Y) with
probability ``w_Ψ+ + w_Ψ-`` and a sign flip of the GHZ coherence (Z or Y). Its
fidelity follows: the state is the GHZ when no pair flipped a bit and an even number
of pairs flipped the sign (``Z_j Z_k`` stabilises the GHZ)::

    F_GHZ = ½ [Π_k (w_Φ+ + w_Φ-)_k + Π_k (w_Φ+ - w_Φ-)_k]

**The parity signal.** Every node measures X after rotating by its share of a control
phase ``θ_c``; the product of the N outcomes (the parity) has mean ``<X^{⊗N}>``. On the
branch without bit flips the parity mean is ``±cos(Φ + θ_c)``, ``Φ = Σφ_i``, with the
sign of the Z errors. A bit flip on qubit k turns the branch's phase into
``Φ + θ_c - 2φ_k``; the nodes make that branch average to zero with a phase twirl:
per round and for each k, with probability 1/2 decided by a bit they share
beforehand (no message is needed during the round), node 0 rotates its GHZ qubit
about Z by ``+π/2`` and node k by ``-π/2`` (the gates S and S†). On the unflipped
branch the two rotations cancel (their sum is zero); on a branch where qubit k is
flipped they shift the phase by π, so its parity averages to zero over the shared bit
(for a Bell pair, ``S ⊗ S†`` maps Ψ+ and Ψ- onto each other and leaves Φ± alone).
Memory dephasing during the interrogation time ``t`` multiplies each qubit's coherence
by ``exp(-t/T2)``. Averaged over the errors and the twirl, every round is then an
independent ±1 outcome with::

    P(+1) = (1 + V cos(Φ + θ_c)) / 2,   V = Π_k (w_Φ+ - w_Φ-)_k · exp(-N t / T2)

that is, the contrast is the product of the pairs' GHZ coherences ``2 Re<00|ρ_k|11>``
and of the nodes' dephasing factors. For Werner pairs of fidelity F the coherence is
``(4F - 1)/3``. This module samples exactly that Bernoulli law, batched with numpy.

**Estimation.** The control phase puts the signal on its steepest slope around a prior
guess ``Φ_0``: ``θ_c = π/2 - Φ_0``, so ``P(+1) = (1 - V sin δ)/2`` with ``δ = Φ - Φ_0``,
and ν rounds give ``δ̂ = arcsin(-(2k/ν - 1)/V)`` from the k outcomes +1 (this is a
*local* estimate: ``|δ|`` must stay below ``π/2``, which for the GHZ is N times
narrower in ``θ`` than for one qubit). The Fisher information per round of this
Bernoulli law is ``V² cos²δ / (1 - V² sin²δ)``; the Cramér-Rao bound for the average is

    GHZ:          σ_θ = 1 / (N √(ν I_GHZ))          → 1/(N √ν)    (Heisenberg scaling)
    independent:  σ_θ = (1/N) √(Σ_i 1/(ν I_i))      → 1/√(N ν)    (standard quantum limit)

(Giovannetti, Lloyd and Maccone, Phys. Rev. Lett. 96, 010401 (2006); for networked
sensors Komar et al., Nat. Phys. 10, 582 (2014)). The independent sensors are N
unentangled qubits ``(|0> + |1>)/√2``, one per node, dephasing with the same T2, so
their contrast is ``exp(-t/T2)`` each and needs no pairs.

**Noise and the crossover.** At ``δ = 0`` the ratio of the two standard deviations is::

    gain = σ_indep / σ_GHZ = √N · V_pairs · exp(-(N-1) t / T2)

so the GHZ wins only while ``t < t* = T2 ln(N V_pairs²) / (2 (N-1))`` and never when
``N V_pairs² <= 1``. When the phase grows with the interrogation time (a frequency
``ω``, ``φ = ω t``) and the total time T is fixed, the best interrogation time is
``T2/(2N)`` for the GHZ and ``T2/2`` for independent qubits, and at those optima the
two precisions are equal (for perfect pairs): ``σ_ω² = 2e/(N T T2)`` (Huelga et al.,
Phys. Rev. Lett. 79, 3865 (1997)), see :func:`angular_frequency_std_rad_per_s`.

Examples:
    >>> import numpy as np
    >>> from qinet.quantum.states import werner_weights
    >>> round(ghz_contrast(werner_weights([0.97, 0.97])), 6)  # ((4F-1)/3)^2
    0.9216
    >>> report = compare_phase_sensing(phases_rad=[0.01] * 4, pair_weights=None,
    ...     rounds=400, trials=200, rng=np.random.default_rng(1))
    >>> round(report.predicted_gain_over_independent, 3)  # √N
    2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ConfigError
from qinet.quantum import _checks

FloatArray = NDArray[np.float64]

_PERFECT_PAIR = (1.0, 0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class PhaseEstimate:
    """What one sensing strategy achieved over repeated trials.

    Attributes:
        strategy: ``"ghz"`` or ``"independent"``.
        sensors: number of nodes N.
        rounds: parity measurements ν per trial.
        trials: independent repetitions of the whole estimation.
        contrast: the signal's contrast V (per qubit for the independent sensors).
        phase_mean_rad: mean estimate of the average phase θ over the trials.
        phase_std_rad: sample standard deviation of the estimate over the trials.
        cramer_rao_std_rad: the Cramér-Rao bound on that standard deviation.
    """

    strategy: str
    sensors: int
    rounds: int
    trials: int
    contrast: float
    phase_mean_rad: float
    phase_std_rad: float
    cramer_rao_std_rad: float


@dataclass(frozen=True, slots=True)
class SensingComparison:
    """The GHZ strategy and N independent sensors on the same phases.

    Attributes:
        ghz: the GHZ strategy's figures.
        independent: the independent sensors' figures.
        interrogation_time_s: time each qubit dephases while it picks up its phase.
        ghz_fidelity: fidelity of the delivered GHZ state (before dephasing).
        gain_over_independent: sampled ``σ_indep / σ_GHZ`` (above 1: the GHZ is better).
        predicted_gain_over_independent: the same ratio from the Cramér-Rao bounds.
        bell_pairs_per_estimate: pairs the network delivers for one GHZ estimate,
            ``rounds × (N-1)`` (the independent sensors need none).
    """

    ghz: PhaseEstimate
    independent: PhaseEstimate
    interrogation_time_s: float
    ghz_fidelity: float
    gain_over_independent: float
    predicted_gain_over_independent: float
    bell_pairs_per_estimate: int


def _pairs(pair_weights: ArrayLike | None, sensors: int) -> FloatArray:
    """The ``(N-1, 4)`` Bell weights of the pairs fused into the GHZ (perfect if None)."""
    if pair_weights is None:
        return np.tile(np.array(_PERFECT_PAIR), (sensors - 1, 1))
    weights = _checks.distribution("pair_weights", pair_weights)
    if weights.shape[0] == 1:
        return np.tile(weights, (sensors - 1, 1))
    if weights.shape[0] != sensors - 1:
        raise ConfigError("pair_weights", f"must give one row per pair ({sensors - 1} for "
                          f"{sensors} sensors) or a single row, got {weights.shape[0]} rows")
    return weights


def ghz_contrast(pair_weights: ArrayLike) -> float:
    """Parity contrast of a GHZ fused from Bell-diagonal pairs: ``Π_k (w_Φ+ - w_Φ-)_k``.

    Derived in the module docstring (the phase twirl removes the bit-flipped branches).

    Args:
        pair_weights: Bell weights ``(w_Φ+, w_Ψ+, w_Ψ-, w_Φ-)``, one row per pair.

    Examples:
        >>> ghz_contrast([[0.9, 0.0, 0.0, 0.1], [1.0, 0.0, 0.0, 0.0]])
        0.8
    """
    weights = _checks.distribution("pair_weights", pair_weights)
    return float(np.prod(weights[:, 0] - weights[:, 3]))


def ghz_fidelity(pair_weights: ArrayLike) -> float:
    """Fidelity of the fused GHZ: ``½ [Π(w_Φ+ + w_Φ-) + Π(w_Φ+ - w_Φ-)]``.

    Examples:
        >>> ghz_fidelity([[0.9, 0.05, 0.0, 0.05]])  # one pair: its own fidelity
        0.9
    """
    weights = _checks.distribution("pair_weights", pair_weights)
    plus = np.prod(weights[:, 0] + weights[:, 3])
    minus = np.prod(weights[:, 0] - weights[:, 3])
    return float(0.5 * (plus + minus))


def dephasing_factor(interrogation_time_s: float, t2_s: float, qubits: int = 1) -> float:
    """Coherence left after ``qubits`` qubits each dephase for the interrogation time.

    ``exp(-n t / T2)``: each qubit's off-diagonal element decays as ``exp(-t/T2)``
    (Nielsen and Chuang, section 8.3.6), and the GHZ coherence is their product.

    Examples:
        >>> round(dephasing_factor(0.1, 1.0, qubits=5), 6)
        0.606531
    """
    t = _non_negative("interrogation_time_s", interrogation_time_s)
    t2 = _positive("t2_s", t2_s)
    return math.exp(-qubits * t / t2)


def fisher_information_per_round(contrast: ArrayLike, offset_rad: ArrayLike) -> FloatArray:
    """Fisher information about Φ of one ±1 outcome with ``P(+1) = (1 - V sin δ)/2``.

    ``I = (dP/dδ)² / (P(1-P)) = V² cos²δ / (1 - V² sin²δ)``.

    Examples:
        >>> float(fisher_information_per_round(0.5, 0.0))
        0.25
    """
    v = np.asarray(contrast, dtype=float)
    d = np.asarray(offset_rad, dtype=float)
    out: FloatArray = v**2 * np.cos(d) ** 2 / (1.0 - v**2 * np.sin(d) ** 2)
    return out


def sample_plus_counts(rng: np.random.Generator, *, rounds: int, contrast: ArrayLike,
                       offset_rad: ArrayLike, trials: int) -> NDArray[np.int64]:
    """Number of +1 parities in ``rounds`` rounds at ``P(+1) = (1 - V sin δ)/2``.

    Args:
        rng: the random stream.
        rounds: rounds ν per trial.
        contrast: V, broadcast with ``offset_rad``.
        offset_rad: δ, the phase minus the operating point.
        trials: independent trials (the leading axis of the result).

    Returns:
        Counts of shape ``(trials,) + broadcast shape``.
    """
    p_plus = 0.5 * (1.0 - np.asarray(contrast, dtype=float) * np.sin(offset_rad))
    shape = (trials, *np.shape(p_plus))
    counts: NDArray[np.int64] = rng.binomial(rounds, np.broadcast_to(p_plus, shape))
    return counts


def estimate_offset_rad(plus_counts: ArrayLike, *, rounds: int, contrast: ArrayLike) -> FloatArray:
    """The estimate ``δ̂ = arcsin(-(2k/ν - 1)/V)``, clipped to ``[-π/2, π/2]``.

    Examples:
        >>> round(float(estimate_offset_rad(25, rounds=100, contrast=1.0)), 6)  # arcsin(1/2)
        0.523599
    """
    parity = 2.0 * np.asarray(plus_counts, dtype=float) / rounds - 1.0
    out: FloatArray = np.arcsin(np.clip(-parity / np.asarray(contrast, dtype=float), -1, 1))
    return out


def node_values(name: str, values: ArrayLike, prior_name: str, prior: ArrayLike | None, *,
                what: str) -> tuple[FloatArray, FloatArray]:
    """One finite value per node (at least two nodes) and the prior guess of each (zeros
    when ``prior`` is None), as flat arrays.

    Raises:
        ConfigError: naming ``name`` or ``prior_name``: fewer than two ``what``, a prior
            of another length, or a value that is not finite.
    """
    out = _checks.float_array(name, values).ravel()
    n = out.size
    if n < 2:
        raise ConfigError(name, f"needs at least two {what}, got {n}")
    guess = (np.zeros(n) if prior is None
             else _checks.float_array(prior_name, prior).ravel())
    if guess.size != n:
        raise ConfigError(prior_name, f"must have {n} values, got {guess.size}")
    for field, array in ((name, out), (prior_name, guess)):
        if not np.isfinite(array).all():
            raise ConfigError(field, f"must be finite, got {array.tolist()!r}")
    return out, guess


def compare_phase_sensing(*, phases_rad: ArrayLike, pair_weights: ArrayLike | None,
                          rounds: int, trials: int, rng: np.random.Generator,
                          t2_s: float = math.inf, interrogation_time_s: float = 0.0,
                          prior_phases_rad: ArrayLike | None = None) -> SensingComparison:
    """Estimate the average phase with a delivered GHZ and with N independent qubits.

    Args:
        phases_rad: the phase φ_i each node picks up (N >= 2 values).
        pair_weights: Bell weights of the N-1 pairs fused into the GHZ (one row for all
            pairs, or one per pair); ``None`` for perfect pairs.
        rounds: parity measurements ν per trial (the same for both strategies: each
            round uses N qubits in either case).
        trials: independent repetitions, which give the sampled spread.
        rng: the random stream.
        t2_s: each node's memory T2 (``inf``: no dephasing).
        interrogation_time_s: time each qubit dephases while it picks up its phase.
        prior_phases_rad: the operating point (the prior guess of each φ_i), zero if
            None.

    Raises:
        ConfigError: a bad argument, or a GHZ offset ``|Σ(φ - prior)|`` of π/2 or more
            (outside the range a single GHZ parity can resolve).
    """
    phases, prior = node_values("phases_rad", phases_rad, "prior_phases_rad",
                                prior_phases_rad, what="sensors")
    n = phases.size
    nu = _count("rounds", rounds)
    m = _count("trials", trials)
    if m < 2:
        raise ConfigError("trials", f"must be at least 2 to give a spread, got {m}")
    weights = _pairs(pair_weights, n)
    per_qubit = dephasing_factor(interrogation_time_s, t2_s)
    offsets = phases - prior
    ghz_offset = float(offsets.sum())
    if abs(ghz_offset) >= math.pi / 2:
        raise ConfigError("phases_rad", f"the GHZ offset Σ(φ - prior) must lie within "
                          f"(-π/2, π/2), got {ghz_offset!r}")

    v_ghz = ghz_contrast(weights) * per_qubit**n
    k_ghz = sample_plus_counts(rng, rounds=nu, contrast=v_ghz, offset_rad=ghz_offset, trials=m)
    theta_ghz = (prior.sum() + estimate_offset_rad(k_ghz, rounds=nu, contrast=v_ghz)) / n
    crb_ghz = 1.0 / (n * math.sqrt(nu * float(fisher_information_per_round(v_ghz, ghz_offset))))
    ghz = _summary("ghz", n, nu, m, v_ghz, theta_ghz, crb_ghz)

    k_ind = sample_plus_counts(rng, rounds=nu, contrast=per_qubit, offset_rad=offsets, trials=m)
    theta_ind = (prior + estimate_offset_rad(k_ind, rounds=nu, contrast=per_qubit)).mean(axis=1)
    info = fisher_information_per_round(per_qubit, offsets)
    crb_ind = math.sqrt(float(np.sum(1.0 / (nu * info)))) / n
    independent = _summary("independent", n, nu, m, per_qubit, theta_ind, crb_ind)

    return SensingComparison(
        ghz=ghz, independent=independent,
        interrogation_time_s=float(interrogation_time_s),
        ghz_fidelity=ghz_fidelity(weights),
        gain_over_independent=independent.phase_std_rad / ghz.phase_std_rad,
        predicted_gain_over_independent=crb_ind / crb_ghz,
        bell_pairs_per_estimate=nu * (n - 1),
    )


def predicted_gain(*, sensors: int, pair_contrast: float, interrogation_time_s: float,
                   t2_s: float) -> float:
    """``σ_indep / σ_GHZ = √N V_pairs exp(-(N-1) t/T2)`` at the operating point (δ = 0).

    Examples:
        >>> predicted_gain(sensors=9, pair_contrast=1.0, interrogation_time_s=0.0, t2_s=1.0)
        3.0
    """
    n = _count("sensors", sensors)
    t = _non_negative("interrogation_time_s", interrogation_time_s)
    t2 = _positive("t2_s", t2_s)
    return math.sqrt(n) * float(pair_contrast) * math.exp(-(n - 1) * t / t2)


def crossover_time_s(*, sensors: int, pair_contrast: float, t2_s: float) -> float:
    """Interrogation time beyond which N independent qubits beat the GHZ.

    ``t* = T2 ln(N V_pairs²) / (2 (N-1))``, where :func:`predicted_gain` is 1; 0 when
    ``N V_pairs² <= 1`` (the GHZ never wins).

    Examples:
        >>> round(crossover_time_s(sensors=4, pair_contrast=1.0, t2_s=1.0), 6)  # ln4/6
        0.231049
    """
    n = _count("sensors", sensors)
    if n < 2:
        raise ConfigError("sensors", f"must be at least 2, got {n}")
    t2 = _positive("t2_s", t2_s)
    advantage = n * float(pair_contrast) ** 2
    return 0.0 if advantage <= 1.0 else t2 * math.log(advantage) / (2 * (n - 1))


def optimal_interrogation_time_s(*, t2_s: float, qubits: int) -> float:
    """Interrogation time that minimises the frequency uncertainty at fixed total time.

    ``σ_ω² ∝ exp(2 n t/T2) / t`` (ν = T/t rounds, contrast ``exp(-n t/T2)``) is least at
    ``t = T2 / (2n)``: ``n = N`` for the GHZ, ``n = 1`` for independent qubits (Huelga
    et al., Phys. Rev. Lett. 79, 3865 (1997)).

    Examples:
        >>> optimal_interrogation_time_s(t2_s=1.0, qubits=4)
        0.125
    """
    return _positive("t2_s", t2_s) / (2 * _count("qubits", qubits))


def angular_frequency_std_rad_per_s(*, sensors: int, entangled: bool, total_time_s: float,
                                    interrogation_time_s: float, t2_s: float,
                                    pair_contrast: float = 1.0) -> float:
    """Cramér-Rao standard deviation of the average angular frequency (rad/s) at δ = 0.

    The phase is ``φ = ω t``, so ``σ_ω = σ_θ / t`` with ``ν = T/t`` rounds::

        GHZ:          σ_ω² = exp(2N t/T2) / (N² V_pairs² T t)
        independent:  σ_ω² = exp(2 t/T2) / (N T t)

    At their optimal times (:func:`optimal_interrogation_time_s`) both give
    ``2e / (N T T2)`` (times ``1/V_pairs²`` for the GHZ): entanglement buys no precision
    under independent dephasing (Huelga et al. 1997). Divide by 2π for hertz.

    Examples:
        >>> a = angular_frequency_std_rad_per_s(sensors=4, entangled=True, total_time_s=1.0,
        ...                                     interrogation_time_s=0.125, t2_s=1.0)
        >>> round(a**2 * 4 * 1.0 * 1.0 / (2 * math.e), 12)
        1.0
    """
    n = _count("sensors", sensors)
    total = _positive("total_time_s", total_time_s)
    t = _positive("interrogation_time_s", interrogation_time_s)
    t2 = _positive("t2_s", t2_s)
    if entangled:
        variance = math.exp(2 * n * t / t2) / (n**2 * float(pair_contrast) ** 2 * total * t)
    else:
        variance = math.exp(2 * t / t2) / (n * total * t)
    return math.sqrt(variance)


def _summary(strategy: str, n: int, rounds: int, trials: int, contrast: float,
             estimates: FloatArray, crb_std: float) -> PhaseEstimate:
    return PhaseEstimate(
        strategy=strategy, sensors=n, rounds=rounds, trials=trials, contrast=float(contrast),
        phase_mean_rad=float(np.mean(estimates)),
        phase_std_rad=float(np.std(estimates, ddof=1)),
        cramer_rao_std_rad=float(crb_std),
    )


def _count(field: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ConfigError(field, f"must be a positive integer, got {value!r}")
    return int(value)


def _positive(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ConfigError(field, f"must be a number, got {value!r}")
    if not float(value) > 0.0:
        raise ConfigError(field, f"must be positive, got {value!r}")
    return float(value)


def _non_negative(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise ConfigError(field, f"must be a number, got {value!r}")
    if not (float(value) >= 0.0 and math.isfinite(float(value))):
        raise ConfigError(field, f"must be a finite non-negative number, got {value!r}")
    return float(value)
