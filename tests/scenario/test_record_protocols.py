"""The protocols of the fibre records run from a scenario file, end to end."""

from __future__ import annotations

import pytest

import qinet

FILE = {
    "seed": 4, "duration": "2 s",
    "hardware": {"snspd": {"kind": "detector", "efficiency": 0.6,
                           "dark_count_rate": "10 Hz"}},
    "nodes": [{"name": "a"}, {"name": "b"}],
}


@pytest.mark.parametrize(("protocol", "length", "extra"), [
    ("sns", "200 km", {"misalignment": 0.05}),
    ("bb84-one-decoy", "50 km", {"z_basis_probability": 0.7}),
])
def test_a_record_protocol_distils_equal_keys_from_a_scenario(protocol, length, extra):
    doc = qinet.simulate({**FILE, "links": [{"between": ["a", "b"], "length": length,
                                             "scheme": "qkd", "detector": "snspd"}],
                          "demands": [{"kind": "qkd", "protocol": protocol,
                                       "between": ["a", "b"], "source_rate": "1 GHz",
                                       "block_size": 100_000, **extra}]}).to_dict()
    (link,) = doc["qkd_links"]
    assert link["protocol"] == protocol
    assert link["key_bits"] > 0
    assert link["keys_equal"]
    # one-way BB84 stays below the repeaterless bound of its fibre
    if protocol == "bb84-one-decoy":
        assert link["secret_key_rate_bps"] < link["plob_bound_bps"]
