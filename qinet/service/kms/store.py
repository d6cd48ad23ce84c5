"""The durable key store: one SQLite file holding every KME pair's pool and issued keys.

A pool is the secret bytes that two KMEs share (QKD output), consumed front to back.
Issuing keys moves bytes out of a pool into keys bound to a master SAE and its slave
SAE(s); delivering a key to a slave removes that slave's claim, and the key itself once
no slave is left. Both happen in one transaction that is committed (WAL journal,
``synchronous=FULL``, see :mod:`qinet.service.kms.committer`) before the caller sees
the result, so ``kill -9`` at any moment never loses a key that was acknowledged and
never hands one out twice. ``secure_delete`` overwrites freed pages, so used key
material does not linger in the database file.

The store is private to its owner: the folder is made ``0700`` and the database with its
journals ``0600`` whatever the umask, and :meth:`KeyStore.open` refuses a store that
others can read. Keys issued but never fetched expire after ``key_lifetime_s`` and are
erased like delivered ones. The table ``supply`` records how far the key supply has run
(simulated seconds, bytes deposited, how many times it started), in the same
transaction as each deposit, so a restarted supply continues where the store says.

Examples:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, KeyStore.open(f"{tmp}/kms") as store:
    ...     store.deposit("alice", "bob", bytes(range(64))).result()
    ...     keys = store.issue(master_kme="alice", slave_kme="bob", master_sae="a1",
    ...                        slave_saes=("b1",), number=2, size_bits=128).result()
    ...     got = store.deliver(master_sae="a1", slave_sae="b1",
    ...                         key_ids=[keys[1].key_id]).result()
    ...     (got[0].material == bytes(range(16, 32)), store.levels()[("alice", "bob")].stored_bytes)
    64
    (True, 32)
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType, TracebackType
from typing import Self

from qinet.errors import ConfigError, PrescribedRefusal, ResourceUnavailable, Unauthorized
from qinet.service.kms.committer import GroupCommitter
from qinet.service.log_format import clip
from qinet.service.private_files import (
    PRIVATE_FILE,
    check_private,
    create_private_file,
    make_private_dir,
)

STORE_FILE = "keys.sqlite3"
SEGMENT_BYTES = 4096  # pool rows are at most this long, so a request rewrites little
KEYS_NOT_FOUND = "one or more keys specified are not found on KME"  # ETSI GS QKD 014, 5.4
DEFAULT_KEY_LIFETIME_S = 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pools (
    kme_a TEXT NOT NULL, kme_b TEXT NOT NULL,
    stored_bytes INTEGER NOT NULL DEFAULT 0, deposited_bytes INTEGER NOT NULL DEFAULT 0,
    discarded_bytes INTEGER NOT NULL DEFAULT 0, keys_issued INTEGER NOT NULL DEFAULT 0,
    keys_delivered INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (kme_a, kme_b));
CREATE TABLE IF NOT EXISTS segments (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kme_a TEXT NOT NULL, kme_b TEXT NOT NULL,
    material BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS segments_by_pool ON segments (kme_a, kme_b, id);
CREATE TABLE IF NOT EXISTS keys (
    key_id TEXT PRIMARY KEY, kme_a TEXT NOT NULL, kme_b TEXT NOT NULL,
    master_sae TEXT NOT NULL, size_bits INTEGER NOT NULL, created_s REAL NOT NULL,
    material BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS key_slaves (
    key_id TEXT NOT NULL, slave_sae TEXT NOT NULL,
    PRIMARY KEY (key_id, slave_sae)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS supply (
    id INTEGER PRIMARY KEY CHECK (id = 0), simulated_s REAL NOT NULL DEFAULT 0,
    deposited_bytes INTEGER NOT NULL DEFAULT 0, starts INTEGER NOT NULL DEFAULT 0);
INSERT OR IGNORE INTO supply (id) VALUES (0);
"""
# columns added since the first stores were written: (table, column, declaration)
_ADDED_COLUMNS = (
    ("pools", "keys_expired", "INTEGER NOT NULL DEFAULT 0"),
    ("key_slaves", "delivered", "INTEGER NOT NULL DEFAULT 0"),
)


@dataclass(frozen=True, slots=True, repr=False)
class Key:
    """A key handed out: its UUID and its bytes (never shown by ``repr``).

    Examples:
        >>> Key("5f0c", b"secret")
        Key(key_id='5f0c', 48 bits)
    """

    key_id: str
    material: bytes

    def __repr__(self) -> str:
        return f"Key(key_id={self.key_id!r}, {8 * len(self.material)} bits)"


