"""One study's changes, in ``ChangeKind`` order (create, update, add data sources, scope
requests, clients, enroll; then unenroll, removals, delete), with the study's id filled
in after its create and its organization's id after that organization's create.

What each change reads back after an ambiguous failure: a create, the organization's
studies (the create protocol of ``create.py``); an update, the study's fields; a
delete, the study (gone: 403, and then the organization's list says whether a racing
apply deleted it first); a link, the link set; enrollments, the enrolled patients (the
server enrolls the ids before a bad one, so only the rest is sent again).

Racing applies of one spec need no lock: what they then send twice is harmless (a link
add that exists is a 500 read back as done, a removal of nothing is a 204).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from jhe_sync.apply.run import EntryRun, Interrupted, Run
from jhe_sync.errors import JheSyncError, PermissionDenied
from jhe_sync.exchange.read import read_enrollments, read_link_ids, read_study_fields
from jhe_sync.live import Study
from jhe_sync.plan.change import Call, Change
from jhe_sync.plan.diff import fields_differing
from jhe_sync.resources import API, PATIENTS, ChangeKind, link_of_change


class StudyRun(EntryRun):
    """One study's changes; the study id is filled in after a create."""

    def __init__(self, run: Run, changes: Sequence[Change]) -> None:
        super().__init__(run, changes)
        self.study_id: int | None = self.changes[0].study_id if self.changes else None

    def ids(self) -> Mapping[str, int]:
        return {} if self.study_id is None else {"study_id": self.study_id}

    def blocks(self, change: Change) -> str:
        if change.kind is ChangeKind.UPDATE_STUDY:
            return "not attempted: the study update did not succeed"
        return super().blocks(change)

    def perform(self, change: Change) -> str:
        kind = change.kind
        if kind is ChangeKind.CREATE_STUDY:
            return self._create(change)
        study_id = self._study_id(change)
        call = self.run.filled(change.call(), study_id)
        if kind is ChangeKind.UPDATE_STUDY:
            return self.write(change, call, lambda: self._updated(change, study_id))
        if kind is ChangeKind.DELETE_STUDY:
            return self._delete(change, call, study_id)
        if kind in (ChangeKind.ENROLL, ChangeKind.UNENROLL):
            return self._enrollments(change, study_id)
        link_kind, link_id = link_of_change(kind).kind, change.link_id
        adding = not kind.destructive

        def done() -> bool:
            present = link_id in read_link_ids(self.exchange, study_id, link_kind)
            return present if adding else not present

        return self.write(change, call, done)

    def _study_id(self, change: Change) -> int:
        study_id = self.study_id if self.study_id is not None else change.study_id
        if study_id is None:
            raise JheSyncError("the plan creates this study, but no create change ran before it")
        return study_id

    def _create(self, change: Change) -> str:
        """Create the study, or adopt the one a racing apply made (``create``)."""
        organization = self.run.organization_of(change)
        name = str(next((f.after for f in change.fields if f.name == "name"), change.name))
        wanted = {f.name: f.after for f in change.fields if f.name != "name"}

        def differing(study: Study) -> list[str]:
            return [f.name for f in fields_differing(study, wanted)]

        call = self.run.filled(change.call())
        self.study_id, note = self.create_unique(
            change, call, self.run.studies, organization, name, differing
        )
        return note

    def _delete(self, change: Change, call: Call, study_id: int) -> str:
        try:
            return self.write(
                change, call, lambda: read_study_fields(self.exchange, study_id) is None
            )
        except PermissionDenied:
            # The answer for a study that no longer exists, too: a racing apply of the
            # same spec deleted it first if its organization no longer lists it.
            organization = self.run.organization_of(change)
            studies = self.run.studies.siblings
            listed = studies.after(organization, studies.tick())
            if any(s.id == study_id for s in listed):
                raise
            return "already deleted (by another apply at the same time?)"

    def _updated(self, change: Change, study_id: int) -> bool:
        current = read_study_fields(self.exchange, study_id)
        if current is None:
            return False
        return not fields_differing(current, {f.name: f.after for f in change.fields})

    def _enrollments(self, change: Change, study_id: int) -> str:
        enrolling = change.kind is ChangeKind.ENROLL
        wanted = list(dict.fromkeys(p.id for p in change.patients))
        refused: list[int] = []
        organization_id = self.run.organization_of(change)
        if enrolling:
            # The server answers an outsider with a 500, after enrolling the ids before
            # it: check membership first, and leave outsiders out of every request.
            members = self.run.organization_members(organization_id)
            refused = [pid for pid in wanted if pid not in members]
            wanted = [pid for pid in wanted if pid in members]
        sent = 0
        for chunk in _chunks(wanted, self.run.chunk_size):
            if self.run.stop.is_set():
                verb = "enrolling" if enrolling else "unenrolling"
                raise Interrupted(f"after {verb} {sent} of {len(wanted)} patients")
            self._enrollment_chunk(change, study_id, chunk, enrolling)
            sent += len(chunk)
        if refused:
            labels = {p.id: p.label for p in change.patients}
            who = ", ".join(
                f"#{pid}" if labels.get(pid, f"#{pid}") == f"#{pid}" else f"{labels[pid]} (#{pid})"
                for pid in refused
            )
            raise JheSyncError(
                f"{len(refused)} not enrolled: not patients of organization "
                f"{organization_id}: {who}; add them to the organization first"
                + (f" ({sent} others were enrolled)" if sent else "")
            )
        return ""

    def _enrollment_chunk(
        self, change: Change, study_id: int, chunk: list[int], enrolling: bool
    ) -> None:
        method = "POST" if enrolling else "DELETE"
        path = f"{API}/studies/{study_id}/{PATIENTS.resource}"
        remaining = list(chunk)

        def settled() -> bool:
            # Non-atomic on the server: ids before a failure may be in; send only the rest.
            enrolled = {p.id for p in read_enrollments(self.exchange, study_id)}
            remaining[:] = [pid for pid in remaining if (pid in enrolled) != enrolling]
            return not remaining

        self.send(change, lambda: Call(method, path, {PATIENTS.body_key: list(remaining)}), settled)


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
