"""``export``: the live studies the caller can see, written as spec files.

Teams adopt studies made in the console by exporting them and committing the files.
The test of an export is that ``plan`` on it, against the same exchange, shows no
changes: each study is pinned by ``id``, every link list is written out in full (so
it is managed, and an empty list means none), and every name is one the plan's
resolver reads back as the same object (see ``references``). The files are validated
with the spec loader before they are returned.

What it reads is ``snapshot.read_estate`` (5 + 4N requests for N studies; with
``--organization``, 1 more and 2 for each organization named). An organization named so
gets an ``organizations:`` entry in its file with its practitioners' roles (exactly
those its user list shows, and the caller's own) and, unless ``--no-patients``, its
patient members, so that planning the export shows no change to them either.

``ExportResult.to_dict()`` is the json form of ``export --format json``: the files
written and the studies in them (ids, keys, names, how many patients), versioned
(``EXPORT_FORMAT_VERSION``) and described in ``specs/export.schema.json``. It holds no
patient detail: the files hold e-mails (unless ``--no-patients``), the result counts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jhe_sync.errors import ConfigError, Problem, SpecError
from jhe_sync.exchange.client import Exchange
from jhe_sync.files import open_private
from jhe_sync.lifecycle.references import References
from jhe_sync.lifecycle.spec_text import DEFAULT_SCHEMA_URL, spec_file_text
from jhe_sync.live import Live, Patient, PractitionerRole, Study, StudyLinks
from jhe_sync.resources import ROLES
from jhe_sync.snapshot.estate import read_estate
from jhe_sync.spec.loader import SpecSource, load_desired
from jhe_sync.spec.models import EMAIL_PATTERN, URL_PATTERN, organization_key, slug

EXPORT_FORMAT_VERSION = 1


@dataclass(frozen=True)
class ExportedStudy:
    """One study an export wrote: where, under which key, and what the format could
    not hold exactly (``notes``, also written as comments above it)."""

    id: int
    key: str
    name: str
    organization_id: int
    file: str
    """The file's name, in the export folder."""
    patients: int | None
    """Patients listed in its ``patients`` (None: enrollments left out, unmanaged)."""
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "name": self.name,
            "organization_id": self.organization_id,
            "file": self.file,
            "patients": self.patients,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class Export:
    """The spec files of an export (file name -> text, sorted) and the studies in them."""

    files: Mapping[str, str]
    studies: tuple[ExportedStudy, ...]


@dataclass(frozen=True)
class ExportResult:
    """What ``export`` did: the files it wrote (the spec files and the JSON Schema
    beside them) and the studies exported."""

    export: Export
    written: tuple[Path, ...]
    include_patients: bool = True

    def to_dict(self) -> dict[str, Any]:
        """The json form of ``export --format json`` (``specs/export.schema.json``)."""
        in_file: dict[str, list[ExportedStudy]] = defaultdict(list)
        for study in self.export.studies:
            in_file[study.file].append(study)
        return {
            "format_version": EXPORT_FORMAT_VERSION,
            "patients_included": self.include_patients,
            "summary": {"files": len(self.written), "studies": len(self.export.studies)},
            "files": [
                {
                    "path": str(path),
                    "studies": [s.id for s in in_file.get(path.name, [])],
                }
                for path in self.written
            ],
            "studies": [study.to_dict() for study in self.export.studies],
        }


def export_specs(
    exchange: Exchange,
    organizations: Sequence[str | int] = (),
    study_ids: Sequence[int] = (),
    include_patients: bool = True,
    parallelism: int = 8,
    schema_url: str = DEFAULT_SCHEMA_URL,
) -> Export:
    """Spec files for the live studies the caller can see (``files``: file name -> YAML
    text) and the studies in them.

    One file per organization (``<slug of its name>.yaml``). Without filters, every
    study of every organization the caller belongs to; ``organizations`` (ids, names or
    paths) and ``study_ids`` select studies, and a study is exported when either
    selects it. With ``include_patients=False`` no study has a ``patients`` list, so
    enrollments stay unmanaged. Raises ``ConfigError`` for an organization reference
    that names none, or a study id the caller cannot see.
    """
    live = read_estate(exchange, organizations, study_ids, include_patients, parallelism)
    export = render_estate(live, include_patients, schema_url)
    _check_valid(export.files)
    return export


