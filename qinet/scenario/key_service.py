"""What a key delivery service needs from a scenario: its key managers and their keys.

Every node that lists ``saes`` runs a key management entity (KME). The KMEs share keys
pairwise: a supply plays the scenario's QKD links forward in simulated time, block by
block, and relays the fresh key between every pair of KMEs that trusted nodes join,
round robin in chunks, so that no pair starves the others of a shared pool.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Protocol

import numpy as np

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
class KeyBatch:
    """Fresh secret bytes that the two KMEs now both hold (``kme_a < kme_b``)."""

    kme_a: str
    kme_b: str
    key: bytes


class KeySupply(Protocol):
    """Source of shared key material for the KMEs."""

    def advance(self, seconds: float) -> list[KeyBatch]:
        """Play ``seconds`` more of simulated time; return the keys it produced."""
        ...


class ScenarioKeySupply:
    """Keys from a scenario's QKD links, relayed between its KMEs.

    Args:
        scenario: a validated scenario with at least two KMEs joined by QKD links.
        seed: overrides the scenario's seed.

    Raises:
        ConfigError: fewer than two KMEs, or no two of them joined through trusted nodes.
    """

    def __init__(self, scenario: schema.Scenario, *, seed: int | None = None) -> None:
        self.kmes = [KmeSpec(n.name, tuple(n.saes)) for n in scenario.nodes if n.saes]
        if len(self.kmes) < 2:
            raise ConfigError("nodes", "a key service needs at least two nodes with `saes`")
        rng = RngTree(scenario.seed if seed is None else seed)
        self.network = KeyNetwork(scenario, rng.child("keys"))
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

    def advance(self, seconds: float) -> list[KeyBatch]:
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
                    out = self.network.relay.relay(a, b, CHUNK_BITS)
                except ResourceUnavailable:
                    continue
                batches.append(KeyBatch(a, b, np.packbits(out.key_source).tobytes()))
                still.append((a, b))
            active = still
        return batches


def key_service_plan(scenario: schema.Scenario, *,
                     seed: int | None = None) -> tuple[list[KmeSpec], KeySupply]:
    """The KMEs of a scenario and the supply of their shared keys."""
    supply = ScenarioKeySupply(scenario, seed=seed)
    return supply.kmes, supply
