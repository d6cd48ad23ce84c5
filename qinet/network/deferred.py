"""Swapped states computed when they are read, many at a time.

Nothing during a run reads the state of a swapped pair: swaps, cutoffs and delivery
depend on times and on the swap's success draw only, and purification works on link
pairs. So a swap records how to make its product, as a swap node (:func:`swap_node`: the
two input states or nodes, the decay still owed on the two measured qubits, and the
repeater's kind), and a demand's delivered pairs are computed when the demand's log is
read, by :func:`resolve`: level by level from the link pairs up, with one
``memory_decay`` per measured side and one ``swap`` per level and kind of repeater, on
the whole batch. The backend's formulas give a pair the same numbers alone or in a
batch (numpy's and Python's ``exp`` may differ in the last bit), so this is the state an
immediate swap would have made; pairs that die are never computed at all.

A node is a plain tuple of numbers, shared kinds and its inputs, so the garbage collector
stops tracking it (it holds no container that could close a cycle), and a run that keeps
thousands of them until its log is read pays nothing for them in collections. A backend's
batch is an array, never a plain tuple, which is how the two are told apart.

Examples:
    >>> import numpy as np
    >>> from qinet.network.policy import NodeOperations
    >>> from qinet.physical.memories import QuantumMemory
    >>> from qinet.quantum import make_backend
    >>> backend = make_backend("bell-diagonal")
    >>> werner = backend.from_bell_weights([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3])
    >>> kind = repeater_kind(QuantumMemory(t1_s=np.inf, t2_s=1e9), NodeOperations())
    >>> node = swap_node(werner, werner, 0.0, 0.0, kind)
    >>> outer = swap_node(node, werner, 0.0, 0.0, kind)
    >>> states = resolve(backend, np.random.default_rng(1), [node, werner, outer])
    >>> backend.fidelity(states).round(6).tolist()  # F1 F2 + (1 - F1)(1 - F2)/3
    [0.813333, 0.9, 0.738222]
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from qinet.physical.memories import QuantumMemory
from qinet.quantum.backend import QuantumBackend

if TYPE_CHECKING:
    from qinet.network.policy import NodeOperations

RepeaterKind = tuple[float, float, float, float]
"""What a swap's state depends on at its repeater: ``(t1_s, t2_s)`` of the memories
holding the two measured qubits, then the gate depolarising and the measurement error."""

SwapNode = tuple[Any, Any, float, float, RepeaterKind, int]
"""``(left, right, left_wait_s, right_wait_s, kind, height)``: the left input's state
(a one-pair backend batch) or node, whose qubit 1 is measured; the right input's, whose
qubit 0 is measured; the decay owed on each measured qubit up to the swap; the
repeater's kind; and the swaps on the longest way down to a link pair."""

HEIGHT = 5
"""Index of the height in a :data:`SwapNode`."""


def repeater_kind(memory: QuantumMemory, ops: NodeOperations) -> RepeaterKind:
    """The kind of a repeater whose memories are ``memory`` and operations ``ops``."""
    return (memory.t1_s, memory.t2_s, ops.gate_depolarizing, ops.measurement_error)


def swap_node(left: Any, right: Any, left_wait_s: float, right_wait_s: float,
              kind: RepeaterKind) -> SwapNode:
    """The node of a swap of ``left`` and ``right`` (states or nodes) at a repeater."""
    h_left = left[HEIGHT] if type(left) is tuple else 0
    h_right = right[HEIGHT] if type(right) is tuple else 0
    return (left, right, left_wait_s, right_wait_s, kind,
            (h_left if h_left > h_right else h_right) + 1)


def resolve(backend: QuantumBackend, rng: np.random.Generator, states: list[Any]) -> Any:
    """One batch holding ``states`` in order, every swap node computed.

    Args:
        backend: the formalism of every state.
        rng: draws the measurement outcomes of backends that sample them.
        states: one-pair backend batches and swap nodes, in any mix.
    """
    if not states:
        return backend.concat([])
    # Every node has one parent (a product is swapped on once, or delivered once), so a
    # walk down from the states meets each node once; computed states are often shared.
    leaves: dict[int, Any] = {}
    levels: dict[int, list[SwapNode]] = defaultdict(list)
    stack = []
    for state in states:
        if type(state) is tuple:
            stack.append(state)
        else:
            leaves.setdefault(id(state), state)
    # the walk meets every swap of every delivered pair: locals bound, children unrolled
    push, pop, keep = stack.append, stack.pop, leaves.setdefault
    while stack:
        node = pop()
        levels[node[HEIGHT]].append(node)
        left, right = node[0], node[1]
        if type(left) is tuple:
            push(left)
        else:
            keep(id(left), left)
        if type(right) is tuple:
            push(right)
        else:
            keep(id(right), right)
    values = backend.concat(list(leaves.values()))
    row = {key: i for i, key in enumerate(leaves)}  # id of a state or node -> row of values
    rows = len(row)
    for level in sorted(levels):
        kinds: dict[RepeaterKind, list[SwapNode]] = defaultdict(list)
        for node in levels[level]:
            kinds[node[4]].append(node)
        outputs = []
        for (t1_s, t2_s, gate_depolarizing, measurement_error), group in kinds.items():
            left_rows = [row[id(n[0])] for n in group]
            right_rows = [row[id(n[1])] for n in group]
            decayed_left = backend.memory_decay(
                backend.take(values, left_rows),
                np.array([n[2] for n in group]), t1_s=t1_s, t2_s=t2_s, qubit=1)
            decayed_right = backend.memory_decay(
                backend.take(values, right_rows),
                np.array([n[3] for n in group]), t1_s=t1_s, t2_s=t2_s, qubit=0)
            outputs.append(backend.swap(decayed_left, decayed_right, rng=rng,
                                        gate_depolarizing=gate_depolarizing,
                                        measurement_error=measurement_error))
            row.update(zip(map(id, group), range(rows, rows + len(group)), strict=True))
            rows += len(group)
        values = backend.concat([values, *outputs])
    return backend.take(values, [row[id(state)] for state in states])
