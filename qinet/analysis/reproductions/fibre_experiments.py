"""Published figures of fibre QKD experiments, recomputed from their stated hardware.

Gobby, Yuan and Shields 2004 (phase-encoded BB84 at 2 MHz over standard fibre): the
QBER of the sifted key at 101 and 122 km, from the ``gobby-122km`` preset's hardware
(the "GYS" column of Ma et al.'s Table I, and the clock and mean photon number of the
paper). qinet's figure is the expected QBER of a weak coherent pulse of mean μ,

    E = (Y0 / 2 + e_d (1 - exp(-η μ))) / (Y0 + 1 - exp(-η μ)),  η = 10^(-α L / 10) η_Bob

(:func:`qinet.qkd.bounds.gain_and_qber`, Ma et al. 2005, eqs. 10-11), with every input
read from the preset, so the preset is the one place the paper's parameters live. The
preset's run samples the same model (``tests/analysis/test_fibre_experiments.py`` holds
the run's QBERs to it within their shot noise).

The tolerance is the paper's own statistical error: each QBER is the average over a
two-minute key transfer, so it carries the binomial spread of the sifted bits of two
minutes at that length; the entries allow two of its standard deviations (about a 95 %
interval) plus half a unit of the printed digit (0.05 points). :func:`paper_qber_sigma`
computes that spread; the test checks each tolerance against it.

The 4.4 km point sets the optical error (3.3 %) and so is no test of it; the 65 km point
is read in docs/experiments.md, where qinet's 3.7 % sits at the edge of what the paper
allows. The other experiments searched for, and why they are no entries yet, are listed
there too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from qinet.analysis.reproductions import Paper, Reproduction
from qinet.errors import ConfigError
from qinet.physical.fibre import fibre_transmittance
from qinet.qkd.bounds import gain_and_qber
from qinet.scenario import load_scenario, preset_path, schema

GOBBY_PRESET = "gobby-122km"

_GOBBY_2004 = Paper("C. Gobby, Z. L. Yuan and A. J. Shields", "Appl. Phys. Lett. 84, 3762",
                    2004, doi="10.1063/1.1738173")

# "averaged over a 2-minute key transfer" (the paper, as a public replication quotes it);
# the preset's run lasts as long
GOBBY_TRANSFER_S = 120.0


@dataclass(frozen=True, slots=True)
class WeakPulseLink:
    """A weak-coherent BB84 link as its paper states it.

    Attributes:
        length_km: fibre length.
        attenuation_db_per_km: fibre loss α.
        bob_efficiency: η_Bob, Bob's optics times his detectors' efficiency.
        background_yield: Y0, Bob's background clicks per pulse over both detectors.
        misalignment: e_d, the chance a detected photon lands in the wrong detector.
        mu: mean photon number of the signal pulses leaving Alice.
        pulse_rate_hz: the clock.
    """

    length_km: float
    attenuation_db_per_km: float
    bob_efficiency: float
    background_yield: float
    misalignment: float
    mu: float
    pulse_rate_hz: float

    @property
    def transmittance(self) -> float:
        """η = 10^(-α L / 10) η_Bob."""
        return float(fibre_transmittance(self.length_km, self.attenuation_db_per_km)
                     * self.bob_efficiency)

    def gain_and_qber(self) -> tuple[float, float]:
        """``(Q_μ, E_μ)`` per pulse (:func:`qinet.qkd.bounds.gain_and_qber`)."""
        gain, qber = gain_and_qber(self.mu, transmittance_total=self.transmittance,
                                   dark_count_probability=self.background_yield,
                                   misalignment=self.misalignment)
        return float(gain), float(qber)


@cache
def gobby_link(length_km: float) -> WeakPulseLink:
    """The ``gobby-122km`` preset's link of ``length_km``, as a :class:`WeakPulseLink`.

    Y0 is twice the per-detector dark probability (Bob has two detectors); μ is the
    signal class's intensity.

    Raises:
        ConfigError: the preset has no link of that length.
    """
    scenario = load_scenario(preset_path(GOBBY_PRESET))
    for link, demand in zip(scenario.links, scenario.demands, strict=True):
        if not (isinstance(link, schema.QkdLink) and math.isclose(link.length, length_km)):
            continue
        fibre = scenario.hardware[str(link.fibre)]
        detector = scenario.hardware[str(link.detector)]
        if not (isinstance(fibre, schema.FibreHardware)
                and isinstance(detector, schema.GatedApdHardware)
                and isinstance(demand, schema.DecoyBB84Demand) and demand.intensities):
            raise ConfigError(GOBBY_PRESET, "its links are gated-diode bb84-decoy links")
        return WeakPulseLink(
            length_km=length_km, attenuation_db_per_km=fibre.attenuation,
            bob_efficiency=detector.efficiency,
            background_yield=2.0 * detector.dark_probability,
            misalignment=demand.misalignment, mu=demand.intensities[0],
            pulse_rate_hz=demand.source_rate)
    raise ConfigError("length_km", f"{GOBBY_PRESET} has no link of {length_km:g} km")


def paper_qber_sigma(link: WeakPulseLink, averaging_s: float) -> float:
    """Binomial standard deviation of a QBER measured over ``averaging_s`` seconds.

    The sifted bits number ``n = Q_μ R T / 2`` (BB84 with equal bases keeps half the
    clicks) and ``σ = sqrt(E (1 - E) / n)``; ``Q_μ`` and ``E`` are qinet's, the paper's
    own counts not being at hand.

    Examples:
        >>> round(100 * paper_qber_sigma(gobby_link(122.0), GOBBY_TRANSFER_S), 2)
        0.7
    """
    gain, qber = link.gain_and_qber()
    sifted = gain * link.pulse_rate_hz * averaging_s / 2.0
    return math.sqrt(qber * (1.0 - qber) / sifted)


def _gobby_entry(length_km: float, *, published: float, tolerance: float,
                 sifted_bits: str, sigma_points: str) -> Reproduction:
    """The entry of the paper's QBER at ``length_km``; its tolerance is two binomial sigma
    of that QBER (``sigma_points``, from about ``sifted_bits`` sifted bits, as
    :func:`paper_qber_sigma` gives them) plus half the printed digit."""

    def compute(*, quick: bool = False) -> float:
        return 100.0 * gobby_link(length_km).gain_and_qber()[1]

    return Reproduction(
        name=f"gobby2004-qber-{length_km:g}km", paper=_GOBBY_2004,
        quantity=f"QBER of the sifted key over {length_km:g} km of standard fibre, "
                 f"BB84 at mu = 0.1",
        unit="%", published=published, tolerance=tolerance,
        why=f"two binomial sigma of the paper's QBER, a two-minute average of about "
            f"{sifted_bits} sifted bits at this length (sigma {sigma_points} points), plus "
            f"half the printed digit",
        compute=compute, preset=GOBBY_PRESET)


ENTRIES: tuple[Reproduction, ...] = (
    _gobby_entry(122.0, published=8.9, tolerance=1.44, sifted_bits="1,700",
                 sigma_points="0.70"),
    _gobby_entry(101.0, published=6.0, tolerance=0.75, sifted_bits="4,300",
                 sigma_points="0.35"),
)
