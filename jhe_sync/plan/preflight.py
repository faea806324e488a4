"""Pre-flight checks: what the exchange would refuse or fail on, found before any write.

These are the "Common Issues" of the study-management guide, turned into errors that
say what to do. On the real server they surface late and badly: enrolling a patient of
another organization is a 500 that keeps the ids before it. The warnings are things a
reviewer should know that the server accepts silently.

A missing write role is not a problem of the spec but of the credentials: the plan is
made whole, and apply refuses it (``role_refusals`` in ``plan.plan``), so a pull
request's job can plan with read-only credentials.
"""

from __future__ import annotations

from jhe_sync.errors import PreflightError, Problem
from jhe_sync.identity.lookup import organization_path
from jhe_sync.live import Live
from jhe_sync.plan.change import Warning_
from jhe_sync.plan.plan import Plan
from jhe_sync.plan.preflight_organizations import organization_problems
from jhe_sync.plan.resolve import Resolved, ResolvedStudy, live_link_set, study_path
from jhe_sync.resources import DATA_SOURCES, PATIENTS, ChangeKind


def preflight(plan: Plan, resolved: Resolved, live: Live) -> tuple[Warning_, ...]:
    """Raise one ``PreflightError`` with every problem; else return the plan's warnings."""
    by_key = {study.key: study for study in resolved.studies}
    problems = (
        _moves(resolved, live)
        + _foreign_patients(plan, by_key, live)
        + organization_problems(plan, resolved, live)
    )
    if problems:
        raise PreflightError(problems)
    return tuple(_unsupported_scopes(resolved, live) + _consent_again(plan, by_key, live))


def _org(live: Live, organization_id: int) -> str:
    return f'"{organization_path(live, organization_id) or organization_id}" ({organization_id})'


def _moves(resolved: Resolved, live: Live) -> list[Problem]:
    problems = []
    for study in resolved.studies:
        current, target = study.match.study, study.organization_id
        if current is None or target is None or study.absent or current.organization_id == target:
            continue
        problems.append(
            Problem(
                f"live study {current.id} is in organization {_org(live, current.organization_id)}, "
                f"but the spec puts it in {_org(live, target)}; a study cannot be "
                "moved to another organization (the console does not support it). To move it, "
                "add a new entry in the target organization (without the id pin) and set "
                "state: absent on this one; or keep the organization "
                f"{current.organization_id} in this entry",
                study.spec.locate("organization"),
                study_path(study.spec, "organization"),
            )
        )
    return problems


def _foreign_patients(plan: Plan, by_key: dict[str, ResolvedStudy], live: Live) -> list[Problem]:
    """Enrolling a patient of another organization is a 500, unless the same plan adds
    them to the study's organization first (memberships run before every study change)."""
    joining = {
        (c.organization_id if c.organization_id is not None else c.organization_key, c.link_id)
        for c in plan.changes
        if c.kind is ChangeKind.ADD_MEMBERSHIP
    }
    problems = []
    for change in plan.changes:
        if change.kind is not ChangeKind.ENROLL:
            continue
        study = by_key[change.key]
        positions = {ref.id: ref.position for ref in study.patients or ()}
        organization = (
            change.organization_id
            if change.organization_id is not None
            else change.organization_key
        )
        for target in change.patients:
            if (organization, target.id) in joining:
                continue
            patient = live.patients.get(target.id)
            if change.organization_id is not None and (
                patient is None or change.organization_id in patient.organization_ids
            ):
                continue
            position = positions.get(target.id)
            if change.organization_id is None:
                message = (
                    f"patient {target.label} (#{target.id}) is not a patient of the organization "
                    f"the plan creates (organizations[{change.organization_key}]), and the "
                    "server fails such an enrollment with a 500; list the patient in that "
                    "organization's patients, and the plan adds them before enrolling them"
                )
            else:
                message = (
                    f"patient {target.label} (#{target.id}) is not a member of organization "
                    f"{_org(live, change.organization_id)}, and the server fails such an "
                    "enrollment with a 500 (keeping the patients enrolled before it); add the "
                    f"patient to organization {change.organization_id} first (list them in its "
                    "entry's patients), or create the study in the patient's organization"
                )
            problems.append(
                Problem(
                    message,
                    study.spec.locate("patients", position),
                    study_path(study.spec, "patients", position),
                )
            )
    return problems


def _unsupported_scopes(resolved: Resolved, live: Live) -> list[Warning_]:
    """Scopes no data source of the study supports are never put to patients for consent."""
    warnings = []
    for study in resolved.studies:
        if study.absent or study.scopes is None:
            continue
        sources = _data_source_ids(study, live)
        if sources is None:
            continue
        supported: set[int] = set()
        for source_id in sources:
            source = live.data_sources.get(source_id)
            supported |= source.supported_scope_ids if source else set()
        names = ", ".join(
            sorted(live.data_sources[i].name for i in sources if i in live.data_sources)
        )
        which = (
            f"none of the study's data sources ({names})"
            if names
            else "no data source: the study has none"
        )
        warnings += [
            Warning_(
                study.key,
                f'scope "{ref.label}" is supported by {which}; patients will never be asked '
                "to consent to it",
            )
            for ref in study.scopes
            if ref.id not in supported
        ]
    return warnings


def _data_source_ids(study: ResolvedStudy, live: Live) -> frozenset[int] | None:
    """The study's data sources after the plan: the spec's, else the live ones (None: unknown)."""
    if study.data_sources is not None:
        return frozenset(ref.id for ref in study.data_sources)
    current = study.match.study
    if current is None:
        return frozenset()
    return live_link_set(live, current.id, DATA_SOURCES)


def _consent_again(plan: Plan, by_key: dict[str, ResolvedStudy], live: Live) -> list[Warning_]:
    """Patients who stay enrolled are asked to consent to each scope the plan adds."""
    warnings = []
    for key, changes in plan.by_key().items():
        added = [
            c.link_label
            for c in changes
            if c.kind is ChangeKind.ADD_SCOPE and c.study_id is not None
        ]
        study = by_key.get(key)
        if not added or study is None or study.match.study is None:
            continue
        enrolled = live_link_set(live, study.match.study.id, PATIENTS)
        if enrolled is None:
            continue
        leaving = {p.id for c in changes if c.kind is ChangeKind.UNENROLL for p in c.patients}
        staying = len(enrolled - leaving)
        if staying:
            scopes = ", ".join(f'"{code}"' for code in added)
            noun = "patient" if staying == 1 else "patients"
            warnings.append(
                Warning_(
                    key,
                    f"adding scope requests {scopes} to a study with {staying} enrolled {noun}: "
                    "they must consent again before data of the new types is shared",
                )
            )
    return warnings
