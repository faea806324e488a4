"""The one exception hierarchy of jhe-sync.

Every error a user can meet is a ``JheSyncError``; its ``str()`` is the message the
CLI prints after ``Error:``, and its ``exit_code`` is what the process exits with.

    JheSyncError                    exit 1
      SpecError                     one or more problems in the spec files
      ConfigError                   missing or contradictory settings (URL, credentials)
      ResolveError                  names in the spec that the exchange does not know
      PreflightError                changes the server would refuse (403, 500)
      Unresolved                    one name or spec entry that matches no live object, or two
      ExchangeError                 the server answered with an error
        AuthError                   401: credentials missing, wrong or expired
          TokenRefused              401 to a bearer token: expired, revoked or never valid there
        PermissionDenied            403
        NotFound                    404
        ServerError                 5xx
        RateLimited                 429 after all retries
        ProtocolError               an answer that is not what the API returns
      TransportError                no answer: connection refused, timeout, dropped
      PlanFileError                 a saved plan file that is not one (or another format version)
      ApplyError                    some changes of an apply failed (a partial apply)
      Refused                       exit 3: jhe-sync refused to write; nothing was written
        SafetyRefusal               a safeguard refused the plan (or the caller lacks the role)
        StalePlanError              a saved plan no longer matches the exchange: plan again
        TamperedPlanError           a saved plan was edited since it was written (digest or
                                    signature)
        UnsignedPlanError           JHE_PLAN_KEY is set and the saved plan is not signed
        ForeignPlanError            a saved plan made for another exchange
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REFUSED = 3
EXIT_INTERRUPTED = 130


@dataclass(frozen=True, order=True)
class SourceLocation:
    """A place in a spec file: 1-based line and column."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One mistake found in a spec: where, which field, what is wrong and what to do."""

    message: str
    location: SourceLocation | None = None
    path: str = ""

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        field = f"{self.path}: " if self.path else ""
        return f"{where}{field}{self.message}"


class JheSyncError(Exception):
    """Root of every error jhe-sync raises on purpose."""

    exit_code = EXIT_ERROR


class ProblemsError(JheSyncError):
    """An error made of several located problems, all reported at once."""

    title = "problems"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(
            sorted(problems, key=lambda p: (p.location or SourceLocation("", 0), p.path))
        )
        super().__init__(self._render())

    def _render(self) -> str:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} {self.title} {noun}:"]
        lines += [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)


class SpecError(ProblemsError):
    """The spec files are not valid. Nothing was read from or written to the exchange."""

    title = "spec"


class ResolveError(ProblemsError):
    """Names in the spec that the live exchange does not know (or knows twice)."""

    title = "resolution"


class PreflightError(ProblemsError):
    """Changes that the server would refuse or fail on; stopped before any write."""

    title = "pre-flight"


class Unresolved(JheSyncError):
    """A name in the spec (or a spec entry) that matches no live object, or more than one.

    The identity and lookup rules raise it with ``message`` saying what was looked for,
    what came close and what to write instead; ``resolve`` turns each into a located
    ``Problem`` of a ``ResolveError``, and the lifecycle commands into their own errors.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class ConfigError(JheSyncError):
    """Missing or contradictory settings: URL, credentials, flags."""


class ExchangeError(JheSyncError):
    """The exchange answered a request with an error status."""

    def __init__(self, method: str, path: str, status: int, reason: str) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.reason = reason
        super().__init__(f"{method} {path} answered {status}: {reason}")


class AuthError(ExchangeError):
    """401: the credentials were missing, wrong or expired."""


class TokenRefused(AuthError):
    """401 to a bearer token: it has expired, was revoked, or was never valid there.

    The server answers all three with the same body; only its ``WWW-Authenticate``
    challenge tells them apart (recordings 001-003). ``challenge`` is that header's
    ``error`` (``invalid_token``, or ``""`` when it gave none) and ``expired`` whether
    its description says the token has expired. ``str()`` is the one line a user sees:
    what was refused, why, and what to do.
    """

    def __init__(
        self,
        method: str,
        path: str,
        reason: str,
        *,
        message: str,
        challenge: str = "",
        expired: bool = False,
    ) -> None:
        super().__init__(method, path, 401, reason)
        self.message = message
        self.challenge = challenge
        self.expired = expired

    def __str__(self) -> str:
        return self.message


class PermissionDenied(ExchangeError):
    """403: the caller may not do this (or, for a study, it does not exist)."""


class NotFound(ExchangeError):
    """404."""


class ServerError(ExchangeError):
    """5xx: the server failed (often a database constraint on this API)."""


class RateLimited(ExchangeError):
    """429 that did not clear within the retry budget (or a write's 429: never processed).

    ``retry_after`` is the server's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(
        self, method: str, path: str, status: int, reason: str, retry_after: float | None = None
    ) -> None:
        super().__init__(method, path, status, reason)
        self.retry_after = retry_after


class ProtocolError(JheSyncError):
    """The exchange answered with something that is not what its API returns."""


class TransportError(JheSyncError):
    """No usable answer: connection refused, timed out or dropped.

    ``timed_out``: the request was sent and no answer came in time, so the server may
    still be working on it (a write may commit after the client gave up).
    ``retryable``: False when no connection could be made at all (the name does not
    resolve, the connection was refused): nothing was sent, and a retry would fail alike."""

    def __init__(self, message: str, *, timed_out: bool = False, retryable: bool = True) -> None:
        super().__init__(message)
        self.timed_out = timed_out
        self.retryable = retryable


class PlanFileError(JheSyncError):
    """A saved plan file that cannot be used: not JSON, not a plan, or another format version."""


class ApplyError(JheSyncError):
    """Some changes of an apply failed; the rest are reported as done or skipped."""


class Refused(JheSyncError):
    """jhe-sync refused to write, on purpose, and wrote nothing: a safeguard, or a saved
    plan it cannot trust to be current, genuine or meant for this exchange. Its own exit
    code, so that CI tells "refused, plan again or allow it" from "something failed"."""

    exit_code = EXIT_REFUSED


class StalePlanError(Refused):
    """A saved plan no longer matches the live exchange."""


class TamperedPlanError(Refused):
    """A saved plan's content does not match its recorded digest, or its signature."""


class UnsignedPlanError(Refused):
    """``JHE_PLAN_KEY`` is set, and the saved plan carries no signature."""


class ForeignPlanError(Refused):
    """A saved plan made for another exchange than the one it is applied to."""


class SafetyRefusal(Refused):
    """A safeguard refused the plan. Nothing was written.

    ``shown``: the lines to print instead of one per reason (the same refusal of many
    studies said once); ``reasons`` keeps every reason."""

    def __init__(self, reasons: Sequence[str], *, shown: Sequence[str] | None = None) -> None:
        self.reasons = tuple(reasons)
        count = len(self.reasons)
        noun = "change" if count == 1 else "changes"
        lines = [f"refused: {count} {noun} blocked by safeguards; nothing was written."]
        lines += [f"  - {reason}" for reason in (self.reasons if shown is None else shown)]
        super().__init__("\n".join(lines))
