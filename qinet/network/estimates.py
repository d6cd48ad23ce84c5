"""What a path can deliver, in closed form: pair rate, fidelity and latency of a demand.

The figures admission control needs before a demand runs, from the same numbers the
network itself uses: each link's expected pair rate (the renewal rate of
:func:`qinet.link.model.expected_pair_rate_hz`, as on the graph's edges), the Bell
weights of its heralded state, its memories' T1/T2 and the repeaters' operations.

* Fidelity. Pauli channels commute and a noisy Bell-state measurement turns two
  Bell-diagonal pairs into their XOR convolution followed by the measurement's own Pauli
  noise (:meth:`~qinet.quantum.bell_diagonal.BellDiagonalBackend.swap`), so the
  end-to-end weights do not depend on the order of the swaps. For Werner links without
  gate noise this is ``F = 1/4 + 3/4 prod_i (4 F_i - 1)/3`` (Dür, Briegel, Cirac and
  Zoller, PRA 59, 169 (1999)). Memory decay is counted over the waits no run can avoid:
  each link pair's qubits from their storage until both nodes know the pair, and, on a
  path of several links, the path ends' qubits until the last swap outcome has reached
  the farther end (``max_k max(d_k, D - d_k)``, ``d_k`` the delay from the first node
  to repeater ``k``). A pair that waits longer for a slower link decays more, so this
  is an upper bound on the delivered fidelity (exact for one link).
* Rate. Every end-to-end pair takes one pair of every link and a swap at each repeater
  succeeds with ``s_k``: the path delivers at most ``min_i r_i * prod_k s_k`` pairs per
  second. Exact for one link; with several, the memories that hold a pair waiting for a
  slower link do not try meanwhile, so it is an upper bound.
* Latency at low load: a request that finds its links idle (parked, as a demand with
  a request rate leaves them between requests) has one memory pair of each link start
  for it. Link ``i`` then knows its pair ``X_i = h_i + (K_i - 1) T_i`` later (``K_i``
  geometric with the attempt's success probability ``p_i``, ``T_i`` the attempt period,
  ``h_i`` from an attempt's start until both nodes know its pair), the repeaters swap
  as soon as both sides have a pair, and the outcome reaches the farther end after the
  delay above: ``latency = E[max_i X_i] + max_k max(d_k, D - d_k)``. For one link this is
  ``h + (1/p - 1) T``; for several, ``E[max_i X_i] = integral_0^inf (1 - prod_i F_i(t))
  dt`` with the step distribution functions ``F_i``, summed over the steps exactly.
  Requests that arrive while earlier ones wait add queueing on top.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qinet.errors import ConfigError
from qinet.link.heralded_link import HeraldedLink
from qinet.network.policy import NodeOperations
from qinet.physical.memories import QuantumMemory
from qinet.quantum.bell_diagonal import BellDiagonalBackend

_BACKEND = BellDiagonalBackend()


@dataclass(frozen=True, slots=True)
class LinkFigures:
    """One link as the estimator sees it, oriented along the path.

    Attributes:
        rate_hz: expected pairs per second of the whole link.
        bell_weights: Bell weights (Φ+, Ψ+, Ψ-, Φ-) of its heralded state.
        stored_wait_s: per end (path order), how long its qubit is stored before both
            nodes know the pair.
        delay_s: one-way classical delay between its nodes.
        success_probability: of one attempt of one memory pair.
        period_s: between two attempts of one memory pair.
        herald_s: from an attempt's start until both nodes know its pair.
    """

    rate_hz: float
    bell_weights: tuple[float, float, float, float]
    stored_wait_s: tuple[float, float]
    delay_s: float
    success_probability: float = 1.0
    period_s: float = 0.0
    herald_s: float = 0.0


@dataclass(frozen=True, slots=True)
class PathEstimate:
    """What a path can deliver (see the module docstring for each bound).

    Attributes:
        path: node names, first to last.
        rate_hz: most end-to-end pairs per second.
        fidelity: fidelity to Φ+ of a delivered pair, at best.
        latency_s: mean time from a request to its pair at low load.
        bottleneck: the name of the slowest link, ``"a-b"``.
    """

    path: tuple[str, ...]
    rate_hz: float
    fidelity: float
    latency_s: float
    bottleneck: str

    @property
    def route(self) -> str:
        """The path as ``a-r1-b``."""
        return "-".join(self.path)


def werner_swap_fidelity(fidelities: Sequence[float]) -> float:
    """Fidelity of a chain of Werner pairs joined by ideal swaps:
    ``1/4 + 3/4 prod_i (4 F_i - 1)/3`` (Dür et al., PRA 59, 169 (1999)).

    Examples:
        >>> round(werner_swap_fidelity([0.9, 0.9]), 6)
        0.813333
    """
    if not fidelities:
        raise ConfigError("fidelities", "needs at least one link")
    return 0.25 + 0.75 * math.prod((4.0 * f - 1.0) / 3.0 for f in fidelities)


def swapped_weights(links: Sequence[NDArray[np.float64]],
                    operations: Sequence[NodeOperations]) -> NDArray[np.float64]:
    """Bell weights of the pair made by swapping ``links`` at the repeaters between them.

    Args:
        links: per link, a ``(1, 4)`` Bell-diagonal state (as the link delivers it).
        operations: per repeater (``len(links) - 1`` of them), its operations.
    """
    if len(operations) != len(links) - 1:
        raise ConfigError("operations", f"needs one per repeater ({len(links) - 1}), got "
                                        f"{len(operations)}")
    state = links[0]
    rng = np.random.default_rng(0)  # unused by the Bell-diagonal swap
    for right, ops in zip(links[1:], operations, strict=True):
        state = _BACKEND.swap(state, right, rng=rng, gate_depolarizing=ops.gate_depolarizing,
                              measurement_error=ops.measurement_error)
    return state


def estimate_path(path: Sequence[str], links: Sequence[LinkFigures],
                  memories: Sequence[QuantumMemory],
                  operations: Sequence[NodeOperations]) -> PathEstimate:
    """Rate, fidelity and latency of ``path`` (see the module docstring).

    Args:
        path: node names along the path.
        links: per link along the path, its figures.
        memories: per node along the path, its memory physics.
        operations: per node along the path, its operations (the ends' are unused).

    Raises:
        ConfigError: the lengths do not match the path.
    """
    n = len(path) - 1
    if n < 1 or len(links) != n or len(memories) != n + 1 or len(operations) != n + 1:
        raise ConfigError("path", f"needs {n} links and {n + 1} nodes' memories and "
                                  f"operations, got {len(links)}, {len(memories)}, "
                                  f"{len(operations)}")
    states = []
    for k, link in enumerate(links):
        state = _BACKEND.from_bell_weights(np.asarray(link.bell_weights, dtype=float))
        for qubit, memory in enumerate((memories[k], memories[k + 1])):
            state = _BACKEND.memory_decay(state, link.stored_wait_s[qubit], t1_s=memory.t1_s,
                                          t2_s=memory.t2_s, qubit=qubit)
        states.append(state)
    repeaters = operations[1:-1]
    end_to_end = swapped_weights(states, repeaters)
    cumulative = np.concatenate([[0.0], np.cumsum([link.delay_s for link in links])])
    total = float(cumulative[-1])
    # the last swap outcome reaches the farther end this long after the swap
    outcome_s = max((max(float(d), total - float(d)) for d in cumulative[1:-1]), default=0.0)
    if outcome_s > 0:
        for qubit, memory in ((0, memories[0]), (1, memories[-1])):
            end_to_end = _BACKEND.memory_decay(end_to_end, outcome_s, t1_s=memory.t1_s,
                                               t2_s=memory.t2_s, qubit=qubit)
    swaps = math.prod(ops.swap_success for ops in repeaters)
    slowest = min(range(n), key=lambda i: links[i].rate_hz)
    rate_hz = links[slowest].rate_hz * swaps
    latency_s = idle_latency_s(links) + outcome_s
    return PathEstimate(tuple(path), rate_hz, float(_BACKEND.fidelity(end_to_end)[0]),
                        latency_s, f"{path[slowest]}-{path[slowest + 1]}")


def idle_latency_s(links: Sequence[LinkFigures], *, tail: float = 1e-12) -> float:
    """``E[max_i X_i]``, ``X_i = h_i + (K_i - 1) T_i``, ``K_i ~ Geometric(p_i)`` on 1, 2, ...

    The expectation is ``integral_0^inf (1 - F(t)) dt`` with ``F = prod_i F_i`` a step
    function, summed step by step; each link's steps are cut where ``(1 - p_i)^k`` falls
    below ``tail``.

    Examples:
        >>> link = LinkFigures(1.0, (1, 0, 0, 0), (0, 0), 0.0, 0.25, 1e-3, 2e-3)
        >>> round(idle_latency_s([link]), 12)  # h + (1/p - 1) T
        0.005
        >>> round(idle_latency_s([link, link]) * 1e3, 6)  # E[max of two] in ms
        6.714286
    """
    if any(not 0 < link.success_probability <= 1 for link in links):
        return math.inf
    if len(links) == 1:
        link = links[0]
        return link.herald_s + (1.0 / link.success_probability - 1.0) * link.period_s
    grids = []
    for link in links:
        q = 1.0 - link.success_probability
        steps = 1 if q == 0 else min(10**6, math.ceil(math.log(tail) / math.log(q)) + 1)
        grids.append(link.herald_s + link.period_s * np.arange(steps))
    times = np.unique(np.concatenate(grids))
    done = np.ones_like(times)
    for link in links:
        q = 1.0 - link.success_probability
        if link.period_s > 0:
            k = np.floor((times - link.herald_s) / link.period_s + 1e-9)
        else:
            k = np.where(times >= link.herald_s, 0.0, -1.0)
        done *= np.where(k >= 0, 1.0 - q ** (np.maximum(k, 0.0) + 1.0), 0.0)
    # 1 - F is 1 up to the first step, then constant between steps
    return float(times[0] + np.sum((1.0 - done[:-1]) * np.diff(times)))


def link_figures(link: HeraldedLink, *, rate_hz: float, delay_ps: int,
                 forward: bool) -> LinkFigures:
    """The figures of ``link`` as a path crosses it (``forward``: from its node a to b).

    Each qubit is stored from ``timing.stored_ps`` of its node until both nodes know the
    pair (``timing.delivered_ps``).
    """
    model = link.model
    timing = model.timing
    weights = _BACKEND.from_density_matrix(model.heralded_state, 1)[0]
    waits = tuple((timing.delivered_ps - t) * 1e-12 for t in timing.stored_ps)
    wait_a, wait_b = waits if forward else waits[::-1]
    w0, w1, w2, w3 = (float(w) for w in weights)
    return LinkFigures(rate_hz, (w0, w1, w2, w3), (wait_a, wait_b), delay_ps * 1e-12,
                       success_probability=float(model.success_probability),
                       period_s=timing.period_ps * 1e-12, herald_s=timing.delivered_ps * 1e-12)
