"""Pre-flight checks of organization changes: what the server would do that the spec
cannot mean, found before any write.

A move may not put an organization under itself (the tree would become a loop);
nothing the spec keeps may sit in an organization the plan deletes (the deletion would
take it); and a study may not enroll a patient the plan removes from the study's
organization (the removal would unenroll them again).

The roles each change needs of the caller are not problems of the spec but of the
credentials: ``plan.authority`` says which, and apply refuses a plan the caller may not
apply (``role_refusals``), so a read-only job still plans in full.
"""

from __future__ import annotations

from jhe_sync.errors import Problem
from jhe_sync.identity.lookup import organization_path
from jhe_sync.identity.organization import descendants
from jhe_sync.live import Live
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.resolve import Resolved, study_path
from jhe_sync.plan.resolve_organizations import ResolvedOrganization, entry_path
from jhe_sync.resources import ChangeKind


def organization_problems(plan: Plan, resolved: Resolved, live: Live) -> list[Problem]:
    """Every pre-flight problem of the plan's organization changes."""
    entries = {entry.key: entry for entry in resolved.organizations}
    return (
        _moves_under_themselves(plan, entries, live)
        + _kept_in_deleted(resolved, live)
        + _enrolled_yet_removed(plan, resolved)
    )


def _moves_under_themselves(
    plan: Plan, entries: dict[str, ResolvedOrganization], live: Live
) -> list[Problem]:
    problems = []
    for change in plan.changes:
        if change.kind is not ChangeKind.MOVE_ORGANIZATION or change.organization_id is None:
            continue
        moved = change.organization_id
        if change.parent_id is None or change.parent_id not in {
            moved,
            *descendants(live, moved),
        }:
            continue
        entry = entries[change.key].spec
        problems.append(
            Problem(
                f"part_of puts organization {_org(live, moved)} under "
                f"{_org(live, change.parent_id)}, which is itself or one of its own "
                "organizations: the tree would become a loop; choose another parent",
                entry.locate("part_of"),
                entry_path(entry, "part_of"),
            )
        )
    return problems


def _kept_in_deleted(resolved: Resolved, live: Live) -> list[Problem]:
    """A study or organization the spec keeps, inside an organization the plan deletes."""
    doomed: dict[int, ResolvedOrganization] = {}
    for entry in resolved.organizations:
        if entry.absent and entry.organization_id is not None:
            for org_id in (entry.organization_id, *descendants(live, entry.organization_id)):
                doomed.setdefault(org_id, entry)
    if not doomed:
        return []
    problems = []
    for study in resolved.studies:
        study_org = study.organization_id
        if study.absent or study_org is None or study_org not in doomed:
            continue
        problems.append(
            Problem(
                f"the study is in organization {_org(live, study_org)}, which the plan deletes "
                f"(organizations[{doomed[study_org].key}] says state: absent): the deletion would "
                "delete the study too. Set state: absent on the study, or keep the organization",
                study.spec.locate("organization"),
                study_path(study.spec, "organization"),
            )
        )
    for entry in resolved.organizations:
        if entry.absent:
            continue
        inside: int | None = entry.organization_id if entry.organization_id in doomed else None
        parent = entry.match.parent_id
        if inside is None and parent is not None and parent in doomed:
            inside = parent
        if inside is None:
            continue
        problems.append(
            Problem(
                f"organization {_org(live, inside)} is deleted by the plan "
                f"(organizations[{doomed[inside].key}] says state: absent), and this entry "
                "keeps an organization in it: the deletion would take it too. Set state: "
                "absent here, or give it another part_of",
                entry.spec.origin,
                entry_path(entry.spec),
            )
        )
    return problems


def _enrolled_yet_removed(plan: Plan, resolved: Resolved) -> list[Problem]:
    """A study enrolling a patient whom the plan removes from the study's organization:
    the removal would unenroll them again."""
    removed = {
        (c.organization_id, c.link_id): c
        for c in plan.changes
        if c.kind is ChangeKind.REMOVE_MEMBERSHIP
    }
    problems = []
    for study in resolved.studies:
        if study.absent or study.organization_id is None:
            continue
        for ref in study.patients or ():
            change = removed.get((study.organization_id, ref.id))
            if change is None:
                continue
            problems.append(
                Problem(
                    f"the study enrolls patient {ref.label}, whom organizations[{change.key}] "
                    "removes from the study's organization (its patients do not list them); "
                    "removing them there unenrolls them here. List them in the organization's "
                    "patients, or remove them from the study's",
                    study.spec.locate("patients", ref.position),
                    study_path(study.spec, "patients", ref.position),
                )
            )
    return problems


def _org(live: Live, organization_id: int) -> str:
    return f'"{organization_path(live, organization_id) or organization_id}" ({organization_id})'
