"""The key network as the entanglement service shows it: its links, and with the key
delivery service its pools.

The key links (prepare-and-measure fibre, satellite up- and downlinks, a satellite's
pair source) are the scenario's; the entanglement service runs none of them, and lists
them so that its topology (``GET /v1/network``, ``GET /v1/layout``, the dashboard)
shows every link of the scenario. When ``qinet serve`` runs both services, the
entanglement service's network state (``GET /v1/network`` and the ``network`` event)
lists every pool of the key store the KMEs serve from: per pair of KMEs, the bytes
stored, deposited by the key supply and discarded (pool full), and the keys issued and
delivered. They are read from the
store's levels as of its last commit (:meth:`~qinet.service.kms.store.KeyStore.levels`,
the numbers each KME's ``GET /status`` shows), never from the database and never its key
material: the entanglement service only reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from qinet.scenario.build import KEY_LINKS
from qinet.scenario.schema import QkdLink, Scenario
from qinet.service.kms.store import KeyStore, PoolLevel


@dataclass(frozen=True, slots=True)
class KeyLink:
    """A link of the key network.

    Attributes:
        name: ``a-b`` from its two ends.
        between: its two ends.
        scheme: ``qkd`` (fibre), ``downlink``, ``uplink`` or ``dual-downlink``.
        length_km: the fibre's length (``None`` for a free-space link).
    """

    name: str
    between: tuple[str, str]
    scheme: str
    length_km: float | None

    def as_json(self) -> dict[str, Any]:
        """The link as JSON."""
        return {"name": self.name, "between": list(self.between), "scheme": self.scheme,
                "length_km": self.length_km}


def key_links(scenario: Scenario) -> tuple[KeyLink, ...]:
    """The scenario's key links, in file order.

    Examples:
        >>> from qinet.scenario import load_scenario
        >>> from qinet.scenario.presets import preset_path
        >>> [link.name for link in key_links(load_scenario(preset_path("trusted-relay")))][:2]
        ['hq-relay-north', 'relay-north-relay-south']
    """
    return tuple(KeyLink("-".join(spec.between), (spec.between[0], spec.between[1]),
                         spec.scheme,
                         spec.length if isinstance(spec, QkdLink) else None)
                 for spec in scenario.links if isinstance(spec, KEY_LINKS))


class SupplyClock(Protocol):
    """The key supply's driver, as far as the pools' view needs it."""

    @property
    def simulated_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class KeyPoolsView:
    """The key store's pools at one moment.

    Attributes:
        pools: every pool that has had a deposit, by KME pair in sorted order.
        capacity_bytes: the most bytes a pool holds.
        supply_simulated_s: simulated seconds the key supply has played on this store,
            over all its starts (``None``: no supply runs).
    """

    pools: tuple[PoolLevel, ...]
    capacity_bytes: int
    supply_simulated_s: float | None

    def as_json(self) -> dict[str, Any]:
        """The view's fields of the network state: ``key_pools`` and ``key_supply``.

        Examples:
            >>> level = PoolLevel("a", "b", 96, 128, 0, 1, 1, 0)
            >>> KeyPoolsView((level,), 1024, 2.5).as_json()["key_pools"][0]["stored_bytes"]
            96
        """
        return {"key_pools": [{"kmes": [p.kme_a, p.kme_b], "stored_bytes": p.stored_bytes,
                               "deposited_bytes": p.deposited_bytes,
                               "discarded_bytes": p.discarded_bytes,
                               "keys_issued": p.keys_issued,
                               "keys_delivered": p.keys_delivered,
                               "keys_expired": p.keys_expired} for p in self.pools],
                "key_supply": {"simulated_s": self.supply_simulated_s,
                               "pool_capacity_bytes": self.capacity_bytes}}


class KeyPoolReader:
    """Reads a key store's pool levels (read-only) for the entanglement service.

    Args:
        store: the key store the KMEs serve from.
        supply: the driver of its key supply (``None``: the store is served as it is).
    """

    def __init__(self, store: KeyStore, supply: SupplyClock | None = None) -> None:
        self._store = store
        self._supply = supply

    def __call__(self) -> KeyPoolsView:
        """The pools now (as of the store's last commit)."""
        levels = self._store.levels()  # a snapshot swapped whole at each commit
        return KeyPoolsView(tuple(levels[pair] for pair in sorted(levels)),
                            self._store.pool_capacity_bytes,
                            None if self._supply is None else self._supply.simulated_s)
