"""``invite``: invitation links for a study's enrolled patients, through one of its clients.

An invitation is an action, not desired state: it is never part of a plan, and running
it again issues new links. ``POST /api/v1/invitation`` with ``{patient_id, client_id,
send_email}`` answers 201 with the link (307); the exchange marks the patient's
earlier link for that client ``reissued``, so a new link replaces the old one. A
missing field is a 400 (308), an unknown patient a 404 (309).

An invite is two steps, like a plan and its apply: ``prepare_invitations`` reads who
would be invited (``Invitations``), and ``send_invitations`` issues the links, so that
the CLI can refuse links nobody would receive and ask before replacing anyone's link.
Each patient gets exactly one request, sent once (a failed write is reported, never
retried: whether an ambiguous failure issued a link is not worth a second link), and
a failure is that patient's result, never the end of the run. Links are credentials:
the results hold them for the caller, and ``render_invite`` shows them only when asked.
``invites_to_dict`` is the json form (``invite --format json``), versioned
(``INVITE_FORMAT_VERSION``) and described in ``specs/invite.schema.json``; it holds a
link only when asked to (``--show-links``).

Reads before the invitations: the organizations and the studies of the study's
organization (or the pinned study), the study's clients, the client catalogue and the
enrolled patients: 5 requests, then one per patient (``parallelism`` at a time).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from jhe_sync.errors import ConfigError, ExchangeError, JheSyncError, Unresolved
from jhe_sync.exchange.client import Exchange
from jhe_sync.exchange.concurrency import gather
from jhe_sync.exchange.read import read_clients, read_enrollments, read_link_ids
from jhe_sync.identity import CatalogueFinder
from jhe_sync.lifecycle.patients import finder_for, label, parse_choice, spec_labels
from jhe_sync.live import Client, Patient, Study
from jhe_sync.resources import API
from jhe_sync.snapshot.locate import locate_studies
from jhe_sync.spec.models import Desired, StudySpec

PATH = f"{API}/invitation"

INVITE_FORMAT_VERSION = 1

_NOT_A_REF = "not a label of the study's patients in the spec, an email, system|value or #id"


@dataclass(frozen=True)
class InviteResult:
    """What happened for one patient. ``link`` is a credential: it is left out of
    ``str()``, ``repr()`` and ``to_dict()`` unless asked for."""

    study_key: str
    client: str
    """The client's name (``#id`` when the catalogue does not list it)."""
    client_id: int
    patient: str
    """The patient as the spec labels them, or ``#id``; never a name from the server."""
    patient_id: int | None
    ok: bool
    reason: str = ""
    """Why it failed, in one line."""
    invitation_id: int | None = None
    email_requested: bool = False
    """The exchange was asked to email the link to the patient."""
    link: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        if not self.ok:
            return f"{self.patient}: not invited: {self.reason}"
        sent = ", emailed by the exchange" if self.email_requested else ""
        return (
            f"{self.patient}: invitation {self.invitation_id} issued through {self.client}{sent}; "
            f"it replaces any earlier link for {self.client} not yet used, which no longer works"
        )

    def to_dict(self, show_link: bool = False) -> dict[str, Any]:
        document: dict[str, Any] = {
            "study_key": self.study_key,
            "client": self.client,
            "client_id": self.client_id,
            "patient": self.patient,
            "patient_id": self.patient_id,
            "ok": self.ok,
            "reason": self.reason,
            "invitation_id": self.invitation_id,
            "email_requested": self.email_requested,
        }
        if show_link:
            document["link"] = self.link
        return document


def invites_to_dict(results: Sequence[InviteResult], show_links: bool = False) -> dict[str, Any]:
    """The json form of ``invite --format json`` (``specs/invite.schema.json``): one entry
    per patient, ok or failed and why; links only with ``show_links``."""
    invited = sum(1 for r in results if r.ok)
    return {
        "format_version": INVITE_FORMAT_VERSION,
        "links_shown": show_links,
        "summary": {"patients": len(results), "invited": invited, "failed": len(results) - invited},
        "results": [result.to_dict(show_link=show_links) for result in results],
    }


