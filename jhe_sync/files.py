"""Files jhe-sync writes that hold what only their owner should read.

A saved plan and an export list patients by the e-mail the spec gives, and a journal
records every write with its body: each is created readable and writable by its owner
only (``0600``), whatever the umask, and a file that already exists is made so before
anything is written to it. A ground floor: it imports nothing of jhe_sync.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Literal

PRIVATE = 0o600

Mode = Literal["w", "a", "x"]

_FLAGS = {
    "w": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "a": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "x": os.O_WRONLY | os.O_CREAT | os.O_EXCL,
}


def open_private(path: str | Path, mode: Mode = "w") -> IO[str]:
    """Open ``path`` for writing text (``w`` replaces, ``a`` appends, ``x`` refuses a
    file that exists), as a file only its owner may read. Raises ``OSError``."""
    descriptor = os.open(path, _FLAGS[mode], PRIVATE)
    try:
        os.fchmod(descriptor, PRIVATE)
        return open(descriptor, mode, encoding="utf-8", newline="\n")
    except BaseException:
        os.close(descriptor)
        raise
