"""Density-matrix backend: a batch of pairs is an ``(N, 4, 4)`` complex array.

Exact for every channel (amplitude damping is not twirled), at 16 complex numbers per
pair instead of 4 floats. Channels are Kraus sums ``Σ_k K_k ρ K_k†`` evaluated for the
whole batch with ``einsum``/``matmul``; single-qubit operators are embedded as
``K ⊗ I`` (qubit 0) or ``I ⊗ K`` (qubit 1) in the basis ``|00>, |01>, |10>, |11>``.

Methods never modify their inputs; they return new arrays.

Examples:
    >>> import numpy as np
    >>> backend = DensityMatrixBackend()
    >>> pairs = backend.from_bell_weights([1.0, 0, 0, 0])
    >>> backend.fidelity(backend.amplitude_damp(pairs, 0.19, qubit=1)).round(4).tolist()
    [0.9025]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import BackendError
from qinet.quantum import _checks
from qinet.quantum.states import (
    BASIS_ROTATIONS,
    BELL_STATE_VECTORS,
    PAULI_MATRICES,
    PAULI_XOR,
    dephasing_probs,
    depolarizing_probs,
    extra_dephasing,
    measurement_error_probs,
    sample_categorical,
    weights_to_density_matrix,
)

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

_EYE2 = np.eye(2, dtype=np.complex128)


def _rhos(states: object) -> ComplexArray:
    """The batch as a complex ``(N, 4, 4)`` array, or a BackendError."""
    arr = np.asarray(states)
    if arr.ndim != 3 or arr.shape[1:] != (4, 4) or not np.issubdtype(arr.dtype, np.number):
        raise BackendError(
            f"density-matrix states must have shape (N, 4, 4), got {arr.dtype} {arr.shape}"
        )
    return arr.astype(np.complex128, copy=False)


def _on_qubit(ops: ComplexArray, qubit: int) -> ComplexArray:
    """Embed single-qubit operators ``(..., 2, 2)`` on ``qubit`` of a pair: ``(..., 4, 4)``."""
    if qubit == 0:
        pair = np.einsum("...ab,cd->...acbd", ops, _EYE2)  # K ⊗ I
    else:
        pair = np.einsum("cd,...ab->...cadb", _EYE2, ops)  # I ⊗ K
    return pair.reshape((*ops.shape[:-2], 4, 4))


def _conjugate(ops: ComplexArray, rho: ComplexArray) -> ComplexArray:
    """``U ρ U†`` with U and ρ broadcast over leading axes."""
    return ops @ rho @ np.swapaxes(ops.conj(), -1, -2)


class DensityMatrixBackend:
    """Batches of pairs as exact ``(N, 4, 4)`` complex128 density matrices."""

    name: str = "density-matrix"

    def __repr__(self) -> str:
        return "DensityMatrixBackend()"

    # -- building and slicing batches ------------------------------------------------

    def from_density_matrix(self, rho: ArrayLike, n: int) -> ComplexArray:
        """``n`` copies of ``rho`` (4x4, Hermitian, unit trace).

        Raises:
            BackendError: ``rho`` is not 4x4.
            ConfigError: ``rho`` is not Hermitian with unit trace, or ``n < 0``.

        Examples:
            >>> DensityMatrixBackend().from_density_matrix(np.eye(4) / 4, 3).shape
            (3, 4, 4)
        """
        matrix = _checks.density_matrix(rho)
        return np.broadcast_to(matrix, (_checks.count(n), 4, 4)).copy()

    def from_bell_weights(self, weights: ArrayLike) -> ComplexArray:
        """``Σ_k w_k |B_k><B_k|`` for weights ``(4,)`` or ``(N, 4)``."""
        return weights_to_density_matrix(_checks.distribution("weights", weights))

    def count(self, states: ComplexArray) -> int:
        """Number of pairs in the batch."""
        return int(_rhos(states).shape[0])

    def take(self, states: ComplexArray, index: ArrayLike) -> ComplexArray:
        """The sub-batch at ``index`` (integers or a boolean mask), always 3-D."""
        arr = _rhos(states)
        try:
            return arr[np.atleast_1d(np.asarray(index))]
        except IndexError as exc:
            raise BackendError(f"cannot take {index!r} from a batch of {len(arr)}: {exc}") from None

    def concat(self, batches: list[ComplexArray]) -> ComplexArray:
        """One batch made of several, in order (an empty list gives an empty batch)."""
        if not batches:
            return np.empty((0, 4, 4), dtype=np.complex128)
        return np.concatenate([_rhos(b) for b in batches], axis=0)

    # -- noise ----------------------------------------------------------------------

    def apply_pauli_channel(self, states: ComplexArray, probs: ArrayLike,
                            qubit: int) -> ComplexArray:
        """``Σ_j p_j P_j ρ P_j`` on ``qubit``, with ``probs`` one row or ``(N, 4)``."""
        rho = _rhos(states)
        weights = _checks.distribution("probs", probs, len(rho))
        return self._pauli(rho, np.broadcast_to(weights, (len(rho), 4)), _checks.qubit(qubit))

    def depolarize(self, states: ComplexArray, p: ArrayLike, qubit: int) -> ComplexArray:
        """Replace ``qubit`` by ``I/2`` with probability ``p`` (scalar or ``(N,)``)."""
        rho = _rhos(states)
        probs = depolarizing_probs(_checks.per_pair("p", p, len(rho)))
        return self._pauli(rho, probs, _checks.qubit(qubit))

    def dephase(self, states: ComplexArray, p: ArrayLike, qubit: int) -> ComplexArray:
        """Apply Z to ``qubit`` with probability ``p`` (scalar or ``(N,)``)."""
        rho = _rhos(states)
        probs = dephasing_probs(_checks.per_pair("p", p, len(rho)))
        return self._pauli(rho, probs, _checks.qubit(qubit))

    def amplitude_damp(self, states: ComplexArray, gamma: ArrayLike,
                       qubit: int) -> ComplexArray:
        """Exact amplitude damping: ``K0 = diag(1, √(1-γ))``, ``K1 = √γ |0><1|``.

        Examples:
            >>> b = DensityMatrixBackend()
            >>> excited = b.from_density_matrix(np.diag([0, 0, 0, 1.0]), 1)
            >>> b.amplitude_damp(excited, 1.0, qubit=0)[0].diagonal().real.tolist()
            [0.0, 1.0, 0.0, 0.0]
        """
        rho = _rhos(states)
        gammas = _checks.per_pair("gamma", gamma, len(rho))
        kraus = np.zeros((len(rho), 2, 2, 2), dtype=np.complex128)
        kraus[:, 0, 0, 0] = 1.0
        kraus[:, 0, 1, 1] = np.sqrt(1.0 - gammas)
        kraus[:, 1, 0, 1] = np.sqrt(gammas)
        ops = _on_qubit(kraus, _checks.qubit(qubit))  # (N, 2 Kraus, 4, 4)
        return _conjugate(ops, rho[:, None]).sum(axis=1)

    def memory_decay(self, states: ComplexArray, waited_s: ArrayLike, *, t1_s: float,
                     t2_s: float, qubit: int) -> ComplexArray:
        """T1/T2 decay of ``qubit`` after ``waited_s`` seconds (scalar or ``(N,)``).

        Exact amplitude damping with ``γ = 1 - e^{-t/T1}`` (coherence ``e^{-t/2T1}``), then
        pure dephasing that brings the coherence to ``e^{-t/T2}``; see
        :func:`~qinet.quantum.states.extra_dephasing`.

        Raises:
            ConfigError: ``t2_s > 2 * t1_s``, a non-positive time constant, or a negative
                or infinite wait.

        Examples:
            >>> b = DensityMatrixBackend()
            >>> pair = b.from_bell_weights([1, 0, 0, 0])
            >>> out = b.memory_decay(pair, 1.0, t1_s=1.0, t2_s=0.5, qubit=0)
            >>> bool(np.isclose(abs(out[0, 0, 3]) * 2, np.exp(-2.0)))  # coherence e^{-t/T2}
            True
        """
        rho = _rhos(states)
        which = _checks.qubit(qubit)
        t1, t2 = _checks.memory_times(t1_s, t2_s)
        waited = _checks.waits("waited_s", waited_s, len(rho))
        damped = self.amplitude_damp(rho, 1.0 - np.exp(-waited / t1), which)
        return self._pauli(damped, dephasing_probs(extra_dephasing(waited, t1, t2)), which)

    def pauli_correct(self, states: ComplexArray, paulis: ArrayLike,
                      qubit: int) -> ComplexArray:
        """Apply Pauli ``paulis[i]`` (0..3 = I, X, Y, Z) to ``qubit`` of pair ``i``."""
        rho = _rhos(states)
        which = _checks.paulis(paulis, len(rho))
        return _conjugate(_on_qubit(PAULI_MATRICES[which], _checks.qubit(qubit)), rho)

    # -- reading --------------------------------------------------------------------

    def fidelity(self, states: ComplexArray, bell_index: int = 0) -> FloatArray:
        """``<B_k|ρ|B_k>`` for each pair, shape ``(N,)``."""
        vector = BELL_STATE_VECTORS[_checks.bell_index(bell_index)]
        return np.einsum("a,nab,b->n", vector.conj(), _rhos(states), vector).real

    def bell_weights(self, states: ComplexArray) -> FloatArray:
        """The Bell-basis diagonal ``(N, 4)`` (what the Bell-diagonal backend would keep)."""
        return np.einsum("ka,nab,kb->nk", BELL_STATE_VECTORS.conj(), _rhos(states),
                         BELL_STATE_VECTORS).real

    # -- two-pair and measuring operations --------------------------------------------

    def swap(self, left: ComplexArray, right: ComplexArray, *, rng: np.random.Generator,
             gate_depolarizing: float = 0.0, measurement_error: float = 0.0) -> ComplexArray:
        """Entanglement swapping with a sampled Bell-state measurement, pair by pair.

        For qubits (a, b1) of ``left`` and (b2, c) of ``right``: the unnormalised state
        of (a, c) after outcome m is ``σ_m = <B_m|ρ_L ⊗ ρ_R|B_m>`` on (b1, b2), contracted
        in one einsum without forming the 16x16 matrix. Two-qubit depolarising p of the
        measured qubits maps ``σ_m → (1-p) σ_m + (p/4) ρ_a ⊗ ρ_c`` (because
        ``<B_m|I/4|B_m> = 1/4``). With bit flips q the *reported* outcome m' has
        ``σ'_{m'} = Σ_m Pr(m'|m) σ_m``, the state those who know only m' hold. m' is drawn
        with probability ``tr σ'_{m'}``, and Pauli m' corrects c.

        Args:
            left: pairs (a, b1).
            right: pairs (b2, c).
            rng: draws one outcome per pair.
            gate_depolarizing: two-qubit depolarising probability of the BSM gate.
            measurement_error: flip probability of each measured bit.

        Returns:
            The normalised pairs (a, c), ``(N, 4, 4)``.

        Raises:
            BackendError: the batches differ in length.

        Examples:
            >>> b = DensityMatrixBackend()
            >>> w = b.from_bell_weights([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3])
            >>> b.fidelity(b.swap(w, w, rng=np.random.default_rng(0))).round(6)
            array([0.813333])
        """
        rho_l, rho_r = _rhos(left), _rhos(right)
        if rho_l.shape != rho_r.shape:
            raise BackendError(
                f"swap needs batches of equal length, got {len(rho_l)} and {len(rho_r)}")
        p = _checks.probability("gate_depolarizing", gate_depolarizing)
        q = _checks.probability("measurement_error", measurement_error)
        n = len(rho_l)
        tensor_l, tensor_r = rho_l.reshape(n, 2, 2, 2, 2), rho_r.reshape(n, 2, 2, 2, 2)
        bell = BELL_STATE_VECTORS.reshape(4, 2, 2)
        sigma = np.einsum("mbc,nabAB,ncdCD,mBC->nmadAD", bell.conj(), tensor_l, tensor_r,
                          bell, optimize=True).reshape(n, 4, 4, 4)
        if p > 0.0:
            marginal_a = np.einsum("nabAb->naA", tensor_l)
            marginal_c = np.einsum("ncdcD->ndD", tensor_r)
            product = np.einsum("naA,ndD->nadAD", marginal_a, marginal_c).reshape(n, 1, 4, 4)
            sigma = (1.0 - p) * sigma + (p / 4.0) * product
        if q > 0.0:
            # Pr(m'|m) is the probability of the flip pattern m' ⊕ m.
            confusion = measurement_error_probs(q)[PAULI_XOR]
            sigma = np.einsum("km,nmab->nkab", confusion, sigma)
        probs = np.clip(np.einsum("nmaa->nm", sigma).real, 0.0, None)
        outcome = sample_categorical(probs, rng)
        rows = np.arange(n)
        chosen = sigma[rows, outcome] / probs[rows, outcome][:, None, None]
        return _conjugate(_on_qubit(PAULI_MATRICES[outcome], 1), chosen)

    def measure(self, states: ComplexArray, bases: ArrayLike, *,
                rng: np.random.Generator) -> NDArray[np.int8]:
        """Measure both qubits of each pair in ``bases`` ``(N, 2)`` (0 = Z, 1 = X, 2 = Y).

        The state is rotated so that each basis becomes Z, and one of the four outcomes
        is drawn from the diagonal.

        Returns:
            Outcomes ``(N, 2)`` as int8, 0 for eigenvalue +1 and 1 for -1.

        Examples:
            >>> b = DensityMatrixBackend()
            >>> b.measure(b.from_density_matrix(np.diag([0, 0, 1.0, 0]), 2), [0, 0],
            ...           rng=np.random.default_rng(0)).tolist()
            [[1, 0], [1, 0]]
        """
        rho = _rhos(states)
        basis = _checks.bases(bases, len(rho))
        rot = BASIS_ROTATIONS
        unitary = np.einsum("nab,ncd->nacbd", rot[basis[:, 0]], rot[basis[:, 1]])
        unitary = unitary.reshape(len(rho), 4, 4)
        probs = np.einsum("nab,nbc,nac->na", unitary, rho, unitary.conj()).real
        index = sample_categorical(np.clip(probs, 0.0, None), rng)
        return np.stack([index >> 1, index & 1], axis=1).astype(np.int8)

    # -- internals ------------------------------------------------------------------

    @staticmethod
    def _pauli(rho: ComplexArray, probs: FloatArray, qubit: int) -> ComplexArray:
        """``Σ_j probs[n, j] P_j ρ_n P_j`` with ``P_j`` on ``qubit``."""
        ops = _on_qubit(PAULI_MATRICES, qubit)  # (4, 4, 4)
        return np.einsum("nj,njab->nab", probs, _conjugate(ops[None], rho[:, None]))