@dataclass(frozen=True, slots=True)
class PoolLevel:
    """The state of one pool (bytes, never their content).

    Attributes:
        kme_a, kme_b: the two KMEs, in sorted order.
        stored_bytes: secret bytes ready to be issued.
        deposited_bytes: bytes ever accepted from the key supply.
        discarded_bytes: bytes dropped because the pool was full.
        keys_issued: keys handed to master SAEs.
        keys_delivered: keys handed to slave SAEs (one count per slave).
        keys_expired: issued keys erased because no slave fetched them in time.
    """

    kme_a: str
    kme_b: str
    stored_bytes: int
    deposited_bytes: int
    discarded_bytes: int
    keys_issued: int
    keys_delivered: int
    keys_expired: int


@dataclass(frozen=True, slots=True)
class SupplyState:
    """How far the key supply of a store has run, as committed with its last deposit.

    Attributes:
        simulated_s: simulated time the supply has played, over all its starts (s).
        deposited_bytes: bytes the supply has offered to the pools, over all its starts.
        starts: how many times a supply has started on this store (this one included,
            once :meth:`KeyStore.start_supply` returned).
    """

    simulated_s: float
    deposited_bytes: int
    starts: int


@dataclass(frozen=True, slots=True, repr=False)
class Deposit:
    """Secret bytes that two KMEs now share, on their way into the pool."""

    kme_a: str
    kme_b: str
    material: bytes

    def __repr__(self) -> str:
        return f"Deposit({self.kme_a!r}, {self.kme_b!r}, {len(self.material)} bytes)"