def render_estate(
    live: Live, include_patients: bool = True, schema_url: str = DEFAULT_SCHEMA_URL
) -> Export:
    """The spec files for every study of ``live`` (no I/O), sorted by file name, and the
    studies in them in file order."""
    references = References(live)
    keys = study_keys(live.studies.values())
    by_organization: dict[int, list[Study]] = defaultdict(list)
    for organization_id in sorted(live.roles):  # the organizations --organization names
        by_organization[organization_id] = []
    for study in live.studies.values():
        by_organization[study.organization_id].append(study)
    names = file_names(live, by_organization)
    files = {}
    exported: dict[str, list[ExportedStudy]] = {}
    for organization_id, studies in by_organization.items():
        ordered = sorted(studies, key=lambda s: (s.name.casefold(), s.name, s.id))
        entries_of_organization = []
        if organization_id in live.roles:
            taken = set(keys.values())
            entries_of_organization.append(
                organization_entry(live, references, organization_id, include_patients, taken)
            )
        entries = [
            study_entry(live, references, study, keys[study.id], include_patients)
            for study in ordered
        ]
        exported[names[organization_id]] = [
            ExportedStudy(
                id=study.id,
                key=entry["key"],
                name=entry["name"],
                organization_id=organization_id,
                file=names[organization_id],
                patients=len(entry["patients"]) if include_patients else None,
                notes=tuple(notes),
            )
            for study, (entry, notes) in zip(ordered, entries, strict=True)
        ]
        organization = live.organizations.get(organization_id)
        title = (
            f'"{organization.name}" (organization {organization_id})'
            if organization is not None
            else f"organization {organization_id}"
        )
        files[names[organization_id]] = spec_file_text(
            entries,
            organization=title,
            include_patients=include_patients,
            schema_url=schema_url,
            organizations=entries_of_organization,
        )
    order = sorted(files)
    return Export(
        files={name: files[name] for name in order},
        studies=tuple(study for name in order for study in exported[name]),
    )


def study_entry(
    live: Live, references: References, study: Study, key: str, include_patients: bool
) -> tuple[dict[str, Any], list[str]]:
    """One study as a spec mapping (keys in the spec's order), and the notes to write
    above it about what the spec format could not hold exactly."""
    links = live.links.get(study.id) or StudyLinks()
    notes: list[str] = []
    entry: dict[str, Any] = {
        "key": key,
        "id": study.id,
        "name": study.name.strip(),
        "description": study.description,
        "organization": references.organization(study.organization_id),
    }
    icon = (study.icon_url or "").strip()
    if icon and _URL.fullmatch(icon):
        entry["icon_url"] = icon
    elif icon:
        notes.append(
            "the live icon URL is not an http(s) URL, which the spec format cannot hold: "
            "plan will propose removing it"
        )
    scopes = []
    for scope_id in sorted(links.scope_ids or ()):
        code = references.scope(scope_id)
        if code is None:
            notes.append(
                f"scope {scope_id} has no code or text that names it alone; it is left out, "
                "so plan will propose removing it"
            )
        else:
            scopes.append(code)
    entry["scope_requests"] = sorted(scopes, key=_text_order)
    entry["data_sources"] = sorted(
        (references.data_source(i) for i in links.data_source_ids or ()), key=_text_order
    )
    entry["clients"] = sorted(
        (references.client(i) for i in links.client_ids or ()), key=_text_order
    )
    if include_patients:
        enrolled = [live.patients.get(i) or Patient(i, None) for i in links.patient_ids or ()]
        entry["patients"] = sorted((references.patient(p) for p in enrolled), key=_patient_order)
    return entry, notes


def organization_entry(
    live: Live,
    references: References,
    organization_id: int,
    include_patients: bool,
    taken: set[str],
) -> tuple[dict[str, Any], list[str]]:
    """An organization as an ``organizations:`` entry (its practitioners, and its patients
    unless left out), and the notes to write above it. ``taken`` are the study keys, which
    the entry's key must not repeat (one namespace)."""
    reference = references.organization(organization_id)
    entry: dict[str, Any] = {}
    default_key = organization_key(reference)
    if default_key in taken:
        entry["key"] = f"organization-{organization_id}"
    entry["organization"] = reference
    notes: list[str] = []
    roles = list(live.roles.get(organization_id, ()))
    caller, organization = live.caller, live.organizations.get(organization_id)
    listed = {r.user_id for r in roles}
    known_caller = bool(caller.email) and caller.id not in listed
    if organization is not None and organization.role in ROLES and known_caller:
        # The caller's role comes with the organization list, also when the user list
        # cannot show the caller (an account the API created).
        roles.append(PractitionerRole(caller.id, caller.email, organization.role or ""))
    practitioners: dict[str, str] = {}
    for role in sorted(roles, key=lambda r: (r.email.casefold(), r.user_id)):
        if role.role in ROLES and _EMAIL.fullmatch(role.email.strip()):
            practitioners[role.email.strip()] = role.role
        else:
            notes.append(
                f"practitioner user {role.user_id} has the role {role.role!r}, which the spec "
                "format cannot hold (manager, member or viewer): it is left out, so plan will "
                "propose removing it"
            )
    entry["practitioners"] = practitioners
    if include_patients:
        members = [live.patients.get(i) or Patient(i, None) for i in live.members(organization_id)]
        entry["patients"] = sorted((references.patient(p) for p in members), key=_patient_order)
    return entry, notes


