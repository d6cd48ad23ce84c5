"""Swapped states computed when they are read, many at a time.

Nothing during a run reads the state of a swapped pair: swaps, cutoffs and delivery
depend on times and on the swap's success draw only, and purification works on link
pairs. So a swap records how to make its product, as a :class:`SwapNode` (the two input
states or nodes, the decay still owed on the two measured qubits, and the repeater's
operations), and a demand's delivered pairs are computed when the demand's log is read,
by :func:`resolve`: level by level from the link pairs up, with one ``memory_decay`` per
measured side and one ``swap`` per level and kind of node (memories and operations), on
the whole batch. The backend's formulas give a pair the same numbers alone or in a
batch (numpy's and Python's ``exp`` may differ in the last bit), so this is the state an
immediate swap would have made; pairs that die are never computed at all.

Examples:
    >>> import numpy as np
    >>> from qinet.network.policy import NodeOperations
    >>> from qinet.physical.memories import QuantumMemory
    >>> from qinet.quantum import make_backend
    >>> backend = make_backend("bell-diagonal")
    >>> werner = backend.from_bell_weights([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3])
    >>> memory = QuantumMemory(t1_s=np.inf, t2_s=1e9)
    >>> node = SwapNode(werner, werner, 0.0, 0.0, memory, memory, NodeOperations(), 1)
    >>> outer = SwapNode(node, werner, 0.0, 0.0, memory, memory, NodeOperations(), 2)
    >>> states = resolve(backend, np.random.default_rng(1), [node, werner, outer])
    >>> backend.fidelity(states).round(6).tolist()  # F1 F2 + (1 - F1)(1 - F2)/3
    [0.813333, 0.9, 0.738222]
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend

if TYPE_CHECKING:
    from qinet.network.policy import NodeOperations


class SwapNode(NamedTuple):
    """How to compute the pair a swap made.

    Attributes:
        left: the left input's state (a one-pair backend batch) or node; its qubit 1 is
            measured.
        right: the right input's state or node; its qubit 0 is measured.
        left_wait_s: decay owed on the left input's qubit 1 up to the swap.
        right_wait_s: decay owed on the right input's qubit 0 up to the swap.
        left_memory: the memory holding the left measured qubit.
        right_memory: the memory holding the right measured qubit.
        ops: the repeater's operations.
        height: swaps on the longest way down to a link pair (1 for two link pairs).
    """

    left: Any
    right: Any
    left_wait_s: float
    right_wait_s: float
    left_memory: QuantumMemory
    right_memory: QuantumMemory
    ops: NodeOperations
    height: int


def resolve(backend: QuantumBackend, rng: np.random.Generator, states: list[Any]) -> Any:
    """One batch holding ``states`` in order, every :class:`SwapNode` computed.

    Args:
        backend: the formalism of every state.
        rng: draws the measurement outcomes of backends that sample them.
        states: one-pair backend batches and nodes, in any mix.
    """
    if not states:
        return backend.concat([])
    # Every node has one parent (a product is swapped on once, or delivered once), so a
    # walk down from the states meets each node once; computed states are often shared.
    leaves: dict[int, Any] = {}
    levels: dict[int, list[SwapNode]] = defaultdict(list)
    stack = []
    for state in states:
        if type(state) is SwapNode:
            stack.append(state)
        else:
            leaves.setdefault(id(state), state)
    while stack:
        node = stack.pop()
        levels[node.height].append(node)
        for child in (node.left, node.right):
            if type(child) is SwapNode:
                stack.append(child)
            else:
                leaves.setdefault(id(child), child)
    values = backend.concat(list(leaves.values()))
    row = {key: i for i, key in enumerate(leaves)}  # id of a state or node -> row of values
    rows = len(row)
    for level in sorted(levels):
        kinds: dict[tuple[float, ...], list[SwapNode]] = defaultdict(list)
        for node in levels[level]:  # nodes that differ only in where they are go together
            lm, rm, ops = node.left_memory, node.right_memory, node.ops
            kinds[lm.t1_s, lm.t2_s, rm.t1_s, rm.t2_s, ops.gate_depolarizing,
                  ops.measurement_error].append(node)
        outputs = []
        for group in kinds.values():
            first = group[0]
            lm, rm, ops = first.left_memory, first.right_memory, first.ops
            left = backend.memory_decay(
                backend.take(values, [row[id(n.left)] for n in group]),
                np.array([n.left_wait_s for n in group]), t1_s=lm.t1_s, t2_s=lm.t2_s, qubit=1)
            right = backend.memory_decay(
                backend.take(values, [row[id(n.right)] for n in group]),
                np.array([n.right_wait_s for n in group]), t1_s=rm.t1_s, t2_s=rm.t2_s, qubit=0)
            outputs.append(backend.swap(left, right, rng=rng,
                                        gate_depolarizing=ops.gate_depolarizing,
                                        measurement_error=ops.measurement_error))
            row.update((id(node), rows + i) for i, node in enumerate(group))
            rows += len(group)
        values = backend.concat([values, *outputs])
    return backend.take(values, [row[id(state)] for state in states])
