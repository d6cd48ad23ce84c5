"""EPR sockets: the entangled pairs a network demand delivers to two nodes' programs.

An :class:`EprSocket` takes each pair at its delivery, keeps it when its fidelity is at
least the socket's minimum (asking the network for replacements of those it throws
away), puts its halves in the runtime's register and hands them to the two nodes'
programs in the same order. :class:`SocketRecord` is what it got.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from qinet.apps.program import EventQueue, Qubit
from qinet.network.manager import DemandRoute
from qinet.quantum.backend import QuantumBackend
from qinet.quantum.states import weights_to_density_matrix

if TYPE_CHECKING:  # the runtime opens the sockets: imported for annotations only
    from qinet.apps.runtime import AppRuntime


@dataclass(frozen=True, slots=True)
class SocketRecord:
    """What one EPR socket got from the network.

    Attributes:
        between: its two nodes (the first holds qubit 0 of every pair).
        path: the network path that serves it.
        requested: pairs asked for (kept pairs, at or above the minimum fidelity).
        delivered: pairs the network delivered to it (kept and discarded).
        discarded: of these, pairs thrown away below the socket's minimum fidelity
            (each replaced by a further pair).
        fidelity_mean: mean fidelity to Φ+ at delivery of the pairs kept (NaN: none).
        min_fidelity: the socket's minimum fidelity.
        delivered_fidelity_mean: mean fidelity to Φ+ at delivery of every pair
            delivered, discarded ones included (NaN: none).
    """

    between: tuple[str, str]
    path: tuple[str, ...]
    requested: int
    delivered: int
    discarded: int
    fidelity_mean: float
    min_fidelity: float = 0.0
    delivered_fidelity_mean: float = float("nan")

    @property
    def kept(self) -> int:
        """Pairs kept: delivered and not discarded."""
        return self.delivered - self.discarded

    @property
    def accepted_fraction(self) -> float:
        """Kept over delivered (NaN: none delivered): ``P(F >= F_min)`` of the pairs'
        fidelity distribution, in the mean."""
        return self.kept / self.delivered if self.delivered else float("nan")


class EprSocket:
    """Entangled pairs between two nodes, served by one network demand.

    The socket keeps ``pairs`` pairs at or above ``min_fidelity`` at delivery (the
    network knows each pair's state from its classical record: link heralds, swap
    outcomes, storage times). A pair below it is thrown away and counted in
    :attr:`discarded`, and replaced: the socket asks the network for ``pairs``, and
    when that demand has delivered them all with some thrown away, it asks for the
    missing number with a further demand between the same nodes (started at once, on
    links already running), and so on until ``pairs`` are kept.

    Cost of the threshold: deliveries are accepted independently with probability
    ``p = P(F >= F_min)``, so the ``n``-th kept pair waits for a negative binomial
    number of deliveries, ``n / p`` in the mean, and a half already held waits a
    geometric number of further deliveries (mean ``1/p``) for the next, decaying in its
    node's memory all the while. Both costs show in the programs' simulated time and in
    their qubits' fidelity, as they are played on the timeline.
    """

    def __init__(self, runtime: AppRuntime, route: DemandRoute, *, pairs: int,
                 min_fidelity: float) -> None:
        self.runtime = runtime
        self.route = route
        self.between = route.between
        self.requested = pairs
        self.min_fidelity = min_fidelity
        self.delivered = self.discarded = 0
        self._fidelities: list[float] = []
        self._delivered_fidelity_sum = 0.0
        self.queues = {route.between[0]: EventQueue(), route.between[1]: EventQueue()}
        self.routes = [route]
        self._listen(route)

    def _listen(self, route: DemandRoute) -> None:
        # one pair at a time: the sink sees each pair at its delivery
        route.log.resolve_every = 1
        route.log.sink = self.offer

    @property
    def full(self) -> bool:
        """Whether the socket has kept every pair it asked for."""
        return len(self._fidelities) >= self.requested

    def offer(self, states: Any, backend: QuantumBackend) -> None:
        """Pairs delivered now (a batch of ``backend``'s states): keep each one at or
        above the minimum fidelity, until the socket is full.

        Side Effects:
            Puts each kept pair's halves in the register and in the two nodes' queues.
        """
        if self.full:
            return
        arrays = np.asarray(states)
        tableau = self.runtime.tableau
        rhos = arrays if arrays.ndim == 3 or tableau is not None else (
            weights_to_density_matrix(backend.bell_weights(states)))
        fidelities = np.asarray(backend.fidelity(states), dtype=float)
        now = self.runtime.timeline.now_ps
        a, b = self.between
        # the stabilizer register takes each pair as its Bell weights (its Bell twirl)
        pairs = rhos if tableau is None else backend.bell_weights(states)
        for pair, fidelity in zip(pairs, fidelities, strict=True):
            if self.full:
                break
            self.delivered += 1
            self._delivered_fidelity_sum += float(fidelity)
            if fidelity < self.min_fidelity:
                self.discarded += 1
                continue
            self._fidelities.append(float(fidelity))
            index = len(self._fidelities) - 1
            qa, qb = (self.runtime.add_state(pair, (a, b)) if tableau is None
                      else self.runtime.add_bell(pair, (a, b)))
            self.queues[a].put(Qubit(qa.id, a, index, now))
            self.queues[b].put(Qubit(qb.id, b, index, now))
        last = self.routes[-1].log
        if not self.full and last.target_pairs is not None \
                and last.delivered >= last.target_pairs:
            # its last demand is served and pairs were thrown away: ask for the rest
            self.routes.append(self.runtime.top_up(
                self.between, self.requested - len(self._fidelities)))
            self._listen(self.routes[-1])

    def record(self) -> SocketRecord:
        """The socket's counts so far."""
        fid = self._fidelities
        nan = float("nan")
        return SocketRecord(self.between, tuple(self.route.path), self.requested,
                            self.delivered, self.discarded,
                            float(np.mean(fid)) if fid else nan, self.min_fidelity,
                            self._delivered_fidelity_sum / self.delivered
                            if self.delivered else nan)