@dataclass(frozen=True)
class InviteTarget:
    """One patient an invite was asked for: the spec label (or ``#id``), the id, and
    why no invitation can be issued (empty: it can)."""

    label: str
    patient_id: int | None
    problem: str = ""


@dataclass(frozen=True)
class Invitations:
    """What an invite would issue, read before anything is: the study, the client and
    each patient asked for. Issuing is a write that cannot be undone (each new link
    makes the patient's earlier one fail), so the CLI shows this and asks first."""

    study_key: str
    study_id: int
    client: Client
    targets: tuple[InviteTarget, ...]

    @property
    def to_issue(self) -> int:
        """How many links issuing would create (patients without a problem)."""
        return sum(1 for target in self.targets if not target.problem)


def invite_patients(
    exchange: Exchange,
    desired: Desired,
    study_key: str,
    client: str | int | None = None,
    patients: Sequence[str] = (),
    send_email: bool = False,
    parallelism: int = 8,
) -> list[InviteResult]:
    """``prepare_invitations``, then ``send_invitations``: without asking anyone."""
    invitations = prepare_invitations(exchange, desired, study_key, client, patients, parallelism)
    return send_invitations(exchange, invitations, send_email=send_email, parallelism=parallelism)


def prepare_invitations(
    exchange: Exchange,
    desired: Desired,
    study_key: str,
    client: str | int | None = None,
    patients: Sequence[str] = (),
    parallelism: int = 8,
) -> Invitations:
    """Who would be invited to the study, and through which client: every enrolled
    patient (or the ones named in ``patients``: spec labels, emails, ``system|value`` or
    ``#id``), through ``client`` (a name or id; by default the study's only client).
    Reads only.

    Raises ``ConfigError`` when the study is not in the spec or not on the exchange, or
    the client is not one of the study's (or must be chosen). A patient that is not
    enrolled is a target with a problem (its result fails, without a request).
    """
    spec = _spec(desired, study_key)
    study = _live_study(exchange, spec, parallelism)
    tasks: dict[str, Callable[[], Any]] = {
        "study_clients": partial(read_link_ids, exchange, study.id, "client"),
        "catalogue": partial(read_clients, exchange),
        "enrolled": partial(read_enrollments, exchange, study.id),
    }
    reads = gather(parallelism, tasks)
    catalogue: dict[int, Client] = reads["catalogue"]
    chosen = choose_client(spec, client, reads["study_clients"], catalogue)
    enrolled: list[Patient] = reads["enrolled"]
    return Invitations(spec.key, study.id, chosen, tuple(_targets(spec, enrolled, patients)))


def send_invitations(
    exchange: Exchange,
    invitations: Invitations,
    *,
    send_email: bool = False,
    parallelism: int = 8,
) -> list[InviteResult]:
    """Issue one invitation per target, each sent once, ``parallelism`` at a time; a
    failure is that patient's result, never the end of the run."""
    chosen = invitations.client

    def invite(target: InviteTarget) -> InviteResult:
        def result(ok: bool, reason: str = "", data: dict[str, Any] | None = None) -> InviteResult:
            data = data or {}
            invitation, link = data.get("id"), data.get("invitationLink")
            return InviteResult(
                study_key=invitations.study_key,
                client=chosen.name,
                client_id=chosen.id,
                patient=target.label,
                patient_id=target.patient_id,
                ok=ok,
                reason=reason,
                invitation_id=invitation if isinstance(invitation, int) else None,
                email_requested=ok and send_email,
                link=link if isinstance(link, str) else None,
            )

        if target.patient_id is None or target.problem:
            return result(False, target.problem)
        body = {"patient_id": target.patient_id, "client_id": chosen.id, "send_email": send_email}
        try:
            reply = exchange.write("POST", PATH, body)
        except ExchangeError as error:
            return result(False, f"answered {error.status}: {error.reason}")
        except JheSyncError as error:
            return result(False, str(error))
        return result(True, data=reply.data if isinstance(reply.data, dict) else None)

    targets = invitations.targets
    answers = gather(parallelism, {index: partial(invite, t) for index, t in enumerate(targets)})
    return [answers[index] for index in range(len(targets))]


