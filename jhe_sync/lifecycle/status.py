"""``status``: how the spec's studies are doing on the live exchange.

The "Monitor Study Progress" step of the study-management guide, for every study of a
spec at once: who is enrolled, per requested scope how many patients consented,
declined or have not answered, how many observations were uploaded and when the latest
arrived, and which enrolled patients have uploaded nothing yet. Patients are named by
the spec's label or ``#id`` only (see ``patients``), so a report can go to a shared
channel. The report is pure data with ``to_dict()``; ``render_status`` writes it.

Reads, for S live studies in O organizations with P distinct enrolled patients (pages
of long lists aside): the organizations and the scope catalogue (2, at once); the
studies of each organization (O) and any pinned study not among them; per study its
scope requests and enrolled patients (2S); each patient's consents once, however many
studies they are in (P); per study the first page of its observations (S), and for
the patients not on it 1 + min(pages left, patients unseen) more (see
``observations``). In all 2 + O + 3S + P when the newest page of each study shows every
patient who uploaded; ``parallelism`` at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from jhe_sync.exchange.client import Exchange
from jhe_sync.lifecycle import observations
from jhe_sync.lifecycle.patients import label, spec_labels
from jhe_sync.live import Live, Patient, ScopeConsent, Study
from jhe_sync.resources import PATIENTS, SCOPES
from jhe_sync.snapshot import LinkSets, LocatedStudy, locate_studies, read_consents, read_link_sets
from jhe_sync.spec.models import Desired

StudyState = Literal["live", "not created", "unresolved"]

OBSERVATIONS_COUNTED = (
    "counted over every observation of the study's enrolled patients of the types the "
    "study requests, whatever its date or consent: the exchange filters by enrollment "
    "and type only, so uploads from before a patient enrolled or consented count too"
)
"""What the observation count (and the latest upload, and "no data yet") of a status is:
what the exchange's study filter gives, which a report must not pass off as the study's
own data."""


@dataclass(frozen=True)
class ScopeTally:
    """One requested scope of a study: how many enrolled patients consented to it,
    declined it, or have not answered (no answer recorded, or asked and pending)."""

    code: str
    consented: int = 0
    declined: int = 0
    pending: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "consented": self.consented,
            "declined": self.declined,
            "pending": self.pending,
        }


@dataclass(frozen=True)
class StudyStatus:
    """One spec study as the exchange has it; only ``key``, ``name``, ``state`` and
    ``note`` are set for a study that is not live."""

    key: str
    name: str
    state: StudyState
    study_id: int | None = None
    organization: str = ""
    enrolled: int = 0
    scopes: tuple[ScopeTally, ...] = ()
    consents_unreadable: int = 0
    """Enrolled patients whose consents the caller may not read (not counted above)."""
    observations: int = 0
    """See ``OBSERVATIONS_COUNTED``: not only the study's own data."""
    latest_upload: str | None = None
    """``lastUpdated`` of the newest observation, as the exchange wrote it (UTC)."""
    no_data: tuple[str, ...] = ()
    """Enrolled patients without any observation in the study, by spec label or ``#id``."""
    note: str = ""
    """Why a study is not live: the spec does not match one (yet), or which problem."""

    def to_dict(self) -> dict[str, Any]:
        if self.state != "live":
            return {"key": self.key, "name": self.name, "state": self.state, "note": self.note}
        return {
            "key": self.key,
            "name": self.name,
            "state": self.state,
            "study_id": self.study_id,
            "organization": self.organization,
            "enrolled": self.enrolled,
            "scopes": [scope.to_dict() for scope in self.scopes],
            "consents_unreadable": self.consents_unreadable,
            "observations": self.observations,
            "latest_upload": self.latest_upload,
            "no_data": list(self.no_data),
        }


@dataclass(frozen=True)
class StatusReport:
    """Every study of the spec, in spec order, and when the exchange was read."""

    studies: tuple[StudyStatus, ...] = ()
    as_of: str = ""
    """When the report was read, ISO 8601 UTC to the second."""
    requests: int = field(default=0, compare=False)
    """Requests the report took (token requests included)."""

    @property
    def live(self) -> tuple[StudyStatus, ...]:
        return tuple(s for s in self.studies if s.state == "live")

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of,
            "observations_counted": OBSERVATIONS_COUNTED,
            "studies": [study.to_dict() for study in self.studies],
        }


