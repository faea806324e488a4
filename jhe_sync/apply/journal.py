"""``--journal FILE``: one JSON line per write attempt, for audit.

Each line holds the time, the entry's key (a study's or an organization's), the kind of change, the method, path and body
of the request, its outcome and status, and the one-line reason of an error. Bodies
hold only ids and study fields: patients appear as ids, never with their details, and
no header (so no token) is ever written.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from typing import IO, Any

from jhe_sync.plan.change import Call, Change


class Journal:
    """A thread-safe, line-buffered JSON-lines writer (a no-op without a stream)."""

    def __init__(self, stream: IO[str] | None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def record(
        self,
        change: Change,
        call: Call,
        outcome: str,
        status: int | None = None,
        reason: str = "",
    ) -> None:
        if self._stream is None:
            return
        entry: dict[str, Any] = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "key": change.key,
            "change": change.kind.value,
            "method": call.method,
            "path": call.path,
            "body": call.body,
            "outcome": outcome,
            "status": status,
        }
        if reason:
            entry["reason"] = reason
        line = json.dumps(entry, sort_keys=False, separators=(",", ":"))
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()
