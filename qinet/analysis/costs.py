"""The capital cost of a scenario's network, and what it costs per pair/s and per bit/s.

The network's components are counted from the scenario (its bill of materials) and
priced from the cost catalogue (``qinet/scenario/cost_catalogue.yaml``, every figure with
its source or the reasoning of its estimate), with the scenario's ``costs`` section
applied. The capital cost is the sum over components of ``count × unit price``:

* every node that ends a heralded link (`single-click`, `double-click`,
  `midpoint-source`) is a memory node: ``memory_node_eur`` plus ``memories ×
  memory_qubit_eur``;
* a heralded link's station (`single-click`, `double-click`): ``bsm_station_eur`` and
  two detectors (the two outputs of its beam splitter); a `midpoint-source` link: one
  ``pair_source_eur`` and no detector (its memories herald storage themselves);
* a `scheme: qkd` link: a transmitter and a receiver with two detectors (active basis
  choice); an `mdi` link two transmitters and a station with four detectors, a `tf` or
  `sns` link two transmitters and a station with two;
* a satellite link: at each ground station end, a receiver with four detectors (passive
  basis choice, as on Micius) for a `downlink` or `dual-downlink`, a transmitter for an
  `uplink`; what the satellite carries is part of ``satellite_eur``;
* a pair source of `pair_sources`: one ``pair_source_eur``, and two detectors per user;
* detectors are SNSPDs (``snspd_channel_eur``, and ``snspd_cryostat_eur`` per site per
  ``snspd_channels_per_cryostat`` channels, rounded up) unless their hardware is
  `kind: gated_apd` (``ingaas_apd_eur``);
* a `trusted: true` node: ``trusted_node_eur``; a node with a `station`:
  ``ground_station_eur``; a node with an `orbit`: ``satellite_eur``;
* fibre: every fibre link's length, at ``fibre_dark_eur_per_km`` (`costs.fibre: dark`)
  or ``fibre_leased_eur_per_km_year × fibre_lease_years`` (`leased`).

The passes a satellite link used in the run are priced apart, at
``satellite_pass_eur`` each (a running cost, not capital). Per demand, the capital is
divided by what the demand got: pairs meeting its ``min_fidelity`` per second of its
active time, and secret-key bits per second. Where that rate is zero the figure is
``None`` and a note says why, never an infinity.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qinet.scenario.cost_catalogue import CostCatalogue, load_catalogue
from qinet.scenario.schema import Scenario
from qinet.scenario.schema_space import DownlinkLink, DualDownlinkLink, UplinkLink

if TYPE_CHECKING:
    from qinet.analysis.metrics import RunResult

CURRENCY = "EUR"
HERALDED = frozenset({"single-click", "double-click", "midpoint-source"})


@dataclass(frozen=True, slots=True)
class CostItem:
    """One line of the bill of materials.

    Attributes:
        component: the catalogue entry that prices it (``snspd_channel_eur``).
        count: how many (km for fibre, km × years for leased fibre).
        unit_cost_eur: the entry's price.
        cost_eur: ``count × unit_cost_eur``.
    """

    component: str
    count: float
    unit_cost_eur: float
    cost_eur: float


@dataclass(frozen=True, slots=True)
class DemandCost:
    """What one demand's service costs, for the whole network's capital.

    Attributes:
        between: the demand's two ends.
        rate_at_fidelity_hz: pairs meeting the demand's ``min_fidelity`` per second of
            its active time (``None`` for a demand that delivers no pairs).
        cost_per_pair_hz_eur: capital per (pair/s) at that fidelity; ``None`` when the
            rate is zero or there are no pairs (``note`` says which).
        secret_key_rate_bps: the demand's secret-key rate (``None`` for entanglement).
        cost_per_secret_bps_eur: capital per (bit/s) of secret key; ``None`` when the
            key rate is zero or there is no key.
        note: why a figure is ``None``, else ``None``.
    """

    between: tuple[str, str]
    rate_at_fidelity_hz: float | None
    cost_per_pair_hz_eur: float | None
    secret_key_rate_bps: float | None
    cost_per_secret_bps_eur: float | None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CostResult:
    """The run's cost figures (the JSON's ``cost``).

    Attributes:
        currency: ``EUR``; every ``_eur`` figure is in it.
        capital_cost_eur: the sum of ``items``.
        fibre: ``dark`` or ``leased``.
        items: the bill of materials, one line per catalogue entry used.
        satellite_passes: passes of satellite links that ended in the run.
        satellite_pass_cost_eur: ``satellite_passes × satellite_pass_eur`` (running cost,
            not part of the capital).
        overridden: catalogue entries the scenario's ``costs.prices_eur`` replaced.
        demands: per entry of the JSON's ``demands``, in the same order.
        key_demands: per entry of the JSON's ``key_demands``, in the same order.
    """

    currency: str
    capital_cost_eur: float
    fibre: str
    items: list[CostItem]
    satellite_passes: int = 0
    satellite_pass_cost_eur: float = 0.0
    overridden: list[str] = field(default_factory=list)
    demands: list[DemandCost] = field(default_factory=list)
    key_demands: list[DemandCost] = field(default_factory=list)


def catalogue_for(scenario: Scenario) -> CostCatalogue:
    """The catalogue with the scenario's ``costs.prices_eur`` applied."""
    catalogue = load_catalogue()
    return catalogue.with_prices(scenario.costs.prices_eur) if scenario.costs else catalogue


