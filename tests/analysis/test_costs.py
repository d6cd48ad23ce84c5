"""Capital costs: the bill of a known scenario is the hand sum of its parts, the
scenario's costs section overrides the catalogue, and rates of zero give no cost per
rate (with a note), never an infinity."""

import math
import re

import pytest

import qinet
from qinet.analysis.costs import bill_of_materials, capital_cost_eur, components
from qinet.errors import ConfigError
from qinet.scenario import load_scenario
from qinet.scenario.cost_catalogue import COUNT_ENTRIES, load_catalogue

PRICE = {name: load_catalogue().value(name) for name in load_catalogue()}

# two memory nodes joined by a double-click link (SNSPDs, the default detector), and a
# trusted relay reached by a qkd link whose receiver has gated InGaAs APDs
MIXED = {
    "hardware": {"ingaas": {"kind": "gated_apd"}},
    "nodes": [{"name": "a", "memories": 4}, {"name": "b", "memories": 6},
              {"name": "t", "trusted": True}],
    "links": [{"between": ["a", "b"], "length": "20 km", "scheme": "double-click"},
              {"between": ["b", "t"], "length": "30 km", "scheme": "qkd",
               "detector": "ingaas"}],
    "demands": [{"kind": "entanglement", "between": ["a", "b"]}],
}


def _hand_sum(fibre_eur_per_km):
    return (2 * PRICE["memory_node_eur"] + (4 + 6) * PRICE["memory_qubit_eur"]
            + PRICE["bsm_station_eur"] + 2 * PRICE["snspd_channel_eur"]
            + PRICE["snspd_cryostat_eur"]  # two channels fit one cryostat
            + PRICE["qkd_transmitter_eur"] + PRICE["qkd_receiver_eur"]
            + 2 * PRICE["ingaas_apd_eur"] + PRICE["trusted_node_eur"]
            + 50.0 * fibre_eur_per_km)


def test_the_cost_of_a_known_scenario_is_the_hand_sum_of_its_components():
    scenario = load_scenario(MIXED)
    assert capital_cost_eur(scenario) == pytest.approx(
        _hand_sum(PRICE["fibre_dark_eur_per_km"]), rel=1e-12)
    # every line is count x price
    for item in bill_of_materials(scenario):
        assert item.cost_eur == pytest.approx(item.count * PRICE[item.component], rel=1e-12)


def test_a_run_reports_the_same_capital_in_its_json_and_report():
    result = qinet.simulate(MIXED, duration="5 ms")
    cost = result.to_dict()["cost"]
    assert cost["currency"] == "EUR"
    assert cost["capital_cost_eur"] == pytest.approx(
        _hand_sum(PRICE["fibre_dark_eur_per_km"]), rel=1e-12)
    demand = cost["demands"][0]
    rate = result.demands[0].pairs_meeting_fidelity / result.demands[0].active_s
    assert demand["rate_at_fidelity_hz"] == pytest.approx(rate)
    assert demand["cost_per_pair_hz_eur"] == pytest.approx(cost["capital_cost_eur"] / rate)


def test_overrides_replace_catalogue_prices_and_fibre_can_be_leased():
    data = {**MIXED, "costs": {"fibre": "leased", "prices_eur": {
        "snspd_channel_eur": 1000.0, "fibre_lease_years": 3, "trusted_node_eur": 0.0}}}
    scenario = load_scenario(data)
    lease = PRICE["fibre_leased_eur_per_km_year"] * 3
    expected = (_hand_sum(lease) - 2 * PRICE["snspd_channel_eur"] + 2 * 1000.0
                - PRICE["trusted_node_eur"])
    assert capital_cost_eur(scenario) == pytest.approx(expected, rel=1e-12)
    result = qinet.simulate(data, duration="1 ms")
    assert result.cost is not None
    assert result.cost.overridden == ["fibre_lease_years", "snspd_channel_eur",
                                      "trusted_node_eur"]
    assert result.cost.fibre == "leased"


def test_cryostats_follow_the_channels_per_site():
    # 5 double-click stations of 2 channels each: one cryostat per station site
    nodes = [{"name": f"n{i}"} for i in range(6)]
    links = [{"between": [f"n{i}", f"n{i + 1}"], "length": "5 km", "scheme": "double-click"}
             for i in range(5)]
    counts = components(load_scenario({"nodes": nodes, "links": links}))
    assert counts["snspd_channel_eur"] == 10
    assert counts["snspd_cryostat_eur"] == 5
    # three qkd receivers at one node share cryostats: 6 channels at one site
    links = [{"between": [f"n{i}", "n5"], "length": "5 km", "scheme": "qkd"} for i in range(3)]
    counts = components(load_scenario({"nodes": nodes, "links": links}))
    assert counts["snspd_channel_eur"] == 6
    assert counts["snspd_cryostat_eur"] == math.ceil(6 / PRICE["snspd_channels_per_cryostat"])


def test_a_satellite_relay_prices_the_satellite_stations_and_receivers():
    counts = components(load_scenario(qinet.preset_path("micius-relay")))
    assert counts["satellite_eur"] == 1
    assert counts["ground_station_eur"] == 2
    assert counts["qkd_receiver_eur"] == 2
    assert counts["snspd_channel_eur"] == 8  # four at each station
    assert "qkd_transmitter_eur" not in counts  # the payload is part of the satellite
    assert "trusted_node_eur" not in counts  # the trusted node is the satellite itself
    assert "fibre_km" not in counts


@pytest.mark.parametrize(("prices", "message"), [
    ({"snspd_eur": 1.0}, "costs.prices_eur: snspd_eur: not an entry of the cost catalogue"),
    ({"snspd_channel_eur": -1.0}, "costs.prices_eur: snspd_channel_eur: must be non-negative"),
    ({"fibre_lease_years": 0}, "costs.prices_eur: fibre_lease_years: is a count"),
])
def test_bad_overrides_are_refused_naming_the_entry(prices, message):
    with pytest.raises(ConfigError) as info:
        load_scenario({**MIXED, "costs": {"prices_eur": prices}})
    assert message in str(info.value)


def test_no_pairs_at_the_fidelity_gives_no_cost_per_rate_and_says_why():
    # double-click pairs have F = (1 + V)/2 = 0.95 below the demanded 0.999
    link = {**MIXED["links"][0], "visibility": 0.9}
    data = {**MIXED, "links": [link, MIXED["links"][1]],
            "demands": [{"kind": "entanglement", "between": ["a", "b"], "min_fidelity": 0.999}]}
    result = qinet.simulate(data, duration="5 ms")
    assert result.demands[0].pairs > 0
    assert result.demands[0].pairs_meeting_fidelity == 0
    assert result.cost is not None
    demand = result.cost.demands[0]
    assert demand.rate_at_fidelity_hz == 0.0
    assert demand.cost_per_pair_hz_eur is None
    assert demand.note == "no pairs at fidelity >= 0.999: no cost per pair/s"


def test_every_catalogue_entry_states_its_basis_date_and_reasoning():
    catalogue = load_catalogue()
    assert catalogue.currency == "EUR"
    for name in catalogue:
        entry = catalogue[name]
        assert entry.basis
        assert entry.reasoning
        assert entry.unit
        assert re.fullmatch(r"\d{4}-\d{2}", entry.date), name
        assert entry.value >= 0
        if entry.basis == "estimate":
            assert entry.estimated, name
        assert name.endswith(("_eur", "_eur_per_km", "_eur_per_km_year")) or (
            name in COUNT_ENTRIES), name
