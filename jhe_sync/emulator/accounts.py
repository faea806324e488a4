"""User rows shared by the practitioner and patient endpoints: made by email, deleted when unused.

A user made through the API (``POST /practitioners``, ``POST /patients``) has no names and
no ``user_type`` (460): the server builds it as ``JheUser(email=email)``. When the last
profile of a user goes, the user goes too (``delete_if_unused``), unless it is a
superuser; its tokens, settings and API clients go with it in the database's cascade.
"""

from __future__ import annotations

from jhe_sync.emulator.db import Store


def find_or_create_user(store: Store, email: str) -> int:
    """The id of the user with exactly this email, created (and an id spent) if none."""
    user_id: int | None = store.scalar("SELECT id FROM core_jheuser WHERE email = ?", (email,))
    if user_id is None:
        user_id = store.insert("core_jheuser", {"email": email, "user_type": None})
    return user_id


def delete_user_if_unused(store: Store, user_id: int) -> None:
    """``JheUser.delete_if_unused``: gone unless a superuser or still a practitioner or patient."""
    store.run(
        "DELETE FROM core_jheuser WHERE id = ? AND is_superuser = 0 "
        "AND NOT EXISTS (SELECT 1 FROM core_practitioner WHERE jhe_user_id = ?) "
        "AND NOT EXISTS (SELECT 1 FROM core_patient WHERE jhe_user_id = ?)",
        (user_id, user_id, user_id),
    )
