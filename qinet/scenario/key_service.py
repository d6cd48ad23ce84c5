"""What a key delivery service needs from a scenario: its key managers and their keys.

Every node that lists ``saes`` runs a key management entity (KME). The KMEs share keys
pairwise: a supply plays the scenario's QKD links forward in simulated time, block by
block, and relays the fresh key between every pair of KMEs that trusted nodes join,
round robin in chunks, so that no pair starves the others of a shared pool. The supply
reports amounts only: the service fills them with bytes of its own CSPRNG, so the keys
it hands out cannot be recomputed from the scenario and its seed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from qinet.errors import ConfigError, ResourceUnavailable
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.key_network import KeyNetwork

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
        self.network = KeyNetwork(scenario, rng.child("keys" if start <= 1
                                                      else f"keys/start-{start}"))
        self.pairs = []
        for a, b in itertools.combinations(sorted(k.name for k in self.kmes), 2):
            try:
                self.network.relay.routes(a, b)
            except ConfigError:
                continue
            self.pairs.append((a, b))
        if not self.pairs:
            raise ConfigError("links", "no two KME nodes are joined by qkd links through "
                                       "trusted nodes")
        self.now_s = 0.0

    def advance(self, seconds: float) -> list[KeyAmount]:
        """Send every link's pulses for ``seconds`` more and relay the finished blocks.

        A link contributes only whole slices (about one post-processing block each);
        time not yet worth a slice is carried over to the next call.
        """
        self.now_s += seconds
        for stream in self.network.streams:
            while (result := stream.next_slice(self.now_s, whole=True)) is not None:
                self.network.relay.deposit(*stream.plan.spec.between, result.key_alice)
        batches = []
        active = list(self.pairs)
        while active:
            still = []
            for a, b in active:
                try:
                    self.network.relay.relay(a, b, CHUNK_BITS)
                except ResourceUnavailable:
                    continue
                batches.append(KeyAmount(a, b, CHUNK_BITS // 8))
                still.append((a, b))
            active = still
        return batches


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
