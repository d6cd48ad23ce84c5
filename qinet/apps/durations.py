"""How long a node's local operations take, and what a stored qubit loses meanwhile.

A node program's gates and measurements act at once in its code, but on hardware each
takes time, and the node does one at a time: a single-qubit gate ``single_qubit_gate_s``,
a two-qubit gate ``two_qubit_gate_s``, a measurement ``measurement_s``. The runtime
(:mod:`qinet.apps.sdk`) keeps each node busy for them: an operation starts when the
program reaches it and the node is free, and ends its duration later; the program's
own clock (:attr:`~qinet.apps.sdk.NodeContext.now_ps`) moves to that end, its messages
leave then, and it resumes after a wait no earlier than then. Every qubit the node holds
decays in its memory (T1, T2) all the while, the operated ones included (the gate acts
at the end of its duration, on qubits decayed up to then); the gate's own error is the
node's ``gate_depolarizing``, apart from this.

All durations default to 0 (operations take no time, the runtime's behaviour without
this model). Typical figures, for orientation only: trapped ions take about 10 us for a
single-qubit gate, 100 us for a two-qubit gate and 100 us to 1 ms to read out; NV
centres about 0.1 us (electron) to 1 ms (nuclear spin) for gates and 10 us to read out.

A qubit that waits through operations of total duration ``t`` undergoes the memory
channel for ``t`` (Nielsen and Chuang 2010, §8.3.5-8.3.6): its coherence falls by
``e^{-t/T2}`` and its excited population by ``e^{-t/T1}``, so

* ``|+>`` keeps the fidelity ``(1 + e^{-t/T2})/2`` (:func:`plus_state_fidelity`);
* ``|1>`` keeps ``e^{-t/T1}``;
* a Werner pair of fidelity F, one half stored with ``T1 = T2`` on the stabilizer
  backend (whose decay is the Pauli twirl, here a depolarising channel of probability
  ``1 - e^{-t/T}`` to the fully mixed state ``I/2``), keeps
  ``1/4 + (F - 1/4) e^{-t/T}`` (:func:`werner_fidelity_after_depolarizing`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from qinet.errors import ConfigError


@dataclass(frozen=True, slots=True)
class OperationTimes:
    """Durations of a node's local operations, in seconds (each default 0: instantaneous).

    Attributes:
        single_qubit_gate_s: a single-qubit gate (Paulis, H, S, T, rotations, a matrix).
        two_qubit_gate_s: a two-qubit gate (CNOT, CZ, SWAP, a 4x4 matrix).
        measurement_s: a measurement in any basis.

    Raises:
        ConfigError: a negative or non-finite duration (the field named).

    Examples:
        >>> OperationTimes(two_qubit_gate_s=100e-6).duration_s(2)
        0.0001
        >>> OperationTimes(measurement_s=-1.0)
        Traceback (most recent call last):
        ...
        qinet.errors.ConfigError: measurement_s: must be a finite duration >= 0 s, got -1.0
    """

    single_qubit_gate_s: float = 0.0
    two_qubit_gate_s: float = 0.0
    measurement_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("single_qubit_gate_s", "two_qubit_gate_s", "measurement_s"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0.0):
                raise ConfigError(name, f"must be a finite duration >= 0 s, got {value}")

    def duration_s(self, qubits: int) -> float:
        """How long a gate on ``qubits`` qubits takes (three or more: as two-qubit)."""
        return self.single_qubit_gate_s if qubits == 1 else self.two_qubit_gate_s

    @property
    def instantaneous(self) -> bool:
        """Whether every operation takes no time."""
        return not (self.single_qubit_gate_s or self.two_qubit_gate_s or self.measurement_s)


INSTANTANEOUS = OperationTimes()
"""Operations that take no time (the default of every node)."""


def plus_state_fidelity(waited_s: float, *, t2_s: float) -> float:
    """Fidelity of ``|+>`` with itself after ``waited_s`` in a memory of coherence time T2.

    The coherence ``ρ_01`` falls to ``e^{-t/T2}/2`` whatever T1 (the amplitude damping
    part of T2 included), and ``<+|ρ|+> = 1/2 + Re ρ_01``.

    Examples:
        >>> round(plus_state_fidelity(1.0, t2_s=1.0), 6)
        0.68394
    """
    return 0.5 * (1.0 + math.exp(-waited_s / t2_s))


def werner_fidelity_after_depolarizing(fidelity: float, waited_s: float, *,
                                       t_s: float) -> float:
    """Fidelity of a Werner pair after one half depolarises for ``waited_s``.

    One half through ``ρ -> e^{-t/T} ρ + (1 - e^{-t/T}) I/2 ⊗ Tr_1 ρ`` scales the
    singlet-like part of a Werner pair by ``e^{-t/T}``: ``F -> 1/4 + (F - 1/4) e^{-t/T}``
    (Dür, Briegel, Cirac, Zoller, Phys. Rev. A 59, 169 (1999), for depolarising memory).

    Examples:
        >>> werner_fidelity_after_depolarizing(1.0, 0.0, t_s=1.0)
        1.0
    """
    return 0.25 + (fidelity - 0.25) * math.exp(-waited_s / t_s)
