"""The real-time driver: simulated time = wall time x speed-up, key material into the pools."""

from __future__ import annotations

import time

import pytest

from qinet.errors import ConfigError
from qinet.service.driver import RealtimeDriver
from qinet.service.kms.store import KeyStore
from tests.service.qkd_supply import RUN_PULSES, DecoyBB84Supply


class FakeClock:
    """A wall clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store(tmp_path):
    with KeyStore.open(tmp_path) as opened:
        yield opened


def test_a_step_forwards_speedup_times_wall_time_and_deposits_the_key(store):
    # 1e8 pulses/s: one run of RUN_PULSES pulses needs 0.2 simulated seconds
    supply = DecoyBB84Supply([("bob", "alice")], pulse_rate_hz=1e8)
    driver = RealtimeDriver(supply, store, speedup=4.0)
    assert driver.step(0.01) == 0  # 0.04 s simulated: not yet a full run
    accepted = driver.step(0.04)  # 0.16 s more: 0.2 s in all, one run
    assert supply.seconds == pytest.approx([0.04, 0.16])
    assert driver.simulated_s == pytest.approx(0.2)
    assert supply.runs == 1
    level = store.levels()[("alice", "bob")]
    assert accepted == level.stored_bytes == level.deposited_bytes == driver.bytes_accepted
    assert accepted > 10_000  # a 10 km decoy BB84 block of RUN_PULSES pulses: ~20 kB
    status = driver.status()["driver"]
    assert status["ticks"] == 2
    assert status["simulated_s"] == pytest.approx(0.2)


def test_the_thread_ticks_with_the_clock_and_stops(store):
    clock = FakeClock()
    supply = DecoyBB84Supply([("alice", "bob")], pulse_rate_hz=RUN_PULSES / 0.5)
    driver = RealtimeDriver(supply, store, speedup=2.0, tick_s=0.01, clock=clock)
    driver.start()
    clock.now += 0.25  # 0.5 s simulated: one run
    deadline = time.monotonic() + 30
    while supply.runs < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    driver.stop()
    assert not driver.status()["driver"]["running"]
    assert sum(supply.seconds) == pytest.approx(0.5)
    assert store.levels()[("alice", "bob")].stored_bytes > 0


@pytest.mark.parametrize(("speedup", "tick_s"), [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.0)])
def test_bad_settings_are_refused(store, speedup, tick_s):
    supply = DecoyBB84Supply([("alice", "bob")])
    with pytest.raises(ConfigError):
        RealtimeDriver(supply, store, speedup=speedup, tick_s=tick_s)
