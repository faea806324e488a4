"""Is a saved plan still current? Re-read every object it fingerprinted and compare.

A saved plan records ``study:ID`` and ``organization:ID`` digests of what it read
(``Live.study_fingerprint`` / ``Live.organization_fingerprint``). The digest of a
study covers the link sets that were read for it, and the plan does not say which:
this module reads the study and, if its fields alone do not explain the digest, all
four link sets, then tries each subset (sixteen digests, no further request). A digest
covers ``None`` for a set that was not read, so only the same subset with the same
values can match: the check is exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import partial

from jhe_sync.errors import StalePlanError
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.exchange.read import read_organization_studies, read_study_fields
from jhe_sync.live import NO_CALLER, Live, StudyLinks
from jhe_sync.plan.plan import Plan
from jhe_sync.resources import LINKS
from jhe_sync.snapshot.links import read_link_sets


def check_fresh(exchange: Exchange, plan: Plan, parallelism: int = 8) -> None:
    """Raise ``StalePlanError`` naming every object that changed since ``plan`` was made.

    A plan whose changes touch an object it holds no fingerprint of is refused too: it
    could not have been checked, whatever produced the file."""
    unchecked = sorted(_uncovered(plan), key=_order)
    if unchecked:
        raise StalePlanError(
            f"the plan changes {_names(unchecked)} without a fingerprint of it, so it cannot "
            "be checked for staleness; plan again with this version of jhe-sync"
        )
    checks: dict[str, Callable[[], bool]] = {}
    for key, digest in plan.fingerprints.items():
        kind, _, raw_id = key.partition(":")
        if not raw_id.isdigit() or kind not in ("study", "organization"):
            raise StalePlanError(f"the plan records an unknown object {key!r}; plan again")
        check = _study_is_unchanged if kind == "study" else _organization_is_unchanged
        checks[key] = partial(check, exchange, int(raw_id), digest)
    fresh = gather(parallelism, checks)
    changed = sorted((key for key, ok in fresh.items() if not ok), key=_order)
    if changed:
        raise StalePlanError(
            f"the plan is stale: {_names(changed)} changed since it was planned; plan again"
        )


def _uncovered(plan: Plan) -> set[str]:
    """Objects the plan's changes depend on that it has no fingerprint of: each live study
    it changes, and the organization of each study it creates (its list of names)."""
    needed = {key for change in plan.changes for key in change.fingerprint_keys()}
    return needed - plan.fingerprints.keys()


def _study_is_unchanged(exchange: Exchange, study_id: int, digest: str) -> bool:
    study = read_study_fields(exchange, study_id)
    live = Live(caller=NO_CALLER, studies={study_id: study} if study else {})
    if live.study_fingerprint(study_id) == digest:
        return True
    if study is None:
        return False
    # The fingerprint of a study with no link read holds StudyLinks() rather than None.
    if replace(live, links={study_id: StudyLinks()}).study_fingerprint(study_id) == digest:
        return True
    # The checks already run concurrently, so each reads its own sets one after another.
    everything = read_link_sets(exchange, {study_id: LINKS}, parallelism=1).links[study_id]
    for mask in range(1, 1 << len(LINKS)):
        chosen = {
            link.live_field: getattr(everything, link.live_field)
            for bit, link in enumerate(LINKS)
            if mask & (1 << bit)
        }
        links = {study_id: replace(StudyLinks(), **chosen)}
        if replace(live, links=links).study_fingerprint(study_id) == digest:
            return True
    return False


def _organization_is_unchanged(exchange: Exchange, organization_id: int, digest: str) -> bool:
    listed = read_organization_studies(exchange, organization_id)
    live = Live(caller=NO_CALLER, studies={s.id: s for s in listed})
    return live.organization_fingerprint(organization_id) == digest


def _order(key: str) -> tuple[int, int]:
    kind, _, raw_id = key.partition(":")
    return (0 if kind == "study" else 1, int(raw_id))


def _names(keys: list[str]) -> str:
    studies = [key.partition(":")[2] for key in keys if key.startswith("study:")]
    organizations = [key.partition(":")[2] for key in keys if key.startswith("organization:")]
    parts = []
    if studies:
        parts.append(("study " if len(studies) == 1 else "studies ") + ", ".join(studies))
    if organizations:
        noun = "organization " if len(organizations) == 1 else "organizations "
        parts.append(noun + ", ".join(organizations))
    return " and ".join(parts)
