"""Text from the spec or the exchange, made safe to put into markdown (plan comments on
pull requests, status reports): it shows as written and cannot turn into markup, HTML,
a broken table row or a broken line."""

from __future__ import annotations

import html
import re

_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
"""What markdown would read as markup, after ``html.escape`` has turned ``<``, ``>``
and ``&`` into entities."""


def escape(text: str) -> str:
    """Plain text that markdown and HTML leave as it is, on one line."""
    return _SPECIAL.sub(r"\\\1", html.escape(text, quote=False)).replace("\n", " ")


def inline_code(text: str) -> str:
    """Text to put between single backticks, where nothing is markup: only a backtick
    (which would end the span) and a line break (which would end the line) are replaced."""
    return text.replace("`", "'").replace("\n", " ")
