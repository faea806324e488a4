"""Writing an estate out: spec files a team would keep, and a seeded emulator database.

The spec is what a team with many cohorts writes: one file of templates (description,
scope requests, data sources, clients by name) and files of 50 entries that each
``use:`` a template and list their own patients by email.

The database is the emulator's own (created and seeded by ``jhe_sync.emulator``), with
the estate added by SQL in one transaction, which takes seconds where the API would
take minutes. Ids continue the seed's, and every id sequence is moved past them, so
studies, links and enrollments created later through the API get fresh ids, as they
would on the real server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from estate import ORGANIZATIONS, TEMPLATES, Estate, Study

STUDIES_PER_FILE = 50
TIMESTAMP = "2026-12-01T09:00:00.000000Z"

# -- spec files ----------------------------------------------------------------------


def write_specs(estate: Estate, folder: Path) -> list[Path]:
    """The spec directory of ``estate``: templates.yaml and studies-NNN.yaml files."""
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "templates.yaml"]
    written[0].write_text(_templates_text())
    studies = estate.studies
    for start in range(0, len(studies), STUDIES_PER_FILE):
        path = folder / f"studies-{start // STUDIES_PER_FILE:03d}.yaml"
        path.write_text(_studies_text(studies[start : start + STUDIES_PER_FILE], estate))
        written.append(path)
    return written


def _templates_text() -> str:
    lines = ["version: 1", "templates:"]
    for template in TEMPLATES:
        lines += [
            f"  {template.name}:",
            f"    description: {template.description}",
            f"    scope_requests: [{', '.join(code for _, code in template.scopes)}]",
            f"    data_sources: [{', '.join(name for _, name in template.data_sources)}]",
            f"    clients: [{', '.join(name for _, name in template.clients)}]",
        ]
    return "\n".join(lines) + "\n"


def _studies_text(studies: Iterable[Study], estate: Estate) -> str:
    emails = {p.id: p.email for p in estate.patients}
    lines = ["version: 1", "studies:"]
    for study in studies:
        lines += [
            f"  - use: {study.template}",
            f"    key: {study.key}",
            f"    name: {study.name}",
            f"    organization: {ORGANIZATIONS[study.organization_id]}",
            f"    patients: [{', '.join(emails[p] for p in study.patient_ids)}]",
        ]
    return "\n".join(lines) + "\n"


# -- the emulator database -----------------------------------------------------------


def write_database(live: Estate, path: Path, consented_share: int = 2) -> None:
    """A seeded emulator database at ``path`` holding ``live`` (studies, links, patients).

    One enrollment in ``consented_share`` has consented to every scope its study
    requests, so that the impact of removing a scope or unenrolling counts something.
    """
    from jhe_sync.emulator import create_app

    path.unlink(missing_ok=True)
    create_app(db=str(path)).close()  # the emulator's schema and seed
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        _insert_estate(conn, live, consented_share)
        _advance_sequences(conn)
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _insert_estate(conn: sqlite3.Connection, live: Estate, consented_share: int) -> None:
    next_id = _Ids(conn)
    conn.executemany(
        "INSERT INTO core_jheuser (id, email, first_name, last_name, user_type, is_superuser) "
        "VALUES (?, ?, 'Bench', ?, 'patient', 0)",
        [(p.user_id, p.email, f"Patient{p.id}") for p in live.patients],
    )
    conn.executemany(
        "INSERT INTO core_patient (id, jhe_user_id, name_family, name_given, birth_date, "
        "telecom_phone, last_updated) VALUES (?, ?, ?, 'Bench', '1980-01-01', '+1-555-0100', ?)",
        [(p.id, p.user_id, f"Patient{p.id}", TIMESTAMP) for p in live.patients],
    )
    conn.executemany(
        "INSERT INTO core_patientorganization (id, patient_id, organization_id) VALUES (?, ?, ?)",
        [(next_id("core_patientorganization"), p.id, p.organization_id) for p in live.patients],
    )
    conn.executemany(
        "INSERT INTO core_study (id, name, description, organization_id, icon_url, last_updated) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (s.id, s.name, s.description, s.organization_id, s.icon_url, TIMESTAMP)
            for s in live.studies
        ],
    )
    for table, column, attribute in (
        ("core_studyscoperequest", "scope_code_id", "scope_ids"),
        ("core_studydatasource", "data_source_id", "data_source_ids"),
        ("core_studyclient", "client_id", "client_ids"),
    ):
        conn.executemany(
            f"INSERT INTO {table} (id, study_id, {column}) VALUES (?, ?, ?)",
            [(next_id(table), s.id, link) for s in live.studies for link in getattr(s, attribute)],
        )
    enrollments = [
        (next_id("core_studypatient"), s, p) for s in live.studies for p in s.patient_ids
    ]
    conn.executemany(
        "INSERT INTO core_studypatient (id, study_id, patient_id) VALUES (?, ?, ?)",
        [(link, s.id, p) for link, s, p in enrollments],
    )
    conn.executemany(
        "INSERT INTO core_studypatientscopeconsent (id, study_patient_id, scope_code_id, "
        "consented, consented_time) VALUES (?, ?, ?, 1, ?)",
        [
            (next_id("core_studypatientscopeconsent"), link, scope, TIMESTAMP)
            for link, s, p in enrollments
            if (s.index + p) % consented_share == 0
            for scope in s.scope_ids
        ],
    )


class _Ids:
    """Ids for new rows of each table, after the largest one already there."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._last: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        if table not in self._last:
            (last,) = self._conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
            self._last[table] = last
        self._last[table] += 1
        return self._last[table]


def _advance_sequences(conn: sqlite3.Connection) -> None:
    """Move each id sequence past the largest id of its table (never backwards)."""
    for (table,) in conn.execute("SELECT name FROM sequence").fetchall():
        (largest,) = conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
        conn.execute(
            "UPDATE sequence SET last_value = MAX(last_value, ?) WHERE name = ?", (largest, table)
        )
