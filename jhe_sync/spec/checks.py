"""Checks across entries, after each one is valid on its own.

Two entries must not claim the same study (by key, by name in one organization, or by
pinned id), a list must not name the same thing twice (the exchange answers a
repeated link with a 500), and a study cannot be both protected and meant to be
deleted. Organization entries likewise: one entry per organization, keys unique
among study and organization entries alike (the command line names both), no
practitioner, patient or earlier name twice. Organizations are compared by the
reference as written: that ``20003`` and ``Lifespan Lab`` are the same is for the
resolver to find, with the live exchange.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

from jhe_sync.errors import Problem, SourceLocation
from jhe_sync.resources import LINKS
from jhe_sync.spec.locator import Problems
from jhe_sync.spec.models import EmailPatient, OrganizationSettings, StudySpec

_LISTS = (*(link.spec_field for link in LINKS), "previous_names")
"""The lists of a study in which an item may not be repeated."""


def check_studies(studies: Sequence[tuple[str, StudySpec]], problems: Problems) -> None:
    """Append a problem for every clash between studies or inside one study."""
    by_key: dict[str, tuple[str, StudySpec]] = {}
    by_name: dict[tuple[str, str], StudySpec] = {}
    by_id: dict[int, StudySpec] = {}
    for path, study in studies:
        first = by_key.setdefault(study.key, (path, study))
        if first[1] is not study:
            problems.append(_duplicate_key(path, study, first[1]))
            continue
        name_key = (str(study.organization), study.name)
        same_name = by_name.setdefault(name_key, study)
        if same_name is not study:
            problems.append(
                Problem(
                    f"another study in organization {study.organization!r} is named {study.name!r} "
                    f"(at {_where(same_name.locate('name'))}); names are unique in an organization",
                    study.locate("name"),
                    f"{path}.name",
                )
            )
        if study.id is not None:
            pinned = by_id.setdefault(study.id, study)
            if pinned is not study:
                where = (
                    "another study of this for_each"
                    if pinned.origin == study.origin
                    else f"the study at {_where(pinned.locate('id'))}"
                )
                problems.append(
                    Problem(
                        f"the study id {study.id} is already pinned by {where}",
                        study.locate("id"),
                        f"{path}.id",
                    )
                )
        _check_absent(path, study, "study", problems)
        _check_repeats(path, study, _LISTS, problems)


def check_organizations(
    organizations: Sequence[tuple[str, OrganizationSettings]],
    studies: Sequence[tuple[str, StudySpec]],
    problems: Problems,
) -> None:
    """Append a problem for an organization listed twice, a key another entry has, and
    every clash inside one entry."""
    seen: dict[str, OrganizationSettings] = {}
    # The entries themselves, located only for a problem: locating reads a file again.
    keys: dict[str, StudySpec | OrganizationSettings] = {study.key: study for _, study in studies}
    for path, settings in organizations:
        first = seen.setdefault(str(settings.organization), settings)
        if first is not settings:
            problems.append(
                Problem(
                    f"the organization {settings.organization!r} is listed twice (first at "
                    f"{_where(first.locate('organization'))}); give each organization one entry",
                    settings.locate("organization"),
                    f"{path}.organization",
                )
            )
            continue
        if settings.key in keys:
            problems.append(
                Problem(
                    f"the key {settings.key!r} is already used by the entry at "
                    f"{_where(keys[settings.key].locate('key'))}; set key: to tell them apart (--target and "
                    "--allow-destroy name studies and organizations alike)",
                    settings.locate("key"),
                    f"{path}.key",
                )
            )
        keys.setdefault(settings.key, settings)
        if str(settings.part_of) == str(settings.organization) and settings.part_of is not None:
            problems.append(
                Problem(
                    "an organization cannot be part of itself; part_of names its parent",
                    settings.locate("part_of"),
                    f"{path}.part_of",
                )
            )
        _check_absent(path, settings, "organization", problems)
        _check_repeats(path, settings, ("patients", "previous_names"), problems)
        _check_practitioners(path, settings, problems)


def _check_absent(
    path: str, entry: StudySpec | OrganizationSettings, what: str, problems: Problems
) -> None:
    if entry.protect and entry.state == "absent":
        problems.append(
            Problem(
                f"state: absent contradicts protect: true (a protected {what} is never deleted); "
                "remove protect to delete it",
                entry.locate("state"),
                f"{path}.state",
            )
        )


def _check_practitioners(path: str, settings: OrganizationSettings, problems: Problems) -> None:
    first: dict[str, str] = {}
    for email in settings.practitioners or {}:
        earlier = first.setdefault(email.casefold(), email)
        if earlier != email:
            problems.append(
                Problem(
                    f"{email!r} is listed twice (first as {earlier!r}; emails are compared "
                    "without case); give each practitioner one role",
                    settings.locate_key("practitioners", email),
                    f"{path}.practitioners.{email}",
                )
            )


def _duplicate_key(path: str, study: StudySpec, first: StudySpec) -> Problem:
    if first.origin == study.origin:
        message = (
            f"for_each gives the key {study.key!r} to more than one study; "
            "use a ${variable} in the name (or in key:) so that each study has its own"
        )
    else:
        message = f"the study key {study.key!r} is already used by the study at {_where(first.locate('key'))}"
        if study.locate("key") == study.locate("name"):
            message += "; a key defaults to a slug of the name: set key: to tell them apart"
    return Problem(message, study.locate("key"), f"{path}.key")


def _check_repeats(
    path: str,
    entry: StudySpec | OrganizationSettings,
    fields: tuple[str, ...],
    problems: Problems,
) -> None:
    for field in fields:
        items = getattr(entry, field)
        if not items or len(items) < 2:
            continue
        identities = _identities(field, items)
        if len(set(identities)) == len(identities):
            continue
        seen: dict[Hashable, int] = {}
        for index, (item, identity) in enumerate(zip(items, identities, strict=True)):
            first = seen.setdefault(identity, index)
            if first != index:
                problems.append(
                    Problem(
                        f"{_show(item)} is listed twice (first as {field}[{first}])",
                        entry.locate(field, index),
                        f"{path}.{field}[{index}]",
                    )
                )


def _identities(field: str, items: list[Any]) -> list[Hashable]:
    """What makes two items of a list the same: text compared without case, patients
    by their label."""
    if field == "patients":
        # A bare email is its own label (lower case, which casefold() covers).
        return [(item if type(item) is EmailPatient else item.label).casefold() for item in items]
    return [item.casefold() if isinstance(item, str) else item for item in items]


def _show(item: object) -> str:
    label = getattr(item, "label", None)
    return repr(label if label is not None else item)


def _where(location: SourceLocation | None) -> str:
    return str(location) if location is not None else "another entry"
