"""A link without `scheme` gets the one its demands and nodes imply, with a note."""

import pytest

from qinet.errors import ConfigError
from qinet.scenario.loader import read_scenario

TWO = "nodes: [{name: a}, {name: b}]\nlinks: [{between: [a, b], length: 20 km}]\n"


def _load(text):
    loaded = read_scenario(text)
    return [link.scheme for link in loaded.scenario.links], list(loaded.notes)


@pytest.mark.parametrize("protocol", ["bb84", "bb84-decoy", "mdi", "tf"])
def test_prepare_and_measure_demand_implies_qkd(protocol):
    schemes, notes = _load(TWO + f"demands: [{{kind: qkd, protocol: {protocol}, "
                                 f"between: [a, b]}}]\n")
    assert schemes == ["qkd"]
    assert notes == [f"links[0] a-b: no scheme given; using qkd: demands[0] (qkd, "
                     f"{protocol}) sends pulses over it"]


@pytest.mark.parametrize("demand", ["{kind: entanglement, between: [a, b]}",
                                    "{kind: qkd, between: [a, b]}",
                                    "{kind: qkd, protocol: e91, between: [b, a]}"])
def test_entanglement_between_memories_implies_the_default_heralded_scheme(demand):
    schemes, notes = _load(TWO + f"demands: [{demand}]\n")
    assert schemes == ["double-click"]
    assert notes[0].startswith("links[0] a-b: no scheme given; using double-click: demands[0]")
    assert notes[0].endswith("over it, and both ends hold memories")


def test_links_of_a_chain_take_the_family_of_the_files_demands():
    chain = ("nodes: [{name: a}, {name: r, trusted: true}, {name: b}]\n"
             "links: [{between: [a, r], length: 20 km}, {between: [r, b], length: 9 km}]\n")
    assert _load(chain + "demands: [{kind: key, between: [a, b]}]\n")[0] == ["qkd", "qkd"]
    assert _load(chain + "demands: [{kind: entanglement, between: [a, b]}]\n")[0] == [
        "double-click", "double-click"]


def test_a_given_scheme_is_kept_without_a_note():
    text = ("nodes: [{name: a}, {name: b}]\n"
            "links: [{between: [a, b], length: 20 km, scheme: single-click}]\n")
    assert _load(text) == (["single-click"], [])


def test_no_demands_and_memories_at_both_ends_give_the_heralded_scheme():
    schemes, notes = _load(TWO)
    assert schemes == ["double-click"]
    assert notes == ["links[0] a-b: no scheme given; using double-click: both ends hold "
                     "memories, and no demand asks for keys"]


def test_conflicting_demands_name_the_possible_schemes():
    text = TWO + ("demands: [{kind: qkd, protocol: bb84, between: [a, b]}, "
                  "{kind: entanglement, between: [a, b]}]\n")
    with pytest.raises(ConfigError) as err:
        read_scenario(text)
    assert err.value.field == "links[0].scheme"
    assert "single-click, double-click, midpoint-source" in err.value.reason
    assert "scheme: qkd" in err.value.reason


def test_a_link_between_neither_family_lists_every_scheme():
    text = ("nodes: [{name: a}, {name: x, trusted: true}, {name: y}, {name: b}]\n"
            "links: [{between: [a, b], length: 20 km, scheme: qkd},\n"
            "        {between: [x, y], length: 20 km, scheme: double-click},\n"
            "        {between: [a, x], length: 5 km}]\n"
            "demands: [{kind: key, between: [a, b]}, {kind: entanglement, between: [x, y]}]\n")
    with pytest.raises(ConfigError) as err:
        read_scenario(text)
    assert err.value.field == "links[2].scheme"
    assert err.value.reason.endswith("use one of single-click, double-click, midpoint-source, qkd")