class KeyStore:
    """Pools and issued keys in one SQLite file; every method is safe from any thread.

    Writes return futures (see :class:`GroupCommitter`): wait with ``.result()`` or,
    in asyncio, ``await asyncio.wrap_future(...)``. The random part of every key_ID comes
    from the operating system's CSPRNG (:mod:`secrets`), as RFC 9562 asks of UUIDs.

    Args:
        path: the database file (created ``0600`` if missing).
        pool_capacity_bytes: most bytes a pool holds; deposits beyond are discarded.
        key_lifetime_s: an issued key that no slave fetched within this many seconds
            expires (see :meth:`expire`); a slave asking for it later is told it is not
            found.
    """

    def __init__(self, path: str | os.PathLike[str], *,
                 pool_capacity_bytes: int = 16 * 2**20,
                 key_lifetime_s: float = DEFAULT_KEY_LIFETIME_S) -> None:
        if pool_capacity_bytes <= 0:
            raise ConfigError("pool_capacity_bytes",
                              f"must be positive, got {pool_capacity_bytes}")
        if not key_lifetime_s > 0:
            raise ConfigError("key_lifetime", f"must be positive, got {key_lifetime_s} s")
        self.path = Path(path)
        self.pool_capacity_bytes = int(pool_capacity_bytes)
        self.key_lifetime_s = float(key_lifetime_s)
        create_private_file(self.path)
        self._levels: MappingProxyType[tuple[str, str], PoolLevel] = MappingProxyType({})
        self._committer = GroupCommitter(self._connect, after_commit=self._refresh_levels)

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str], *, pool_capacity_bytes: int = 16 * 2**20,
             key_lifetime_s: float = DEFAULT_KEY_LIFETIME_S) -> KeyStore:
        """The store in ``data_dir`` (``keys.sqlite3``), made with the folder if missing.

        Raises:
            ConfigError: the folder or one of the store's files can be read or written
                by other users than the owner (the message says how to fix it).
        """
        directory = make_private_dir(Path(data_dir))
        check_private(directory, "the key store's folder")
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = directory / (STORE_FILE + suffix)
            if path.exists():
                check_private(path, "the key store")
        return cls(directory / STORE_FILE, pool_capacity_bytes=pool_capacity_bytes,
                   key_lifetime_s=key_lifetime_s)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Commit what is queued and close the file."""
        self._committer.close()

    def levels(self) -> MappingProxyType[tuple[str, str], PoolLevel]:
        """Every pool's level as of the last commit, by (kme_a, kme_b) in sorted order."""
        return self._levels

    def deposit(self, kme_x: str, kme_y: str, material: bytes) -> Future[int]:
        """Append secret bytes shared by two KMEs to their pool.

        Returns:
            A future of the number of bytes accepted (the rest overflowed the capacity).

        Raises:
            ConfigError: the two KMEs are the same (through the future).
        """
        material = bytes(material)
        return self._committer.submit(lambda db: self._deposit(db, kme_x, kme_y, material))

    def start_supply(self) -> Future[SupplyState]:
        """Count one more start of the key supply; its state, to continue from.

        Returns:
            A future of the state after counting this start.
        """
        return self._committer.submit(self._start_supply)

    def supply(self, deposits: Sequence[Deposit], *, simulated_s: float) -> Future[int]:
        """Deposit what the supply produced and advance its clock, in one transaction.

        Args:
            deposits: the batches produced.
            simulated_s: simulated seconds the supply played to produce them.

        Returns:
            A future of the bytes accepted by the pools.
        """
        batches = tuple(deposits)
        return self._committer.submit(lambda db: self._supply(db, batches, simulated_s))

    def issue(self, *, master_kme: str, slave_kme: str, master_sae: str,
              slave_saes: Sequence[str], number: int, size_bits: int) -> Future[list[Key]]:
        """Take ``number`` keys of ``size_bits`` from the pool of the two KMEs.

        Each key gets a fresh UUID (version 7, time-ordered) and is bound to the master
        SAE and its slaves; each slave may fetch it once with :meth:`deliver`.

        Returns:
            A future of the keys, in pool order.

        Raises:
            ResourceUnavailable: the pool holds fewer bytes than asked (through the
                future; nothing is taken).
        """
        slaves = tuple(slave_saes)
        return self._committer.submit(lambda db: self._issue(
            db, master_kme, slave_kme, master_sae, slaves, number, size_bits))

    def deliver(self, *, master_sae: str, slave_sae: str,
                key_ids: Sequence[str]) -> Future[list[Key]]:
        """Hand keys to a slave SAE, once each, all or none.

        Returns:
            A future of the keys, in the order asked.

        Raises:
            Unauthorized: a key exists but ``slave_sae`` is not one of the slaves its
                master named (through the future; nothing is delivered).
            PrescribedRefusal: a key_ID is unknown, not issued by ``master_sae``,
                expired, or already delivered to this slave (through the future).
            ConfigError: a key_ID is asked twice (through the future).
        """
        ids = list(key_ids)
        cutoff = time.time() - self.key_lifetime_s
        return self._committer.submit(
            lambda db: self._deliver(db, master_sae, slave_sae, ids, cutoff))

    def expire(self, *, now_s: float | None = None) -> Future[int]:
        """Erase the keys issued more than ``key_lifetime_s`` ago (wall clock).

        Args:
            now_s: the Unix time to measure from (default: now).

        Returns:
            A future of the number of keys erased.
        """
        cutoff = (time.time() if now_s is None else now_s) - self.key_lifetime_s
        return self._committer.submit(lambda db: self._expire(db, cutoff))

    # ------------------------------------------------------------ in the writer thread

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA secure_delete=ON")
        db.executescript(_SCHEMA)
        for table, column, declaration in _ADDED_COLUMNS:
            names = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if column not in names:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        # SQLite gives its -wal and -shm files the database's mode; make sure of it
        for suffix in ("-wal", "-shm"):
            path = Path(f"{self.path}{suffix}")
            if path.exists():
                os.chmod(path, PRIVATE_FILE)
        return db

    def _refresh_levels(self, db: sqlite3.Connection) -> None:
        rows = db.execute("SELECT kme_a, kme_b, stored_bytes, deposited_bytes, "
                          "discarded_bytes, keys_issued, keys_delivered, keys_expired "
                          "FROM pools").fetchall()
        self._levels = MappingProxyType({(r[0], r[1]): PoolLevel(*r) for r in rows})

    @staticmethod
    def _pair(kme_x: str, kme_y: str) -> tuple[str, str]:
        if kme_x == kme_y:
            raise ConfigError("kme", f"a pool joins two different KMEs, got {kme_x!r} twice")
        return (kme_x, kme_y) if kme_x < kme_y else (kme_y, kme_x)

    def _deposit(self, db: sqlite3.Connection, kme_x: str, kme_y: str, material: bytes) -> int:
        pair = self._pair(kme_x, kme_y)
        db.execute("INSERT OR IGNORE INTO pools (kme_a, kme_b) VALUES (?, ?)", pair)
        (stored,) = db.execute("SELECT stored_bytes FROM pools WHERE kme_a = ? AND kme_b = ?",
                               pair).fetchone()
        accepted = max(0, min(len(material), self.pool_capacity_bytes - int(stored)))
        db.executemany("INSERT INTO segments (kme_a, kme_b, material) VALUES (?, ?, ?)",
                       [(*pair, material[i:i + SEGMENT_BYTES])
                        for i in range(0, accepted, SEGMENT_BYTES)])
        db.execute("UPDATE pools SET stored_bytes = stored_bytes + ?, deposited_bytes = "
                   "deposited_bytes + ?, discarded_bytes = discarded_bytes + ? "
                   "WHERE kme_a = ? AND kme_b = ?",
                   (accepted, accepted, len(material) - accepted, *pair))
        return accepted

    @staticmethod
    def _supply_state(db: sqlite3.Connection) -> SupplyState:
        row = db.execute("SELECT simulated_s, deposited_bytes, starts FROM supply "
                         "WHERE id = 0").fetchone()
        return SupplyState(float(row[0]), int(row[1]), int(row[2]))

    def _start_supply(self, db: sqlite3.Connection) -> SupplyState:
        db.execute("UPDATE supply SET starts = starts + 1 WHERE id = 0")
        return self._supply_state(db)

    def _supply(self, db: sqlite3.Connection, batches: tuple[Deposit, ...],
                simulated_s: float) -> int:
        accepted = sum(self._deposit(db, b.kme_a, b.kme_b, b.material) for b in batches)
        db.execute("UPDATE supply SET simulated_s = simulated_s + ?, deposited_bytes = "
                   "deposited_bytes + ? WHERE id = 0",
                   (simulated_s, sum(len(b.material) for b in batches)))
        return accepted

    # Every statement releases and retakes the GIL (the event loop runs in between), so
    # a request is a handful of statements: multi-row INSERTs, one UPDATE of its pool.

    def _issue(self, db: sqlite3.Connection, master_kme: str, slave_kme: str, master_sae: str,
               slaves: tuple[str, ...], number: int, size_bits: int) -> list[Key]:
        if number < 1 or size_bits < 8 or size_bits % 8:
            raise ConfigError("number, size", f"need number >= 1 and size a positive "
                                              f"multiple of 8, got {number}, {size_bits}")
        pair = self._pair(master_kme, slave_kme)
        size = size_bits // 8
        material = self._take(db, pair, number * size)
        now = time.time()
        keys = [Key(key_id, material[i * size:(i + 1) * size])
                for i, key_id in enumerate(_new_key_ids(number))]
        _insert(db, "keys (key_id, kme_a, kme_b, master_sae, size_bits, created_s, material)",
                [(k.key_id, *pair, master_sae, size_bits, now, k.material) for k in keys])
        _insert(db, "key_slaves (key_id, slave_sae, delivered)",
                [(k.key_id, s, 0) for k in keys for s in slaves])
        db.execute("UPDATE pools SET stored_bytes = stored_bytes - ?, keys_issued = keys_issued "
                   "+ ? WHERE kme_a = ? AND kme_b = ?", (number * size, number, *pair))
        return keys

    @staticmethod
    def _take(db: sqlite3.Connection, pair: tuple[str, str], needed: int) -> bytes:
        """The next ``needed`` bytes of the pool, cut from its segments (the caller lowers
        ``stored_bytes``)."""
        row = db.execute("SELECT stored_bytes FROM pools WHERE kme_a = ? AND kme_b = ?",
                         pair).fetchone()
        stored = row[0] if row else 0
        if stored < needed:
            raise ResourceUnavailable(f"the key pool of {pair[0]!r} and {pair[1]!r} holds "
                                      f"{stored} bytes, {needed} asked; retry later")
        rows = db.execute("SELECT id, material FROM segments WHERE kme_a = ? AND kme_b = ? "
                          "ORDER BY id LIMIT ?", (*pair, needed // SEGMENT_BYTES + 2)).fetchall()
        parts: list[bytes] = []
        last_used: int | None = None
        remaining = needed
        for row_id, chunk in rows:
            if remaining == 0:
                break
            if len(chunk) <= remaining:
                parts.append(chunk)
                last_used = row_id
                remaining -= len(chunk)
            else:
                parts.append(chunk[:remaining])
                db.execute("UPDATE segments SET material = ? WHERE id = ?",
                           (chunk[remaining:], row_id))
                remaining = 0
        if last_used is not None:  # the pool's segments are used from the front, in id order
            db.execute("DELETE FROM segments WHERE kme_a = ? AND kme_b = ? AND id <= ?",
                       (*pair, last_used))
        return b"".join(parts)

    @staticmethod
    def _deliver(db: sqlite3.Connection, master_sae: str, slave_sae: str,
                 key_ids: list[str], cutoff_s: float) -> list[Key]:
        found: list[tuple[str, bytes, str, str]] = []
        missing: list[dict[str, object]] = []
        unauthorized = False
        for i, key_id in enumerate(key_ids):
            if key_id in key_ids[:i]:
                raise ConfigError(f"key_IDs[{i}].key_ID", f"key_ID {clip(key_id)} is asked twice")
            row = db.execute(
                "SELECT k.material, k.kme_a, k.kme_b, s.delivered FROM keys k LEFT JOIN "
                "key_slaves s ON s.key_id = k.key_id AND s.slave_sae = ? WHERE k.key_id = ? "
                "AND k.master_sae = ? AND k.created_s >= ?",
                (slave_sae, key_id, master_sae, cutoff_s)).fetchone()
            if row is None or row[3] == 1:
                missing.append({"key_ID": clip(key_id, quote=False),
                                "reason": "unknown for this master SAE, expired or "
                                          "already delivered to this SAE"})
            elif row[3] is None:
                unauthorized = True
            else:
                found.append((key_id, row[0], row[1], row[2]))
        if unauthorized:  # ETSI GS QKD 014, 5.4: only the slaves named at Get key
            raise Unauthorized(f"SAE {clip(slave_sae)} is not a slave SAE of one or more of "
                               f"the keys requested")
        if missing:
            raise PrescribedRefusal(KEYS_NOT_FOUND, missing)
        delivered: dict[tuple[str, str], int] = {}
        for key_id, _material, kme_a, kme_b in found:
            db.execute("UPDATE key_slaves SET delivered = 1 WHERE key_id = ? AND slave_sae = ?",
                       (key_id, slave_sae))
            db.execute("DELETE FROM keys WHERE key_id = ? AND NOT EXISTS (SELECT 1 FROM "
                       "key_slaves WHERE key_id = ? AND delivered = 0)", (key_id, key_id))
            if db.execute("SELECT changes()").fetchone()[0]:
                db.execute("DELETE FROM key_slaves WHERE key_id = ?", (key_id,))
            delivered[kme_a, kme_b] = delivered.get((kme_a, kme_b), 0) + 1
        db.executemany("UPDATE pools SET keys_delivered = keys_delivered + ? "
                       "WHERE kme_a = ? AND kme_b = ?",
                       [(count, *pair) for pair, count in delivered.items()])
        return [Key(key_id, material) for key_id, material, _a, _b in found]

    @staticmethod
    def _expire(db: sqlite3.Connection, cutoff_s: float) -> int:
        rows = db.execute("SELECT kme_a, kme_b, count(*) FROM keys WHERE created_s < ? "
                          "GROUP BY kme_a, kme_b", (cutoff_s,)).fetchall()
        if not rows:
            return 0
        db.execute("DELETE FROM key_slaves WHERE key_id IN (SELECT key_id FROM keys "
                   "WHERE created_s < ?)", (cutoff_s,))
        db.execute("DELETE FROM keys WHERE created_s < ?", (cutoff_s,))
        db.executemany("UPDATE pools SET keys_expired = keys_expired + ? "
                       "WHERE kme_a = ? AND kme_b = ?", [(n, a, b) for a, b, n in rows])
        return int(sum(n for _a, _b, n in rows))


def _new_key_ids(number: int) -> list[str]:
    """``number`` fresh key_IDs: version 7 UUIDs (Davis, Peabody and Leach, RFC 9562, 2024).

    48 bits of Unix time in ms, 12 bits of its sub-millisecond fraction (RFC 9562,
    section 6.2, method 3) and 62 bits from the operating system's CSPRNG (section 6.9:
    unguessable, and no two processes or restarts draw the same ones). Keys issued later
    sort later, so the store's B-trees grow at their right edge and a commit rewrites a
    few pages, not one page per key as random (version 4) IDs would. A key_ID carries
    its issue time and is no secret (only the named slave SAEs may fetch the key).

    Examples:
        >>> import uuid
        >>> first, second = (uuid.UUID(k) for k in _new_key_ids(2))
        >>> (first.version, first.variant == uuid.RFC_4122, first.int >> 64 == second.int >> 64)
        (7, True, True)
    """
    ms, fraction = divmod(time.time_ns(), 1_000_000)
    head = (ms << 80) | (7 << 76) | ((fraction * 4096 // 1_000_000) << 64) | (0b10 << 62)
    return [str(uuid.UUID(int=head | secrets.randbits(62))) for _ in range(number)]


_MAX_PARAMETERS = 999  # SQLite's lowest SQLITE_MAX_VARIABLE_NUMBER (before 3.32)


def _insert(db: sqlite3.Connection, into: str, rows: Sequence[tuple[object, ...]]) -> None:
    """``INSERT INTO {into} VALUES (...), (...)``: all rows in as few statements as SQLite
    allows (one, for any request within the limits)."""
    if not rows:
        return
    width = len(rows[0])
    per_statement = _MAX_PARAMETERS // width
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        placeholders = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(chunk))
        db.execute(f"INSERT INTO {into} VALUES {placeholders}",
                   [value for row in chunk for value in row])
