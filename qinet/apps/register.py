"""A register of qubits held at nodes: exact density matrices, factored into blocks.

Qubits that never interacted are kept in separate blocks (a product state of blocks), so
a register that holds many independent pairs costs the sum of their sizes, not the
product. A gate on qubits of different blocks merges them first (their Kronecker
product). Measuring a qubit projects its block and removes the qubit; a block that
loses its last qubit is dropped.

Conventions (those of :mod:`qinet.quantum.states`): a block's matrix is written in the
basis where its first qubit is the most significant bit. Operators are applied as
``ρ -> U ρ U†`` and channels as ``ρ -> Σ_k K_k ρ K_k†`` by contracting the qubit's axes
of the block's ``(2,)*2n`` tensor, never by forming ``I ⊗ U ⊗ I`` matrices.

Examples:
    >>> import numpy as np
    >>> reg = QubitRegister()
    >>> a, b = reg.add_pure(np.array([1, 0, 0, 1]) / np.sqrt(2))
    >>> reg.apply(GATES["cnot"], a, b)
    >>> reg.apply(GATES["h"], a)
    >>> reg.measure(a, rng=np.random.default_rng(1)), reg.reduced(b).real.round(12).tolist()
    (0, [[1.0, 0.0], [0.0, 0.0]])
"""

from __future__ import annotations

from itertools import count

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ProtocolError
from qinet.quantum.operators import apply_to_axes, rx, ry, rz
from qinet.quantum.states import PAULI_MATRICES, extra_dephasing

ComplexArray = NDArray[np.complex128]

_S2 = 1.0 / np.sqrt(2.0)


GATES: dict[str, ComplexArray] = {
    "i": PAULI_MATRICES[0], "x": PAULI_MATRICES[1], "y": PAULI_MATRICES[2],
    "z": PAULI_MATRICES[3],
    "h": np.array([[_S2, _S2], [_S2, -_S2]], dtype=np.complex128),
    "s": np.diag([1, 1j]).astype(np.complex128),
    "sdg": np.diag([1, -1j]).astype(np.complex128),
    "t": np.diag([1, np.exp(0.25j * np.pi)]).astype(np.complex128),
    "tdg": np.diag([1, np.exp(-0.25j * np.pi)]).astype(np.complex128),
    "cnot": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]],
                     dtype=np.complex128),
    "cz": np.diag([1, 1, 1, -1]).astype(np.complex128),
    "swap": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]],
                     dtype=np.complex128),
}
"""Fixed gates by name: Paulis, H, S, S†, T, T†, and the two-qubit CNOT (first qubit the
control), CZ and SWAP."""

ROTATIONS = {"rx": rx, "ry": ry, "rz": rz}
"""Single-qubit rotations by name, each a function of the angle in radians."""

# measurement bases: the unitary that takes the basis to the computational one
BASES: dict[str, ComplexArray] = {
    "z": GATES["i"], "x": GATES["h"], "y": GATES["h"] @ GATES["sdg"]}


class _Block:
    """Qubits in one joint state: ``rho`` is ``(2^n, 2^n)`` over ``ids`` in order."""

    __slots__ = ("ids", "rho")

    def __init__(self, ids: list[int], rho: ComplexArray) -> None:
        self.ids = ids
        self.rho = rho


def _one_qubit_kraus(rho: ComplexArray, kraus: list[ComplexArray], n: int,
                     i: int) -> ComplexArray:
    """``Σ_k K_k ρ K_k†`` for single-qubit ``K_k`` on qubit ``i`` of ``n``.

    Inlined as two broadcast matrix products per operator (rows, then columns seen as
    rows of the same shape), which is several times faster than contracting tensors:
    applications make single-qubit operations by the thousand.
    """
    dim = 1 << n
    a, b = 1 << i, 1 << (n - 1 - i)
    out = np.zeros_like(rho)
    for k in kraus:
        left = np.matmul(k, rho.reshape(a, 2, b * dim)).reshape(dim, a, 2, b)
        out += np.matmul(k.conj(), left.reshape(dim * a, 2, b)).reshape(dim, dim)
    return out


