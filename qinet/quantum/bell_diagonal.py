"""Bell-diagonal backend: a batch of pairs is an ``(N, 4)`` array of Bell weights.

A Bell-diagonal state ``Σ_k w_k |B_k><B_k|`` is a Bell pair with a random Pauli error
``P_k`` on qubit 1, drawn with probability ``w_k``. Every operation here is then
arithmetic on that error distribution, vectorised over the batch:

* a Pauli channel on qubit 1 composes with the error: the weights are XOR-convolved
  with the channel (:func:`~qinet.quantum.states.xor_product`);
* a Pauli on qubit 0 does the same, because ``(P ⊗ I)|Φ+> = (I ⊗ Pᵀ)|Φ+>`` and
  ``Pᵀ = ±P`` for every Pauli: the qubit only changes a global phase;
* non-Pauli channels (amplitude damping, T1) are replaced by their Pauli twirl, which
  for Bell-diagonal inputs gives exactly the Bell weights that the exact channel gives
  (the bilateral twirl ``P ⊗ P*`` leaves every Bell state unchanged);
* swapping multiplies the two errors, so the weights are XOR-convolved with each other;
* purification is the closed-form recurrence of BBPSSW / DEJMPS
  (:func:`~qinet.quantum.states.purification_kept`).

Methods never modify their inputs; they return new arrays.

Speed. The network layer calls the backend once per event with one pair, where
numpy's per-call overhead (about a microsecond per call) dwarfs the arithmetic on four
numbers. So a batch of one is done in Python floats and a larger batch on the four
columns of its array, by the *same* ``*_row`` formula from
:mod:`qinet.quantum.states` (see :func:`_columns`), which gives bit-identical weights
for a pair whatever the batch size. A single pair costs a few microseconds per call;
``benchmarks/backend_ops.py`` measures it.

Examples:
    >>> import numpy as np
    >>> from qinet.quantum.states import werner_weights
    >>> backend = BellDiagonalBackend()
    >>> pairs = backend.from_bell_weights(werner_weights([0.9, 0.8]))
    >>> backend.fidelity(backend.depolarize(pairs, 0.1, qubit=0)).round(4).tolist()
    [0.835, 0.745]
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import BackendError
from qinet.quantum import _checks
from qinet.quantum.states import (
    BELL_CORRELATORS,
    BELL_STATE_VECTORS,
    PAULI_XOR,
    Columns,
    amplitude_damping_row,
    dejmps_rotation,
    dephasing_row,
    depolarizing_row,
    measurement_error_row,
    memory_decay_row,
    purification_kept,
    werner_row,
    xor_product,
)

FloatArray = NDArray[np.float64]

_MIXED = (0.25, 0.25, 0.25, 0.25)


def _weights(states: object) -> FloatArray:
    """The batch as a float ``(N, 4)`` array, or a BackendError."""
    # Attribute checks only (no np.issubdtype): this runs on every call.
    arr = states if type(states) is np.ndarray else np.asarray(states)
    if arr.ndim != 2 or arr.shape[1] != 4 or arr.dtype.kind != "f":
        raise BackendError(
            f"bell-diagonal states must be a float array of shape (N, 4), got "
            f"{arr.dtype} {arr.shape}"
        )
    return arr


def _columns(weights: FloatArray) -> Columns:
    """A batch's weights in the form the ``*_row`` formulas compute on.

    One pair gives four Python floats; more give the four columns as contiguous
    float64 ``(N,)`` arrays (elementwise numpy on contiguous columns is about three
    times faster than on the strided columns of the ``(N, 4)`` array, and float64 is
    what Python floats are, for any input precision).
    """
    if weights.shape[0] == 1:
        return weights.tolist()[0]
    return np.ascontiguousarray(weights.T, dtype=np.float64)


def _rows(columns: Columns) -> FloatArray:
    """The inverse of :func:`_columns`: four floats or four ``(N,)`` arrays as ``(N, 4)``."""
    if isinstance(columns[0], float):
        return np.array([columns])
    return np.stack(columns, axis=1)


class BellDiagonalBackend:
    """Batches of Bell-diagonal pairs as ``(N, 4)`` float64 weights (Φ+, Ψ+, Ψ-, Φ-).

    Fast and exact for Pauli noise; non-Pauli channels are twirled, which keeps every
    fidelity to a Bell state (see the module docstring).
    """

    name: str = "bell-diagonal"
    swap_draws: bool = False  # the corrected output does not depend on the outcome

    def __repr__(self) -> str:
        return "BellDiagonalBackend()"

    # -- building and slicing batches ------------------------------------------------

    def from_density_matrix(self, rho: ArrayLike, n: int) -> FloatArray:
        """``n`` copies of the Bell-basis diagonal of ``rho`` (its Bell twirl).

        Args:
            rho: a 4x4 density matrix in the basis ``|00>, |01>, |10>, |11>``.
            n: number of pairs.

        Returns:
            Weights ``(n, 4)`` with ``w_k = <B_k|ρ|B_k>``.

        Raises:
            BackendError: ``rho`` is not 4x4.
            ConfigError: ``rho`` is not Hermitian with unit trace, or ``n < 0``.

        Examples:
            >>> BellDiagonalBackend().from_density_matrix(np.diag([1.0, 0, 0, 0]), 1).round(12)
            array([[0.5, 0. , 0. , 0.5]])
        """
        matrix = _checks.density_matrix(rho)
        diagonal = np.einsum("ka,ab,kb->k", BELL_STATE_VECTORS.conj(), matrix,
                             BELL_STATE_VECTORS).real
        return np.tile(np.clip(diagonal, 0.0, None), (_checks.count(n), 1))

    def from_bell_weights(self, weights: ArrayLike) -> FloatArray:
        """States from Bell weights ``(4,)`` or ``(N, 4)`` (each row a distribution).

        Examples:
            >>> BellDiagonalBackend().from_bell_weights([1, 0, 0, 0]).shape
            (1, 4)
        """
        return _checks.distribution("weights", weights)  # always a new array

    def count(self, states: FloatArray) -> int:
        """Number of pairs in the batch."""
        return int(_weights(states).shape[0])

    def take(self, states: FloatArray, index: ArrayLike) -> FloatArray:
        """The sub-batch at ``index`` (integers or a boolean mask), always 2-D.

        Examples:
            >>> b = BellDiagonalBackend()
            >>> b.take(b.from_bell_weights(np.eye(4)), [False, True, False, True])[:, 3].tolist()
            [0.0, 1.0]
        """
        arr = _weights(states)
        try:
            picked: FloatArray = arr[np.atleast_1d(np.asarray(index))]
            return picked
        except IndexError as exc:
            raise BackendError(f"cannot take {index!r} from a batch of {len(arr)}: {exc}") from None

    def concat(self, batches: list[FloatArray]) -> FloatArray:
        """One batch made of several, in order (an empty list gives an empty batch)."""
        if not batches:
            return np.empty((0, 4))
        return np.concatenate([_weights(b) for b in batches], axis=0)

    # -- noise ----------------------------------------------------------------------

    def apply_pauli_channel(self, states: FloatArray, probs: ArrayLike,
                            qubit: int) -> FloatArray:
        """Apply ``probs = (p_I, p_X, p_Y, p_Z)``, one row or ``(N, 4)``, to ``qubit``.

        Examples:
            >>> b = BellDiagonalBackend()
            >>> b.apply_pauli_channel(b.from_bell_weights([1, 0, 0, 0]), [0.9, 0.1, 0, 0], 1)
            array([[0.9, 0.1, 0. , 0. ]])
        """
        arr = _weights(states)
        _checks.qubit(qubit)  # either qubit acts alike (module docstring)
        return _channel(arr, _checks.channel_row("probs", probs, arr.shape[0]))

    def depolarize(self, states: FloatArray, p: ArrayLike, qubit: int) -> FloatArray:
        """Replace ``qubit`` by ``I/2`` with probability ``p`` (scalar or ``(N,)``).

        For a Werner state of fidelity F this gives ``F' = (1-p) F + p/4``.
        """
        arr = _weights(states)
        _checks.qubit(qubit)
        probs = depolarizing_row(_checks.scalar_or_per_pair("p", p, arr.shape[0]))
        return _channel(arr, probs)

    def dephase(self, states: FloatArray, p: ArrayLike, qubit: int) -> FloatArray:
        """Apply Z to ``qubit`` with probability ``p`` (scalar or ``(N,)``)."""
        arr = _weights(states)
        _checks.qubit(qubit)
        return _channel(arr, dephasing_row(_checks.scalar_or_per_pair("p", p, arr.shape[0])))

    def amplitude_damp(self, states: FloatArray, gamma: ArrayLike, qubit: int) -> FloatArray:
        """The Pauli twirl of amplitude damping with decay probability ``gamma``.

        See :func:`~qinet.quantum.states.amplitude_damping_twirl` for the probabilities.
        """
        arr = _weights(states)
        _checks.qubit(qubit)
        gammas = _checks.scalar_or_per_pair("gamma", gamma, arr.shape[0])
        return _channel(arr, amplitude_damping_row(gammas))

    def memory_decay(self, states: FloatArray, waited_s: ArrayLike, *, t1_s: float,
                     t2_s: float, qubit: int) -> FloatArray:
        """Twirled T1/T2 decay of ``qubit`` after ``waited_s`` seconds (scalar or ``(N,)``).

        ``p_X = p_Y = (1 - e^{-t/T1})/4``, ``p_Z = (1 - e^{-t/T2})/2 - p_X``; see
        :func:`~qinet.quantum.states.memory_decay_twirl`.

        Raises:
            ConfigError: ``t2_s > 2 * t1_s``, a non-positive time constant, or a negative
                or infinite wait.

        Examples:
            >>> b = BellDiagonalBackend()
            >>> pair = b.from_bell_weights([1, 0, 0, 0])
            >>> b.fidelity(b.memory_decay(pair, 0.5, t1_s=np.inf, t2_s=1.0, qubit=0)).round(4)
            array([0.8033])
        """
        arr = _weights(states)
        _checks.qubit(qubit)
        t1, t2 = _checks.memory_times(t1_s, t2_s)
        waited = _checks.scalar_or_waits("waited_s", waited_s, arr.shape[0])
        return _channel(arr, memory_decay_row(waited, t1, t2))

    def pauli_correct(self, states: FloatArray, paulis: ArrayLike, qubit: int) -> FloatArray:
        """Apply Pauli ``paulis[i]`` (0..3 = I, X, Y, Z) to ``qubit`` of pair ``i``.

        Examples:
            >>> b = BellDiagonalBackend()
            >>> b.pauli_correct(b.from_bell_weights(np.eye(4)), [1, 1, 3, 2], 1).argmax(1).tolist()
            [1, 0, 1, 1]
        """
        arr = _weights(states)
        _checks.qubit(qubit)
        # New weight of label m is the old weight of m ⊕ P (a permutation per pair).
        if type(paulis) is int and 0 <= paulis <= 3:  # one Pauli for all: a column shuffle
            return arr[:, PAULI_XOR[paulis]]
        which = _checks.paulis(paulis, len(arr))
        return np.take_along_axis(arr, PAULI_XOR[which], axis=1)

    # -- reading --------------------------------------------------------------------

    def fidelity(self, states: FloatArray, bell_index: int = 0) -> FloatArray:
        """Fidelity of each pair to Bell state ``bell_index``, shape ``(N,)``."""
        return _weights(states)[:, _checks.bell_index(bell_index)].copy()

    def bell_weights(self, states: FloatArray) -> FloatArray:
        """The weights themselves, ``(N, 4)`` (a copy)."""
        return _weights(states).copy()

    # -- two-pair and measuring operations --------------------------------------------

    def swap(self, left: FloatArray, right: FloatArray, *, rng: np.random.Generator,
             gate_depolarizing: float = 0.0, measurement_error: float = 0.0) -> FloatArray:
        """Entanglement swapping, pair by pair, with a noisy Bell-state measurement.

        The outcome of an ideal BSM is uniform and, once corrected, the output error is
        the product of the two input errors: the weights are XOR-convolved. For Werner
        inputs this is ``F = F1 F2 + (1-F1)(1-F2)/3``.

        Gate noise: a Pauli ``A ⊗ B`` on the two measured qubits reaches the output as
        ``A·B``; two-qubit depolarising with probability p draws ``(A, B)`` uniformly
        from the 16 Paulis, so ``A·B`` is uniform over the 4: the output qubit is
        depolarised with the same probability p. Measurement error: see
        :func:`~qinet.quantum.states.measurement_error_probs`.

        Args:
            left: pairs (a, b1); ``b1`` is measured.
            right: pairs (b2, c); ``b2`` is measured, ``c`` is corrected.
            rng: unused (the corrected output does not depend on the outcome); kept for
                the interface.
            gate_depolarizing: two-qubit depolarising probability of the BSM gate.
            measurement_error: flip probability of each of the two measured bits.

        Returns:
            The pairs (a, c), ``(N, 4)``.

        Raises:
            BackendError: the batches differ in length.

        Examples:
            >>> b = BellDiagonalBackend()
            >>> w = b.from_bell_weights([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3])
            >>> b.fidelity(b.swap(w, w, rng=np.random.default_rng(0))).round(6)
            array([0.813333])
        """
        del rng  # outcome-independent: nothing to sample
        a, c = _weights(left), _weights(right)
        _checks.equal_batches("swap", a.shape[0], c.shape[0])
        p = _checks.probability("gate_depolarizing", gate_depolarizing)
        q = _checks.probability("measurement_error", measurement_error)
        out = xor_product(_columns(a), _columns(c))
        if p or q:  # the noise of an ideal BSM is the identity: skip it
            out = xor_product(out, _bsm_noise(p, q))
        return _rows(out)

    def purify(self, target: FloatArray, sacrificial: FloatArray, *, scheme: str,
               gate_depolarizing: float = 0.0,
               measurement_error: float = 0.0) -> tuple[FloatArray, FloatArray]:
        """One purification round, pair by pair, by its closed-form recurrence.

        ``"bbpssw"`` replaces both pairs by the Werner state of the same Φ+ fidelity
        (:func:`~qinet.quantum.states.werner_row`); ``"dejmps"`` permutes the weights
        as its local rotations do (:func:`~qinet.quantum.states.dejmps_rotation`). Then
        the bilateral CNOT, the Z measurements and the noise give the kept weights of
        :func:`~qinet.quantum.states.purification_kept`. The kept pair is returned as
        the circuit leaves it: BBPSSW's output is not re-twirled (its next round twirls
        it, and the twirl keeps the fidelity), and DEJMPS's rotations are not undone,
        which is the map the paper's recurrence iterates.

        Args:
            target: the pairs kept on success.
            sacrificial: the pairs measured.
            scheme: ``"bbpssw"`` or ``"dejmps"``.
            gate_depolarizing: two-qubit depolarising probability of each node's CNOT.
            measurement_error: flip probability of each measured bit.

        Returns:
            ``(p_success, kept)``: shapes ``(N,)`` and ``(N, 4)``. Pairs that cannot
            succeed get the maximally mixed weights.

        Raises:
            BackendError: the batches differ in length.
            ConfigError: an unknown scheme or a probability outside [0, 1].

        Examples:
            >>> from qinet.quantum.states import werner_weights
            >>> b = BellDiagonalBackend()
            >>> w = b.from_bell_weights(werner_weights(0.8))
            >>> p, kept = b.purify(w, w, scheme="bbpssw")
            >>> (p * 225).round(9), (kept[:, 0] * 173).round(9)  # N = 173/225, F' = 145/173
            (array([173.]), array([145.]))
        """
        u, v = _weights(target), _weights(sacrificial)
        _checks.equal_batches("purify", u.shape[0], v.shape[0])
        name = _checks.purification_scheme(scheme)
        p = _checks.probability("gate_depolarizing", gate_depolarizing)
        q = _checks.probability("measurement_error", measurement_error)
        a, b = _columns(u), _columns(v)
        if name == "bbpssw":
            a, b = werner_row(a[0]), werner_row(b[0])
        else:
            a, b = dejmps_rotation(a), dejmps_rotation(b)
        kept = purification_kept(a, b, gate_depolarizing=p, measurement_error=q)
        success = kept[0] + kept[1] + kept[2] + kept[3]
        if isinstance(success, float):
            if success > 0.0:
                k0, k1, k2, k3 = kept
                state = (k0 / success, k1 / success, k2 / success, k3 / success)
            else:
                state = _MIXED
            return np.array([success]), np.array([state])
        weights = _rows(kept)
        possible = success > 0.0
        out = np.full_like(weights, 0.25)
        np.divide(weights, success[:, None], out=out, where=possible[:, None])
        return success, out

    def measure(self, states: FloatArray, bases: ArrayLike, *,
                rng: np.random.Generator) -> NDArray[np.int8]:
        """Measure both qubits of each pair in ``bases`` ``(N, 2)`` (0 = Z, 1 = X, 2 = Y).

        A Bell-diagonal state has uniform single-qubit marginals and only the diagonal
        correlators ``<σ_s ⊗ σ_s>``; so qubit 0 is a fair coin and qubit 1 agrees with it
        with probability ``(1 + E)/2``, where ``E = Σ_k w_k c_k(s)`` when both bases are
        ``s`` and 0 otherwise.

        Returns:
            Outcomes ``(N, 2)`` as int8, 0 for eigenvalue +1 and 1 for -1.

        Examples:
            >>> b = BellDiagonalBackend()
            >>> out = b.measure(b.from_bell_weights(np.tile([1.0, 0, 0, 0], (5, 1))), [2, 2],
            ...                 rng=np.random.default_rng(3))
            >>> bool((out[:, 0] != out[:, 1]).all())  # Φ+ in YY: always opposite
            True
        """
        arr = _weights(states)
        n = len(arr)
        basis = _checks.bases(bases, n)
        same = basis[:, 0] == basis[:, 1]
        correlator = np.where(same, np.einsum("nk,kn->n", arr, BELL_CORRELATORS[:, basis[:, 0]]),
                              0.0)
        first = rng.random(n) < 0.5
        differ = rng.random(n) < (1.0 - correlator) / 2.0
        return np.stack([first, first ^ differ], axis=1).astype(np.int8)


@functools.lru_cache(maxsize=256)
def _bsm_noise(p: float, q: float) -> tuple[float, float, float, float]:
    """The Pauli channel of a noisy BSM (see ``swap``); cached because a network has a
    handful of ``(p, q)`` values and asks for one of them at every swap."""
    return xor_product(depolarizing_row(p), measurement_error_row(q))


def _channel(weights: FloatArray, probs: Columns) -> FloatArray:
    """The Pauli channel ``probs`` (a row, see :data:`~qinet.quantum.states.Columns`) on
    every pair: its error composes with the pair's by the Pauli product."""
    return _rows(xor_product(_columns(weights), probs))
