"""A register of qubits in one stabilizer state on stim: one sampled trajectory.

The counterpart of :class:`qinet.apps.register.QubitRegister` (exact density matrices) for
programs made of Clifford gates, Pauli-basis measurements and Pauli noise: the joint
state of every qubit is one stabilizer tableau (``stim.TableauSimulator``; Aaronson and
Gottesman 2004, Phys. Rev. A 70, 052328; Gidney 2021, Quantum 5, 497), so thousands of
qubits cost ``O(n²)`` bits instead of ``4^n`` amplitudes.

Noise is a Pauli channel sampled once per use: the register holds one *trajectory* of
the noisy ensemble, the way hardware gives one outcome per run. Averaged over runs
(seeds), every measured statistic is that of the density matrix of the Pauli-noisy
program. Each noise source enters as a Pauli channel:

* a delivered pair with Bell weights ``(w_Φ+, w_Ψ+, w_Ψ-, w_Φ-)`` is ``Φ+`` followed by
  ``P_k = (I, X, Y, Z)_k`` on its second qubit drawn with ``w_k``: exact for a
  Bell-diagonal state (:meth:`~qinet.quantum.circuit.Circuit.bell_pair`);
* memory decay over ``t`` is the Pauli twirl of amplitude damping then dephasing: a
  channel with Pauli transfer diagonal ``(e^{-t/T2}, e^{-t/T2}, e^{-t/T1})`` has
  ``p_X = p_Y = (1 - e^{-t/T1})/4`` and ``p_Z = (1 - 2e^{-t/T2} + e^{-t/T1})/4``
  (the Pauli twirling approximation, Ghosh, Fowler and Geller 2012, Phys. Rev. A 86,
  062318). It is exact for pure dephasing (T1 = ∞); with finite T1 it keeps every
  Pauli expectation's decay but loses amplitude damping's pull towards ``|0>``;
* m-qubit depolarising of probability p: with probability p, a uniformly drawn
  m-qubit Pauli (the identity included), as the density-matrix register's twirl.

Randomness: every draw (noise, measurement outcomes, discards) is taken from numpy
generators, one uniform number per draw, never from stim's own generator, so a run is
reproduced by its seed whatever stim's version. A measurement draws its uniform number
``u`` from the caller's generator and reports ``u >= p0`` with ``p0`` in {0, ½, 1}, the
rule of the density-matrix register.

Examples:
    >>> import numpy as np
    >>> reg = TableauRegister(np.random.default_rng(1))
    >>> a, b = reg.add_bell((1.0, 0.0, 0.0, 0.0))
    >>> rng = np.random.default_rng(2)
    >>> m = reg.measure(a, rng=rng, basis="x"); m == reg.measure(b, rng=rng, basis="x")
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

import numpy as np
import stim
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ProtocolError

ComplexArray = NDArray[np.complex128]
_CLIFFORD_TOLERANCE = 1e-6


def decay_twirl(waited_s: float, *, t1_s: float, t2_s: float) -> tuple[float, float, float]:
    """``(p_X, p_Y, p_Z)`` of the Pauli twirl of memory decay over ``waited_s``.

    The decay (amplitude damping with ``γ = 1 - e^{-t/T1}``, then the dephasing that
    brings coherences to ``e^{-t/T2}``) has the Pauli transfer diagonal
    ``λ = (e^{-t/T2}, e^{-t/T2}, e^{-t/T1})``; the Pauli channel with that diagonal has
    ``p_I = (1 + λx + λy + λz)/4``, ``p_X = (1 + λx - λy - λz)/4``, ... (Nielsen and
    Chuang 2010, §8.3), hence ``p_X = p_Y = (1 - e^{-t/T1})/4`` and
    ``p_Z = (1 - 2e^{-t/T2} + e^{-t/T1})/4``, non-negative when ``T2 <= 2 T1``.

    Examples:
        >>> px, py, pz = decay_twirl(1.0, t1_s=float("inf"), t2_s=1.0)
        >>> (px, py, bool(abs(pz - (1 - np.exp(-1.0)) / 2) < 1e-15))
        (0.0, 0.0, True)
    """
    if waited_s <= 0:
        return 0.0, 0.0, 0.0
    relax = float(np.exp(-waited_s / t1_s))
    coherence = float(np.exp(-waited_s / t2_s))
    p_xy = (1.0 - relax) / 4.0
    return p_xy, p_xy, max((1.0 - 2.0 * coherence + relax) / 4.0, 0.0)


class _Block:
    """Qubits in one stabilizer state: ``sim`` over ``capacity`` stim qubits, ``index``
    of each qubit id, and the ``free`` stim qubits (in ``|0>``, unentangled)."""

    __slots__ = ("free", "index", "sim")

    def __init__(self, size: int) -> None:
        self.sim = stim.TableauSimulator()
        self.sim.set_num_qubits(size)
        self.index: dict[int, int] = {}
        self.free = list(range(size - 1, -1, -1))

    def slot(self) -> int:
        """A free stim qubit, the tableau doubled when none is left (amortised growth)."""
        if not self.free:
            capacity = self.sim.num_qubits
            self.sim.set_num_qubits(2 * capacity)
            self.free = list(range(2 * capacity - 1, capacity - 1, -1))
        return self.free.pop()


class TableauRegister:
    """Qubits by integer id in stabilizer states, by blocks (see the module docstring).

    Args:
        rng: the generator of the noise draws and of the discards' hidden outcomes.
    """

    name: str = "stabilizer"

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._ids = count()
        self._block_of: dict[int, _Block] = {}
        self._tableaus: dict[bytes, stim.Tableau | None] = {}

    def __len__(self) -> int:
        return len(self._block_of)

    def __contains__(self, qubit: object) -> bool:
        return qubit in self._block_of

    def _new(self, n: int) -> tuple[_Block, list[int]]:
        """A new block of ``n`` qubits in ``|0>``: the block and the stim qubits."""
        block = _Block(n)
        slots = []
        for _ in range(n):
            q = next(self._ids)
            slot = block.slot()
            block.index[q] = slot
            self._block_of[q] = block
            slots.append(slot)
        return block, slots

    def _ids_of(self, block: _Block, slots: list[int]) -> tuple[int, ...]:
        """The qubit ids at ``slots`` of ``block``."""
        owner = {slot: q for q, slot in block.index.items()}
        return tuple(owner[slot] for slot in slots)

    def _block(self, qubit: int) -> _Block:
        try:
            return self._block_of[qubit]
        except KeyError:
            raise ProtocolError(f"qubit {qubit} is not in the register (measured or "
                                f"discarded?)") from None

    def _merged(self, qubits: Sequence[int]) -> _Block:
        """One block holding every qubit of ``qubits``: the others' states are appended
        to the largest block's tableau (``C|0>`` with ``C`` the inverse of their inverse
        tableau, applied to free qubits of the largest)."""
        blocks: list[_Block] = []
        for q in qubits:
            block = self._block(q)
            if all(block is not b for b in blocks):
                blocks.append(block)
        if len(blocks) == 1:
            return blocks[0]
        base = max(blocks, key=lambda b: b.sim.num_qubits)
        for other in blocks:
            if other is base:
                continue
            live = sorted(set(other.index.values()))
            if not live:
                continue
            # the free qubits of ``other`` are |0> and unentangled: only the live ones
            # travel, through the tableau of ``other``'s whole state
            prepare = other.sim.current_inverse_tableau().inverse()
            targets = [base.slot() for _ in range(len(prepare))]
            base.sim.do_tableau(prepare, targets)
            keep = set(live)
            for stim_qubit, target in enumerate(targets):
                if stim_qubit not in keep:
                    base.free.append(target)
            for q, stim_qubit in other.index.items():
                base.index[q] = targets[stim_qubit]
                self._block_of[q] = base
        return base

    @staticmethod
    def _pauli(block: _Block, index: int, which: int) -> None:
        if which == 1:
            block.sim.x(index)
        elif which == 2:
            block.sim.y(index)
        elif which == 3:
            block.sim.z(index)

    def _draw(self, probs: Sequence[float]) -> int:
        """0 (none) or the index 1.. of the outcome drawn with ``probs``, one uniform draw."""
        u = self.rng.random()
        total = 0.0
        for k, p in enumerate(probs, start=1):
            total += p
            if u < total:
                return k
        return 0

    def add_bell(self, weights: ArrayLike) -> tuple[int, ...]:
        """Two new qubits in the Bell-diagonal state of ``weights`` (Φ+, Ψ+, Ψ-, Φ-),
        sampled: ``Φ+`` then ``P_k`` on the second qubit with probability ``w_k``."""
        w = np.asarray(weights, dtype=float).ravel()
        if w.shape != (4,):
            raise ProtocolError(f"Bell weights are four numbers, got shape {w.shape}")
        block, (ia, ib) = self._new(2)
        block.sim.h(ia)
        block.sim.cx(ia, ib)
        self._pauli(block, ib, self._draw(w[1:].tolist()))
        return self._ids_of(block, [ia, ib])

    def add_pure(self, vector: ArrayLike) -> tuple[int, ...]:
        """New qubits in the stabilizer state ``vector`` (first qubit most significant).

        Raises:
            ProtocolError: ``vector`` is not a stabilizer state (up to normalisation).
        """
        psi = np.asarray(vector, dtype=np.complex128).ravel()
        norm = float(np.linalg.norm(psi))
        n = psi.size.bit_length() - 1
        if norm == 0 or psi.size < 2 or 1 << n != psi.size:
            raise ProtocolError(f"a register state vector has 2^n non-zero amplitudes, "
                                f"got {psi.size}")
        zero = n == 1 and abs(psi[1]) == 0
        tableau = None if zero else self._state_tableau(psi / norm)
        block, slots = self._new(n)
        if tableau is not None:  # |0> is where fresh stim qubits are already
            block.sim.do_tableau(tableau, slots)
        return self._ids_of(block, slots)
    @staticmethod
    def _state_tableau(psi: ComplexArray) -> stim.Tableau:
        try:
            tableau = stim.Tableau.from_state_vector(psi, endian="big")
            back = np.asarray(tableau.to_state_vector(endian="big"), dtype=np.complex128)
            # stim's conversion alone does not refuse every non-stabilizer vector
            if abs(abs(np.vdot(back, psi)) - 1.0) < _CLIFFORD_TOLERANCE:
                return tableau
        except ValueError:
            pass
        raise ProtocolError("the stabilizer backend holds stabilizer states only, and "
                            f"{np.round(psi, 6).tolist()} is not one; run the program on "
                            f"the density-matrix backend")

    def _clifford(self, op: ComplexArray, label: str) -> stim.Tableau:
        """The tableau of the unitary ``op``, checked to be that unitary up to a phase
        (stim's conversion alone does not refuse every non-Clifford matrix)."""
        key = op.tobytes()
        if key not in self._tableaus:
            tableau: stim.Tableau | None = None
            try:
                candidate = stim.Tableau.from_unitary_matrix(op, endian="big")
                back = np.asarray(candidate.to_unitary_matrix(endian="big"),
                                  dtype=np.complex128)
                # |tr(U_T† op)| = dim iff equal up to a phase; stim's matrix is single
                # precision, hence the tolerance
                overlap = abs(np.vdot(back, op))
                if abs(overlap - op.shape[0]) < _CLIFFORD_TOLERANCE * op.shape[0]:
                    tableau = candidate
            except ValueError:
                pass
            self._tableaus[key] = tableau
        found = self._tableaus[key]
        if found is None:
            raise ProtocolError(f"{label} is not a Clifford gate: the stabilizer backend "
                                f"runs Clifford programs only (use backend='density-matrix',"
                                f" or 'auto' without declaring the programs Clifford)")
        return found

    def apply(self, op: ArrayLike, *qubits: int, label: str = "the gate") -> None:
        """``U = op`` on ``qubits`` (the first the most significant); U must be Clifford.

        Raises:
            ProtocolError: a repeated qubit, a wrong shape, or a non-Clifford ``op``.
        """
        if len(set(qubits)) != len(qubits) or not qubits:
            raise ProtocolError(f"an operation needs distinct qubits, got {qubits}")
        matrix = np.asarray(op, dtype=np.complex128)
        dim = 1 << len(qubits)
        if matrix.shape != (dim, dim):
            raise ProtocolError(f"an operator on {len(qubits)} qubit(s) must be "
                                f"{dim}x{dim}, got {matrix.shape}")
        tableau = self._clifford(matrix, label)
        block = self._merged(qubits)
        block.sim.do_tableau(tableau, [block.index[q] for q in qubits])

    def depolarize(self, p: float, *qubits: int) -> None:
        """With probability ``p``, a uniformly drawn Pauli on ``qubits`` (identity
        included): the sampled form of ``ρ -> (1 - p) ρ + p (I/2^m ⊗ Tr_qubits ρ)``."""
        if p <= 0 or self.rng.random() >= p:
            return
        for q in qubits:
            block = self._block(q)
            self._pauli(block, block.index[q], int(self.rng.integers(4)))

    def pauli_channel(self, qubit: int, probs: Sequence[float]) -> None:
        """``(p_X, p_Y, p_Z)`` on ``qubit``, sampled."""
        block = self._block(qubit)
        if sum(probs) > 0:
            self._pauli(block, block.index[qubit], self._draw(probs))

    def decay(self, qubit: int, waited_s: float, *, t1_s: float, t2_s: float) -> None:
        """Memory decay of ``qubit`` over ``waited_s`` seconds as its Pauli twirl
        (:func:`decay_twirl`), sampled."""
        self.pauli_channel(qubit, decay_twirl(waited_s, t1_s=t1_s, t2_s=t2_s))

    def dephase(self, qubit: int, p: float) -> None:
        """Phase flip of ``qubit`` with probability ``p``, sampled."""
        self.pauli_channel(qubit, (0.0, 0.0, p))

    def _collapse(self, qubit: int, u: float) -> int:
        """Z-measure ``qubit`` with the uniform draw ``u`` (outcome ``u >= p0``), remove
        it and return its stim qubit to ``|0>`` for reuse."""
        block = self._block(qubit)
        index = block.index.pop(qubit)
        del self._block_of[qubit]
        expectation = block.sim.peek_z(index)
        p0 = 0.5 if expectation == 0 else (1.0 if expectation > 0 else 0.0)
        outcome = int(u >= p0)
        if expectation == 0:
            block.sim.postselect_z(index, desired_value=bool(outcome))
        if outcome:
            block.sim.x(index)
        block.free.append(index)
        return outcome

    def measure(self, qubit: int, *, rng: np.random.Generator, basis: str = "z") -> int:
        """Measure ``qubit`` in ``basis`` (``"z"``, ``"x"`` or ``"y"``; 0 the +1
        eigenstate) and remove it, the outcome drawn from ``rng``."""
        if basis not in ("z", "x", "y"):
            raise ProtocolError(f"unknown measurement basis {basis!r}; use one of "
                                f"['x', 'y', 'z']")
        block = self._block(qubit)
        index = block.index[qubit]
        if basis == "y":  # the rotation H S† takes the Y basis to Z
            block.sim.s_dag(index)
        if basis != "z":
            block.sim.h(index)
        return self._collapse(qubit, rng.random())

    def discard(self, qubit: int) -> None:
        """Trace ``qubit`` out: measured with a hidden outcome (a non-selective
        measurement leaves the others' state the partial trace)."""
        self._block(qubit)
        self._collapse(qubit, self.rng.random())

    def reduced(self, *qubits: int) -> ComplexArray:
        """Refused: the register holds one sampled stabilizer state, not the density
        matrix of the ensemble.

        Raises:
            ProtocolError: always.
        """
        raise ProtocolError("the stabilizer backend keeps one sampled stabilizer state, "
                            "not the density matrix: read fidelity() with a stabilizer "
                            "target, or run on the density-matrix backend")

    def fidelity(self, psi: ArrayLike, *qubits: int) -> float:
        """``<ψ|ρ_traj|ψ>`` of ``qubits`` in this trajectory, for a stabilizer state ψ.

        It is the probability that every stabilizer generator ``g`` of ψ measures +1:
        each ``<g>`` is ±1 or 0, and a 0 halves the probability and is post-selected on
        a copy of the state (the register is unchanged). Its mean over runs is the
        fidelity of the Pauli-noisy ensemble (fidelity is linear in ρ).

        Raises:
            ProtocolError: ψ is not a stabilizer state of ``len(qubits)`` qubits.
        """
        vector = np.asarray(psi, dtype=np.complex128).ravel()
        if vector.size != 1 << len(qubits) or not qubits:
            raise ProtocolError(f"a state of {len(qubits)} qubit(s) has "
                                f"{1 << len(qubits)} amplitudes, got {vector.size}")
        generators = self._state_tableau(vector / np.linalg.norm(vector)).to_stabilizers()
        block = self._merged(qubits)  # the same state, one tableau
        targets = [block.index[q] for q in qubits]
        sim = block.sim.copy()
        prob = 1.0
        for g in generators:
            pauli = stim.PauliString(sim.num_qubits)
            for k, target in enumerate(targets):
                pauli[target] = g[k]
            pauli.sign = g.sign
            value = sim.peek_observable_expectation(pauli)
            if value < 0:
                return 0.0
            if value == 0:
                prob *= 0.5
                sim.postselect_observable(pauli, desired_value=False)
        return prob
