"""Decoy intensities chosen per link: a key where the old fixed defaults gave none."""

import pytest

from qinet.physical.detectors import Detector
from qinet.physical.fibre import Fibre
from qinet.physical.sources import WeakCoherentSource
from qinet.qkd.decoy_choice import choose_decoy_parameters, expected_block_rate
from qinet.qkd.protocols._bb84_channel import PrepareMeasureLink
from qinet.scenario import load_scenario
from qinet.scenario.qkd_protocols import _weak_source, decoy_choice, decoy_notes

# 50 km of standard fibre, the schema's default detector and window, 3 % misalignment
FIBRE = Fibre(50.0, 0.2, 1.4682)
DETECTOR = Detector(0.9, 10.0, 50e-9, 30e-12)
OPTIONS = {"detection_window_s": 1e-9, "misalignment": 0.03, "z_basis_probability": 0.5,
           "block_size": 1_000_000, "epsilon_sec": 1e-10, "epsilon_cor": 1e-15}
OLD_DEFAULTS = ((0.5, 0.1, 0.0), (0.8, 0.1, 0.1))


def _bits_per_pulse(mus, probs):
    link = PrepareMeasureLink(
        WeakCoherentSource(rate_hz=1e8, intensities=mus, probabilities=probs), FIBRE,
        DETECTOR, detection_window_s=1e-9, misalignment=0.03, z_basis_probability=0.5)
    length, pulses = expected_block_rate(link, block_size=1_000_000, epsilon_sec=1e-10,
                                         epsilon_cor=1e-15)
    return length / pulses


def test_old_defaults_give_no_key_where_the_chosen_ones_do():
    assert _bits_per_pulse(*OLD_DEFAULTS) < 0  # every block would abort
    choice = choose_decoy_parameters(FIBRE, DETECTOR, **OPTIONS)
    assert choice.key_bits_per_pulse > 0
    # the choice reports the floored length ℓ (about 2e5 bits): within 1e-5 of ℓ / N
    assert choice.key_bits_per_pulse == pytest.approx(
        _bits_per_pulse(choice.intensities, choice.probabilities), rel=1e-5)
    # at least as good as a sensible hand choice with more decoys
    assert choice.key_bits_per_pulse >= _bits_per_pulse((0.5, 0.1, 0.0), (0.5, 0.3, 0.2))


def test_the_choice_is_a_valid_decoy_source_and_a_local_optimum():
    choice = choose_decoy_parameters(FIBRE, DETECTOR, **OPTIONS)
    mu1, mu2, mu3 = choice.intensities
    assert mu1 > mu2 > mu3 == 0.0
    assert min(choice.probabilities) > 0
    assert sum(choice.probabilities) == pytest.approx(1.0, abs=1e-9)
    best = _bits_per_pulse(choice.intensities, choice.probabilities)
    p1, p2, p3 = choice.probabilities
    # values are rounded to 3 decimals: a neighbour 0.03 away may not beat them by more
    # than the rounding could cost
    for mus, probs in [((mu1 + 0.03, mu2, 0.0), choice.probabilities),
                       ((mu1 - 0.03, mu2, 0.0), choice.probabilities),
                       ((mu1, mu2 + 0.03, 0.0), choice.probabilities),
                       ((mu1, mu2 - 0.03, 0.0), choice.probabilities),
                       (choice.intensities, (p1 + 0.03, p2 - 0.03, p3)),
                       (choice.intensities, (p1 - 0.03, p2 + 0.03, p3)),
                       (choice.intensities, (p1, p2 - 0.03, p3 + 0.03))]:
        assert _bits_per_pulse(mus, probs) <= best * (1 + 1e-3)


def test_choices_are_cached_per_link_parameters():
    first = choose_decoy_parameters(FIBRE, DETECTOR, **OPTIONS)
    assert choose_decoy_parameters(Fibre(50.0, 0.2, 1.4682), DETECTOR, **OPTIONS) is first
    longer = choose_decoy_parameters(Fibre(80.0, 0.2, 1.4682), DETECTOR, **OPTIONS)
    assert longer.key_bits_per_pulse < first.key_bits_per_pulse


SCENARIO = """\
nodes: [{{name: a}}, {{name: b}}]
links: [{{between: [a, b], length: 50 km, scheme: qkd}}]
demands: [{{kind: qkd, protocol: bb84-decoy, between: [a, b], misalignment: 0.03{extra}}}]
"""


def test_a_demand_without_intensities_gets_the_chosen_ones_and_a_note():
    s = load_scenario(SCENARIO.format(extra=""))
    link, demand = s.links[0], s.demands[0]
    choice = choose_decoy_parameters(FIBRE, DETECTOR, **OPTIONS)
    assert decoy_choice(s, link, demand) is choice
    source = _weak_source(s, link, demand)
    assert (source.intensities, source.probabilities) == (choice.intensities,
                                                          choice.probabilities)
    (note,) = decoy_notes(s)
    mus, probs = choice.intensities, choice.probabilities
    assert note.startswith(f"demands[0] bb84-decoy a-b: no intensities given; chose signal "
                           f"{mus[0]:g}, decoy {mus[1]:g}, vacuum 0 photons per pulse, sent "
                           f"with probabilities {probs[0]:g}, {probs[1]:g}, {probs[2]:g} "
                           f"(expected finite-key rate ")
    assert note.endswith(" at 100 MHz, blocks of 1,000,000 bits)")


@pytest.mark.parametrize(("extra", "mus", "probs"), [
    (", intensities: [0.6, 0.2, 0.0], intensity_probabilities: [0.7, 0.2, 0.1]",
     (0.6, 0.2, 0.0), (0.7, 0.2, 0.1)),
    (", intensities: [0.6, 0.2, 0.0]", (0.6, 0.2, 0.0), (1 / 3, 1 / 3, 1 / 3)),
    (", intensity_probabilities: [0.5, 0.3, 0.2]", (0.5, 0.1, 0.0), (0.5, 0.3, 0.2)),
])
def test_given_values_are_used_unchanged(extra, mus, probs):
    s = load_scenario(SCENARIO.format(extra=extra))
    assert decoy_choice(s, s.links[0], s.demands[0]) is None
    assert decoy_notes(s) == []
    source = _weak_source(s, s.links[0], s.demands[0])
    assert source.intensities == pytest.approx(mus)
    assert source.probabilities == pytest.approx(probs)


@pytest.mark.parametrize("fibre", [Fibre(400.0, 0.2, 1.4682), Fibre(10.0, 0.2, 1.4682)])
def test_a_link_without_key_still_gets_a_decoy_set(fibre):
    # 400 km: lost in the dark counts; 10 km with detectors drowned in noise (Raman-like)
    detector = DETECTOR if fibre.length_km > 100 else Detector(0.9, 5e8, 50e-9, 30e-12)
    choice = choose_decoy_parameters(fibre, detector, **OPTIONS)
    assert choice.key_bits_per_pulse == 0
    mu1, mu2, mu3 = choice.intensities
    assert mu1 > mu2 + mu3
    assert mu2 > mu3 == 0.0
    assert min(choice.probabilities) > 0
    assert sum(choice.probabilities) == pytest.approx(1.0)
