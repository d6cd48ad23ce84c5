"""What a key delivery service needs from a scenario: its key managers and their keys.

Every node that lists ``saes`` runs a key management entity (KME). The KMEs share keys
pairwise: a supply plays the scenario's key network (the one ``qinet run`` plays) forward
in simulated time, block by block, and relays the fresh key between every pair of KMEs
that trusted nodes join, round robin in chunks, so that no pair starves the others of a
shared pool. The supply reports amounts only: the service fills them with bytes of its
own CSPRNG, so the keys it hands out cannot be recomputed from the scenario and its seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from qinet.errors import ConfigError
from qinet.kernel.timeline import Timeline
from qinet.network.key_relay import KeyRelay
from qinet.qkd.key_records import KeyConsumerSpec, RelayedKey
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.key_network import build_key_network, qkd_link_specs
from qinet.units import s_to_ps

CHUNK_BITS = 8192  # relayed per KME pair and round: 1 KiB of key


@dataclass(frozen=True, slots=True)
class KmeSpec:
    """A key manager: the node it runs on and the applications (SAEs) it serves."""

    name: str
    saes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class KeyAmount:
    """Fresh secret key that the two KMEs now both hold (``kme_a < kme_b``), in bytes."""

    kme_a: str
    kme_b: str
    n_bytes: int


class KeySupply(Protocol):
    """Source of shared key for the KMEs."""

    def advance(self, seconds: float) -> list[KeyAmount]:
        """Play ``seconds`` more of simulated time; return the key it produced."""
        ...


class ScenarioKeySupply:
    """Keys from a scenario's QKD links, relayed between its KMEs.

    A thin adapter over the scenario's key network (:mod:`qinet.qkd.key_network`), the
    same one ``qinet run`` plays, with the same serving policy: every pair of KMEs joined
    through trusted nodes is a consumer without a rate, taking ``CHUNK_BITS`` per round,
    round robin. The network runs open-ended on a timeline of its own; :meth:`advance`
    plays it forward and serves one set of rounds at its end (once per tick, rather than
    at every deposit, so that a pair whose route crosses more pools gets its share of
    them), and reports the chunks relayed.

    Args:
        scenario: a validated scenario with at least two KMEs joined by QKD links.
        seed: overrides the scenario's seed.
        start: how many times a supply has started on the service's store, this one
            included; a restarted supply draws its links' randomness from a stream of
            its own and begins new blocks, as QKD devices do after a restart.

    Raises:
        ConfigError: fewer than two KMEs, or no two of them joined through trusted nodes.
    """

    def __init__(self, scenario: schema.Scenario, *, seed: int | None = None,
                 start: int = 1) -> None:
        self.kmes = kme_specs(scenario)
        rng = RngTree(scenario.seed if seed is None else seed)
        # the pairs that trusted nodes join, on the graph of the key network's links:
        # fibre qkd links, satellite up- and downlinks, and the station pairs that a
        # satellite's pair source joins
        links = qkd_link_specs(scenario)
        relay = KeyRelay({n.name: n.trusted for n in scenario.nodes})
        for link in links:
            relay.add_pool(*link.between)
        self.pairs = []
        for a, b in itertools.combinations(sorted(k.name for k in self.kmes), 2):
            try:
                relay.routes(a, b)
            except ConfigError:
                continue
            self.pairs.append((a, b))
        if not self.pairs:
            raise ConfigError("links", "no two KME nodes are joined by QKD links (fibre or "
                                       "satellite) through trusted nodes")
        self.timeline = Timeline()
        self._relayed: list[KeyAmount] = []
        self.network = build_key_network(
            scenario, rng=rng.child("keys" if start <= 1 else f"keys/start-{start}"),
            timeline=self.timeline,
            consumers=[KeyConsumerSpec(pair, CHUNK_BITS, index=i)
                       for i, pair in enumerate(self.pairs)],
            greedy_at_deposits=False, on_relay=self._collect, links=links)
        self.network.start()

    @property
    def now_s(self) -> float:
        """Simulated seconds played so far."""
        return self.timeline.now_s

    def _collect(self, key: RelayedKey) -> None:
        a, b = key.consumer.between
        self._relayed.append(KeyAmount(a, b, key.bits // 8))

    def advance(self, seconds: float) -> list[KeyAmount]:
        """Play ``seconds`` more of the key network, then relay what the pools hold.

        A link deposits only whole slices (about one post-processing block each); time
        not yet worth a slice is carried over to the next call.
        """
        self.network.run(self.timeline.now_ps + s_to_ps(seconds))
        self.network.serve()
        relayed, self._relayed = self._relayed, []
        return relayed


def kme_specs(scenario: schema.Scenario) -> list[KmeSpec]:
    """The KMEs of a scenario: every node that lists ``saes``.

    Raises:
        ConfigError: fewer than two.
    """
    kmes = [KmeSpec(n.name, tuple(n.saes)) for n in scenario.nodes if n.saes]
    if len(kmes) < 2:
        raise ConfigError("nodes", "a key service needs at least two nodes with `saes`")
    return kmes


def key_service_plan(scenario: schema.Scenario, *, seed: int | None = None
                     ) -> tuple[list[KmeSpec], Callable[[int], KeySupply]]:
    """The KMEs of a scenario, and how to start the supply of their shared keys.

    Returns:
        The KMEs, and a function of the supply's start count (1 for the first start on
        a store) that builds the supply.
    """
    def start_supply(start: int) -> KeySupply:
        return ScenarioKeySupply(scenario, seed=seed, start=start)

    return kme_specs(scenario), start_supply
