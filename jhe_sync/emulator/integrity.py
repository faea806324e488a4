"""Constraint violations, worded as PostgreSQL words them on the real server.

SQLite enforces the constraints (the emulator never checks by hand what the database
would refuse); this module only turns SQLite's terse message into the exception value
the real server's 500 page shows (091, 093, 103, 114, 115, 129, 130, 132, 164, 465, 473).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from jhe_sync.emulator.db import Store
from jhe_sync.emulator.errors import ServerError

# The hash part of a Django FK constraint name that no recording shows.
_UNRECORDED = "00000000"


@dataclass(frozen=True)
class ForeignKey:
    column: str
    constraint: str
    target: str  # the referenced table


@dataclass(frozen=True)
class LinkTable:
    """A table whose rows link two things: one unique pair, foreign keys in check order."""

    name: str
    columns: tuple[str, ...]  # in table order, "id" first
    unique_constraint: str
    unique_columns: tuple[str, str]
    foreign_keys: tuple[ForeignKey, ...]


STUDY_SCOPE_REQUEST = LinkTable(
    "core_studyscoperequest",
    ("id", "study_id", "scope_code_id"),
    "core_studyscoperequest_unique_study_id_scope_code_id",
    ("study_id", "scope_code_id"),
    (
        ForeignKey(
            "study_id", "core_studyscoperequest_study_id_a7e131cf_fk_core_study_id", "core_study"
        ),
        ForeignKey(
            "scope_code_id",
            "core_studyscopereque_scope_code_id_74315037_fk_core_code",
            "core_codeableconcept",
        ),
    ),
)

STUDY_DATA_SOURCE = LinkTable(
    "core_studydatasource",
    ("id", "study_id", "data_source_id"),
    "core_studydatasource_unique_study_id_data_source_id",
    ("study_id", "data_source_id"),
    (
        ForeignKey(
            "study_id",
            f"core_studydatasource_study_id_{_UNRECORDED}_fk_core_study_id",
            "core_study",
        ),
        ForeignKey(
            "data_source_id",
            "core_studydatasource_data_source_id_3474077a_fk_core_data",
            "core_datasource",
        ),
    ),
)

STUDY_CLIENT = LinkTable(
    "core_studyclient",
    ("id", "client_id", "study_id"),
    "core_studyclient_unique_study_id_client_id",
    ("study_id", "client_id"),
    (
        ForeignKey(
            "client_id",
            "core_studyclient_client_id_22df0349_fk_oauth2_pr",
            "oauth2_provider_application",
        ),
        ForeignKey(
            "study_id", f"core_studyclient_study_id_{_UNRECORDED}_fk_core_study_id", "core_study"
        ),
    ),
)

STUDY_PATIENT = LinkTable(
    "core_studypatient",
    ("id", "study_id", "patient_id"),
    "core_studypatient_unique_study_id_patient_id",
    ("study_id", "patient_id"),
    (
        ForeignKey(
            "study_id", f"core_studypatient_study_id_{_UNRECORDED}_fk_core_study_id", "core_study"
        ),
        ForeignKey(
            "patient_id",
            f"core_studypatient_patient_id_{_UNRECORDED}_fk_core_patient_id",
            "core_patient",
        ),
    ),
)


PRACTITIONER_ORGANIZATION = LinkTable(
    "core_practitionerorganization",
    ("id", "organization_id", "practitioner_id", "role"),
    "core_practitionerorganization_unique_practitioner_id_organization_id",
    ("practitioner_id", "organization_id"),
    (
        ForeignKey(
            "organization_id",
            "core_practitionerorg_organization_id_c8b5bcd2_fk_core_orga",
            "core_organization",
        ),
        ForeignKey(
            "practitioner_id",
            f"core_practitionerorg_practitioner_id_{_UNRECORDED}_fk_core_prac",
            "core_practitioner",
        ),
    ),
)


def insert_link(store: Store, table: LinkTable, values: dict[str, Any]) -> int:
    """INSERT one link row, spending a sequence value first as PostgreSQL does.

    A violated constraint becomes the IntegrityError 500 of the real server; the spent
    id stays spent (the next successful insert skips it, as the recordings show).
    """
    row_id = store.nextval(table.name)
    row = {"id": row_id, **values}
    columns = [c for c in table.columns if c in row]
    try:
        store.conn.execute(
            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [row[c] for c in columns],
        )
    except sqlite3.IntegrityError as error:
        raise _as_postgres(store, table, row, str(error)) from None
    return row_id


def update_link(store: Store, table: LinkTable, row_id: int, values: dict[str, Any]) -> None:
    """UPDATE one link row; a violated constraint becomes the server's IntegrityError 500 (465)."""
    assignments = ", ".join(f"{column} = ?" for column in values)
    try:
        store.conn.execute(
            f"UPDATE {table.name} SET {assignments} WHERE id = ?", [*values.values(), row_id]
        )
    except sqlite3.IntegrityError as error:
        current = store.one(f"SELECT * FROM {table.name} WHERE id = ?", (row_id,))
        assert current is not None
        raise _as_postgres(store, table, {**dict(current), **values}, str(error)) from None


def _sql_literal(value: Any) -> str:
    return "null" if value is None else str(value)


def _as_postgres(store: Store, table: LinkTable, row: dict[str, Any], message: str) -> ServerError:
    if message.startswith("NOT NULL constraint failed"):
        column = message.rsplit(".", 1)[-1]
        failing = ", ".join(_sql_literal(row.get(c)) for c in table.columns)
        return ServerError(
            "IntegrityError",
            f'null value in column "{column}" of relation "{table.name}" violates not-null constraint\n'
            f"DETAIL:  Failing row contains ({failing}).",
        )
    if message.startswith("UNIQUE constraint failed"):
        a, b = table.unique_columns
        return ServerError(
            "IntegrityError",
            f'duplicate key value violates unique constraint "{table.unique_constraint}"\n'
            f"DETAIL:  Key ({a}, {b})=({row[a]}, {row[b]}) already exists.",
        )
    for fk in table.foreign_keys:
        if store.one(f"SELECT 1 FROM {fk.target} WHERE id = ?", (row[fk.column],)) is None:
            return ServerError(
                "IntegrityError",
                f'insert or update on table "{table.name}" violates foreign key constraint "{fk.constraint}"\n'
                f'DETAIL:  Key ({fk.column})=({row[fk.column]}) is not present in table "{fk.target}".',
            )
    return ServerError("IntegrityError", message)
