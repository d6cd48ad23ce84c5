"""Link-level Bell pairs: where they live and since when, their state computed on demand."""

from __future__ import annotations

from typing import Final, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend, States


class LinkPair(NamedTuple):
    """A heralded pair in two memories.

    The state is not stored here: every pair of a link starts in the link's heralded
    state and decoheres in its memories from ``stored_*_ps`` on, so it is computed when
    read (:func:`pair_states`), exactly, for any number of pairs at once.

    Immutable, and a named tuple rather than a frozen dataclass: links make one per
    heralded pair, and a named tuple is built several times faster.

    Attributes:
        link: the link's name.
        memory_pair: index of the memory pair on the link.
        slot_a: memory slot at node a.
        slot_b: memory slot at node b.
        requested_ps: when this memory pair started trying for this pair.
        stored_a_ps: when qubit a began to live in its memory.
        stored_b_ps: when qubit b began to live in its memory.
        delivered_ps: when both nodes knew the pair.
        attempts: attempts this pair took.
    """

    link: str
    memory_pair: int
    slot_a: int
    slot_b: int
    requested_ps: int
    stored_a_ps: int
    stored_b_ps: int
    delivered_ps: int
    attempts: int


# LinkPair's fields by position, for code that runs once per pair: a tuple's index is
# cheaper than a named tuple's attribute (a descriptor call). Literal values, so that type
# checkers know each field's type; a test checks them against the field names.
LINK: Final = 0
MEMORY_PAIR: Final = 1
SLOT_A: Final = 2
SLOT_B: Final = 3
REQUESTED_PS: Final = 4
STORED_A_PS: Final = 5
STORED_B_PS: Final = 6


def pair_states(
    backend: QuantumBackend,
    heralded_state: ArrayLike,
    *,
    waited_a_s: ArrayLike,
    waited_b_s: ArrayLike,
    memory_a: QuantumMemory,
    memory_b: QuantumMemory,
) -> States:
    """States of pairs born in ``heralded_state`` after their qubits waited in memory.

    Args:
        backend: the formalism to hold the states in.
        heralded_state: 4x4 density matrix right after heralding.
        waited_a_s: per pair, seconds qubit a spent in its memory, shape (N,).
        waited_b_s: the same for qubit b.
        memory_a: physics of a's memory (T1, T2).
        memory_b: physics of b's memory.

    Returns:
        The backend's batch of N states.
    """
    waited_a = np.asarray(waited_a_s, dtype=float)
    waited_b = np.asarray(waited_b_s, dtype=float)
    states = backend.from_density_matrix(heralded_state, waited_a.shape[0])
    states = backend.memory_decay(states, waited_a, t1_s=memory_a.t1_s, t2_s=memory_a.t2_s,
                                  qubit=0)
    return backend.memory_decay(states, waited_b, t1_s=memory_b.t1_s, t2_s=memory_b.t2_s,
                                qubit=1)
