"""Layer L1a: pure physics of quantum-network hardware.

Vectorised functions of SI parameters (units in the names) and frozen, validated
parameter dataclasses. Nothing here knows about the timeline, devices or protocols; it
imports only :mod:`qinet.errors` and :mod:`qinet.units` from qinet.

Examples:
    >>> from qinet.physical import Detector, Fibre
    >>> span, snspd = Fibre(length_km=50.0), Detector(efficiency=0.9)
    >>> round(span.transmittance * snspd.efficiency, 6)
    0.09
"""

from qinet.physical.detectors import (
    Detector,
    click_probability_coherent,
    click_probability_fock,
    dark_count_probability,
    detected_rate_nonparalyzable,
    detected_rate_paralyzable,
    jitter_window_efficiency,
)
from qinet.physical.fibre import (
    DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM,
    Fibre,
    attenuation_per_km,
    dispersion_broadening_s,
    fibre_delay_s,
    fibre_transmittance,
    photon_energy_j,
    raman_noise_rate_hz,
)
from qinet.physical.memories import (
    QuantumMemory,
    amplitude_damping_gamma,
    dephasing_probability,
    fidelity_after_storage_werner,
    memory_pauli_twirl,
    storage_cutoff_s,
)
from qinet.physical.sources import (
    SinglePhotonSource,
    SPDCSource,
    WeakCoherentSource,
    poisson_photon_number_pmf,
    thermal_photon_number_pmf,
)
from qinet.physical.timing import (
    Clock,
    coincidence_probability,
    window_for_coincidence_probability,
)

__all__ = [
    "DEFAULT_RAMAN_COEFFICIENT_PER_KM_PER_NM",
    "Clock",
    "Detector",
    "Fibre",
    "QuantumMemory",
    "SPDCSource",
    "SinglePhotonSource",
    "WeakCoherentSource",
    "amplitude_damping_gamma",
    "attenuation_per_km",
    "click_probability_coherent",
    "click_probability_fock",
    "coincidence_probability",
    "dark_count_probability",
    "dephasing_probability",
    "detected_rate_nonparalyzable",
    "detected_rate_paralyzable",
    "dispersion_broadening_s",
    "fibre_delay_s",
    "fibre_transmittance",
    "fidelity_after_storage_werner",
    "jitter_window_efficiency",
    "memory_pauli_twirl",
    "photon_energy_j",
    "poisson_photon_number_pmf",
    "raman_noise_rate_hz",
    "storage_cutoff_s",
    "thermal_photon_number_pmf",
    "window_for_coincidence_probability",
]
