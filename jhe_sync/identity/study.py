"""Which live study a spec entry stands for: the one identity rule of jhe-sync.

There is no state file and JHE has no labels, so identity is (in this order):

1. the pinned ``id``, when the spec gives one (it must exist, unless the entry says
   ``state: absent``, in which case a missing study is simply already gone);
2. else the organization and the name;
3. else a ``previous_names`` entry in the same organization (the plan renames it).

Two live studies that fit one rule are an error naming both ids: guessing would
update or delete the wrong study.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Literal

from jhe_sync.errors import Unresolved
from jhe_sync.live import Live, Study
from jhe_sync.spec.models import StudySpec

MatchedBy = Literal["id", "name", "previous_name", "none"]


@dataclass(frozen=True)
class Match:
    """The live study a spec entry stands for, and the rule that found it."""

    study: Study | None
    by: MatchedBy = "none"
    previous_name: str | None = None
    """The ``previous_names`` entry that matched (the live study's current name)."""


def name_key(name: str) -> str:
    """What two names must share to name the same study: the name without the spaces
    around it (the console keeps them; a spec's YAML scalar drops them)."""
    return name.strip()


class StudyIndex:
    """Live studies by id and by (organization, name), built once per plan."""

    def __init__(self, live: Live) -> None:
        self.by_id = live.studies
        named: dict[tuple[int, str], list[Study]] = defaultdict(list)
        for study in sorted(live.studies.values(), key=lambda s: s.id):
            named[(study.organization_id, name_key(study.name))].append(study)
        self._named = dict(named)

    def named(self, organization_id: int, name: str) -> list[Study]:
        return self._named.get((organization_id, name_key(name)), [])


def identify(spec: StudySpec, organization_id: int | None, index: StudyIndex) -> Match:
    """The live study ``spec`` stands for in ``organization_id``; raises ``Unresolved``.

    ``organization_id`` is None when the spec's organization cannot be told (the read
    asks before that is reported): then only a pinned id can match.
    """
    if spec.id is not None:
        pinned = index.by_id.get(spec.id)
        if pinned is not None:
            return Match(pinned, "id")
        if spec.state == "absent":
            return Match(None)
        raise Unresolved(
            f"the pinned study id {spec.id} does not exist on the exchange (or the caller "
            "cannot see it); fix the id, or remove it to create the study"
        )
    if organization_id is None:
        return Match(None)
    named = index.named(organization_id, spec.name)
    if named:
        return Match(_only(named, f'named "{spec.name}"'), "name")
    earlier = {
        s.id: (name, s) for name in spec.previous_names for s in index.named(organization_id, name)
    }
    if not earlier:
        return Match(None)
    name, study = next(iter(earlier.values()))
    _only([s for _, s in earlier.values()], "named by previous_names")
    return Match(study, "previous_name", name)


def _only(studies: list[Study], how: str) -> Study:
    if len(studies) == 1:
        return studies[0]
    ids = " and ".join(str(s.id) for s in sorted(studies, key=lambda s: s.id))
    raise Unresolved(
        f"{len(studies)} live studies in the organization are {how}: ids {ids}; "
        "pin the one this entry manages with id: (and rename or delete the other). If an "
        "apply is running right now, the higher id may be its duplicate, which it deletes: "
        "plan again when it ends"
    )
