"""The real-time driver: simulated time = wall time x speed-up, key material into the pools."""

from __future__ import annotations

import time
from unittest import mock

import pytest

from qinet.errors import ConfigError, ResourceUnavailable
from qinet.service.driver import RealtimeDriver
from qinet.service.kms.store import KeyStore
from tests.service.qkd_supply import RUN_PULSES, DecoyBB84Supply, KeyAmount


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


class FixedSupply:
    """A supply that yields the same amount every call (no simulation)."""

    def __init__(self, n_bytes: int) -> None:
        self.n_bytes = n_bytes

    def advance(self, seconds: float) -> list[KeyAmount]:
        return [KeyAmount("alice", "bob", self.n_bytes)]


def test_deposits_are_fresh_csprng_bytes_never_a_function_of_the_supply(store):
    driver = RealtimeDriver(FixedSupply(64), store)
    driver.step(0.1)
    driver.step(0.1)
    keys = store.issue(master_kme="alice", slave_kme="bob", master_sae="a", slave_saes=("b",),
                       number=2, size_bits=512).result()
    assert keys[0].material != keys[1].material  # same amounts, other bytes
    assert driver.status()["driver"]["key_material"] == "os-csprng"


def test_a_failed_commit_drops_that_tick_and_the_supply_goes_on(store):
    clock = FakeClock()
    driver = RealtimeDriver(FixedSupply(32), store, tick_s=0.01, clock=clock)
    real_supply = store.supply
    failures = iter([True, False, False, False])

    def flaky(deposits, *, simulated_s):
        if next(failures, False):
            raise ResourceUnavailable("disk full")
        return real_supply(deposits, simulated_s=simulated_s)

    with mock.patch.object(store, "supply", side_effect=flaky):
        driver.start()
        deadline = time.monotonic() + 10
        while driver.ticks < 3 and time.monotonic() < deadline:
            clock.now += 0.01
            time.sleep(0.02)
        driver.stop()
    assert driver.failed_deposits == 1
    assert "disk full" in driver.status()["driver"]["error"]
    level = store.levels()[("alice", "bob")]
    assert level.deposited_bytes == 32 * (driver.ticks - 1)


def test_a_resumed_driver_continues_the_stored_clock(store):
    store.supply([], simulated_s=12.5).result()
    resumed = store.start_supply().result()
    driver = RealtimeDriver(FixedSupply(8), store, speedup=2.0, resumed=resumed)
    driver.step(0.25)
    assert driver.simulated_s == pytest.approx(13.0)
    assert store.start_supply().result().simulated_s == pytest.approx(13.0)
