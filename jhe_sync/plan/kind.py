"""What a change does: the kinds of change, in the order apply runs a study's changes.

A module of its own so that the table of link kinds (``jhe_sync.links``), which names
the change that adds and the change that removes each kind, can be read by
``change`` without an import cycle.
"""

from __future__ import annotations

from enum import Enum


class ChangeKind(Enum):
    """What a change does. The declaration order is the order apply runs a study's changes."""

    CREATE_STUDY = "create_study"
    UPDATE_STUDY = "update_study"
    ADD_DATA_SOURCE = "add_data_source"
    ADD_SCOPE = "add_scope_request"
    ADD_CLIENT = "add_client"
    ENROLL = "enroll_patients"
    UNENROLL = "unenroll_patients"
    REMOVE_CLIENT = "remove_client"
    REMOVE_SCOPE = "remove_scope_request"
    REMOVE_DATA_SOURCE = "remove_data_source"
    DELETE_STUDY = "delete_study"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def destructive(self) -> bool:
        return self in DESTRUCTIVE_KINDS

    @property
    def is_link(self) -> bool:
        return self not in (
            ChangeKind.CREATE_STUDY,
            ChangeKind.UPDATE_STUDY,
            ChangeKind.DELETE_STUDY,
        )


_RANK = {kind: index for index, kind in enumerate(ChangeKind)}

DESTRUCTIVE_KINDS = frozenset(
    {
        ChangeKind.DELETE_STUDY,
        ChangeKind.UNENROLL,
        ChangeKind.REMOVE_SCOPE,
        ChangeKind.REMOVE_DATA_SOURCE,
        ChangeKind.REMOVE_CLIENT,
    }
)