def study_keys(studies: Iterable[Study]) -> dict[int, str]:
    """Study id -> its key: the slug of its name, with ``-<id>`` added wherever two
    studies (in any organization) would share one."""
    studies = list(studies)
    counts: dict[str, int] = defaultdict(int)
    for study in studies:
        counts[slug(study.name)] += 1
    keys = {
        s.id: slug(s.name) if counts[slug(s.name)] == 1 else f"{slug(s.name)}-{s.id}"
        for s in studies
    }
    taken: dict[str, int] = defaultdict(int)
    for key in keys.values():
        taken[key] += 1
    # a name like "Pilot 30001" can still meet "Pilot"'s "pilot-30001"
    return {i: key if taken[key] == 1 else f"study-{i}" for i, key in keys.items()}


def file_names(live: Live, by_organization: Mapping[int, Iterable[Study]]) -> dict[int, str]:
    """Organization id -> ``<slug of its name>.yaml``; ``-<id>`` added when two share one."""
    slugs = {
        org_id: slug(live.organizations[org_id].name)
        if org_id in live.organizations
        else "organization"
        for org_id in by_organization
    }
    counts: dict[str, int] = defaultdict(int)
    for value in slugs.values():
        counts[value] += 1
    return {
        org_id: f"{value}.yaml" if counts[value] == 1 else f"{value}-{org_id}.yaml"
        for org_id, value in slugs.items()
    }


def write_export(
    files: Mapping[str, str], out_dir: str | Path, overwrite: bool = False
) -> list[Path]:
    """Write the exported files into ``out_dir`` (created if missing); the paths written.

    Refuses, before writing anything, when a file already exists, unless ``overwrite``:
    an export must not silently replace a spec someone edited. Each file is readable by
    its owner only (it may list patients' e-mails).
    """
    directory = Path(out_dir)
    paths = [directory / name for name in files]
    existing = [path for path in paths if path.exists()]
    if existing and not overwrite:
        shown = ", ".join(str(path) for path in existing)
        raise ConfigError(
            f"the export would overwrite {shown}; pass --overwrite to replace them, choose "
            "an empty --out directory, or move those files away first"
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for path, text in zip(paths, files.values(), strict=True):
            with open_private(path, "w" if overwrite else "x") as stream:
                stream.write(text)
    except OSError as error:
        where = f" ({error.filename})" if error.filename not in (None, str(directory)) else ""
        raise ConfigError(
            f"cannot write the export to {directory}: {error.strerror or error}{where}"
        ) from None
    return paths


# -- output ---------------------------------------------------------------------------

_URL = re.compile(URL_PATTERN)
_EMAIL = re.compile(EMAIL_PATTERN)


def _text_order(ref: int | str) -> tuple[int, str]:
    return (1, f"{ref:020d}") if isinstance(ref, int) else (0, ref.casefold() + "\0" + ref)


def _patient_order(ref: str | dict[str, Any]) -> tuple[int, str]:
    if isinstance(ref, str):
        return (0, ref.casefold() + "\0" + ref)
    if "identifier" in ref:
        return (1, f"{ref['identifier']['system']}|{ref['identifier']['value']}")
    return (2, f"{ref['id']:020d}")


def _check_valid(files: Mapping[str, str]) -> None:
    """Load the files with the spec loader: an export that is not a valid spec is a bug
    (or live data the format cannot hold), and is said so before anything is written."""
    if not files:
        return
    try:
        load_desired([SpecSource.from_text(text, name) for name, text in files.items()], environ={})
    except SpecError as error:
        note = Problem(
            "the exported files are not a valid spec (live data the spec format cannot hold, "
            "or a bug in jhe-sync export; please report it)"
        )
        raise SpecError([note, *error.problems]) from None
