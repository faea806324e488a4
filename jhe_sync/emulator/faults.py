"""Fault injection: the failures a reconciler must survive, on demand and replayable.

Each request draws one number from the app's ``random.Random(seed)``, in the order the
requests arrive, and that number picks at most one fault. The faults are bands laid end
to end on [0, 1), so each one's probability is exactly what was configured (as long as
they add up to at most 1) and the same seed gives the same sequence of faults:

    rate_limit | drop | error_before_commit* | error_after_commit* | drop_after_commit*

(* writes only: POST, PATCH, PUT, DELETE; a read's draw simply falls through those bands.)

``/o/token/`` is exempt from everything but latency and draws nothing: a client fetches
its token once, and a fault there would test the login, not the writes; keeping it out
of the draw also keeps the fault sequence of API calls independent of token refreshes.
"""

from __future__ import annotations

import enum
import random
import threading
from dataclasses import dataclass

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class DroppedConnection(ConnectionError):
    """The emulator dropped the connection without answering.

    Raised by the WSGI app in process (through ``httpx.WSGITransport``); over HTTP the
    server closes the socket instead, and the client sees a disconnect.
    """


@dataclass
class FaultConfig:
    """Probabilities per request (0 to 1), an added latency, and the seed of the draws."""

    latency_ms: float = 0
    error_before_commit: float = 0.0
    error_after_commit: float = 0.0
    rate_limit: float = 0.0
    retry_after: float = 1.0
    drop: float = 0.0
    drop_after_commit: float = 0.0
    seed: int = 0


class Fault(enum.Enum):
    """What happens to one request."""

    NONE = "none"
    RATE_LIMIT = "rate_limit"  # 429 with Retry-After, nothing done
    DROP = "drop"  # connection dropped before anything is done
    ERROR_BEFORE_COMMIT = "error_before_commit"  # 500, nothing written
    ERROR_AFTER_COMMIT = "error_after_commit"  # written, then 500
    DROP_AFTER_COMMIT = "drop_after_commit"  # written, then the connection dropped


class FaultDice:
    """The seeded draws of one app; thread-safe, consumed in request order."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._random = random.Random(config.seed)
        self._lock = threading.Lock()

    def draw(self, method: str) -> Fault:
        """The fault for the next request (one draw per request, whatever its method)."""
        with self._lock:
            roll = self._random.random()
        c = self.config
        bands: list[tuple[Fault, float]] = [(Fault.RATE_LIMIT, c.rate_limit), (Fault.DROP, c.drop)]
        if method in WRITE_METHODS:
            bands += [
                (Fault.ERROR_BEFORE_COMMIT, c.error_before_commit),
                (Fault.ERROR_AFTER_COMMIT, c.error_after_commit),
                (Fault.DROP_AFTER_COMMIT, c.drop_after_commit),
            ]
        edge = 0.0
        for fault, probability in bands:
            edge += probability
            if roll < edge:
                return fault
        return Fault.NONE
