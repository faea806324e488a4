"""The emulator's SQLite database: a pool of connections, readers side by side, one writer.

Each request runs in one transaction on a connection of its own, committed even when
the request then fails. That is Django's autocommit: the statements that succeeded
before an exception stay written, which is how the real server leaves the first ids of
a failed enrollment enrolled.

Requests that write run one at a time; requests that only read (``write=False``, on a
connection that refuses any write) run concurrently, as far as SQLite allows: a file
database is in WAL mode, so readers run beside the writer too, each seeing only what
was committed; ``:memory:`` is an in-memory database several connections share
(SQLite's ``memdb``), whose readers run beside each other but not beside a writer, so
they wait for it on a lock here rather than in SQLite's sleeping busy handler.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from jhe_sync.emulator.schema import DDL, SCHEMA_VERSION
from jhe_sync.emulator.seed import seed_database

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]


class Store:
    """Queries for one request, on a connection the caller holds the lock of."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(self.conn.execute(sql, params).fetchall())

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def run(self, sql: str, params: Params = ()) -> int:
        """Execute a write; the number of rows it changed."""
        return self.conn.execute(sql, params).rowcount

    def nextval(self, table: str) -> int:
        """The next id of ``table``, spent even if the INSERT that uses it then fails."""
        value: int = self.conn.execute(
            "UPDATE sequence SET last_value = last_value + 1 WHERE name = ? RETURNING last_value",
            (table,),
        ).fetchone()[0]
        return value

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Django's ``transaction.atomic()``: if the block raises, its writes are undone,
        except the ids it spent (PostgreSQL's sequences are outside transactions)."""
        self.conn.execute("SAVEPOINT atomic")
        try:
            yield
        except BaseException:
            spent = self.conn.execute("SELECT last_value, name FROM sequence").fetchall()
            self.conn.execute("ROLLBACK TO atomic")
            self.conn.executemany("UPDATE sequence SET last_value = ? WHERE name = ?", spent)
            self.conn.execute("RELEASE atomic")
            raise
        self.conn.execute("RELEASE atomic")

    def insert(self, table: str, values: dict[str, Any]) -> int:
        """INSERT a row with the next id of its sequence, as PostgreSQL's serial does."""
        row_id = self.nextval(table)
        columns = ["id", *values]
        marks = ", ".join("?" for _ in columns)
        self.conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
            [row_id, *values.values()],
        )
        return row_id


@dataclass
class Transaction:
    store: Store
    changed_rows: int = 0


class _Turns:
    """Who may use the database at once: one writer, and readers beside each other (and,
    unless ``readers_wait_for_writer``, beside the writer); a waiting writer goes first."""

    def __init__(self, *, readers_wait_for_writer: bool) -> None:
        self._readers_wait = readers_wait_for_writer
        self._changed = threading.Condition()
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0

    @contextmanager
    def reading(self) -> Iterator[None]:
        if not self._readers_wait:
            yield
            return
        with self._changed:
            self._changed.wait_for(lambda: not self._writing and not self._writers_waiting)
            self._readers += 1
        try:
            yield
        finally:
            with self._changed:
                self._readers -= 1
                self._changed.notify_all()

    @contextmanager
    def writing(self) -> Iterator[None]:
        with self._changed:
            self._writers_waiting += 1
            self._changed.wait_for(
                lambda: not self._writing and not (self._readers_wait and self._readers)
            )
            self._writers_waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._changed:
                self._writing = False
                self._changed.notify_all()


class Database:
    """A SQLite file (or ``:memory:``), created and seeded when new, reused otherwise."""

    def __init__(self, path: str) -> None:
        self.path = path
        if path == ":memory:":
            # a leading "/" makes the memdb shared by every connection of this process
            self._target, self._uri = f"file:/jhe-emulator-{uuid.uuid4().hex}?vfs=memdb", True
        else:
            self._target, self._uri = path, False
        self._turns = _Turns(readers_wait_for_writer=path == ":memory:")
        self._pool_lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        # the first connection creates the database, and keeps a memdb alive until close
        self._anchor = self._connect()
        try:
            if path != ":memory:":
                # readers in other threads and processes (another CLI command) do not
                # block a writer, nor it them
                self._anchor.execute("PRAGMA journal_mode = WAL")
            self._create_if_new()
        except BaseException:
            self._anchor.close()
            raise
        self._idle.append(self._anchor)

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self._target,
            uri=self._uri,
            check_same_thread=False,
            isolation_level=None,
            timeout=30,
        )
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        # an emulator's database need not survive a power cut, only a crash of the process
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    def _create_if_new(self) -> None:
        conn = self._anchor
        with self._turns.writing():
            conn.execute("BEGIN IMMEDIATE")
            try:
                exists = conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'emulator_meta'"
                ).fetchone()
                if not exists:
                    for statement in DDL.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(
                        "INSERT INTO emulator_meta (key, value) VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
                    seed_database(conn)
                else:
                    version = conn.execute(
                        "SELECT value FROM emulator_meta WHERE key = 'schema_version'"
                    ).fetchone()
                    if version is None or version[0] != str(SCHEMA_VERSION):
                        raise RuntimeError(
                            f"{self.path} was made by another version of the emulator; "
                            "delete it to start from the seed again"
                        )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    def _acquire(self) -> sqlite3.Connection:
        with self._pool_lock:
            if self._closed:
                raise sqlite3.ProgrammingError("the emulator's database is closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _release(self, conn: sqlite3.Connection) -> None:
        with self._pool_lock:
            if not self._closed:
                self._idle.append(conn)
                return
        if conn is not self._anchor:
            conn.close()

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Transaction]:
        """One request's transaction, committed whatever happens.

        Committing even after an exception is Django's autocommit: each statement that
        succeeded stays written. ``write=False`` runs it beside other readers and refuses
        any write. ``changed_rows`` is set once the transaction is over.
        """
        conn = self._acquire()
        try:
            with self._turns.writing() if write else self._turns.reading():
                conn.execute(f"PRAGMA query_only = {'OFF' if write else 'ON'}")
                before = conn.total_changes
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                transaction = Transaction(Store(conn))
                try:
                    yield transaction
                finally:
                    conn.execute("COMMIT")
                    transaction.changed_rows = conn.total_changes - before
        finally:
            self._release(conn)

    def close(self) -> None:
        """Close the connections (a file database keeps its state for the next app)."""
        with self._pool_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        with self._turns.writing():
            for conn in idle:
                if conn is not self._anchor:
                    conn.close()
            self._anchor.close()
