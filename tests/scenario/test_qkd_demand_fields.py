"""Each `kind: qkd` protocol takes exactly the fields that reach its run.

For every protocol, every field of its model is changed in turn and the change is seen
where the protocol receives it (the optics, the runner's options, the key network's link
spec, or the run's JSON entry); every field of the other protocols is refused by name.
"""

from collections.abc import Callable
from typing import Any

import pytest

import qinet
from qinet.errors import ConfigError
from qinet.qkd.attacks import InterceptResend
from qinet.scenario import load_scenario, schema
from qinet.scenario.key_network import qkd_link_specs
from qinet.scenario.qkd_protocols import pair_run

PULSE_FILE: dict[str, Any] = {
    "hardware": {"slow": {"kind": "detector", "efficiency": 0.5}},
    "nodes": [{"name": "a"}, {"name": "b"}],
    "links": [{"between": ["a", "b"], "length": "20 km", "scheme": "qkd"}],
}
PAIR_FILE: dict[str, Any] = {
    "seed": 2, "duration": "20 ms",
    "hardware": {"spin": {"kind": "memory", "t2": "10 s", "raw_fidelity": 0.995}},
    "nodes": [{"name": "a", "memory": "spin"}, {"name": "b", "memory": "spin"}],
    "links": [{"between": ["a", "b"], "length": "2 km", "scheme": "double-click"}],
}

Read = Callable[[Any], Any]


def _options(name: str) -> Read:
    return lambda run: run.options[name]


def _distill(name: str) -> Read:
    return lambda run: run.options["distill_options"][name]


def _optics(*names: str) -> Read:
    def read(run: Any) -> Any:
        value = run.optics
        for name in names:
            value = getattr(value, name)
        return value
    return read


# field -> (value in the file, what the run receives, where it receives it)
KEY_OPTIONS: dict[str, tuple[Any, Any, Read]] = {
    "epsilon_sec": (1e-6, 1e-6, _options("epsilon_sec")),
    "epsilon_cor": (1e-12, 1e-12, _options("epsilon_cor")),
    "reconciliation": ("ldpc", "ldpc", _distill("reconciliation")),
    "sample_fraction": (0.25, 0.25, _distill("sample_fraction")),
}
PULSES = {
    "source_rate": ("50 MHz", 5e7, _optics("source", "rate_hz")),
    "misalignment": (0.04, 0.04, _optics("misalignment")),
    "detector": ("slow", 0.5, _optics("detector", "efficiency")),
}
INTENSITIES = {
    "intensities": ([0.6, 0.2, 0.0], (0.6, 0.2, 0.0), _optics("source", "intensities")),
    "intensity_probabilities": ([0.7, 0.2, 0.1], (0.7, 0.2, 0.1),
                                _optics("source", "probabilities")),
}
RELAY_INTENSITIES = {  # both ends send the same classes
    "intensities": ([0.3, 0.05, 0.0], (0.3, 0.05, 0.0), _optics("alice_source", "intensities")),
    "intensity_probabilities": ([0.5, 0.3, 0.2], (0.5, 0.3, 0.2),
                                _optics("bob_source", "probabilities")),
}
Z_BASIS = {"z_basis_probability": (0.8, 0.8, _optics("z_basis_probability"))}
ATTACK = {"attack": ({"kind": "intercept-resend", "fraction": 0.5}, InterceptResend(0.5),
                     _options("attack"))}

