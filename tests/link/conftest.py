import numpy as np
import pytest

from qinet.link.hardware import LinkHardware
from qinet.physical import Detector, Fibre, QuantumMemory


def binomial_tolerance(p: float, n: int, sigmas: float = 5.0) -> float:
    """sigmas standard deviations of a sample mean of n Bernoulli(p) trials."""
    return sigmas * np.sqrt(p * (1.0 - p) / n)


def make_hardware(
    *,
    length_km: float = 20.0,
    memory_efficiency: float = 1.0,
    detector_efficiency: float = 1.0,
    dark_count_rate_hz: float = 0.0,
    window_s: float = 1e-9,
    visibility: float = 1.0,
    t2_s: float = 1.0,
    raw_fidelity: float = 1.0,
    station_position: float = 0.5,
) -> LinkHardware:
    memory = QuantumMemory(efficiency=memory_efficiency, t2_s=t2_s, raw_fidelity=raw_fidelity)
    return LinkHardware(
        memory, memory,
        Fibre(length_km * station_position), Fibre(length_km * (1 - station_position)),
        Detector(efficiency=detector_efficiency, dark_count_rate_hz=dark_count_rate_hz,
                 jitter_fwhm_s=0.0),
        detection_window_s=window_s, visibility=visibility,
    )


@pytest.fixture
def rng():
    return np.random.default_rng(20261122)