def components(scenario: Scenario) -> dict[str, float]:
    """The scenario's bill of materials: how many of each catalogue entry (fibre in km,
    before the lease is counted in years); rules in the module docstring.

    Examples:
        >>> from qinet.scenario import load_scenario
        >>> s = load_scenario({"nodes": [{"name": "a", "memories": 4}, {"name": "b"}],
        ...     "links": [{"between": ["a", "b"], "length": "20 km",
        ...                "scheme": "double-click"}]})
        >>> sorted(components(s).items())  # doctest: +NORMALIZE_WHITESPACE
        [('bsm_station_eur', 1), ('fibre_km', 20.0), ('memory_node_eur', 2),
         ('memory_qubit_eur', 14), ('snspd_channel_eur', 2), ('snspd_cryostat_eur', 1)]
    """
    count: defaultdict[str, float] = defaultdict(int)  # ints stay ints; km are floats
    kinds = {name: hw.kind for name, hw in scenario.hardware.items()}
    channels: defaultdict[str, int] = defaultdict(int)  # SNSPD channels per site
    nodes = {n.name: n for n in scenario.nodes}
    qkd_protocols = {frozenset(d.between): getattr(d, "protocol", "")
                     for d in scenario.demands if d.kind == "qkd"}

    def detectors(site: str, number: int, name: str | None) -> None:
        if name is not None and kinds.get(name) == "gated_apd":
            count["ingaas_apd_eur"] += number
        else:
            count["snspd_channel_eur"] += number
            channels[site] += number

    memory_nodes: set[str] = set()
    for link in scenario.links:
        a, b = link.between
        if isinstance(link, DownlinkLink | UplinkLink | DualDownlinkLink):
            # the satellite's price holds its payload; only the ground ends are counted
            for ground in (n for n in link.between if nodes[n].station is not None):
                if isinstance(link, UplinkLink):
                    count["qkd_transmitter_eur"] += 1
                else:
                    count["qkd_receiver_eur"] += 1
                    detectors(ground, 4, link.detector)
            continue
        count["fibre_km"] += link.length
        station = f"station {a}-{b}"
        if link.scheme in HERALDED:
            memory_nodes.update(link.between)
            if link.scheme == "midpoint-source":
                count["pair_source_eur"] += 1
            else:
                count["bsm_station_eur"] += 1
                detectors(station, 2, link.detector)
            continue
        protocol = qkd_protocols.get(frozenset(link.between), "")
        if protocol in ("mdi", "tf", "sns"):
            count["qkd_transmitter_eur"] += 2
            count["bsm_station_eur"] += 1
            detectors(station, 4 if protocol == "mdi" else 2, link.detector)
        else:
            count["qkd_transmitter_eur"] += 1
            count["qkd_receiver_eur"] += 1
            detectors(b, 2, link.detector)
    for source in scenario.pair_sources:
        count["pair_source_eur"] += 1
        count["fibre_km"] += sum(user.length for user in source.users)
        for user in source.users:
            detectors(user.node, 2, user.detector)
    for name in sorted(memory_nodes):
        count["memory_node_eur"] += 1
        count["memory_qubit_eur"] += nodes[name].memories
    for node in scenario.nodes:
        # a trusted satellite is priced as a satellite, not as a facility on the ground
        count["trusted_node_eur"] += node.trusted and node.orbit is None
        count["ground_station_eur"] += node.station is not None
        count["satellite_eur"] += node.orbit is not None
    per_cryostat = catalogue_for(scenario).value("snspd_channels_per_cryostat")
    count["snspd_cryostat_eur"] += sum(math.ceil(n / per_cryostat) for n in channels.values())
    return {name: number for name, number in count.items() if number}