def study_status(
    exchange: Exchange,
    desired: Desired,
    parallelism: int = 8,
    *,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> StatusReport:
    """The status of every ``state: present`` study of ``desired`` on the live exchange.

    A study the exchange does not have is listed as ``not created``; one whose
    organization or identity cannot be told, as ``unresolved`` with the reason.
    """
    before = exchange.request_count
    as_of = clock().astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    present = [spec for spec in desired.studies if spec.state == "present"]
    live, located = locate_studies(exchange, present, parallelism, parts=("scopes",))
    studies = [study for study in (loc.study for loc in located) if study is not None]
    link_sets = read_link_sets(exchange, {s.id: (SCOPES, PATIENTS) for s in studies}, parallelism)
    enrolled = link_sets.enrolled
    live = read_consents(
        exchange, live, {p.id for ps in enrolled.values() for p in ps}, parallelism
    )
    uploads = observations.summarize_studies(
        exchange,
        [(s.organization_id, s.id, _ids(enrolled[s.id])) for s in studies],
        parallelism,
    )
    statuses = [
        _live_status(live, loc, loc.study, link_sets, uploads)
        if loc.study is not None
        else _not_live(loc)
        for loc in located
    ]
    return StatusReport(tuple(statuses), as_of, exchange.request_count - before)


def tally_consents(
    study_id: int,
    scope_ids: frozenset[int],
    patient_ids: frozenset[int],
    consents: Mapping[int, tuple[ScopeConsent, ...]],
) -> tuple[dict[int, tuple[int, int, int]], int]:
    """Per requested scope (consented, declined, pending) over the enrolled patients
    whose consents were read, and how many could not be read.

    A scope with no answer recorded counts as pending: the exchange lists a scope added
    after a patient answered in neither of its lists.
    """
    counts = {scope_id: [0, 0, 0] for scope_id in sorted(scope_ids)}
    unreadable = 0
    for patient_id in patient_ids:
        answers = consents.get(patient_id)
        if answers is None:
            unreadable += 1
            continue
        given = {c.scope_id: c.consented for c in answers if c.study_id == study_id}
        for scope_id, tally in counts.items():
            answer = given.get(scope_id)
            tally[0 if answer is True else 1 if answer is False else 2] += 1
    return {scope_id: (c[0], c[1], c[2]) for scope_id, c in counts.items()}, unreadable


def _live_status(
    live: Live,
    located: LocatedStudy,
    study: Study,
    link_sets: LinkSets,
    uploads: Mapping[int, observations.ObservationSummary],
) -> StudyStatus:
    patients = link_sets.enrolled[study.id]
    requested = link_sets.links[study.id].scope_ids or frozenset()
    tallies, unreadable = tally_consents(study.id, requested, _ids(patients), live.consents)
    scopes = [
        ScopeTally(_scope_code(live, scope_id), *counts) for scope_id, counts in tallies.items()
    ]
    labels = spec_labels(located.spec, patients)
    organization = live.organizations.get(study.organization_id)
    summary = uploads[study.id]
    return StudyStatus(
        key=located.spec.key,
        name=study.name,
        state="live",
        study_id=study.id,
        organization=organization.name if organization else str(study.organization_id),
        enrolled=len(patients),
        scopes=tuple(sorted(scopes, key=lambda t: t.code.casefold())),
        consents_unreadable=unreadable,
        observations=summary.count,
        latest_upload=summary.latest,
        no_data=tuple(sorted((label(i, labels) for i in summary.without_data), key=_label_order)),
    )


def _not_live(located: LocatedStudy) -> StudyStatus:
    spec = located.spec
    if located.problem:
        return StudyStatus(spec.key, spec.name, "unresolved", note=located.problem)
    return StudyStatus(spec.key, spec.name, "not created", note="apply the spec to create it")


def _ids(patients: Iterable[Patient]) -> frozenset[int]:
    return frozenset(p.id for p in patients)


def _scope_code(live: Live, scope_id: int) -> str:
    scope = live.scopes.get(scope_id)
    return scope.code if scope is not None else f"#{scope_id}"


def _label_order(text: str) -> tuple[int, int, str]:
    """Spec labels first (alphabetical), then ``#id``s by number."""
    if text.startswith("#") and text[1:].isdigit():
        return (1, int(text[1:]), "")
    return (0, 0, text.casefold())
