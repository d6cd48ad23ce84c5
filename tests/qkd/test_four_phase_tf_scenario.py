"""Four-phase twin field from a scenario file: a `kind: qkd` demand with
`protocol: four-phase` runs over a `scheme: qkd` link, its station at `station_position`."""

from __future__ import annotations

import pytest

import qinet
from qinet.errors import ConfigError
from qinet.scenario import load_scenario
from qinet.scenario.key_network import qkd_link_specs

FILE = {
    "seed": 4, "duration": "1 s",
    "hardware": {"snspd": {"kind": "detector", "efficiency": 0.6,
                           "dark_count_rate": "10 Hz"}},
    "nodes": [{"name": "a"}, {"name": "b"}],
    "links": [{"between": ["a", "b"], "length": "20 km", "scheme": "qkd",
               "detector": "snspd"}],
}


def _file(**demand):
    return {**FILE, "demands": [{"kind": "qkd", "protocol": "four-phase",
                                 "between": ["a", "b"], **demand}]}


def test_a_four_phase_demand_distils_equal_keys_below_the_closed_form():
    doc = qinet.simulate(_file(source_rate="30 MHz", code_probability=0.5)).to_dict()
    (link,) = doc["qkd_links"]
    assert link["protocol"] == "four-phase"
    assert link["pulses"] == 30_000_000
    assert link["key_bits"] > 0
    assert link["keys_equal"]
    assert link["secret_bits_per_pulse"] < link["asymptotic_bits_per_pulse"]
    assert set(link["estimates"]) >= {"phase_error_upper", "y11_upper"}


@pytest.mark.parametrize(("field", "value"), [
    ("decoy_intensities", [0.2, 0.1]), ("decoy_probabilities", [0.5, 0.5]),
    ("code_intensity", 1.5), ("code_probability", 1.0)])
def test_bad_fields_are_named_after_the_demand(field, value):
    # the schema refuses ranges; the protocol's link refuses the rest when it is built
    with pytest.raises(ConfigError, match=rf"demands\[0\]\.{field}"):
        qkd_link_specs(load_scenario(_file(**{field: value})))
