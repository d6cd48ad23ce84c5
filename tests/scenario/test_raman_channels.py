"""Classical channels on a QKD link: their Raman noise reaches the receiver's detectors."""

import math

import pytest

import qinet
from qinet.errors import ConfigError
from qinet.scenario import load_scenario
from qinet.scenario.qkd_protocols import DEFAULT_INTENSITIES, decoy_notes, make_runner

H, C = 6.62607015e-34, 299792458.0
RHO, WAVELENGTH_M = 3e-9, 1550e-9  # the defaults of qinet.physical.fibre

_SCENARIO = """
seed: 3
duration: 20 ms
hardware:
  det: {{kind: detector, efficiency: 0.5, dark_count_rate: 100 Hz}}
  smf: {{kind: fibre, attenuation: 0.18 dB/km}}
nodes: [{{name: a}}, {{name: b}}]
links:
  - between: [a, b]
    length: {length} km
    scheme: qkd
    fibre: smf
    detector: det
    station_position: 0.3
    classical_channels: [{channels}]
    {extra}
demands:
  - {{kind: qkd, between: [a, b], block_size: 10000, {demand}}}
"""


def _scenario(channels: str, demand: str = "protocol: bb84-decoy", *, length: float = 25.0,
              extra: str = ""):
    return _SCENARIO.format(channels=channels, demand=demand, length=length, extra=extra)


def _raman_closed_form(power_w: float, length_km: float, *, co: bool, band_nm: float,
                       attenuation_db_per_km: float = 0.18) -> float:
    """Eraerds et al. 2010: forward ``P_out rho L dλ``, backward
    ``P_in rho dλ (1 - e^{-2αL}) / 2α``, in photons per second."""
    alpha = attenuation_db_per_km * math.log(10) / 10
    if co:
        watts = power_w * math.exp(-alpha * length_km) * RHO * length_km * band_nm
    else:
        watts = power_w * RHO * band_nm * (1 - math.exp(-2 * alpha * length_km)) / (2 * alpha)
    return watts / (H * C / WAVELENGTH_M)


def _detector(text: str):
    scenario = load_scenario(text)
    runner = make_runner(scenario, scenario.links[0], scenario.demands[0], "demands[0]")
    return runner.optics.detector


def test_raman_noise_adds_each_detectors_share_to_its_dark_counts():
    channels = "{power: 1 mW, direction: co}, {power: 0.5 mW, direction: counter}"
    noise = (_raman_closed_form(1e-3, 25.0, co=True, band_nm=0.6)
             + _raman_closed_form(0.5e-3, 25.0, co=False, band_nm=0.6))
    # BB84: Bob's two detectors share the unpolarised noise
    bb84 = _detector(_scenario(channels, extra="raman_filter: 0.6 nm"))
    assert bb84.dark_count_rate_hz == pytest.approx(100 + noise * 0.5 / 2, rel=1e-12)
    assert noise * 0.5 / 2 == pytest.approx(4.97e7, rel=0.01)  # swamps the 100 Hz

    # MDI: both arms (7.5 km and 17.5 km) carry the channels; four detectors at the station
    arms = (7.5, 17.5)
    noise_mdi = sum(_raman_closed_form(1e-3, arm, co=True, band_nm=0.8)
                    + _raman_closed_form(0.5e-3, arm, co=False, band_nm=0.8) for arm in arms)
    mdi = _detector(_scenario(channels, "protocol: mdi"))
    assert mdi.dark_count_rate_hz == pytest.approx(100 + noise_mdi * 0.5 / 4, rel=1e-12)

    # without channels the detector is the hardware's
    assert _detector(_scenario("")).dark_count_rate_hz == 100.0


def test_co_propagating_power_raises_qber_and_removes_the_key():
    demand = ("protocol: bb84-decoy, intensities: [0.5, 0.1, 0.0], "
              "intensity_probabilities: [0.8, 0.1, 0.1]")
    quiet, noisy = (qinet.simulate(_scenario(c, demand, length=50.0)).to_dict()["qkd_links"][0]
                    for c in ("", "{power: 5 mW, direction: co}"))
    assert quiet["pulses"] == noisy["pulses"]
    # ~1e8 noise clicks per second per detector against ~1e6 signal clicks: close to 1/2
    assert quiet["qber"]["Z"] < 0.02
    assert noisy["qber"]["Z"] > 0.4
    assert quiet["asymptotic_key_rate_bps"] > 1e5
    assert noisy["asymptotic_key_rate_bps"] == 0.0
    assert noisy["secret_key_rate_bps"] <= quiet["secret_key_rate_bps"]
    assert noisy["key_bits"] == 0


@pytest.mark.parametrize(("power", "why"), [("1", "unit"), ("-1 mW", "non-negative")])
def test_a_bad_power_is_named_after_its_field(power, why):
    with pytest.raises(ConfigError, match=rf"^links\[0\]\.classical_channels\[0\]\.power: .*{why}"):
        load_scenario(_scenario(f"{{power: {power}}}"))


def test_an_unknown_direction_is_refused():
    with pytest.raises(ConfigError, match=r"links\[0\]\.classical_channels\[0\]\.direction"):
        load_scenario(_scenario("{power: 1 mW, direction: sideways}"))


def test_an_entanglement_link_refuses_classical_channels():
    text = """
nodes: [{name: a}, {name: b}]
links:
  - {between: [a, b], length: 10 km, scheme: double-click,
     classical_channels: [{power: 1 mW}]}
"""
    refused = r"^links\[0\]\.classical_channels: not a field of a double-click link"
    with pytest.raises(ConfigError, match=refused + r" \(a field of scheme qkd\)"):
        load_scenario(text)


def test_a_dumped_link_loads_back_the_same():
    scenario = load_scenario(_scenario("{power: -3 dBm, direction: counter}",
                                       extra="raman_filter: 0.6 nm"))
    assert load_scenario(scenario.model_dump()) == scenario
    (channel,) = scenario.links[0].classical_channels
    assert channel.power == pytest.approx(10 ** -0.3 * 1e-3)
    assert scenario.links[0].raman_filter == pytest.approx(0.6e-9)


def test_a_link_drowned_in_raman_noise_runs_the_default_decoy_intensities():
    text = _scenario("{power: 5 mW}", length=50.0)
    (note,) = decoy_notes(load_scenario(text))
    assert "no intensities give a key on this link" in note
    scenario = load_scenario(text)
    runner = make_runner(scenario, scenario.links[0], scenario.demands[0], "demands[0]")
    assert runner.optics.source.intensities == DEFAULT_INTENSITIES["bb84-decoy"][0]
