"""A QKD receiver built from gated avalanche photodiodes (``kind: gated_apd``).

A gated diode's clicks depend on its own history (hold-off, afterpulses), which the
prepare-and-measure samplers, drawing pulses independently, do not follow. In steady
state that history enters through two numbers of the renewal model of
:mod:`qinet.physical.gated_detectors`: the probability ``A`` that a gate is armed and
the probability ``b`` that a gate without a primary avalanche clicks by afterpulse, both
fixed by the mean primary probability per gate over the run. The receiver then uses the
equivalent threshold detector of
:meth:`~qinet.physical.gated_detectors.GatedDetector.equivalent_detector`, exact for
single photons and to first order in the photons per gate for weak pulses; dark counts,
Raman photons and afterpulses land on a random bit, so half of them are errors.

Each of Bob's two detectors receives, on average, half of the light that reaches him
(the bit is random), and Raman photons in its share of the filter band (the caller's
``raman_hz``). Gates without a pulse (``gate_frequency`` above the source rate) see dark
counts and Raman light only.
"""

from __future__ import annotations

import math

import numpy as np

from qinet.errors import ConfigError
from qinet.physical.detectors import Detector
from qinet.physical.gated_detectors import GatedDetector
from qinet.physical.sources import SinglePhotonSource, WeakCoherentSource
from qinet.scenario import schema

GATED_PROTOCOLS = ("bb84", "bb84-decoy")
"""Protocols whose receiver may use gated diodes (two detectors behind Bob's basis choice)."""


def gated_diode(spec: schema.GatedApdHardware) -> GatedDetector:
    """The physical model of a ``gated_apd`` entry; the hold-off is rounded to whole gates.

    Examples:
        >>> spec = schema.GatedApdHardware(kind="gated_apd", hold_off="12 ns")
        >>> gated_diode(spec).hold_off_gates
        12
    """
    return GatedDetector(gate_frequency_hz=spec.gate_frequency, efficiency=spec.efficiency,
                         dark_probability_per_gate=spec.dark_probability,
                         hold_off_gates=round(spec.hold_off * spec.gate_frequency),
                         afterpulse_probability=spec.afterpulse_probability,
                         trap_lifetime_s=spec.trap_lifetime)


def _no_light_probability(source: WeakCoherentSource | SinglePhotonSource,
                          per_photon: float) -> float:
    """Probability that none of a pulse's photons reaches one detector, each photon
    reaching it with ``per_photon``, averaged over the source's classes."""
    if isinstance(source, SinglePhotonSource):
        pmf = np.asarray(source.pmf(2), dtype=float)
        return float(pmf @ (1.0 - per_photon) ** np.arange(pmf.size))
    mus = np.asarray(source.intensities, dtype=float)
    weights = np.asarray(source.probabilities, dtype=float)
    return float(weights @ np.exp(-mus * per_photon))


def receiver_detector(spec: schema.GatedApdHardware, *, protocol: str,
                      source: WeakCoherentSource | SinglePhotonSource,
                      transmittance: float, window_s: float, raman_hz: float) -> Detector:
    """The equivalent detector of each of Bob's two gated diodes in their steady state.

    The mean primary probability per gate of one diode is
    ``f [1 - (1 - p_d') P0] + (1 - f) p_d'`` with ``f = source_rate / gate_frequency``
    the share of gates holding a pulse, ``P0`` the probability that no photon of a pulse
    reaches the diode (each photon with ``T eta / 2``) and
    ``p_d' = 1 - (1 - p_d) exp(-eta R w)`` the dark and Raman probability of a gate of
    width ``w`` (``R = raman_hz``).

    Args:
        spec: the diode.
        protocol: the demand's protocol (``bb84`` or ``bb84-decoy``).
        source: Alice's source (its rate and photon statistics).
        transmittance: fibre transmittance from Alice to Bob.
        window_s: gate width in s.
        raman_hz: Raman photons per second reaching this diode's filter share.

    Raises:
        ConfigError: ``detector`` for another protocol; ``source_rate`` above the gate
            frequency.
    """
    if protocol not in GATED_PROTOCOLS:
        raise ConfigError("detector", f"a gated_apd serves the receivers of "
                                      f"{', '.join(GATED_PROTOCOLS)}, not {protocol}")
    if source.rate_hz > spec.gate_frequency:
        raise ConfigError("source_rate", f"must be at most the gated detector's gate "
                                         f"frequency {spec.gate_frequency:g} Hz, got "
                                         f"{source.rate_hz:g} Hz")
    diode = gated_diode(spec)
    eta = diode.efficiency
    p_dark = -math.expm1(math.log1p(-diode.dark_probability_per_gate) - eta * raman_hz
                         * window_s)
    lit = 1.0 - (1.0 - p_dark) * _no_light_probability(source, transmittance * eta / 2.0)
    share = source.rate_hz / spec.gate_frequency
    mean_primary = share * lit + (1.0 - share) * p_dark
    noisy = GatedDetector(gate_frequency_hz=diode.gate_frequency_hz, efficiency=eta,
                          dark_probability_per_gate=p_dark,
                          hold_off_gates=diode.hold_off_gates,
                          afterpulse_probability=diode.afterpulse_probability,
                          trap_lifetime_s=diode.trap_lifetime_s)
    return noisy.equivalent_detector(mean_primary, window_s)
