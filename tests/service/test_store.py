"""The key store on its own: exact pool accounting, all-or-nothing requests, durability."""

from __future__ import annotations

import hashlib
import threading
import uuid

import numpy as np
import pytest

from qinet.errors import ConfigError, ResourceUnavailable
from qinet.service.kms.store import SEGMENT_BYTES, KeyStore

# 10240 bytes whose 32-byte aligned slices are all different (a fixed test pattern)
MATERIAL = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(320))


@pytest.fixture
def store(tmp_path):
    with KeyStore.open(tmp_path, rng=np.random.default_rng(1),
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
    with pytest.raises(ConfigError, match="unknown key_ID"):
        store.deliver(master_sae="a1", slave_sae="b1", key_ids=[ids[0], "nope"]).result()
    with pytest.raises(ConfigError, match="asked twice"):
        store.deliver(master_sae="a1", slave_sae="b1", key_ids=[ids[0], ids[0]]).result()
    with pytest.raises(ConfigError, match="unknown key_ID"):
        store.deliver(master_sae="a2", slave_sae="b1", key_ids=ids).result()
    got = store.deliver(master_sae="a1", slave_sae="b1", key_ids=ids[::-1]).result()
    assert [k.material for k in got] == [keys[1].material, keys[0].material]
    with pytest.raises(ConfigError):
        store.deliver(master_sae="a1", slave_sae="b1", key_ids=ids[:1]).result()
    assert store.deliver(master_sae="a1", slave_sae="b2", key_ids=ids).result() == got[::-1]
    assert store.levels()[("alice", "bob")].keys_delivered == 4


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
    with KeyStore.open(tmp_path, rng=np.random.default_rng(2)) as store:
        store.deposit("alice", "bob", MATERIAL).result()
        (key,) = issue(store)
    with KeyStore.open(tmp_path, rng=np.random.default_rng(3)) as store:
        assert store.levels()[("alice", "bob")].stored_bytes == len(MATERIAL) - 32
        (again,) = store.deliver(master_sae="a1", slave_sae="b1", key_ids=[key.key_id]).result()
        assert again == key
        assert issue(store)[0].material == MATERIAL[32:64]


def test_the_journal_is_durable(tmp_path):
    with KeyStore.open(tmp_path, rng=np.random.default_rng(4)) as store:
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
    store = KeyStore.open(tmp_path, rng=np.random.default_rng(5))
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
    with KeyStore.open(tmp_path, rng=np.random.default_rng(6)) as store:
        store.deposit("alice", "bob", MATERIAL).result()
        keys = issue(store, number=128, size_bits=64, slaves=slaves)
        ids = [k.key_id for k in keys]
        for slave in slaves:
            got = store.deliver(master_sae="a1", slave_sae=slave, key_ids=ids).result()
            assert got == keys
        level = store.levels()[("alice", "bob")]
        assert (level.keys_issued, level.keys_delivered) == (128, 128 * len(slaves))
        with pytest.raises(ConfigError, match="unknown key_ID"):
            store.deliver(master_sae="a1", slave_sae="b0", key_ids=ids[:1]).result()
