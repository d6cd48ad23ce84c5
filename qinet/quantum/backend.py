"""The one interface every quantum-state backend implements.

A backend stores nothing: it is a formalism. It works on a *batch* of two-qubit states
(shared Bell pairs, qubit 0 at one end, qubit 1 at the other) held in whatever array the
backend chooses (``(N, 4)`` Bell-diagonal weights, ``(N, 4, 4)`` density matrices), so a
protocol is written once and runs on any backend, and N pairs cost one numpy call.

Conventions shared by every backend:

* The target state of every link is ``|Φ+⟩ = (|00⟩ + |11⟩)/√2``.
* Bell states are indexed by the Pauli that maps ``|Φ+⟩`` to them when applied to
  qubit 1: ``0 = I → Φ+``, ``1 = X → Ψ+``, ``2 = Y → Ψ-`` (up to phase), ``3 = Z → Φ-``.
  :data:`BELL_LABELS` holds the names in that order.
* A Pauli channel is four probabilities ``(p_I, p_X, p_Y, p_Z)`` summing to one, either one
  row for the whole batch or one row per pair, shape ``(N, 4)``.
* Randomness is always passed in as ``rng: numpy.random.Generator``.
* Two-pair operations (``swap``, ``purify``) pair pair ``i`` of one batch with pair ``i``
  of the other.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
from numpy.typing import ArrayLike, NDArray

BELL_LABELS: tuple[str, str, str, str] = ("Phi+", "Psi+", "Psi-", "Phi-")
PAULI_LABELS: tuple[str, str, str, str] = ("I", "X", "Y", "Z")
PURIFICATION_SCHEMES: tuple[str, str] = ("bbpssw", "dejmps")
"""The ``scheme`` values :meth:`QuantumBackend.purify` accepts."""

States: TypeAlias = Any  # the backend's own batch array; opaque to protocols


@runtime_checkable
class QuantumBackend(Protocol):
    """A formalism for batches of two-qubit (Bell-pair) states."""

    name: str
    swap_draws: bool
    """Whether :meth:`swap` draws from its ``rng`` (a batch's outputs then depend on which
    stream they were computed from; otherwise pairs of different streams may share a
    batch and come out the same)."""

    def from_density_matrix(self, rho: ArrayLike, n: int) -> States:
        """``n`` copies of the two-qubit state ``rho`` (4x4, basis |00>,|01>,|10>,|11>).

        A backend that cannot hold ``rho`` exactly keeps its Bell-diagonal part (a twirl
        that preserves the fidelity to every Bell state).
        """
        ...

    def from_bell_weights(self, weights: ArrayLike) -> States:
        """States from Bell-diagonal weights, shape ``(4,)`` or ``(N, 4)``."""
        ...

    def count(self, states: States) -> int:
        """Number of pairs in the batch."""
        ...

    def take(self, states: States, index: ArrayLike) -> States:
        """The sub-batch at ``index`` (an integer array or a boolean mask)."""
        ...

    def concat(self, batches: list[States]) -> States:
        """One batch made of several, in order."""
        ...

    def apply_pauli_channel(self, states: States, probs: ArrayLike, qubit: int) -> States:
        """Apply the Pauli channel ``probs = (p_I, p_X, p_Y, p_Z)`` to ``qubit`` (0 or 1)."""
        ...

    def depolarize(self, states: States, p: ArrayLike, qubit: int) -> States:
        """Replace ``qubit`` by the maximally mixed state with probability ``p``.

        This is the Pauli channel ``(1 - 3p/4, p/4, p/4, p/4)``; ``p`` is a scalar or one
        value per pair (as for every probability argument of a channel).
        """
        ...

    def dephase(self, states: States, p: ArrayLike, qubit: int) -> States:
        """Apply Z to ``qubit`` with probability ``p``."""
        ...

    def amplitude_damp(self, states: States, gamma: ArrayLike, qubit: int) -> States:
        """Amplitude damping of ``qubit`` with decay probability ``gamma``.

        Exact in backends that can hold it; its Pauli twirl in the Bell-diagonal one.
        """
        ...

    def memory_decay(
        self, states: States, waited_s: ArrayLike, *, t1_s: float, t2_s: float, qubit: int
    ) -> States:
        """Decay of ``qubit`` stored for ``waited_s`` seconds in a memory with T1 and T2.

        ``t1_s`` or ``t2_s`` may be ``inf``. Requires ``t2_s <= 2 * t1_s``.
        """
        ...

    def pauli_correct(self, states: States, paulis: ArrayLike, qubit: int) -> States:
        """Apply Pauli ``paulis[i]`` (0..3 = I, X, Y, Z) to ``qubit`` of pair ``i``."""
        ...

    def fidelity(self, states: States, bell_index: int = 0) -> NDArray[np.float64]:
        """Fidelity of each pair to the Bell state ``bell_index`` (default Φ+), shape (N,)."""
        ...

    def bell_weights(self, states: States) -> NDArray[np.float64]:
        """Bell-diagonal weights ``(N, 4)`` (the diagonal in the Bell basis)."""
        ...

    def swap(
        self,
        left: States,
        right: States,
        *,
        rng: np.random.Generator,
        gate_depolarizing: float = 0.0,
        measurement_error: float = 0.0,
    ) -> States:
        """Entanglement swapping of pair i of ``left`` with pair i of ``right``.

        A Bell-state measurement on qubit 1 of ``left`` and qubit 0 of ``right``, followed
        by the Pauli correction of the outcome on qubit 1 of ``right``; returns the new
        pairs (qubit 0 of ``left``, qubit 1 of ``right``). ``gate_depolarizing`` is the
        two-qubit depolarising probability of the BSM gate, ``measurement_error`` the
        flip probability of each measured bit.

        ``rng`` draws the reported outcome where the output depends on it. For
        Bell-diagonal inputs it does not: the output weights are the XOR-convolution of
        the inputs (Werner: ``F = F1 F2 + (1-F1)(1-F2)/3``), gate noise p depolarises
        the output qubit with probability p, and each bit flip q adds an X or a Z error
        with probability q. Every backend gives these Bell weights.
        """
        ...

    def purify(
        self,
        target: States,
        sacrificial: States,
        *,
        scheme: str,
        gate_depolarizing: float = 0.0,
        measurement_error: float = 0.0,
    ) -> tuple[NDArray[np.float64], States]:
        """One recurrence round: pair i of ``target`` purified with pair i of ``sacrificial``.

        Both pairs span the same two nodes, qubit 0 at node A and qubit 1 at node B.
        Each node applies a CNOT from its target qubit (control) to its sacrificial qubit
        and measures the sacrificial qubit in Z; the round succeeds when the two outcomes
        agree, and the target pair is kept.

        * ``scheme="bbpssw"`` (Bennett et al., PRL 76, 722 (1996)): both pairs are first
          twirled to Werner states of the same Φ+ fidelity. For two Werner pairs of
          fidelity F: ``F' = (F² + r²)/N`` with ``r = (1-F)/3`` and success probability
          ``N = F² + 2 F r + 5 r²``.
        * ``scheme="dejmps"`` (Deutsch et al., PRL 77, 2818 (1996)): ``Rx(π/2)`` on both
          qubits at A and ``Rx(-π/2)`` on both at B first (no twirl). On Bell-diagonal
          inputs, with the paper's labels A = Φ+, B = Ψ-, C = Ψ+, D = Φ-:
          ``N = (A1+B1)(A2+B2) + (C1+D1)(C2+D2)``, ``A' = (A1A2 + B1B2)/N``,
          ``B' = (C1D2 + D1C2)/N``, ``C' = (C1C2 + D1D2)/N``, ``D' = (A1B2 + B1A2)/N``.

        Noise: ``gate_depolarizing`` p depolarises the two qubits of each node (after its
        CNOT, before the measurement) with probability p; ``measurement_error`` flips
        each measured bit with that probability.

        The output is deterministic (no rng): the caller draws success with the returned
        probability. A pair that can never succeed (probability 0) is returned as the
        maximally mixed state, a placeholder that a caller never keeps.

        Returns:
            ``(p_success, kept)``: the success probability of each pair, shape ``(N,)``,
            and the target pairs' state given success, in the backend's format.
        """
        ...

    def measure(
        self, states: States, bases: ArrayLike, *, rng: np.random.Generator
    ) -> NDArray[np.int8]:
        """Measure both qubits of every pair in the bases ``(N, 2)`` (0 = Z, 1 = X, 2 = Y).

        Returns the outcomes ``(N, 2)`` as 0/1 (eigenvalue +1 → 0, -1 → 1).
        """
        ...
