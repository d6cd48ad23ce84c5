"""GHZ states over k nodes, fused from k - 1 delivered Bell pairs along a tree.

The pairs lie on the edges of a tree over the nodes (a *star* from node 0, a *chain*
0-1-...-(k-1), or any tree given as edges). Each edge ``(u, v)`` (parent u) holds a pair,
one qubit at each end. The root keeps the qubit of its first edge as its GHZ qubit;
every other node keeps the qubit of the edge to its parent. A node u fuses each further
edge ``(u, v)`` into the state: ``CX`` from its GHZ qubit to the edge's qubit at u,
a Z measurement of that qubit with outcome m, and ``X^m`` on the qubit at v (sent as m
over the classical network). Edges are fused parent before child, so every correction
lands before the qubit it corrects is used. This is the fusion of Bell pairs into GHZ
states of de Bone et al. 2020 ("Protocols for creating and distilling multipartite GHZ
states with Bell pairs", IEEE TQE 1, 1-10), written with one CX and one measurement per
fused pair.

Fidelity with Bell-diagonal pairs. Pair j carries a Pauli error on its child end with
probabilities ``(w0, w1, w2, w3)`` = (I, X, Y, Z) = its Bell weights (Φ+, Ψ+, Ψ-, Φ-).
An X component on the child end of edge ``(u, v)`` flips v's whole subtree (the fusions
copy it); these subtree flips are linearly independent and never include the root, so
the output is orthogonal to the GHZ state unless no pair has one. Z components stay
where they are, and an even number of them is a GHZ stabilizer. Hence, for any tree,

    F_GHZ = [ Π_j (w0_j + w3_j) + Π_j (w0_j - w3_j) ] / 2,

which for k - 1 Werner pairs of fidelity F is
``[((2F + 1)/3)^(k-1) + ((4F - 1)/3)^(k-1)] / 2`` (and F itself for k = 2).

Examples:
    >>> round(ghz_fidelity_closed_form(3, pair_fidelity=0.9), 6)
    0.811111
    >>> result = simulate_ghz(1000, pair_fidelity=1.0)
    >>> result.fidelity, result.pairs_used, result.backend
    (1.0, 999, 'stabilizer')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from qinet.errors import ConfigError
from qinet.quantum.circuit import Circuit
from qinet.quantum.stabilizer import choose_simulator
from qinet.quantum.states import werner_weights

FloatArray = NDArray[np.float64]
TOPOLOGIES: tuple[str, str] = ("star", "chain")
"""The named trees; any other tree is given as its edges."""


@dataclass(frozen=True, slots=True)
class GhzFusion:
    """The fusion circuit of a GHZ state over ``n_nodes`` nodes.

    ``ghz_qubits[i]`` is the circuit qubit that holds node i's share; ``edges`` the
    tree, parent first, in fusion order.
    """

    circuit: Circuit
    n_nodes: int
    edges: tuple[tuple[int, int], ...]
    ghz_qubits: tuple[int, ...]

    @property
    def pairs_used(self) -> int:
        """One pair per edge: ``n_nodes - 1``."""
        return len(self.edges)

    def stabilizer_generators(self) -> list[dict[int, str]]:
        """``X...X`` and ``Z_i Z_(i+1)`` on the GHZ qubits: their common +1 eigenstate is
        the GHZ state, so the probability that all measure +1 is the fidelity."""
        g = self.ghz_qubits
        return [dict.fromkeys(g, "X")] + [{g[i]: "Z", g[i + 1]: "Z"} for i in range(len(g) - 1)]


@dataclass(frozen=True, slots=True)
class GhzResult:
    """A simulated GHZ state: its fidelity (with its standard error over ``shots``; 0
    when exact) beside the closed form, and the pairs it used."""

    n_nodes: int
    pairs_used: int
    fidelity: float
    fidelity_std_error: float
    fidelity_closed_form: float
    shots: int
    backend: str


def tree_edges(n_nodes: int, topology: str | Sequence[tuple[int, int]]) -> tuple[
        tuple[int, int], ...]:
    """The edges of the tree, parent first, ordered so every parent is reached first.

    Raises:
        ConfigError: fewer than 2 nodes (field ``n_nodes``), an unknown name or edges
            that do not form a tree over ``0 .. n_nodes - 1`` grown from node 0 (field
            ``topology``).

    Examples:
        >>> tree_edges(4, "star"), tree_edges(3, "chain")
        (((0, 1), (0, 2), (0, 3)), ((0, 1), (1, 2)))
    """
    if not isinstance(n_nodes, int) or isinstance(n_nodes, bool) or n_nodes < 2:
        raise ConfigError("n_nodes", f"a GHZ state needs at least 2 nodes, got {n_nodes!r}")
    if isinstance(topology, str):
        if topology == "star":
            return tuple((0, j) for j in range(1, n_nodes))
        if topology == "chain":
            return tuple((j - 1, j) for j in range(1, n_nodes))
        raise ConfigError("topology", f"unknown topology {topology!r}; use one of "
                          f"{TOPOLOGIES} or a list of (parent, child) edges")
    edges = tuple((int(u), int(v)) for u, v in topology)
    reached = {0}
    for u, v in edges:
        if u not in reached or v in reached or not 0 <= v < n_nodes:
            raise ConfigError("topology", f"edge ({u}, {v}): edges must grow a tree from "
                              f"node 0 over nodes 0..{n_nodes - 1}, parent first")
        reached.add(v)
    if len(reached) != n_nodes:
        raise ConfigError("topology", f"the edges reach {len(reached)} of {n_nodes} nodes")
    return edges


def _pair_weights(n_pairs: int, pair_weights: ArrayLike | None,
                  pair_fidelity: float | None) -> FloatArray:
    """``(n_pairs, 4)`` Bell weights from one row, one row per pair, or a Werner F."""
    if (pair_weights is None) == (pair_fidelity is None):
        raise ConfigError("pair_weights", "give exactly one of pair_weights and pair_fidelity")
    w = (werner_weights(float(pair_fidelity)) if pair_fidelity is not None
         else np.asarray(pair_weights, dtype=np.float64))
    w = np.broadcast_to(w, (n_pairs, 4)) if w.shape == (4,) else w
    if w.shape != (n_pairs, 4) or (w < 0).any() or not np.allclose(w.sum(axis=1), 1.0):
        raise ConfigError("pair_weights", f"need one row of 4 Bell weights or {n_pairs} rows, "
                          f"each summing to 1, got shape {w.shape}")
    return np.asarray(w, dtype=np.float64)


def ghz_fusion(n_nodes: int, *, topology: str | Sequence[tuple[int, int]] = "star",
               pair_weights: ArrayLike | None = None,
               pair_fidelity: float | None = None) -> GhzFusion:
    """The circuit that fuses ``n_nodes - 1`` Bell pairs into a GHZ state (see the
    module docstring); edge j's pair has the Bell weights of row j.

    Raises:
        ConfigError: see :func:`tree_edges`, and weights that are not Bell weights
            (field ``pair_weights``).
    """
    edges = tree_edges(n_nodes, topology)
    weights = _pair_weights(len(edges), pair_weights, pair_fidelity)
    circuit = Circuit(2 * len(edges))
    ghz: dict[int, int] = {}
    for j, ((_, _), w) in enumerate(zip(edges, weights, strict=True)):
        circuit.bell_pair(2 * j, 2 * j + 1, w.tolist())
    for j, (u, v) in enumerate(edges):
        at_u, at_v = 2 * j, 2 * j + 1
        ghz[v] = at_v
        if u not in ghz:  # the root keeps its first edge's qubit
            ghz[u] = at_u
            continue
        circuit.append("cx", ghz[u], at_u).append("m", at_u).append("cx", at_u, at_v)
    return GhzFusion(circuit, n_nodes, edges, tuple(ghz[i] for i in range(n_nodes)))


def ghz_fidelity_closed_form(n_nodes: int, *, pair_weights: ArrayLike | None = None,
                             pair_fidelity: float | None = None) -> float:
    """``[Π(w0 + w3) + Π(w0 - w3)]/2``: the GHZ fidelity from ``n_nodes - 1`` fused
    Bell-diagonal pairs, for any tree (derived in the module docstring).

    Examples:
        >>> ghz_fidelity_closed_form(2, pair_weights=[0.7, 0.1, 0.1, 0.1])
        0.7
    """
    if not isinstance(n_nodes, int) or isinstance(n_nodes, bool) or n_nodes < 2:
        raise ConfigError("n_nodes", f"a GHZ state needs at least 2 nodes, got {n_nodes!r}")
    w = _pair_weights(n_nodes - 1, pair_weights, pair_fidelity)
    even = float(np.prod(w[:, 0] + w[:, 3]))
    odd = float(np.prod(w[:, 0] - w[:, 3]))
    return round((even + odd) / 2, 15)


def simulate_ghz(n_nodes: int, *, topology: str | Sequence[tuple[int, int]] = "star",
                 pair_weights: ArrayLike | None = None, pair_fidelity: float | None = None,
                 shots: int = 10_000, rng: np.random.Generator | None = None,
                 backend: str = "auto") -> GhzResult:
    """Fuse the pairs and measure the GHZ fidelity (stim for any size: the circuit is
    Clifford; exact when the pairs are perfect, else from ``shots`` samples).

    Args:
        n_nodes: k, at least 2.
        topology: "star", "chain" or the tree's (parent, child) edges.
        pair_weights: Bell weights ``(4,)`` for every pair or ``(k - 1, 4)``.
        pair_fidelity: Werner fidelity F of every pair (instead of ``pair_weights``).
        shots: samples when the pairs are noisy.
        rng: the generator that seeds the sampler (needed when the pairs are noisy).
        backend: "auto", "stabilizer" or "density-matrix" (at most 6 nodes).
    """
    fusion = ghz_fusion(n_nodes, topology=topology, pair_weights=pair_weights,
                        pair_fidelity=pair_fidelity)
    sim = choose_simulator(fusion.circuit, backend)
    # Fidelity = the probability that undoing an ideal GHZ preparation (H, then a CX
    # chain) brings every GHZ qubit back to 0: single-qubit Z checks, which stim answers
    # faster than the k-body generators of stabilizer_generators (same number).
    check = Circuit(fusion.circuit.n_qubits).extend(fusion.circuit)
    g = fusion.ghz_qubits
    for i in range(len(g) - 2, -1, -1):
        check.append("cx", g[i], g[i + 1])
    check.append("h", g[0])
    est = sim.projector_probability(check, [{q: "Z"} for q in g], shots=shots, rng=rng)
    return GhzResult(n_nodes, fusion.pairs_used, est.value, est.std_error,
                     ghz_fidelity_closed_form(n_nodes, pair_weights=pair_weights,
                                              pair_fidelity=pair_fidelity),
                     est.shots, est.backend)

