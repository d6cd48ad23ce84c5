"""Group commit: many small transactions on one SQLite connection, one fsync for each group.

Every key request is a transaction that must be durable before its response is sent.
With ``synchronous=FULL`` each commit costs an fsync (a few ms), so committing one
request at a time would cap the service at a few hundred requests per second. Instead
one writer thread takes every transaction queued while the previous fsync ran, runs
each inside its own SAVEPOINT (a failing request rolls back alone), commits the group
once, and only then resolves the callers' futures. A caller therefore never sees a
result that a crash could undo.

Examples:
    >>> import sqlite3
    >>> committer = GroupCommitter(lambda: sqlite3.connect(":memory:", isolation_level=None))
    >>> committer.submit(lambda db: db.execute("CREATE TABLE t (x)")).result() is not None
    True
    >>> committer.submit(lambda db: db.execute("INSERT INTO t VALUES (1)").rowcount).result()
    1
    >>> committer.close()
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from qinet.errors import ResourceUnavailable

T = TypeVar("T")
_log = logging.getLogger("qinet.service.kms.store")
_STOP = object()


class GroupCommitter:
    """Runs transactions in one thread on one connection, committing them in groups.

    Args:
        connect: opens the connection (called in the writer thread, which owns it); it
            must be in autocommit mode (``isolation_level=None``).
        after_commit: called in the writer thread after each successful commit, before
            the group's futures are resolved (e.g. to refresh cached pool levels).
        max_group: most transactions committed together.

    Raises:
        Exception: whatever ``connect`` raised.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection], *,
                 after_commit: Callable[[sqlite3.Connection], None] | None = None,
                 max_group: int = 512) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._after_commit = after_commit
        self._max_group = max_group
        self._closed = False
        self._lock = threading.Lock()
        ready: Future[None] = Future()
        self._thread = threading.Thread(target=self._run, args=(connect, ready),
                                        name="qinet-keystore-writer", daemon=True)
        self._thread.start()
        ready.result()

    def submit(self, transaction: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue a transaction; its future resolves once the group it ran in is committed.

        Args:
            transaction: a function of the connection; whatever it raises rolls back its
                own changes only and is set on the future.

        Returns:
            A future of the transaction's return value.
        """
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(ResourceUnavailable("the key store is closed"))
                return future
            self._queue.put((transaction, future))
        return future

    def close(self) -> None:
        """Finish the queued transactions, then close the connection and the thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._queue.put(_STOP)
        self._thread.join()

    def _run(self, connect: Callable[[], sqlite3.Connection], ready: Future[None]) -> None:
        try:
            db = connect()
            if self._after_commit is not None:
                self._after_commit(db)
        except BaseException as exc:  # handed to the constructor, which re-raises it
            ready.set_exception(exc)
            return
        ready.set_result(None)
        try:
            stop = False
            while not stop:
                group = [self._queue.get()]
                while len(group) < self._max_group:
                    try:
                        group.append(self._queue.get_nowait())
                    except queue.Empty:
                        break
                if _STOP in group:
                    stop = True
                    group = [item for item in group if item is not _STOP]
                if group:
                    self._commit_group(db, group)
        finally:
            db.close()

    def _commit_group(self, db: sqlite3.Connection, group: list[Any]) -> None:
        outcomes: list[tuple[Future[Any], bool, Any]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            for transaction, future in group:
                db.execute("SAVEPOINT request")
                try:
                    value = transaction(db)
                except sqlite3.Error:
                    # the file failed under the transaction (a full disk, an I/O error):
                    # SQLite may have rolled back more than this request, so the group fails
                    raise
                except Exception as exc:
                    db.execute("ROLLBACK TO request")
                    db.execute("RELEASE request")
                    outcomes.append((future, False, exc))
                else:
                    db.execute("RELEASE request")
                    outcomes.append((future, True, value))
            db.execute("COMMIT")
            if self._after_commit is not None:
                self._after_commit(db)
        except sqlite3.Error as exc:
            # BEGIN refused (another process holds the file), a full disk, a failed fsync:
            # the whole group fails, and the writer lives on for the next one
            with contextlib.suppress(sqlite3.Error):
                if db.in_transaction:
                    db.execute("ROLLBACK")
            _log.error("key store commit failed: %s", exc)
            failure = ResourceUnavailable(f"the key store could not commit: {exc}")
            outcomes = [(future, False, failure) for _, future in group]
        for future, ok, value in outcomes:
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)
