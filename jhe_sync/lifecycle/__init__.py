"""The rest of the study lifecycle: adopting live studies, monitoring them, inviting patients.

    export_specs(exchange, organizations, study_ids, include_patients) -> Export (files, studies)
    write_export(export.files, out_dir, overwrite=False) -> [paths]
    ExportResult(export, written).to_dict()             the json form of export
    study_status(exchange, desired) -> StatusReport      render_status.render(report, stream, fmt)
    prepare_invitations(exchange, desired, study_key, client, patients) -> Invitations
    send_invitations(exchange, invitations, send_email) -> [InviteResult]   (invite_patients: both)
    invites_to_dict(results, show_links=False)           the json form of invite
    render_invite.render_invites(results, stream, show_links=False)

None of these plans or applies: export writes what is live as a spec, status reads
what is live, and an invitation is an action that no spec describes.
"""

from jhe_sync.lifecycle.export import Export, ExportResult, export_specs, write_export
from jhe_sync.lifecycle.invite import (
    Invitations,
    InviteResult,
    invite_patients,
    invites_to_dict,
    prepare_invitations,
    send_invitations,
)
from jhe_sync.lifecycle.render_invite import render_invites
from jhe_sync.lifecycle.render_status import render as render_status
from jhe_sync.lifecycle.status import ScopeTally, StatusReport, StudyStatus, study_status

__all__ = [
    "Export",
    "ExportResult",
    "Invitations",
    "InviteResult",
    "ScopeTally",
    "StatusReport",
    "StudyStatus",
    "export_specs",
    "invite_patients",
    "invites_to_dict",
    "prepare_invitations",
    "render_invites",
    "render_status",
    "send_invitations",
    "study_status",
    "write_export",
]
