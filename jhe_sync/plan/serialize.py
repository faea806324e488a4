"""Reading the json form of a Plan back (``Plan.to_dict`` writes it), and saved plan
files (``jhe-sync plan --out FILE``).

The json form is versioned (``format_version``) and documented in
``specs/plan.schema.json`` and ``specs/PLAN_FORMAT.md``. Keys come in a fixed order
and changes in plan order, so two runs over the same state write the same bytes.

A saved plan is the json form plus ``digest``: the sha256 of its canonical content.
``load_plan`` refuses a file whose content no longer matches (``TamperedPlanError``):
what is applied is exactly what was reviewed. The digest catches accidents (an edit,
a truncated copy), not tampering: anyone able to recompute it can forge it.

Keyed plans authenticate the writer: with a key (``JHE_PLAN_KEY``, given to the jobs
that plan and apply, never to the spec's authors), ``save_plan`` adds ``signature``,
an HMAC-SHA256 over the same canonical content, and ``load_plan`` refuses a plan whose
signature is missing (``UnsignedPlanError``) or wrong (``TamperedPlanError``). The
key is only ever an argument here: it is never written, logged or shown.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import IO, Any, TypeVar

from jhe_sync.errors import ConfigError, PlanFileError, TamperedPlanError, UnsignedPlanError
from jhe_sync.live import record_digest
from jhe_sync.plan.change import (
    Cascade,
    CascadedStudy,
    Change,
    FieldChange,
    Impact,
    Lockout,
    OrganizationLabel,
    PatientTarget,
    UnmanagedStudy,
    Warning_,
)
from jhe_sync.plan.plan import PLAN_FORMAT_VERSION, Plan
from jhe_sync.resources import ChangeKind

DIGEST_PREFIX = "sha256:"
SIGNATURE_PREFIX = "hmac-sha256:"
MIN_KEY_LENGTH = 32
"""Characters a plan key must have at least: the plan it signs is no secret, so a short
key could be found by trying keys against it."""
_SEALS = ("digest", "signature")
"""The keys of a saved plan that are not part of what they seal."""

T = TypeVar("T")


def plan_from_dict(data: Mapping[str, Any]) -> Plan:
    """The Plan a json form stands for; ``PlanFileError`` says what is wrong with it."""
    version = _get(data, "format_version", int, "plan")
    if version != PLAN_FORMAT_VERSION:
        raise PlanFileError(
            f"the plan has format version {version}, and this jhe-sync reads version "
            f"{PLAN_FORMAT_VERSION}; plan again with this version"
        )
    fingerprints = _get(data, "fingerprints", dict, "plan")
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in fingerprints.items()):
        raise PlanFileError("plan: fingerprints must map strings to strings")
    return Plan(
        changes=tuple(
            change_from_dict(item, f"changes[{i}]")
            for i, item in enumerate(_get(data, "changes", list, "plan"))
        ),
        unmanaged=tuple(
            UnmanagedStudy(
                id=_get(item, "id", int, f"unmanaged[{i}]"),
                name=_get(item, "name", str, f"unmanaged[{i}]"),
                organization_id=_get(item, "organization_id", int, f"unmanaged[{i}]"),
                organization_in_spec=item.get("organization_in_spec", True) is not False,
            )
            for i, item in enumerate(_get(data, "unmanaged", list, "plan"))
        ),
        warnings=tuple(
            Warning_(
                key=_get(item, "key", str, f"warnings[{i}]"),
                message=_get(item, "message", str, f"warnings[{i}]"),
            )
            for i, item in enumerate(_get(data, "warnings", list, "plan"))
        ),
        managed_objects=_get(data, "managed_objects", int, "plan"),
        spec_digest=_get(data, "spec_digest", str, "plan"),
        fingerprints=dict(fingerprints),
        read=_read(data, fingerprints),
        organization_names=_organization_names(data),
        targets=_targets(data),
        exchange=_optional_text(data, "exchange"),
        planned_as=_optional_text(data, "planned_as"),
    )


def _optional_text(data: Mapping[str, Any], key: str) -> str:
    """A text key that plans saved before it existed lack (read as empty)."""
    value = data.get(key, "")
    if not isinstance(value, str):
        raise PlanFileError(f"plan: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _targets(data: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``--target`` keys the plan was limited to (absent from plans made before they
    were recorded: those were not limited, or did not say so)."""
    targets = data.get("targets", [])
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise PlanFileError("plan: targets must be a list of study keys")
    return tuple(targets)


def _read(data: Mapping[str, Any], fingerprints: Mapping[str, str]) -> dict[str, Any]:
    """The records the fingerprints are digests of: one per fingerprint, each matching it
    (the staleness check compares them with what the exchange holds, so they must be
    what the fingerprints say was read)."""
    read = _get(data, "read", dict, "plan")
    if read.keys() != fingerprints.keys():
        raise PlanFileError("plan: 'read' must hold one record for each fingerprint")
    wrong = sorted(
        key for key, record in read.items() if record_digest(record) != fingerprints[key]
    )
    if wrong:
        raise PlanFileError(
            f"plan: the record of {wrong[0]} in 'read' does not match its fingerprint"
        )
    return dict(read)


