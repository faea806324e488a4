"""The emulator's SQLite database: one connection per app, one lock around its use.

Requests run one at a time against the connection (the lock), each in one transaction
that is committed even when the request then fails. That is Django's autocommit: the
statements that succeeded before an exception stay written, which is how the real server
leaves the first ids of a failed enrollment enrolled.
"""

from __future__ import annotations

import sqlite3
import threading
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


class Database:
    """A SQLite file (or ``:memory:``), created and seeded when new, reused otherwise."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None, timeout=30
        )
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA foreign_keys = ON")
            if path != ":memory:":
                # readers in other processes (another CLI command) do not block a writer
                self._conn.execute("PRAGMA journal_mode = WAL")
            self._create_if_new()
        except BaseException:
            self._conn.close()
            raise

    def _create_if_new(self) -> None:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                exists = self._conn.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'emulator_meta'"
                ).fetchone()
                if not exists:
                    for statement in DDL.split(";"):
                        if statement.strip():
                            self._conn.execute(statement)
                    self._conn.execute(
                        "INSERT INTO emulator_meta (key, value) VALUES ('schema_version', ?)",
                        (str(SCHEMA_VERSION),),
                    )
                    seed_database(self._conn)
                else:
                    version = self._conn.execute(
                        "SELECT value FROM emulator_meta WHERE key = 'schema_version'"
                    ).fetchone()
                    if version is None or version[0] != str(SCHEMA_VERSION):
                        raise RuntimeError(
                            f"{self.path} was made by another version of the emulator; "
                            "delete it to start from the seed again"
                        )
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Hold the lock for one request, in one transaction committed whatever happens.

        Committing even after an exception is Django's autocommit: each statement that
        succeeded stays written. ``changed_rows`` is set once the transaction is over.
        """
        with self._lock:
            before = self._conn.total_changes
            self._conn.execute("BEGIN IMMEDIATE")
            transaction = Transaction(Store(self._conn))
            try:
                yield transaction
            finally:
                self._conn.execute("COMMIT")
                transaction.changed_rows = self._conn.total_changes - before

    def close(self) -> None:
        """Close the connection (a file database keeps its state for the next app)."""
        with self._lock:
            self._conn.close()
