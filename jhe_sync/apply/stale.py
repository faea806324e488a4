"""What changed in a live object since a saved plan read it: the lines a stale plan's
error shows, from the record the plan kept (``Plan.read``) and the one read now.

The records are small and flat (a study's five fields and four id sets; an
organization's studies by id and name; an organization's fields, children, roles and
patient ids), so the comparison is written out here in the
spec's words rather than left to a generic differ. Patients appear as ids, as in the
records; a long text is cut, and a long list of ids is counted past the first few.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from jhe_sync.resources import LINKS

SHOWN_IDS = 5
"""Ids listed per added or removed set; beyond, the rest are counted."""
SHOWN_TEXT = 60
"""Characters shown of a text field's value before and after."""

_FIELDS = (("name", "name"), ("description", "description"), ("icon_url", "icon URL"))


def explain_study(
    study_id: int, before: Mapping[str, Any] | None, after: Mapping[str, Any]
) -> list[str]:
    """One line per difference between a study's record then (``before``; None when the
    plan holds none) and now: a field with its old and new value, ids added to or
    removed from a link set the plan read, the study gone or moved."""
    where = f"study {study_id}"
    if before is None:
        return [f"{where} changed (this plan file holds no record of what was read)"]
    then, now = before.get("study"), after.get("study")
    if then is None and now is None:
        return []
    if now is None:
        return [f"{where} was deleted"]
    if then is None:
        return [f"{where} exists now, and did not when the plan was made"]
    lines = []
    if then.get("organization_id") != now.get("organization_id"):
        lines.append(
            f"{where} moved from organization {then.get('organization_id')} to "
            f"{now.get('organization_id')}"
        )
    for name, label in _FIELDS:
        if then.get(name) != now.get(name):
            lines.append(f"{where}: {label} {_value(then.get(name))} -> {_value(now.get(name))}")
    links_then, links_now = before.get("links") or {}, after.get("links") or {}
    for link in LINKS:
        old, new = links_then.get(link.live_field), links_now.get(link.live_field)
        if old is None or new is None or old == new:
            continue
        added, removed = sorted(set(new) - set(old)), sorted(set(old) - set(new))
        parts = [f"{_ids(added)} added"] if added else []
        parts += [f"{_ids(removed)} removed"] if removed else []
        lines.append(f"{where}: {link.noun}s: {', '.join(parts)}")
    return lines


def explain_organization(
    organization_id: int, before: Sequence[Sequence[Any]] | None, after: Sequence[Sequence[Any]]
) -> list[str]:
    """One line per study that appeared in, left or was renamed in an organization's
    list (``[id, name]`` pairs) since the plan read it."""
    where = f"organization {organization_id}"
    if before is None:
        return [f"{where} changed (this plan file holds no record of what was read)"]
    then = {int(pair[0]): str(pair[1]) for pair in before}
    now = {int(pair[0]): str(pair[1]) for pair in after}
    lines = [f"{where}: study {i} {_value(now[i])} appeared" for i in sorted(now.keys() - then)]
    lines += [f"{where}: study {i} {_value(then[i])} is gone" for i in sorted(then.keys() - now)]
    lines += [
        f"{where}: study {i} renamed {_value(then[i])} -> {_value(now[i])}"
        for i in sorted(then.keys() & now.keys())
        if then[i] != now[i]
    ]
    return lines


_PART_NOUNS = {
    "organization-fields": "its name, type or parent",
    "organization-children": "the organizations under it",
    "organization-roles": "its practitioners' roles",
    "organization-patients": "its patients",
}


def explain_organization_part(
    family: str, organization_id: int, before: Any | None, after: Any
) -> list[str]:
    """What changed in one part of an organization (``Live.organization_part_record``):
    the fields before and after, the children or users whose entry changed, the
    patient ids that came or went."""
    where = f"organization {organization_id}"
    if before is None:
        return [f"{where}: {_PART_NOUNS[family]} changed (this plan file holds no record)"]
    if family == "organization-fields":
        if after is None:
            return [f"{where} was deleted"]
        names = ("name", "type", "parent")
        return [
            f"{where}: {name} {_value(old)} -> {_value(new)}"
            for name, old, new in zip(names, before, after, strict=True)
            if old != new
        ]
    if family == "organization-patients":
        added, removed = sorted(set(after) - set(before)), sorted(set(before) - set(after))
        parts = [f"patients {_ids(added)} added"] if added else []
        parts += [f"patients {_ids(removed)} removed"] if removed else []
        return [f"{where}: {', '.join(parts)}"] if parts else []
    then = {int(pair[0]): str(pair[1]) for pair in before or ()}
    now = {int(pair[0]): str(pair[1]) for pair in after or ()}
    what = "organization" if family == "organization-children" else "user"
    lines = [f"{where}: {what} {i} ({now[i]}) appeared" for i in sorted(now.keys() - then)]
    lines += [f"{where}: {what} {i} ({then[i]}) is gone" for i in sorted(then.keys() - now)]
    lines += [
        f"{where}: {what} {i} {then[i]} -> {now[i]}"
        for i in sorted(then.keys() & now.keys())
        if then[i] != now[i]
    ]
    return lines


def _value(value: Any) -> str:
    if value is None or value == "":
        return "(none)"
    text = str(value)
    if len(text) > SHOWN_TEXT:
        text = text[: SHOWN_TEXT - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def _ids(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:SHOWN_IDS])
    rest = len(ids) - SHOWN_IDS
    return f"{shown} and {rest} more" if rest > 0 else shown