PULSE_FIELDS: dict[str, dict[str, tuple[Any, Any, Read]]] = {
    "bb84": {**KEY_OPTIONS, **PULSES, **Z_BASIS, **ATTACK,
             "photon_efficiency": (0.6, 0.6, _optics("source", "efficiency")),
             "g2": (0.02, 0.02, _optics("source", "g2"))},
    "bb84-decoy": {**KEY_OPTIONS, **PULSES, **Z_BASIS, **ATTACK, **INTENSITIES},
    "mdi": {**KEY_OPTIONS, **PULSES, **RELAY_INTENSITIES,
            "source_rate": ("50 MHz", 5e7, _optics("alice_source", "rate_hz")),
            "z_basis_probability": (0.7, 0.7, _optics("z_basis_probability"))},
    "tf": {**KEY_OPTIONS, **PULSES, **RELAY_INTENSITIES,
           "source_rate": ("50 MHz", 5e7, _optics("bob_source", "rate_hz")),
           "phase_slices": (8, 8, _optics("phase_slices")),
           "phase_noise": (0.1, 0.1, _optics("phase_noise_rad"))},
    "sns": {**KEY_OPTIONS, "misalignment": PULSES["misalignment"],
            "detector": PULSES["detector"],
            "z_basis_probability": (0.7, 0.7, _optics("z_window_probability")),
            "z_intensity": (0.3, 0.3, _optics("z_intensity")),
            "send_probability": (0.1, 0.1, _optics("send_probability")),
            "decoy_intensities": ([0.05, 0.3], (0.05, 0.3), _optics("decoy_intensities")),
            "decoy_probabilities": ([0.5, 0.3, 0.2], (0.5, 0.3, 0.2),
                                    _optics("decoy_probabilities")),
            "phase_window": (0.2, 0.2, _optics("phase_window_rad")),
            "aopp": (False, False, _optics("aopp"))},
    "bb84-one-decoy": {**KEY_OPTIONS, **PULSES, **Z_BASIS,
                       "intensities": ([0.6, 0.2], (0.6, 0.2), _optics("source", "intensities")),
                       "intensity_probabilities": ([0.6, 0.4], (0.6, 0.4),
                                                   _optics("source", "probabilities"))},
    "four-phase": {**KEY_OPTIONS, "misalignment": PULSES["misalignment"],
                   "detector": PULSES["detector"],
                   "code_probability": (0.6, 0.6, _optics("code_probability")),
                   "code_intensity": (0.05, 0.05, _optics("code_intensity")),
                   "decoy_intensities": ([0.0, 0.1, 0.3], (0.0, 0.1, 0.3),
                                         _optics("decoy_intensities")),
                   "decoy_probabilities": ([0.3, 0.3, 0.1, 0.1, 0.2], (0.3, 0.3, 0.1, 0.1, 0.2),
                                           _optics("decoy_probabilities"))},
}
# the optics of sns hold no source: its rate reaches only the key network's link spec,
# which test_the_block_size_and_rate_of_a_pulse_protocol_reach_its_key_network_link checks
RATE_ONLY = {"sns": {"source_rate"}, "four-phase": {"source_rate"}}
PAIR_OPTIONS: dict[str, dict[str, tuple[Any, Any, Read]]] = {
    "bbm92": {**KEY_OPTIONS, "block_size": (5000, 5000, _options("block_size")),
              "z_basis_probability": (0.8, 0.8, _options("z_probability"))},
    "e91": {**KEY_OPTIONS, "block_size": (5000, 5000, _options("block_size"))},
}
# the pair targets of an entanglement-based demand, seen in its JSON entry
PAIR_TARGETS = {"min_fidelity": (0.99, "min_fidelity", 0.99),
                "window": ("10 ms", "outage_window_s", 0.01),
                "pairs": (300, "pairs", 300),
                "rate": ("1 MHz", "rate_target_hz", 1e6)}
SAMPLES = {name: spec[0] for table in (*PULSE_FIELDS.values(), *PAIR_OPTIONS.values())
           for name, spec in table.items()}
SAMPLES.update({name: spec[0] for name, spec in PAIR_TARGETS.items()})
TAGS = {"kind", "protocol", "between"}


def _pulse_spec(protocol: str, **fields: Any) -> Any:
    demand = {"kind": "qkd", "protocol": protocol, "between": ["a", "b"], **fields}
    (spec,) = qkd_link_specs(load_scenario({**PULSE_FILE, "demands": [demand]}))
    return spec


def _pair_demand(protocol: str, **fields: Any) -> Any:
    demand = {"kind": "qkd", "protocol": protocol, "between": ["a", "b"], **fields}
    return load_scenario({**PAIR_FILE, "demands": [demand]}).demands[0]


def test_the_tables_cover_every_field_of_every_protocol():
    for protocol, table in PULSE_FIELDS.items():
        fields = set(schema.QKD_DEMANDS[protocol].model_fields)
        assert fields == set(table) | TAGS | {"block_size"} | RATE_ONLY.get(protocol, set()), \
            protocol
    for protocol, table in PAIR_OPTIONS.items():
        fields = set(schema.QKD_DEMANDS[protocol].model_fields)
        assert fields == set(table) | set(PAIR_TARGETS) | TAGS, protocol


@pytest.mark.parametrize(("protocol", "name"),
                         [(p, n) for p, table in PULSE_FIELDS.items() for n in table])
