"""'Did you mean' for names a user mistyped: keys, templates, variables."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, known: Iterable[str]) -> str | None:
    """The known name closest to ``name``, when one is close enough to be a typo."""
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"; did you mean 'x'?"`` or, when nothing is close, the list of known names."""
    known = list(known)
    match = closest(name, known)
    if match is not None:
        return f"; did you mean {match!r}?"
    if known:
        return f" (expected one of: {', '.join(known)})"
    return ""


def unknown_key(key: str, known: Iterable[str]) -> str:
    """The message for a key the format does not have."""
    return f"unknown key {key!r}{did_you_mean(key, known)}"