def _organization_names(data: Mapping[str, Any]) -> dict[int, str]:
    names = _get(data, "organization_names", dict, "plan")
    if not all(k.isdigit() and isinstance(v, str) for k, v in names.items()):
        raise PlanFileError("plan: organization_names must map organization ids to names")
    return {int(k): v for k, v in names.items()}


def change_from_dict(data: Any, where: str) -> Change:
    kind_value = _get(data, "kind", str, where)
    try:
        kind = ChangeKind(kind_value)
    except ValueError:
        raise PlanFileError(f"{where}: unknown change kind {kind_value!r}") from None
    impact: dict[str, Any] | None = _get(data, "impact", (dict, type(None)), where)
    cascade: dict[str, Any] | None = _get(data, "cascade", (dict, type(None)), where)
    lockouts = _get(data, "lockouts", list, where)
    unknown = [lockout for lockout in lockouts if lockout not in _LOCKOUTS]
    if unknown:
        raise PlanFileError(f"{where}: unknown lockout {unknown[0]!r}")
    change = Change(
        kind=kind,
        key=_get(data, "key", str, where),
        organization_id=_get(data, "organization_id", (int, type(None)), where),
        organization_key=_get(data, "organization_key", str, where),
        study_id=_get(data, "study_id", (int, type(None)), where),
        name=_get(data, "name", str, where),
        parent_id=_get(data, "parent_id", (int, type(None)), where),
        parent_key=_get(data, "parent_key", str, where),
        fields=tuple(
            FieldChange(
                name=_get(item, "name", str, f"{where}.fields[{i}]"),
                before=_get(item, "before", object, f"{where}.fields[{i}]"),
                after=_get(item, "after", object, f"{where}.fields[{i}]"),
            )
            for i, item in enumerate(_get(data, "fields", list, where))
        ),
        link_id=_get(data, "link_id", (int, type(None)), where),
        link_label=_get(data, "link_label", str, where),
        patients=_patients(_get(data, "patients", list, where), f"{where}.patients"),
        reason=_get(data, "reason", str, where),
        impact=None
        if impact is None
        else Impact(
            enrolled=_get(impact, "enrolled", int, f"{where}.impact"),
            consented=_get(impact, "consented", int, f"{where}.impact"),
            consents=_get(impact, "consents", int, f"{where}.impact"),
            complete=_get(impact, "complete", bool, f"{where}.impact"),
            scopes_without_source=tuple(impact.get("scopes_without_source") or ()),
            links_left=impact.get("links_left"),
        ),
        cascade=None if cascade is None else _cascade(cascade, f"{where}.cascade"),
        protected=_get(data, "protected", bool, where),
        lockouts=tuple(lockouts),
    )
    if "call" in data and data["call"] != change.call().to_dict():
        raise PlanFileError(
            f"{where}: the recorded call differs from the call this jhe-sync would make "
            "for that change; plan again with this version"
        )
    return change


_LOCKOUTS: tuple[Lockout, ...] = ("caller", "last_manager")


def _patients(items: list[Any], where: str) -> tuple[PatientTarget, ...]:
    return tuple(
        PatientTarget(
            id=_get(item, "id", int, f"{where}[{i}]"),
            label=_get(item, "label", str, f"{where}[{i}]"),
            consented=_get(item, "consented", bool, f"{where}[{i}]"),
        )
        for i, item in enumerate(items)
    )


def _cascade(data: dict[str, Any], where: str) -> Cascade:
    return Cascade(
        organizations=tuple(
            OrganizationLabel(
                id=_get(item, "id", int, f"{where}.organizations[{i}]"),
                name=_get(item, "name", str, f"{where}.organizations[{i}]"),
            )
            for i, item in enumerate(_get(data, "organizations", list, where))
        ),
        studies=tuple(
            CascadedStudy(
                id=_get(item, "id", int, f"{where}.studies[{i}]"),
                name=_get(item, "name", str, f"{where}.studies[{i}]"),
                organization_id=_get(item, "organization_id", int, f"{where}.studies[{i}]"),
                enrolled=_get(item, "enrolled", int, f"{where}.studies[{i}]"),
                consented=_get(item, "consented", int, f"{where}.studies[{i}]"),
                consents=_get(item, "consents", int, f"{where}.studies[{i}]"),
            )
            for i, item in enumerate(_get(data, "studies", list, where))
        ),
        memberships=_get(data, "memberships", int, where),
        roles=_get(data, "roles", int, where),
        patients=_patients(_get(data, "patients", list, where), f"{where}.patients"),
        complete=_get(data, "complete", bool, where),
    )