def choose_client(
    spec: StudySpec,
    wanted: str | int | None,
    study_clients: frozenset[int],
    catalogue: dict[int, Client],
) -> Client:
    """The client to invite through: ``wanted`` (a name or id), which must be linked to
    the study, or else the study's only client. A ``ConfigError`` says which to choose."""
    linked = [catalogue.get(i) or Client(i, f"#{i}") for i in sorted(study_clients)]
    listing = ", ".join(f"{c.name} (id {c.id})" for c in linked)
    if wanted is None:
        if len(linked) == 1:
            return linked[0]
        if not linked:
            raise ConfigError(
                f"study {spec.key!r} has no client to invite through; add one to its clients "
                "in the spec and apply"
            )
        raise ConfigError(
            f"study {spec.key!r} has {len(linked)} clients: {listing}; choose one with --client"
        )
    names = {c.id: c.name for c in linked}
    finder = CatalogueFinder("client of the study", names, {c.id: c.client_id for c in linked})
    try:
        return next(c for c in linked if c.id == finder.find(_as_ref(wanted)))
    except Unresolved as error:
        raise ConfigError(
            f"--client {wanted!r}: {error.message} (its clients: {listing})"
        ) from None


def _as_ref(wanted: str | int) -> str | int:
    if isinstance(wanted, str) and wanted.strip().isdigit():
        return int(wanted.strip())
    return wanted


def _spec(desired: Desired, study_key: str) -> StudySpec:
    try:
        spec = desired.study(study_key)
    except KeyError:
        known = ", ".join(sorted(s.key for s in desired.studies)) or "none"
        raise ConfigError(
            f"--study {study_key!r} names no study key in the spec (known: {known})"
        ) from None
    if spec.state != "present":
        raise ConfigError(
            f"study {study_key!r} has state: absent in the spec; nobody is invited to it"
        )
    return spec


def _live_study(exchange: Exchange, spec: StudySpec, parallelism: int) -> Study:
    _, [located] = locate_studies(exchange, [spec], parallelism)
    if located.study is not None:
        return located.study
    if located.problem:
        raise ConfigError(f"study {spec.key!r}: {located.problem}")
    raise ConfigError(f"study {spec.key!r} is not on the exchange yet: apply the spec first")


def _targets(spec: StudySpec, enrolled: list[Patient], chosen: Sequence[str]) -> list[InviteTarget]:
    """Every enrolled patient (by id), or the ones chosen, once each, in the order given."""
    labels = spec_labels(spec, enrolled)
    if not chosen:
        return [
            InviteTarget(label(p.id, labels), p.id) for p in sorted(enrolled, key=lambda p: p.id)
        ]
    enrolled_ids = {p.id for p in enrolled}
    finder = finder_for(enrolled)
    targets: list[InviteTarget] = []
    seen: set[int] = set()
    for text in chosen:
        ref = parse_choice(text, spec)
        if ref is None:
            targets.append(InviteTarget(text, None, _NOT_A_REF))
            continue
        try:
            patient_id = finder.find(ref)
        except Unresolved:
            targets.append(InviteTarget(ref.label, ref.id, f"not enrolled in study {spec.key!r}"))
            continue
        if patient_id in seen:
            continue
        seen.add(patient_id)
        assert patient_id in enrolled_ids
        targets.append(InviteTarget(label(patient_id, labels), patient_id))
    return targets
