"""The group committer: failures stay with their own request or group, the writer lives on."""

from __future__ import annotations

import sqlite3

import pytest

from qinet.errors import ResourceUnavailable
from qinet.service.kms.committer import GroupCommitter


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "test.sqlite3"
    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (x INTEGER)")
    setup.close()
    return path


def test_a_failing_transaction_rolls_back_alone(database):
    committer = GroupCommitter(lambda: sqlite3.connect(database, isolation_level=None))

    def fails(db):
        db.execute("INSERT INTO t VALUES (2)")
        raise ValueError("refused")

    futures = [committer.submit(lambda db: db.execute("INSERT INTO t VALUES (1)").rowcount),
               committer.submit(fails),
               committer.submit(lambda db: db.execute("INSERT INTO t VALUES (3)").rowcount)]
    assert futures[0].result() == 1
    with pytest.raises(ValueError, match="refused"):
        futures[1].result()
    assert futures[2].result() == 1
    rows = committer.submit(lambda db: db.execute("SELECT x FROM t ORDER BY x").fetchall())
    assert rows.result() == [(1,), (3,)]
    committer.close()


def test_a_locked_database_fails_the_group_and_the_writer_goes_on(database):
    # another process holding the write lock: BEGIN IMMEDIATE gives up after the timeout
    committer = GroupCommitter(
        lambda: sqlite3.connect(database, isolation_level=None, timeout=0.05))
    other = sqlite3.connect(database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    refused = committer.submit(lambda db: db.execute("INSERT INTO t VALUES (1)").rowcount)
    with pytest.raises(ResourceUnavailable, match="could not commit"):
        refused.result(timeout=10)
    other.execute("ROLLBACK")
    other.close()
    accepted = committer.submit(lambda db: db.execute("INSERT INTO t VALUES (2)").rowcount)
    assert accepted.result(timeout=10) == 1
    rows = committer.submit(lambda db: db.execute("SELECT x FROM t").fetchall())
    assert rows.result(timeout=10) == [(2,)]
    committer.close()


def test_a_database_error_inside_a_transaction_fails_its_group_as_unavailable(database):
    # the file failing under a request (full disk, I/O error) is the store's fault: 503
    # for the whole group, never a raw sqlite3 error (a 500), and the writer goes on
    committer = GroupCommitter(lambda: sqlite3.connect(database, isolation_level=None))

    def disk_full(db):
        db.execute("INSERT INTO t VALUES (5)")
        raise sqlite3.OperationalError("database or disk is full")

    group = [committer.submit(lambda db: db.execute("INSERT INTO t VALUES (4)").rowcount),
             committer.submit(disk_full)]
    for future in group:
        with pytest.raises(ResourceUnavailable, match="disk is full"):
            future.result(timeout=10)
    rows = committer.submit(lambda db: db.execute("SELECT x FROM t").fetchall())
    assert rows.result(timeout=10) == []
    committer.close()
