"""The key store on its own: exact pool accounting, all-or-nothing requests, durability."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
import threading
import time
import uuid
from unittest import mock

import pytest

from qinet.errors import ConfigError, ResourceUnavailable, Unauthorized
from qinet.service.kms.store import (
    KEYS_NOT_FOUND,
    SEGMENT_BYTES,
    STORE_FILE,
    Deposit,
    KeyStore,
    SupplyState,
)

# 10240 bytes whose 32-byte aligned slices are all different (a fixed test pattern)
MATERIAL = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(320))


@pytest.fixture
def store(tmp_path):
    with KeyStore.open(tmp_path,
                       pool_capacity_bytes=12_000) as opened:
        opened.deposit("bob", "alice", MATERIAL).result()
        yield opened


def issue(store, number=1, size_bits=256, slaves=("b1",)):
    return store.issue(master_kme="alice", slave_kme="bob", master_sae="a1",
                       slave_saes=slaves, number=number, size_bits=size_bits).result()


def test_keys_are_consecutive_slices_of_the_pool(store):
    first = issue(store, number=2, size_bits=64)
    second = issue(store, number=1, size_bits=128)
    assert [k.material for k in first + second] == [MATERIAL[0:8], MATERIAL[8:16],
                                                   MATERIAL[16:32]]
    assert store.levels()[("alice", "bob")].stored_bytes == len(MATERIAL) - 32


def test_a_request_across_segments(store):
    size = SEGMENT_BYTES - 8
    keys = issue(store, number=2, size_bits=8 * size)
    assert b"".join(k.material for k in keys) == MATERIAL[:2 * size]
    rest = issue(store, number=1, size_bits=8 * 16)
    assert rest[0].material == MATERIAL[2 * size:2 * size + 16]


def test_exhausted_pool_takes_nothing(store):
    before = store.levels()
    with pytest.raises(ResourceUnavailable, match="10240 bytes"):
        issue(store, number=2, size_bits=8 * 6000)
    assert store.levels() == before
    assert issue(store)[0].material == MATERIAL[:32]


def test_capacity_discards_the_overflow(store):
    accepted = store.deposit("alice", "bob", bytes(5000)).result()
    level = store.levels()[("alice", "bob")]
    assert (accepted, level.stored_bytes, level.discarded_bytes) == (1760, 12_000, 3240)


def test_delivery_once_per_slave_and_all_or_nothing(store):
    keys = issue(store, number=2, slaves=("b1", "b2"))
    ids = [k.key_id for k in keys]
    with pytest.raises(ConfigError, match=KEYS_NOT_FOUND):
        store.deliver(master_sae="a1", slave_sae="b1", key_ids=[ids[0], "nope"]).result()
    with pytest.raises(ConfigError, match="asked twice"):
        store.deliver(master_sae="a1", slave_sae="b1", key_ids=[ids[0], ids[0]]).result()
    with pytest.raises(ConfigError, match=KEYS_NOT_FOUND):
        store.deliver(master_sae="a2", slave_sae="b1", key_ids=ids).result()
    got = store.deliver(master_sae="a1", slave_sae="b1", key_ids=ids[::-1]).result()
    assert [k.material for k in got] == [keys[1].material, keys[0].material]
    with pytest.raises(ConfigError):
        store.deliver(master_sae="a1", slave_sae="b1", key_ids=ids[:1]).result()
    # a slave the master did not name may not have them, nor may the master itself
    for stranger in ("b3", "a1"):
        with pytest.raises(Unauthorized, match="not a slave"):
            store.deliver(master_sae="a1", slave_sae=stranger, key_ids=ids).result()
    assert store.deliver(master_sae="a1", slave_sae="b2", key_ids=ids).result() == got[::-1]
    assert store.levels()[("alice", "bob")].keys_delivered == 4
    # delivered to every slave: gone, for everyone
    with pytest.raises(ConfigError, match=KEYS_NOT_FOUND):
        store.deliver(master_sae="a1", slave_sae="b3", key_ids=ids).result()


def test_concurrent_requests_get_disjoint_keys(store):
    results = []

    def worker():
        futures = [store.issue(master_kme="alice", slave_kme="bob", master_sae="a1",
                               slave_saes=("b1",), number=2, size_bits=256)
                   for _ in range(20)]
        results.extend(k for f in futures for k in f.result())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 160
    taken = sorted(MATERIAL.index(k.material) for k in results)  # 32-byte aligned slices
    assert taken == list(range(0, 160 * 32, 32))
    assert len({k.key_id for k in results}) == 160


def test_everything_survives_a_reopen(tmp_path):
    with KeyStore.open(tmp_path) as store:
        store.deposit("alice", "bob", MATERIAL).result()
        (key,) = issue(store)
    with KeyStore.open(tmp_path) as store:
        assert store.levels()[("alice", "bob")].stored_bytes == len(MATERIAL) - 32
        (again,) = store.deliver(master_sae="a1", slave_sae="b1", key_ids=[key.key_id]).result()
        assert again == key
        assert issue(store)[0].material == MATERIAL[32:64]


def test_the_journal_is_durable(tmp_path):
    with KeyStore.open(tmp_path) as store:
        store.deposit("alice", "bob", b"x" * 8).result()
    import sqlite3

    db = sqlite3.connect(tmp_path / "keys.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    db.close()


def test_a_pool_joins_two_kmes(store):
    with pytest.raises(ConfigError, match="two different KMEs"):
        store.deposit("alice", "alice", b"x").result()


def test_key_repr_hides_the_material(store):
    (key,) = issue(store)
    assert key.material.hex() not in repr(key)
    assert "256 bits" in repr(key)


def test_a_closed_store_refuses_work(tmp_path):
    store = KeyStore.open(tmp_path)
    store.close()
    with pytest.raises(ResourceUnavailable, match="closed"):
        store.deposit("alice", "bob", b"x").result()


def test_key_ids_are_version_7_uuids_in_issue_order(store):
    """RFC 9562: version 7, RFC 4122 variant, the 60 time bits never decrease."""
    ids = [k.key_id for _ in range(20) for k in issue(store, number=5, size_bits=64)]
    parsed = [uuid.UUID(i) for i in ids]
    assert [str(u) for u in parsed] == ids
    assert {(u.version, u.variant) for u in parsed} == {(7, uuid.RFC_4122)}
    times = [u.int >> 64 for u in parsed]
    assert times == sorted(times)
    assert len(set(ids)) == len(ids)


def test_a_request_beyond_one_statement_of_parameters(tmp_path):
    """128 keys for 9 slaves: 1152 rows of key_slaves, more than one INSERT may bind."""
    slaves = tuple(f"b{i}" for i in range(9))
    with KeyStore.open(tmp_path) as store:
        store.deposit("alice", "bob", MATERIAL).result()
        keys = issue(store, number=128, size_bits=64, slaves=slaves)
        ids = [k.key_id for k in keys]
        for slave in slaves:
            got = store.deliver(master_sae="a1", slave_sae=slave, key_ids=ids).result()
            assert got == keys
        level = store.levels()[("alice", "bob")]
        assert (level.keys_issued, level.keys_delivered) == (128, 128 * len(slaves))
        with pytest.raises(ConfigError, match=KEYS_NOT_FOUND):
            store.deliver(master_sae="a1", slave_sae="b0", key_ids=ids[:1]).result()


def test_keys_not_fetched_in_time_expire_and_are_erased(tmp_path):
    with KeyStore.open(tmp_path, key_lifetime_s=60.0) as store:
        store.deposit("alice", "bob", MATERIAL).result()
        old, fresh = issue(store), issue(store)
        issued_s = time.time()
        # past its lifetime a key is refused even before it is erased
        with (mock.patch("qinet.service.kms.store.time.time", return_value=issued_s + 61),
              pytest.raises(ConfigError, match=KEYS_NOT_FOUND)):
            store.deliver(master_sae="a1", slave_sae="b1", key_ids=[old[0].key_id]).result()
        assert store.expire(now_s=issued_s - 30).result() == 0
        assert store.expire(now_s=issued_s + 61).result() == 2
        assert store.levels()[("alice", "bob")].keys_expired == 2
        with pytest.raises(ConfigError, match=KEYS_NOT_FOUND):
            store.deliver(master_sae="a1", slave_sae="b1", key_ids=[fresh[0].key_id]).result()
    with sqlite3.connect(tmp_path / STORE_FILE) as db:
        assert db.execute("SELECT count(*) FROM keys").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM key_slaves").fetchone() == (0,)


def test_the_supply_clock_is_committed_with_its_deposits(tmp_path):
    with KeyStore.open(tmp_path) as store:
        assert store.start_supply().result() == SupplyState(0.0, 0, 1)
        accepted = store.supply([Deposit("bob", "alice", MATERIAL[:100]),
                                 Deposit("alice", "carol", MATERIAL[:50])],
                                simulated_s=0.25).result()
        assert accepted == 150
        store.supply([], simulated_s=0.5).result()
    with KeyStore.open(tmp_path) as store:
        assert store.start_supply().result() == SupplyState(0.75, 150, 2)
        assert store.levels()[("alice", "bob")].deposited_bytes == 100


def test_key_ids_are_unguessable_and_never_repeat_across_restarts(tmp_path):
    ids = set()
    for _ in range(3):  # the same store reopened: no seed, nothing repeats
        with KeyStore.open(tmp_path) as store:
            store.deposit("alice", "bob", MATERIAL[:8 * 64]).result()
            ids.update(k.key_id for k in issue(store, number=64, size_bits=64))
    assert len(ids) == 3 * 64
    # 62 random bits each: no structure a client could predict from the ones it saw
    tails = [uuid.UUID(k).int & (2**62 - 1) for k in ids]
    assert len(set(tails)) == len(tails)


def test_the_store_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        with KeyStore.open(tmp_path / "kms") as store:
            store.deposit("alice", "bob", MATERIAL[:64]).result()
            modes = {p.name: stat.S_IMODE(p.stat().st_mode)
                     for p in (tmp_path / "kms").iterdir()}
            folder = stat.S_IMODE((tmp_path / "kms").stat().st_mode)
    finally:
        os.umask(old)
    assert folder == 0o700
    assert {STORE_FILE, STORE_FILE + "-wal", STORE_FILE + "-shm"} <= set(modes)
    assert set(modes.values()) == {0o600}


@pytest.mark.parametrize("loose", ["folder", "database"])
def test_a_store_that_others_can_read_is_refused_with_the_fix(tmp_path, loose):
    with KeyStore.open(tmp_path / "kms") as store:
        store.deposit("alice", "bob", MATERIAL[:64]).result()
    path = tmp_path / "kms" if loose == "folder" else tmp_path / "kms" / STORE_FILE
    path.chmod(0o755 if loose == "folder" else 0o644)
    with pytest.raises(ConfigError, match="chmod") as refused:
        KeyStore.open(tmp_path / "kms")
    assert str(path) in str(refused.value)
