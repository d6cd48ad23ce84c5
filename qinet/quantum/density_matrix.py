"""Density-matrix backend: a batch of pairs is an ``(N, 4, 4)`` complex array.

Exact for every channel (amplitude damping is not twirled), at 16 complex numbers per
pair instead of 4 floats. Channels are Kraus sums ``Σ_k K_k ρ K_k†`` evaluated for the
whole batch with ``einsum``/``matmul``; single-qubit operators are embedded as
``K ⊗ I`` (qubit 0) or ``I ⊗ K`` (qubit 1) in the basis ``|00>, |01>, |10>, |11>``.

Two-pair operations (swapping, purification) never form the 16x16 matrix of both pairs:
they contract the two 4x4 factors directly, so memory stays linear in the batch.

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
    werner_row,
)

FloatArray = NDArray[np.float64]
ComplexArray = NDArray[np.complex128]

_EYE2 = np.eye(2, dtype=np.complex128)


def _rx(theta: float) -> ComplexArray:
    """``Rx(θ) = exp(-iθX/2)``."""
    c, s = np.cos(theta / 2), np.sin(theta / 2)
    return np.array([[c, -1j * s], [-1j * s, c]], dtype=np.complex128)


# DEJMPS's local rotations of one pair: Rx(π/2) at A (qubit 0), Rx(-π/2) at B (qubit 1).
_DEJMPS_ROTATION: ComplexArray = np.kron(_rx(np.pi / 2), _rx(-np.pi / 2)).astype(np.complex128)

# Purification works on pair tensors [n, a, b, A, B] = <a b|ρ|A B> (a, A at node A;
# b, B at node B) and on the sacrificial pair's outcome bits x (at A) and y (at B).
# Each bit below is an index array along its own one of the axes (x, y, a, b, A, B).
_AXES = "xyabAB"
_x, _y, _a, _b, _A, _B = (np.arange(2).reshape([2 if name == axis else 1 for name in _AXES])
                          for axis in _AXES)
_DELTA_A = (_a == _A) * 1.0  # δ(a, A)
_DELTA_B = (_b == _B) * 1.0  # δ(b, B)


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
    operators: ComplexArray = pair.reshape((*ops.shape[:-2], 4, 4))
    return operators


def _conjugate(ops: ComplexArray, rho: ComplexArray) -> ComplexArray:
    """``U ρ U†`` with U and ρ broadcast over leading axes."""
    return ops @ rho @ np.swapaxes(ops.conj(), -1, -2)


class DensityMatrixBackend:
    """Batches of pairs as exact ``(N, 4, 4)`` complex128 density matrices."""

    name: str = "density-matrix"
    swap_draws: bool = True  # one outcome drawn per pair

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
            picked: ComplexArray = arr[np.atleast_1d(np.asarray(index))]
            return picked
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
        damped: ComplexArray = _conjugate(ops, rho[:, None]).sum(axis=1)
        return damped

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
        fidelities: FloatArray = np.einsum("a,nab,b->n", vector.conj(), _rhos(states),
                                           vector).real
        return fidelities

    def bell_weights(self, states: ComplexArray) -> FloatArray:
        """The Bell-basis diagonal ``(N, 4)`` (what the Bell-diagonal backend would keep)."""
        weights: FloatArray = np.einsum("ka,nab,kb->nk", BELL_STATE_VECTORS.conj(),
                                        _rhos(states), BELL_STATE_VECTORS).real
        return weights

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

    def purify(self, target: ComplexArray, sacrificial: ComplexArray, *, scheme: str,
               gate_depolarizing: float = 0.0,
               measurement_error: float = 0.0) -> tuple[FloatArray, ComplexArray]:
        """One purification round on the exact 4-qubit state, pair by pair.

        ``"dejmps"`` applies ``Rx(π/2) ⊗ Rx(-π/2)`` to each pair, exactly, whatever the
        state. ``"bbpssw"`` first twirls each pair to the Werner state of its Φ+
        fidelity, as the protocol prescribes (the twirl is the average over random
        bilateral rotations, which is exactly that Werner state), so here the two
        backends agree for every input, not only Bell-diagonal ones.

        Then, with the target pair ``(a, b)`` and the sacrificial pair at A and B: the
        CNOTs at A and B make the sacrificial qubits read ``x = a ⊕ a2`` and
        ``y = b ⊕ b2``, so the unnormalised target state after outcome ``(x, y)`` is
        ``σ_xy[ab, AB] = ρ_t[ab, AB] ρ_s[(x⊕a)(y⊕b), (x⊕A)(y⊕B)]``, an elementwise
        product without the 16x16 matrix. Depolarising probability p of A's two qubits
        replaces them by ``I/4`` after the CNOT: the projected term is
        ``δ(a,A)/4 · Tr_A ρ_t[b, B] · Tr_A ρ_s[y⊕b, y⊕B]``, and likewise at B; both at once
        leave ``I/16``. Flipped bits (probability q each) make a pair of true outcomes
        read as agreeing with probability ``1 - e`` (they agreed) or ``e = 2q(1-q)``.
        The kept state is the sum of the ``σ_xy`` weighted by those probabilities.

        Args:
            target: the pairs kept on success.
            sacrificial: the pairs measured.
            scheme: ``"bbpssw"`` or ``"dejmps"``.
            gate_depolarizing: two-qubit depolarising probability of each node's CNOT.
            measurement_error: flip probability of each measured bit.

        Returns:
            ``(p_success, kept)``: shapes ``(N,)`` and ``(N, 4, 4)``; a pair that cannot
            succeed gets ``I/4``.

        Raises:
            BackendError: the batches differ in length.
            ConfigError: an unknown scheme or a probability outside [0, 1].

        Examples:
            >>> b = DensityMatrixBackend()
            >>> w = b.from_bell_weights([0.8, 0.2 / 3, 0.2 / 3, 0.2 / 3])
            >>> p, kept = b.purify(w, w, scheme="dejmps")
            >>> (p * 225).round(9), (b.fidelity(kept) * 173).round(9)  # 173/225, 145/173
            (array([173.]), array([145.]))
        """
        rho_t, rho_s = _rhos(target), _rhos(sacrificial)
        _checks.equal_batches("purify", len(rho_t), len(rho_s))
        name = _checks.purification_scheme(scheme)
        p = _checks.probability("gate_depolarizing", gate_depolarizing)
        q = _checks.probability("measurement_error", measurement_error)
        if name == "bbpssw":
            rho_t, rho_s = _werner_twirl(rho_t), _werner_twirl(rho_s)
        else:
            rho_t = _conjugate(_DEJMPS_ROTATION, rho_t)
            rho_s = _conjugate(_DEJMPS_ROTATION, rho_s)
        n = len(rho_t)
        t, s = rho_t.reshape(n, 2, 2, 2, 2), rho_s.reshape(n, 2, 2, 2, 2)
        # sigma[n, x, y, a, b, A, B]
        sigma = t[:, None, None] * s[:, _x ^ _a, _y ^ _b, _x ^ _A, _y ^ _B]
        if p > 0.0:
            t_b, s_b = np.einsum("nabaB->nbB", t), np.einsum("nabaB->nbB", s)
            t_a, s_a = np.einsum("nabAb->naA", t), np.einsum("nabAb->naA", s)
            a_mixed = _DELTA_A / 4 * t_b[:, _b, _B] * s_b[:, _y ^ _b, _y ^ _B]
            b_mixed = _DELTA_B / 4 * t_a[:, _a, _A] * s_a[:, _x ^ _a, _x ^ _A]
            sigma = ((1 - p) ** 2 * sigma + p * (1 - p) * (a_mixed + b_mixed)
                     + p * p * _DELTA_A * _DELTA_B / 16)
        e = 2.0 * q * (1.0 - q)
        agree = np.array([[1.0 - e, e], [e, 1.0 - e]])  # Pr(read as agreeing | x, y)
        kept = np.einsum("xy,nxyabAB->nabAB", agree, sigma).reshape(n, 4, 4)
        success = np.clip(np.einsum("naa->n", kept).real, 0.0, None)  # no -1e-17 odds
        possible = success > 0.0
        out = np.broadcast_to(np.eye(4, dtype=np.complex128) / 4, kept.shape).copy()
        out[possible] = kept[possible] / success[possible, None, None]
        return success, out

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
        mixed: ComplexArray = np.einsum("nj,njab->nab", probs,
                                        _conjugate(ops[None], rho[:, None]))
        return mixed


def _werner_twirl(rho: ComplexArray) -> ComplexArray:
    """The Werner state of each pair's Φ+ fidelity (the bilateral ``U ⊗ U*`` twirl)."""
    fidelity = np.einsum("a,nab,b->n", BELL_STATE_VECTORS[0].conj(), rho,
                         BELL_STATE_VECTORS[0]).real
    return weights_to_density_matrix(np.stack(werner_row(fidelity), axis=-1))
