"""Devices: the beam-splitter station against two-photon interference, memory banks' books."""

import numpy as np
import pytest

from qinet.devices import BeamSplitterStation, HeraldedStorage, MemoryBank
from qinet.errors import ConfigError, ResourceUnavailable
from qinet.physical import Detector, QuantumMemory

N = 200_000


@pytest.fixture
def rng():
    return np.random.default_rng(11)


def _ideal(visibility=1.0):
    return BeamSplitterStation(Detector(efficiency=1.0, dark_count_rate_hz=0.0, jitter_fwhm_s=0.0),
                               window_s=1e-9, visibility=visibility)


def test_a_lone_photon_picks_a_port_at_random(rng):
    ones, zeros = np.ones(N, bool), np.zeros(N, bool)
    out = _ideal().detect(ones, zeros, rng=rng)
    assert out.single_click.all()
    assert abs(out.plus.mean() - 0.5) < 5 * np.sqrt(0.25 / N)


@pytest.mark.parametrize("visibility", [1.0, 0.7, 0.0])
def test_two_photons_bunch_with_probability_one_plus_v_over_two(visibility, rng):
    # Hong-Ou-Mandel: coincidences (both detectors) occur with probability (1 - V)/2.
    ones = np.ones(N, bool)
    out = _ideal(visibility).detect(ones, ones, rng=rng)
    p = (1 - visibility) / 2
    coincidence = (out.plus & out.minus).mean()
    assert abs(coincidence - p) <= 5 * np.sqrt(p * (1 - p) / N) + 1e-12


def test_dark_counts_click_without_light(rng):
    station = BeamSplitterStation(Detector(dark_count_rate_hz=1e7, jitter_fwhm_s=0.0),
                                  window_s=1e-8)
    none = np.zeros(N, bool)
    out = station.detect(none, none, rng=rng)
    p = station.p_dark
    assert p == pytest.approx(1 - np.exp(-0.1))
    assert abs(out.plus.mean() - p) < 5 * np.sqrt(p * (1 - p) / N)


def test_heralded_storage_stores_binomially(rng):
    storage = HeraldedStorage(write_efficiency=0.3, p_dark=0.0)
    stored, herald = storage.store(np.full(N, 2), rng=rng)
    assert abs(stored.mean() - 0.6) < 5 * np.sqrt(2 * 0.3 * 0.7 / N)
    np.testing.assert_array_equal(herald, stored > 0)


def test_memory_bank_books_slots_and_busy_time():
    bank = MemoryBank("n", 3, QuantumMemory())
    assert [bank.acquire("x", now_ps=0) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ResourceUnavailable, match="all 3 memories"):
        bank.acquire("y", now_ps=1)
    bank.release(1, now_ps=40)
    assert bank.owner(1) is None
    assert bank.free_count == 1
    with pytest.raises(ResourceUnavailable, match="released twice"):
        bank.release(1, now_ps=50)
    assert bank.utilisation(100, now_ps=100) == pytest.approx((40 + 100 + 100) / 300)
    with pytest.raises(ConfigError, match="memories"):
        MemoryBank("n", 0, QuantumMemory())


def test_a_memory_never_holds_two_qubits():
    bank = MemoryBank("n", 1, QuantumMemory())
    bank.occupy(0, since_ps=0)
    with pytest.raises(ResourceUnavailable, match="two qubits"):
        bank.occupy(0, since_ps=5)
    bank.vacate(0, now_ps=10)
    bank.occupy(0, since_ps=10)
