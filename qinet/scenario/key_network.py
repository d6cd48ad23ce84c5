"""A scenario's key network: its QKD links and key demands, wired to the timeline.

Every ``scheme: qkd`` link runs one protocol: the one of the prepare-and-measure
``kind: qkd`` demand on it, or decoy-state BB84 with its defaults when no demand names
one. ``kind: key`` demands become the consumers of relayed keys. The simulation itself
(slices, pools, the serving policy, the typed results) lives in
:mod:`qinet.qkd.key_network`; this module only translates the scenario.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qinet.errors import ConfigError
from qinet.kernel.timeline import Timeline
from qinet.physical.fibre import fibre_delay_s
from qinet.qkd.key_network import KeyNetwork
from qinet.qkd.key_records import KeyConsumerSpec, QkdLinkSpec, RelayedKey
from qinet.rng import RngTree
from qinet.scenario import schema
from qinet.scenario.hardware import fibre_of
from qinet.scenario.qkd_protocols import default_link_demand, make_runner
from qinet.scenario.satellite import dual_link_spec, space_link_spec
from qinet.scenario.schema_space import DownlinkLink, DualDownlinkLink, UplinkLink
from qinet.units import s_to_ps


def qkd_link_specs(scenario: schema.Scenario) -> list[QkdLinkSpec]:
    """The protocol of every ``scheme: qkd`` link, and the delay of its fibre.

    Raises:
        ConfigError: two prepare-and-measure demands on one link, or bad protocol
            parameters (naming the demand's field).
    """
    on_link: dict[frozenset[str], tuple[int, schema.PulseQkdDemand]] = {}
    for i, asked in enumerate(scenario.demands):
        if isinstance(asked, schema.PulseQkdDemand):
            key = frozenset(asked.between)
            if key in on_link:
                name = "-".join(asked.between)
                raise ConfigError(f"demands[{i}].between", f"the qkd link {name} already runs "
                                                           f"demands[{on_link[key][0]}]")
            on_link[key] = (i, asked)
    specs = []
    for index, link in enumerate(scenario.links):
        if isinstance(link, DownlinkLink | UplinkLink):  # its channel follows the passes
            specs.append(space_link_spec(scenario, index, on_link.get(frozenset(link.between))))
            continue
        if isinstance(link, DualDownlinkLink):  # a pair source on a satellite
            specs.append(dual_link_spec(scenario, index))
            continue
        if link.scheme != "qkd":
            continue
        demand_index: int | None = None
        demand: schema.PulseQkdDemand
        if frozenset(link.between) in on_link:
            demand_index, demand = on_link[frozenset(link.between)]
        else:
            demand = default_link_demand(link)
        where = f"demands[{demand_index}]" if demand_index is not None else f"links[{index}]"
        fibre = fibre_of(scenario, link.fibre)
        specs.append(QkdLinkSpec(
            between=link.between, length_km=link.length,
            # the same flight time as the entanglement network's messages on this fibre
            delay_ps=s_to_ps(float(fibre_delay_s(link.length, fibre.group_index))),
            source_rate_hz=demand.source_rate, block_size_bits=demand.block_size,
            protocol=demand.protocol, runner=make_runner(scenario, link, demand, where),
            demand=demand_index, attack=_attack_kind(demand)))
    return specs


def _attack_kind(demand: schema.PulseQkdDemand) -> str | None:
    if isinstance(demand, schema.BB84Demand | schema.DecoyBB84Demand) and demand.attack:
        return demand.attack.kind
    return None  # no attack, or a protocol without one (mdi, tf)


def key_demand_specs(scenario: schema.Scenario) -> list[KeyConsumerSpec]:
    """The ``kind: key`` demands as consumers, numbered by their place among the demands."""
    return [KeyConsumerSpec(between=d.between, key_size_bits=d.key_size, rate_hz=d.rate,
                            index=i)
            for i, d in enumerate(scenario.demands) if d.kind == "key"]


def build_key_network(scenario: schema.Scenario, *, rng: RngTree, timeline: Timeline,
                      consumers: Sequence[KeyConsumerSpec] | None = None,
                      end_ps: int | None = None, greedy_at_deposits: bool = True,
                      on_relay: Callable[[RelayedKey], None] | None = None,
                      links: Sequence[QkdLinkSpec] | None = None) -> KeyNetwork:
    """The key network of a scenario on ``timeline``.

    Args:
        rng: the key network's random tree.
        timeline: the clock its events run on.
        consumers: who takes keys; by default the scenario's ``kind: key`` demands.
        end_ps: when the run ends, or ``None`` for an open-ended run.
        greedy_at_deposits: serve consumers without a rate at every deposit, or only
            in the rounds the caller asks for (:meth:`KeyNetwork.serve`).
        on_relay: called with every key taken from the pools.
        links: the QKD links, when the caller has already made them with
            :func:`qkd_link_specs` (a satellite link's passes are computed there once).

    Raises:
        ConfigError: see :func:`qkd_link_specs`.
    """
    return KeyNetwork(qkd_link_specs(scenario) if links is None else links,
                      key_demand_specs(scenario) if consumers is None else consumers,
                      trusted={n.name: n.trusted for n in scenario.nodes},
                      timeline=timeline, rng=rng, end_ps=end_ps,
                      greedy_at_deposits=greedy_at_deposits, on_relay=on_relay)