def bill_of_materials(scenario: Scenario) -> list[CostItem]:
    """The priced components of the scenario, in the catalogue's order."""
    catalogue = catalogue_for(scenario)
    counts = components(scenario)
    leased = scenario.costs is not None and scenario.costs.fibre == "leased"
    fibre_km = counts.pop("fibre_km", 0.0)
    if fibre_km:
        if leased:
            counts["fibre_leased_eur_per_km_year"] = (
                fibre_km * catalogue.value("fibre_lease_years"))
        else:
            counts["fibre_dark_eur_per_km"] = fibre_km
    items = []
    for name in catalogue:
        if name in counts:
            price = catalogue.value(name)
            items.append(CostItem(name, counts[name], price, counts[name] * price))
    return items


def capital_cost_eur(scenario: Scenario) -> float:
    """The capital cost of the scenario's network in euros (the sum of its bill)."""
    return math.fsum(item.cost_eur for item in bill_of_materials(scenario))


def run_cost(scenario: Scenario, result: RunResult) -> CostResult:
    """The cost figures of a run: capital, passes, and per demand (rules above)."""
    items = bill_of_materials(scenario)
    capital = math.fsum(item.cost_eur for item in items)
    catalogue = catalogue_for(scenario)
    passes = sum(len(link.passes) for link in result.qkd_links)
    demands = []
    for demand in result.demands:
        rate = None
        key_rate = None
        if demand.min_fidelity is not None:  # a demand for pairs (not pulses)
            rate = demand.pairs_meeting_fidelity / demand.active_s if demand.active_s else 0.0
        if demand.kind == "qkd" and demand.key is not None:
            key_rate = demand.key.secret_key_rate_bps
        demands.append(_per_rate(capital, demand.between, rate, key_rate, demand.min_fidelity))
    key_demands = [_per_rate(capital, d.between, None, d.key_rate_bps, None)
                   for d in result.key_demands]
    return CostResult(
        currency=CURRENCY, capital_cost_eur=capital,
        fibre="dark" if scenario.costs is None else scenario.costs.fibre, items=items,
        satellite_passes=passes,
        satellite_pass_cost_eur=passes * catalogue.value("satellite_pass_eur"),
        overridden=sorted(name for name in catalogue if catalogue[name].overridden),
        demands=demands, key_demands=key_demands)


def _per_rate(capital: float, between: tuple[str, str], rate: float | None,
              key_rate: float | None, min_fidelity: float | None) -> DemandCost:
    notes = []
    per_pair = per_bit = None
    if rate is not None:
        if rate > 0:
            per_pair = capital / rate
        else:
            notes.append(f"no pairs at fidelity >= {min_fidelity or 0:g}: no cost per pair/s")
    if key_rate is not None:
        if key_rate > 0:
            per_bit = capital / key_rate
        else:
            notes.append("no secret key: no cost per bit/s")
    return DemandCost(between, rate, per_pair, key_rate, per_bit, "; ".join(notes) or None)