def test_each_field_of_a_pulse_protocol_reaches_its_run(protocol, name):
    value, received, read = PULSE_FIELDS[protocol][name]
    default = read(_pulse_spec(protocol).runner)
    changed = read(_pulse_spec(protocol, **{name: value}).runner)
    assert changed == received
    assert changed != default


@pytest.mark.parametrize("protocol", list(PULSE_FIELDS))
def test_the_block_size_and_rate_of_a_pulse_protocol_reach_its_key_network_link(protocol):
    spec = _pulse_spec(protocol, block_size=5000, source_rate="50 MHz")
    assert (spec.block_size_bits, spec.source_rate_hz) == (5000, 5e7)
    default = _pulse_spec(protocol)
    assert (default.block_size_bits, default.source_rate_hz) == (1_000_000, 1e8)


def test_an_attack_is_named_on_the_key_network_link():
    assert _pulse_spec("bb84", attack={"kind": "pns"}).attack == "pns"
    assert _pulse_spec("tf").attack is None


@pytest.mark.parametrize(("protocol", "name"),
                         [(p, n) for p, table in PAIR_OPTIONS.items() for n in table])
def test_each_key_option_of_a_pair_protocol_reaches_its_run(protocol, name):
    value, received, read = PAIR_OPTIONS[protocol][name]
    default = read(pair_run(_pair_demand(protocol)))
    changed = read(pair_run(_pair_demand(protocol, **{name: value})))
    assert changed == received
    assert changed != default


def test_pair_protocols_run_their_own_measurement():
    assert pair_run(_pair_demand("bbm92")).stream.__name__ == "Bbm92Stream"
    assert pair_run(_pair_demand("e91")).stream.__name__ == "E91Stream"


def _pair_entry(protocol: str, **fields: Any) -> dict[str, Any]:
    demand = {"kind": "qkd", "protocol": protocol, "between": ["a", "b"], "block_size": 1000,
              **fields}
    doc = qinet.simulate({**PAIR_FILE, "demands": [demand]}).to_dict()
    entry: dict[str, Any] = doc["demands"][0]
    return entry


@pytest.mark.parametrize("protocol", list(PAIR_OPTIONS))
def test_the_pair_targets_of_a_pair_protocol_reach_its_run(protocol):
    default = _pair_entry(protocol)
    targets = {name: spec[0] for name, spec in PAIR_TARGETS.items() if name != "rate"}
    changed = _pair_entry(protocol, **targets)
    for name, (_, key, expected) in PAIR_TARGETS.items():
        if name != "rate":
            assert changed[key] == pytest.approx(expected), name
            assert default[key] != changed[key], name
    # about 250 kHz of pairs: every 10 ms window has some, none has 1 MHz's worth
    windowed = _pair_entry(protocol, window="10 ms")
    rated = _pair_entry(protocol, window="10 ms", rate="1 MHz")
    assert windowed["rate_target_hz"] is None
    assert rated["rate_target_hz"] == 1e6
    assert (windowed["outage_probability"], rated["outage_probability"]) == (0.0, 1.0)


def test_the_z_basis_probability_of_bbm92_changes_the_sifted_key():
    even = _pair_entry("bbm92")["key"]
    leaning = _pair_entry("bbm92", z_basis_probability=0.9)["key"]
    assert even["pairs_measured"] == leaning["pairs_measured"]
    n = even["pairs_measured"]
    # both ends in Z: p^2 of the pairs, within 5 sigma of the binomial
    for key, p in ((even, 0.5), (leaning, 0.9)):
        share = p * p
        assert key["sifted_bits"] == pytest.approx(n * share,
                                                   abs=5 * (n * share * (1 - share)) ** 0.5)


def _refused(protocol: str) -> list[str]:
    own = set(schema.QKD_DEMANDS[protocol].model_fields)
    return sorted(set(SAMPLES) - own)


@pytest.mark.parametrize(("protocol", "name"),
                         [(p, n) for p in schema.QKD_DEMANDS for n in _refused(p)])
def test_a_field_of_another_protocol_is_refused_by_name(protocol, name):
    base = PAIR_FILE if protocol in schema.ENTANGLEMENT_PROTOCOLS else PULSE_FILE
    demand = {"kind": "qkd", "protocol": protocol, "between": ["a", "b"], name: SAMPLES[name]}
    with pytest.raises(ConfigError) as info:
        load_scenario({**base, "demands": [demand]})
    assert info.value.field == f"demands[0].{name}"
    article = "an" if protocol[0] in "aeiou" else "a"
    assert info.value.reason.startswith(f"not a field of {article} {protocol} demand (a field "
                                        f"of protocol ")
    owners = [p for p, model in schema.QKD_DEMANDS.items() if name in model.model_fields]
    assert f"protocol {', '.join(owners)})" in info.value.reason


