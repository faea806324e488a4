"""Is a saved plan still current? Re-read every object it fingerprinted and compare.

A saved plan keeps, for each object it depends on, the record of what it read
(``Plan.read``: a study's fields and the link sets it read, an organization's list of
studies, and for organization changes the parts of an organization they depend on:
its fields, its children, its roles, its patient members; one read each) and that
record's digest (``Plan.fingerprints``). This module reads each
object again, exactly as far as its record goes (a link set the plan did not read is
not read now, and a change to it does not make the plan stale), rebuilds the record
and compares digests: the check is exact. For each object that changed, the error
says what changed (``stale.explain_study``): which field, before and after, which ids
came or went.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

from jhe_sync.apply.stale import explain_organization, explain_organization_part, explain_study
from jhe_sync.errors import ForeignPlanError, StalePlanError
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.exchange.read import (
    read_child_organizations,
    read_organization,
    read_organization_patients,
    read_organization_roles,
    read_organization_studies,
    read_study_fields,
)
from jhe_sync.live import NO_CALLER, ORGANIZATION_PARTS, Live, StudyLinks, record_digest
from jhe_sync.plan.plan import Plan
from jhe_sync.resources import LINKS
from jhe_sync.snapshot.links import read_link_sets

Reread = Callable[[Exchange, int, Any], Any]
"""Read one object again as far as its record (the plan's) goes: its record now."""
Explain = Callable[[int, Any, Any], list[str]]
"""What changed between the record then and now, one line per difference."""


def check_fresh(exchange: Exchange, plan: Plan, parallelism: int = 8) -> None:
    """Raise ``StalePlanError`` naming every object that changed since ``plan`` was made,
    and what changed in each; ``ForeignPlanError`` (before any request) for a plan made
    for another exchange.

    A plan whose changes touch an object it holds no fingerprint of is refused too: it
    could not have been checked, whatever produced the file; so is one that holds no
    record of what it read for a fingerprint (only a plan built in memory can)."""
    check_exchange(exchange, plan)
    unchecked = sorted(_uncovered(plan), key=_order)
    if unchecked:
        raise StalePlanError(
            f"the plan changes {_names(unchecked)} without a fingerprint of it, so it cannot "
            "be checked for staleness; plan again with this version of jhe-sync"
        )
    checks: dict[str, Callable[[], list[str]]] = {}
    for key, digest in plan.fingerprints.items():
        family, _, raw_id = key.partition(":")
        if not raw_id.isdigit() or family not in FAMILIES:
            raise StalePlanError(f"the plan records an unknown object {key!r}; plan again")
        if key not in plan.read:
            raise StalePlanError(
                f"the plan holds no record of what it read of {key}, so it cannot be checked "
                "for staleness; plan again with --out"
            )
        checks[key] = partial(_changes, exchange, key, int(raw_id), digest, plan.read[key])
    found = gather(parallelism, checks)
    changed = sorted((key for key, lines in found.items() if lines), key=_order)
    if changed:
        head = f"the plan is stale: {_names(changed)} changed since it was planned; plan again"
        details = [f"  {line}" for key in changed for line in found[key]]
        raise StalePlanError("\n".join([head, *details]))


def _changes(exchange: Exchange, key: str, object_id: int, digest: str, then: Any) -> list[str]:
    """What changed in one object (empty: unchanged)."""
    reread, explain = FAMILIES[key.partition(":")[0]]
    now = reread(exchange, object_id, then)
    if record_digest(now) == digest:
        return []
    # A record the digest does not explain was written by hand; say only that it changed.
    lines = explain(object_id, then if record_digest(then) == digest else None, now)
    return lines or [f"{key} changed"]


def _study_now(exchange: Exchange, study_id: int, then: Mapping[str, Any] | None) -> Any:
    """The study's record now: its fields, and the link sets its record says were read."""
    study = read_study_fields(exchange, study_id)
    live = Live(caller=NO_CALLER, studies={study_id: study} if study else {})
    links_then = (then or {}).get("links")
    if study is None or links_then is None:
        return live.study_record(study_id)
    wanted = [link for link in LINKS if links_then.get(link.live_field) is not None]
    if not wanted:
        return replace(live, links={study_id: StudyLinks()}).study_record(study_id)
    # The checks already run concurrently, so each reads its own sets one after another;
    # enrollments come nested in the other answers when the plan read any of those.
    sets = read_link_sets(
        exchange, {study_id: wanted}, parallelism=1, enrolled_ids_only=(study_id,)
    )
    return sets.added_to(live).study_record(study_id)


def _organization_now(exchange: Exchange, organization_id: int, then: Any) -> Any:
    listed = read_organization_studies(exchange, organization_id)
    return Live(caller=NO_CALLER, studies={s.id: s for s in listed}).organization_record(
        organization_id
    )


def _organization_part_now(family: str, exchange: Exchange, organization_id: int, then: Any) -> Any:
    """One part of an organization (``Live.organization_part_record``), read again."""
    if family == "organization-fields":
        found = read_organization(exchange, organization_id)
        live = Live(caller=NO_CALLER, organizations={found.id: found} if found else {})
    elif family == "organization-children":
        children = read_child_organizations(exchange, organization_id)
        live = Live(caller=NO_CALLER, organizations=children)
    elif family == "organization-roles":
        roles = read_organization_roles(exchange, organization_id)
        live = Live(caller=NO_CALLER, roles={organization_id: roles})
    else:
        members = frozenset(p.id for p in read_organization_patients(exchange, organization_id))
        live = Live(caller=NO_CALLER, organization_patient_ids={organization_id: members})
    return live.organization_part_record(family, organization_id)


FAMILIES: dict[str, tuple[Reread, Explain]] = {
    "study": (_study_now, explain_study),
    "organization": (_organization_now, explain_organization),
    **{
        family: (
            partial(_organization_part_now, family),
            partial(explain_organization_part, family),
        )
        for family in ORGANIZATION_PARTS
    },
}
"""Each kind of fingerprinted object: how to read it again, how to say what changed."""


def check_exchange(exchange: Exchange, plan: Plan) -> None:
    """A saved plan is applied only to the exchange it was made against: the same seed
    on staging and production gives the same ids and fingerprints, so nothing else
    would tell them apart."""
    if not plan.exchange:
        raise ForeignPlanError(
            f"the saved plan does not say which exchange it was made for (an earlier "
            f"jhe-sync saved it), so it is not applied to {exchange.name}; plan again"
        )
    if plan.exchange != exchange.name:
        raise ForeignPlanError(
            f"the saved plan was made for {plan.exchange}, and this is {exchange.name}; it "
            "is refused. Apply it where it was made, or plan again against this exchange"
        )


def _uncovered(plan: Plan) -> set[str]:
    """Objects the plan's changes depend on that it has no fingerprint of: each live study
    it changes, and the organization of each study it creates (its list of names)."""
    needed = {key for change in plan.changes for key in change.fingerprint_keys()}
    return needed - plan.fingerprints.keys()


def _order(key: str) -> tuple[int, int]:
    kind, _, raw_id = key.partition(":")
    return (0 if kind == "study" else 1, int(raw_id) if raw_id.isdigit() else 0)


def _names(keys: list[str]) -> str:
    studies = [key.partition(":")[2] for key in keys if key.startswith("study:")]
    organizations = sorted(
        {key.partition(":")[2] for key in keys if key.startswith("organization")}, key=int
    )
    parts = []
    if studies:
        parts.append(("study " if len(studies) == 1 else "studies ") + ", ".join(studies))
    if organizations:
        noun = "organization " if len(organizations) == 1 else "organizations "
        parts.append(noun + ", ".join(organizations))
    others = [key for key in keys if not key.startswith(("study:", "organization"))]
    parts += others
    return " and ".join(parts)
