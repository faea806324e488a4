"""A database file keeps the exchange's state from one app (one process) to the next."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from emulator.helpers import MakeApp, client_for


def test_a_file_database_is_seeded_once_and_kept(make_app: MakeApp, tmp_path: Path) -> None:
    db = str(tmp_path / "exchange.db")
    first = make_app(db=db)
    with client_for(first) as client:
        created = client.post(
            "/api/v1/studies", json={"name": "kept", "description": "d", "organization": 20003}
        )
    first.close()

    with client_for(make_app(db=db)) as client:
        studies = client.get("/api/v1/studies", params={"organization_id": 20003}).json()["results"]
    assert created.json()["id"] in [s["id"] for s in studies]
    assert [s["id"] for s in studies].count(30001) == 1  # not seeded a second time


def test_a_file_database_uses_write_ahead_logging(make_app: MakeApp, tmp_path: Path) -> None:
    db = tmp_path / "exchange.db"
    make_app(db=str(db)).close()
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_a_database_of_another_emulator_version_is_refused(
    make_app: MakeApp, tmp_path: Path
) -> None:
    db = tmp_path / "exchange.db"
    make_app(db=str(db)).close()
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("UPDATE emulator_meta SET value = '0' WHERE key = 'schema_version'")
    conn.close()
    with pytest.raises(RuntimeError, match="another version of the emulator"):
        make_app(db=str(db))