def _get(data: Any, key: str, kind: type[T] | tuple[type, ...], where: str) -> T:
    if not isinstance(data, Mapping):
        raise PlanFileError(f"{where}: expected an object, found {type(data).__name__}")
    if key not in data:
        raise PlanFileError(f"{where}: missing {key!r}")
    value = data[key]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    # A bool is an int in Python, never in the plan format.
    wrong_bool = isinstance(value, bool) and bool not in kinds and object not in kinds
    if wrong_bool or not isinstance(value, kinds):
        raise PlanFileError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value  # type: ignore[return-value]


def _canonical(data: Mapping[str, Any]) -> bytes:
    """What the digest and the signature seal: every key but theirs, as compact JSON with
    sorted keys (so re-indenting the file changes nothing)."""
    content = {key: value for key, value in data.items() if key not in _SEALS}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def content_digest(data: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` over the canonical JSON of a plan's json form."""
    return DIGEST_PREFIX + hashlib.sha256(_canonical(data)).hexdigest()


def content_signature(data: Mapping[str, Any], key: bytes) -> str:
    """``hmac-sha256:<hex>``: the HMAC-SHA256 with ``key`` of the same canonical JSON."""
    return SIGNATURE_PREFIX + hmac.new(key, _canonical(data), hashlib.sha256).hexdigest()


def plan_key(text: str | None) -> bytes | None:
    """The signing key ``JHE_PLAN_KEY`` holds (None when it is not set or blank); a key
    too short to resist guessing is a ``ConfigError`` that never repeats it."""
    if text is None or not text.strip():
        return None
    key = text.strip()
    if len(key) < MIN_KEY_LENGTH:
        raise ConfigError(
            f"JHE_PLAN_KEY has {len(key)} characters, fewer than the {MIN_KEY_LENGTH} a plan "
            "key needs; make one with: python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return key.encode("utf-8")


@dataclass(frozen=True)
class SavedPlan:
    """A saved plan as read back: the plan, and whether it was signed and the signature
    checked (it is checked whenever a key is given; without one it is not)."""

    plan: Plan
    signed: bool = False
    verified: bool = False


def save_plan(plan: Plan, stream: IO[str], key: bytes | None = None) -> None:
    """Write a saved plan: the json form, a digest and, given a key, a signature."""
    data = plan.to_dict()
    data["digest"] = content_digest(data)
    if key is not None:
        data["signature"] = content_signature(data, key)
    stream.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def load_plan(stream: IO[str], key: bytes | None = None) -> Plan:
    """Read a saved plan; refuses one that was edited, is not a plan at all, or (given a
    key) is unsigned or signed with another key."""
    return load_saved(stream, key).plan


def load_saved(stream: IO[str], key: bytes | None = None) -> SavedPlan:
    """``load_plan``, saying too whether the plan was signed and the signature checked."""
    name = getattr(stream, "name", None)
    source = f"{name}: " if isinstance(name, str) else ""
    try:
        data = json.loads(stream.read())
    except json.JSONDecodeError as error:
        raise PlanFileError(
            f"{source}not a saved plan: invalid JSON at line {error.lineno}, column {error.colno} "
            f"({error.msg})"
        ) from None
    except UnicodeDecodeError:
        raise PlanFileError(f"{source}not a saved plan: the file is not UTF-8 text") from None
    if not isinstance(data, dict) or "format_version" not in data or "changes" not in data:
        raise PlanFileError(f"{source}not a saved plan: write one with jhe-sync plan --out FILE")
    version = data["format_version"]
    if version != PLAN_FORMAT_VERSION:
        raise PlanFileError(
            f"{source}the saved plan has format version {version}, and this jhe-sync reads "
            f"version {PLAN_FORMAT_VERSION}; plan again with this version"
        )
    recorded = data.get("digest")
    if not isinstance(recorded, str) or not recorded.startswith(DIGEST_PREFIX):
        raise PlanFileError(
            f"{source}the plan has no digest, so it was not written by jhe-sync plan --out; "
            "plan again with --out"
        )
    if recorded != content_digest(data):
        raise TamperedPlanError(
            f"{source}the saved plan was edited after it was written (its content no longer "
            "matches its digest); it is refused, since what is applied must be what was "
            "reviewed. Plan again with --out"
        )
    signature = data.get("signature")
    if signature is not None and not isinstance(signature, str):
        raise PlanFileError(f"{source}the plan's signature is not text; plan again with --out")
    if key is not None:
        if signature is None:
            raise UnsignedPlanError(
                f"{source}the saved plan is not signed, and JHE_PLAN_KEY is set, so only a "
                "plan signed with that key is applied; plan again with JHE_PLAN_KEY set"
            )
        if not hmac.compare_digest(signature, content_signature(data, key)):
            raise TamperedPlanError(
                f"{source}the saved plan's signature does not match: it was changed after it "
                "was signed, or signed with another JHE_PLAN_KEY; it is refused. Plan again "
                "with this key"
            )
    try:
        plan = plan_from_dict(data)
    except PlanFileError as error:
        raise PlanFileError(f"{source}{error}") from None
    return SavedPlan(plan, signed=signature is not None, verified=key is not None)