def test_the_message_for_a_bbm92_demand_with_misalignment():
    demand = {"kind": "qkd", "between": ["a", "b"], "misalignment": 0.4}  # bbm92 by default
    with pytest.raises(ConfigError) as info:
        load_scenario({**PAIR_FILE, "demands": [demand]})
    assert str(info.value) == ("demands[0].misalignment: not a field of a bbm92 demand (a "
                               "field of protocol bb84, bb84-decoy, mdi, tf, sns, "
                               "bb84-one-decoy, four-phase), got 0.4")


def test_a_misspelt_field_still_gets_a_did_you_mean():
    demand = {"kind": "qkd", "protocol": "tf", "between": ["a", "b"], "phase_slice": 8}
    with pytest.raises(ConfigError) as info:
        load_scenario({**PULSE_FILE, "demands": [demand]})
    assert str(info.value) == ('demands[0].phase_slice: unknown field, got 8; did you mean '
                               '"phase_slices"?')


def test_a_field_of_another_kind_is_refused_by_name():
    demand = {"kind": "entanglement", "between": ["a", "b"], "block_size": 5000}
    with pytest.raises(ConfigError) as info:
        load_scenario({**PAIR_FILE, "demands": [demand]})
    assert str(info.value) == ("demands[0].block_size: not a field of an entanglement demand "
                               "(a field of kind qkd), got 5000")


def test_a_field_of_another_link_scheme_is_refused_by_name():
    link = {"between": ["a", "b"], "length": "2 km", "scheme": "double-click",
            "bright_state": 0.1}
    with pytest.raises(ConfigError) as info:
        load_scenario({**PAIR_FILE, "links": [link]})
    assert str(info.value) == ("links[0].bright_state: not a field of a double-click link (a "
                               "field of scheme single-click), got 0.1")


def test_an_unknown_protocol_names_the_protocols():
    demand = {"kind": "qkd", "protocol": "b92", "between": ["a", "b"]}
    with pytest.raises(ConfigError) as info:
        load_scenario({**PULSE_FILE, "demands": [demand]})
    assert info.value.field == "demands[0].protocol"
    assert info.value.reason == ("unknown protocol 'b92'; use one of 'bbm92', 'e91', 'bb84', "
                                 "'bb84-decoy', 'mdi', 'tf', 'sns', 'bb84-one-decoy', "
                                 "'four-phase'")


def test_a_qkd_demand_without_a_protocol_is_bbm92_and_dumps_back():
    s = load_scenario({**PAIR_FILE, "demands": [{"kind": "qkd", "between": ["a", "b"]}]})
    assert isinstance(s.demands[0], schema.BBM92Demand)
    assert schema.Scenario.model_validate(s.model_dump()) == s


@pytest.mark.parametrize("name", ["z_basis_probability", "sample_fraction", "epsilon_sec"])
def test_probabilities_the_runs_refuse_at_one_are_refused_by_the_schema(name):
    demand = {"kind": "qkd", "protocol": "bb84", "between": ["a", "b"], name: 1}
    with pytest.raises(ConfigError) as info:
        load_scenario({**PULSE_FILE, "demands": [demand]})
    assert str(info.value) == f"demands[0].{name}: must be below 1, got 1"


def test_a_bad_thread_cap_is_named_when_a_scenario_with_ldpc_is_built(monkeypatch):
    from qinet.qkd.postprocessing import THREADS_ENV
    from qinet.scenario import Simulation

    text = ("nodes: [{name: a}, {name: b}]\n"
            "links: [{between: [a, b], length: 20 km, scheme: qkd}]\n"
            "demands: [{kind: qkd, protocol: bb84-decoy, between: [a, b],"
            " reconciliation: ldpc}]\n")
    monkeypatch.setenv(THREADS_ENV, "many")
    with pytest.raises(ConfigError, match=THREADS_ENV):
        Simulation(load_scenario(text))
    monkeypatch.setenv(THREADS_ENV, "1")
    Simulation(load_scenario(text))  # a good one builds
