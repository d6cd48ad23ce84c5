"""Quantum memories: T1/T2 decay, efficiency, raw fidelity and storage cutoffs.

A stored qubit decays by amplitude damping (energy relaxation, time constant T1) and
dephasing (coherence decay, T2 <= 2 T1). Network code works with Pauli channels, so the
decay is handed out as its Pauli twirl: four probabilities ``(p_I, p_X, p_Y, p_Z)``.

Examples:
    >>> nv = QuantumMemory(t2_s=1.0)
    >>> nv.decay_probabilities(0.0).tolist()
    [1.0, 0.0, 0.0, 0.0]
    >>> round(dephasing_probability(1.0, 1.0), 6)
    0.31606
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from qinet.errors import ConfigError
from qinet.physical import _checks as chk
from qinet.physical._checks import FloatArray


def dephasing_probability(waited_s: ArrayLike, t2_s: ArrayLike) -> float | FloatArray:
    """Phase-flip probability of a dephasing channel after ``waited_s``.

    Coherences decay as ``exp(-t/T2)``, which is a Z error with probability
    ``p = (1 - exp(-t/T2)) / 2`` (Nielsen and Chuang, *Quantum Computation and Quantum
    Information*, 2000, section 8.3.6). ``t2_s = inf`` gives 0.

    Args:
        waited_s: storage time in s (>= 0).
        t2_s: coherence time T2 in s (> 0, may be ``inf``).

    Examples:
        >>> dephasing_probability([0.0, 1e9], [1.0, math.inf]).tolist()
        [0.0, 0.0]
    """
    t = chk.non_negative("waited_s", waited_s)
    t2 = chk.positive("t2_s", t2_s, allow_inf=True)
    return chk.out(-np.expm1(-t / t2) / 2.0)


def amplitude_damping_gamma(waited_s: ArrayLike, t1_s: ArrayLike) -> float | FloatArray:
    """Decay probability ``gamma = 1 - exp(-t/T1)`` of an amplitude-damping channel.

    Nielsen and Chuang, *Quantum Computation and Quantum Information*, 2000, section
    8.3.5. ``t1_s = inf`` gives 0.

    Examples:
        >>> round(amplitude_damping_gamma(2.0, 2.0), 6)
        0.632121
    """
    t = chk.non_negative("waited_s", waited_s)
    t1 = chk.positive("t1_s", t1_s, allow_inf=True)
    return chk.out(-np.expm1(-t / t1))


def memory_pauli_twirl(waited_s: ArrayLike, t1_s: ArrayLike, t2_s: ArrayLike) -> FloatArray:
    """Pauli twirl of T1 amplitude damping plus pure dephasing that gives total T2.

    The exact channel has Pauli-transfer diagonal ``(1, e^{-t/T2}, e^{-t/T2},
    e^{-t/T1})``; twirling keeps that diagonal and drops the non-unital part, so
    (the Pauli twirling approximation of Ghosh, Fowler and Geller, Phys. Rev. A 86,
    062318 (2012))::

        p_X = p_Y = (1 - e^{-t/T1}) / 4
        p_Z = (1 - e^{-t/T2}) / 2 - (1 - e^{-t/T1}) / 4
        p_I = 1 - p_X - p_Y - p_Z

    ``T2 <= 2 T1`` makes every probability non-negative. Applied to one half of a
    Bell-diagonal pair the twirl gives the exact Bell-state populations; applied to both
    halves it misses the correlated relaxation into ``|00>`` (a fidelity term
    ``gamma**2 / 4``, see :func:`fidelity_after_storage_werner`).

    Args:
        waited_s: storage time in s (>= 0).
        t1_s: relaxation time T1 in s (> 0, may be ``inf``).
        t2_s: coherence time T2 in s (> 0, may be ``inf`` only when T1 is).

    Returns:
        Array of shape ``broadcast(waited_s, t1_s, t2_s).shape + (4,)``.

    Raises:
        ConfigError: ``t2_s`` larger than ``2 t1_s``.

    Examples:
        >>> memory_pauli_twirl(1.0, math.inf, 1.0).round(6)
        array([0.68394, 0.     , 0.     , 0.31606])
    """
    t = chk.non_negative("waited_s", waited_s)
    t1 = chk.positive("t1_s", t1_s, allow_inf=True)
    t2 = chk.positive("t2_s", t2_s, allow_inf=True)
    _check_t2_le_2t1(t1, t2)
    relax = -np.expm1(-t / t1)
    dephase = -np.expm1(-t / t2)
    p_x = relax / 4.0
    # Rounding can leave p_Z a hair below zero when T2 = 2 T1 exactly.
    p_z = np.maximum(dephase / 2.0 - relax / 4.0, 0.0)
    p_i = 1.0 - 2.0 * p_x - p_z
    return np.stack(np.broadcast_arrays(p_i, p_x, p_x, p_z), axis=-1)


def _check_t2_le_2t1(t1: FloatArray, t2: FloatArray) -> None:
    bad = t2 > 2.0 * t1 * (1.0 + 1e-12)
    if np.any(bad):
        t1_b, t2_b = np.broadcast_arrays(t1, t2)
        raise ConfigError("t2_s", f"must be at most 2 * t1_s = {chk.show(2 * t1_b[bad].flat[0])}"
                                  f", got {chk.show(t2_b[bad].flat[0])}")


def fidelity_after_storage_werner(
    fidelity: ArrayLike,
    waited_s: ArrayLike,
    *,
    t1_s: ArrayLike = math.inf,
    t2_s: ArrayLike,
    qubits_stored: int = 2,
    twirled: bool = False,
) -> float | FloatArray:
    """Fidelity to ``|Phi+>`` of a Werner pair after one or both halves are stored.

    In the Pauli basis a Werner state is ``(II + c (XX - YY + ZZ)) / 4`` with
    ``c = (4F - 1) / 3``, and each stored half maps ``X, Y -> lambda X, lambda Y``,
    ``Z -> g Z`` and ``I -> I + gamma Z`` (``lambda = e^{-t/T2}``, ``g = 1 - gamma =
    e^{-t/T1}``; Nielsen and Chuang, section 8.3). Reading off the ``|Phi+>`` weight:

    * one half stored: ``F' = (1 + c (2 lambda + g)) / 4``;
    * both halves stored: ``F' = (1 + gamma**2 + c (2 lambda**2 + g**2)) / 4``.

    The ``gamma**2`` term is relaxation of both halves into ``|00>``, which overlaps
    ``|Phi+>``; the per-qubit Pauli twirl (:func:`memory_pauli_twirl`) misses it.
    ``twirled=True`` drops it, giving what a Bell-diagonal backend computes when it
    applies the twirl to each half; with one half stored both agree exactly.

    Args:
        fidelity: Werner fidelity F at the start, in [0, 1].
        waited_s: time each stored half waits, in s.
        t1_s: memory T1 in s.
        t2_s: memory T2 in s.
        qubits_stored: 1 (the other half is consumed or flying) or 2.
        twirled: use the Pauli-twirled channel on each half.

    Examples:
        >>> round(fidelity_after_storage_werner(1.0, 1.0, t2_s=1.0), 6)
        0.567668
        >>> fidelity_after_storage_werner(0.25, 5.0, t2_s=1.0)
        0.25
        >>> fidelity_after_storage_werner(1.0, 50.0, t1_s=1.0, t2_s=1.0)  # both in |00>
        0.5
    """
    f = chk.probability("fidelity", fidelity)
    if qubits_stored not in (1, 2):
        raise ConfigError("qubits_stored", f"must be 1 or 2, got {qubits_stored!r}")
    t = chk.non_negative("waited_s", waited_s)
    t1 = chk.positive("t1_s", t1_s, allow_inf=True)
    t2 = chk.positive("t2_s", t2_s, allow_inf=True)
    _check_t2_le_2t1(t1, t2)
    c = (4.0 * f - 1.0) / 3.0
    g, lam = np.exp(-t / t1), np.exp(-t / t2)
    if qubits_stored == 1:
        return chk.out((1.0 + c * (2.0 * lam + g)) / 4.0)
    gamma_sq = 0.0 if twirled else (-np.expm1(-t / t1)) ** 2
    return chk.out((1.0 + gamma_sq + c * (2.0 * lam**2 + g**2)) / 4.0)


def storage_cutoff_s(
    fidelity: float,
    min_fidelity: float,
    *,
    t1_s: float = math.inf,
    t2_s: float,
    qubits_stored: int = 2,
    twirled: bool = False,
) -> float:
    """First storage time at which a Werner pair falls to ``min_fidelity``.

    The fidelity of :func:`fidelity_after_storage_werner` need not fall monotonically:
    with T2 << T1 both halves dephase first and then relax into ``|00>``, which brings
    it back up towards 1/2. So the first crossing is bracketed on a geometric time grid
    spanning every time scale, then refined by Brent's method. Returns 0 when the pair
    starts below the threshold and ``inf`` when it never falls below it.

    Examples:
        >>> round(storage_cutoff_s(1.0, 0.9, t2_s=1.0), 6)
        0.111572
        >>> storage_cutoff_s(0.8, 0.9, t2_s=1.0)
        0.0
    """
    f = float(chk.probability("fidelity", fidelity))
    target = float(chk.probability("min_fidelity", min_fidelity))
    t1 = float(chk.positive("t1_s", t1_s, allow_inf=True))
    t2 = float(chk.positive("t2_s", t2_s, allow_inf=True))

    def kept(t: ArrayLike) -> FloatArray:
        return np.asarray(fidelity_after_storage_werner(
            f, t, t1_s=t1, t2_s=t2, qubits_stored=qubits_stored, twirled=twirled))

    if kept(0.0) < target:
        return 0.0
    scales = [tau for tau in (t1, t2) if math.isfinite(tau)]
    if not scales:
        return math.inf
    # By 60 time constants every exponential is below 1e-26: the grid ends at the limit.
    grid = np.concatenate(([0.0], np.geomspace(1e-6 * min(scales), 60.0 * max(scales), 4097)))
    below = np.flatnonzero(kept(grid) < target)
    if below.size == 0:
        return math.inf
    i = int(below[0])
    from scipy.optimize import brentq  # here, not at the top: 0.2 s of every start
    return float(brentq(lambda t: float(kept(t)) - target, grid[i - 1], grid[i],
                        xtol=1e-300, rtol=1e-13))


@dataclass(frozen=True, slots=True)
class QuantumMemory:
    """A quantum memory (spin qubit, atomic ensemble, ...) and its photonic interface.

    Attributes:
        t1_s: relaxation time T1 in s (> 0, ``inf`` for none).
        t2_s: coherence time T2 in s (> 0, at most 2 T1).
        efficiency: probability that one emission/storage event succeeds, i.e.
            emission x collection (emitters) or write x read (absorptive memories),
            in (0, 1].
        raw_fidelity: fidelity of the freshly made spin-photon (or stored) state to the
            ideal Bell state, applied as depolarising noise, in [1/4, 1].
        wavelength_m: optical wavelength of the interface in m, if known.

    Examples:
        >>> QuantumMemory(t1_s=1.0, t2_s=3.0)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: t2_s: must be at most 2 * t1_s = 2, got 3
    """

    t1_s: float = math.inf
    t2_s: float = 1.0
    efficiency: float = 0.9
    raw_fidelity: float = 1.0
    wavelength_m: float | None = None

    def __post_init__(self) -> None:
        t1 = chk.set_field(self, "t1_s", low=0.0, low_open=True, allow_inf=True)
        t2 = chk.set_field(self, "t2_s", low=0.0, low_open=True, allow_inf=True)
        _check_t2_le_2t1(np.asarray(t1), np.asarray(t2))
        chk.set_field(self, "efficiency", low=0.0, low_open=True, high=1.0)
        chk.set_field(self, "raw_fidelity", low=0.25, high=1.0)
        if self.wavelength_m is not None:
            chk.set_field(self, "wavelength_m", low=0.0, low_open=True)

    def decay_probabilities(self, waited_s: ArrayLike) -> FloatArray:
        """Pauli twirl ``(p_I, p_X, p_Y, p_Z)`` of the decay after ``waited_s``."""
        return memory_pauli_twirl(waited_s, self.t1_s, self.t2_s)

    def raw_bell_weights(self) -> FloatArray:
        """Bell-diagonal weights (Phi+, Psi+, Psi-, Phi-) of the freshly made state.

        Examples:
            >>> QuantumMemory(raw_fidelity=0.91).raw_bell_weights().round(6).tolist()
            [0.91, 0.03, 0.03, 0.03]
        """
        f = self.raw_fidelity
        return np.array([f, (1.0 - f) / 3.0, (1.0 - f) / 3.0, (1.0 - f) / 3.0])

    def fidelity_after(
        self, waited_s: ArrayLike, *, qubits_stored: int = 2, twirled: bool = False
    ) -> float | FloatArray:
        """Fidelity of a raw pair once ``qubits_stored`` halves waited ``waited_s``.

        See :func:`fidelity_after_storage_werner`.
        """
        return fidelity_after_storage_werner(
            self.raw_fidelity, waited_s, t1_s=self.t1_s, t2_s=self.t2_s,
            qubits_stored=qubits_stored, twirled=twirled)

    def cutoff_s(
        self, min_fidelity: float, *, qubits_stored: int = 2, twirled: bool = False
    ) -> float:
        """First storage time at which a raw pair falls to ``min_fidelity``.

        See :func:`storage_cutoff_s`.
        """
        return storage_cutoff_s(self.raw_fidelity, min_fidelity, t1_s=self.t1_s,
                                t2_s=self.t2_s, qubits_stored=qubits_stored, twirled=twirled)