class QubitRegister:
    """Qubits by integer id, their joint state kept exactly as blocks of density matrices.

    Methods check nothing about who may act on which qubit; the node programs' runtime
    does (:mod:`qinet.apps.sdk`).
    """

    def __init__(self) -> None:
        self._ids = count()
        self._block_of: dict[int, _Block] = {}

    def __len__(self) -> int:
        return len(self._block_of)

    def __contains__(self, qubit: object) -> bool:
        return qubit in self._block_of

    def add(self, rho: ArrayLike) -> tuple[int, ...]:
        """New qubits in the joint state ``rho`` (``2^n x 2^n``); returns their ids in order.

        Raises:
            ProtocolError: ``rho`` is not a square matrix of a power-of-two size.
        """
        matrix = np.array(rho, dtype=np.complex128)
        dim = matrix.shape[0] if matrix.ndim == 2 else 0
        n = dim.bit_length() - 1
        if matrix.ndim != 2 or matrix.shape != (dim, dim) or dim < 2 or 1 << n != dim:
            raise ProtocolError(f"a register state must be a 2^n x 2^n matrix, got shape "
                                f"{matrix.shape}")
        ids = [next(self._ids) for _ in range(n)]
        block = _Block(ids, matrix)
        for q in ids:
            self._block_of[q] = block
        return tuple(ids)

    def add_pure(self, vector: ArrayLike) -> tuple[int, ...]:
        """New qubits in the pure state ``vector`` (normalised here)."""
        psi = np.asarray(vector, dtype=np.complex128).ravel()
        norm = np.linalg.norm(psi)
        if norm == 0:
            raise ProtocolError("a register state vector must not be zero")
        psi = psi / norm
        return self.add(np.outer(psi, psi.conj()))

    def _block(self, qubit: int) -> _Block:
        try:
            return self._block_of[qubit]
        except KeyError:
            raise ProtocolError(f"qubit {qubit} is not in the register (measured or "
                                f"discarded?)") from None

    def _merged(self, qubits: tuple[int, ...]) -> _Block:
        """One block holding every qubit of ``qubits`` (merging their blocks)."""
        blocks: list[_Block] = []
        for q in qubits:
            block = self._block(q)
            if all(block is not b for b in blocks):
                blocks.append(block)
        if len(blocks) == 1:
            return blocks[0]
        ids = [q for b in blocks for q in b.ids]
        rho = blocks[0].rho
        for b in blocks[1:]:
            rho = np.asarray(np.kron(rho, b.rho), dtype=np.complex128)
        merged = _Block(ids, rho)
        for q in ids:
            self._block_of[q] = merged
        return merged

    def apply(self, op: ArrayLike, *qubits: int) -> None:
        """``ρ -> U ρ U†`` with ``U = op`` on ``qubits`` (the first the most significant).

        Raises:
            ProtocolError: a repeated qubit, or ``op`` not ``2^m x 2^m`` for m qubits.
        """
        self.apply_kraus([np.asarray(op, dtype=np.complex128)], *qubits)

    def apply_kraus(self, kraus: list[ComplexArray], *qubits: int) -> None:
        """``ρ -> Σ_k K_k ρ K_k†`` on ``qubits`` (trace-preserving when ``Σ K†K = I``)."""
        if len(set(qubits)) != len(qubits) or not qubits:
            raise ProtocolError(f"an operation needs distinct qubits, got {qubits}")
        dim = 1 << len(qubits)
        for k in kraus:
            if k.shape != (dim, dim):
                raise ProtocolError(f"an operator on {len(qubits)} qubit(s) must be "
                                    f"{dim}x{dim}, got {k.shape}")
        block = self._merged(qubits)
        n = len(block.ids)
        if len(qubits) == 1:
            block.rho = _one_qubit_kraus(block.rho, kraus, n, block.ids.index(qubits[0]))
            return
        rows = [block.ids.index(q) for q in qubits]
        cols = [n + r for r in rows]
        tensor = block.rho.reshape((2,) * (2 * n))
        out = np.zeros_like(tensor)
        for k in kraus:
            out += apply_to_axes(apply_to_axes(tensor, k, rows), k.conj(), cols)
        block.rho = out.reshape(1 << n, 1 << n)

    def depolarize(self, p: float, *qubits: int) -> None:
        """``ρ -> (1 - p) ρ + p (I/2^m ⊗ Tr_qubits ρ)``: depolarising of ``qubits`` together.

        The full twirl over the m-qubit Pauli group factors into single-qubit twirls
        (the group is their product), each ``Σ_P P ρ P / 4``.
        """
        if p <= 0:
            return
        block = self._merged(qubits)
        before = block.rho
        n = len(block.ids)
        twirl = [0.5 * P for P in PAULI_MATRICES]
        mixed = before
        for q in qubits:
            mixed = _one_qubit_kraus(mixed, twirl, n, block.ids.index(q))
        block.rho = (1 - p) * before + p * mixed

    def decay(self, qubit: int, waited_s: float, *, t1_s: float, t2_s: float) -> None:
        """Memory decay of ``qubit`` over ``waited_s`` seconds, exactly.

        Amplitude damping with ``γ = 1 - e^{-t/T1}`` (Nielsen and Chuang 2000, section
        8.3.5), then pure dephasing that brings the coherence from ``e^{-t/2T1}`` to
        ``e^{-t/T2}`` (:func:`~qinet.quantum.states.extra_dephasing`): the channel the
        density-matrix backend applies to a stored pair's qubit.
        """
        if waited_s <= 0:
            return
        gamma = -np.expm1(-waited_s / t1_s)
        damp = [np.array([[1, 0], [0, np.sqrt(1 - gamma)]], dtype=np.complex128),
                np.array([[0, np.sqrt(gamma)], [0, 0]], dtype=np.complex128)]
        if gamma > 0:
            self.apply_kraus(damp, qubit)
        p_z = float(extra_dephasing(np.array([waited_s]), t1_s, t2_s)[0])
        if p_z > 0:
            self.dephase(qubit, p_z)

    def dephase(self, qubit: int, p: float) -> None:
        """Phase flip of ``qubit`` with probability ``p``: its coherences (the entries
        whose row and column differ in the qubit's bit) scale by ``1 - 2p``."""
        block = self._block(qubit)
        n = len(block.ids)
        i = block.ids.index(qubit)
        a, b = 1 << i, 1 << (n - 1 - i)
        view = block.rho.reshape(a, 2, b, a, 2, b)  # a view: the block changes in place
        view[:, 0, :, :, 1, :] *= 1 - 2 * p
        view[:, 1, :, :, 0, :] *= 1 - 2 * p

    def measure(self, qubit: int, *, rng: np.random.Generator, basis: str = "z") -> int:
        """Measure ``qubit`` in ``basis`` (``"z"``, ``"x"`` or ``"y"``) and remove it.

        Outcome 0 is the +1 eigenstate. The outcome is drawn from ``rng`` with the Born
        probability and the rest of the block is left in the conditional state.
        """
        try:
            rotation = BASES[basis]
        except KeyError:
            raise ProtocolError(f"unknown measurement basis {basis!r}; use one of "
                                f"{sorted(BASES)}") from None
        if basis != "z":
            self.apply(rotation, qubit)
        block = self._block(qubit)
        n = len(block.ids)
        i = block.ids.index(qubit)
        tensor = block.rho.reshape((2,) * (2 * n))
        p0 = float(np.real(np.trace(self._slice(tensor, n, i, 0).reshape(
            1 << (n - 1), 1 << (n - 1))))) if n > 1 else float(np.real(tensor[0, 0]))
        p0 = min(max(p0, 0.0), 1.0)
        outcome = int(rng.random() >= p0)
        p = p0 if outcome == 0 else 1.0 - p0
        if n == 1:
            del self._block_of[qubit]
            return outcome
        if p <= 0:
            raise ProtocolError(f"qubit {qubit} measured an outcome of zero probability")
        rest = self._slice(tensor, n, i, outcome).reshape(1 << (n - 1), 1 << (n - 1)) / p
        self._remove(block, qubit, rest)
        return outcome

    @staticmethod
    def _slice(tensor: ComplexArray, n: int, i: int, value: int) -> ComplexArray:
        """``<value|_i ρ |value>_i``: the block with qubit ``i`` projected and removed."""
        index: list[int | slice] = [slice(None)] * (2 * n)
        index[i] = index[n + i] = value
        return tensor[tuple(index)]

    def _remove(self, block: _Block, qubit: int, rest: ComplexArray) -> None:
        del self._block_of[qubit]
        block.ids = [q for q in block.ids if q != qubit]
        block.rho = rest

    def discard(self, qubit: int) -> None:
        """Trace ``qubit`` out of the register."""
        block = self._block(qubit)
        n = len(block.ids)
        if n == 1:
            del self._block_of[qubit]
            return
        i = block.ids.index(qubit)
        tensor = block.rho.reshape((2,) * (2 * n))
        rest = (self._slice(tensor, n, i, 0) + self._slice(tensor, n, i, 1)).reshape(
            1 << (n - 1), 1 << (n - 1))
        self._remove(block, qubit, rest)

    def reduced(self, *qubits: int) -> ComplexArray:
        """The joint state of ``qubits`` in that order, every other qubit traced out.

        Reading it is the simulator's privilege (no physical node can), for checks and
        metrics; the register is left unchanged.
        """
        blocks: list[_Block] = []
        for q in qubits:
            block = self._block(q)
            if all(block is not b for b in blocks):
                blocks.append(block)
        ids = [q for b in blocks for q in b.ids]
        rho = blocks[0].rho
        for b in blocks[1:]:
            rho = np.asarray(np.kron(rho, b.rho), dtype=np.complex128)
        n = len(ids)
        tensor = rho.reshape((2,) * (2 * n))
        keep = [ids.index(q) for q in qubits]
        letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        if 2 * n > len(letters):
            raise ProtocolError(f"reduced state over {n} qubits is too large to read")
        rows = list(letters[:n])
        cols = list(letters[n:2 * n])
        for j in range(n):
            if j not in keep:
                cols[j] = rows[j]  # traced out
        out = "".join(rows[j] for j in keep) + "".join(cols[j] for j in keep)
        reduced = np.einsum("".join(rows) + "".join(cols) + "->" + out, tensor)
        m = len(qubits)
        return np.asarray(reduced, dtype=np.complex128).reshape(1 << m, 1 << m)

    def fidelity(self, psi: ArrayLike, *qubits: int) -> float:
        """``<ψ|ρ|ψ>`` of the reduced state of ``qubits`` with the pure state ``psi``."""
        vector = np.asarray(psi, dtype=np.complex128).ravel()
        vector = vector / np.linalg.norm(vector)
        return float(np.real(vector.conj() @ self.reduced(*qubits) @ vector))
