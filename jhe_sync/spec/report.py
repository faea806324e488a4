"""What ``jhe-sync validate`` found, for people and for machines.

A ``Validation`` is the outcome: what the spec holds when it is valid, or every
problem when it is not. Its renderers compute nothing it does not hold:

- ``validation_json``: one document (``specs/validate.schema.json``), every problem
  with its file, line, column, path and message;
- ``validation_github``: GitHub Actions workflow commands, one ``::error`` line per
  problem, which GitHub shows on the lines of the pull request's files.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from jhe_sync.errors import Problem

VALIDATE_FORMAT_VERSION = 1


@dataclass(frozen=True)
class Validation:
    """A spec's validation: the counts of what it holds, or its problems."""

    studies: int | None
    organizations: int | None
    problems: tuple[Problem, ...] = ()

    @classmethod
    def failed(cls, problems: Sequence[Problem]) -> Validation:
        return cls(None, None, tuple(problems))

    @property
    def valid(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, object]:
        """The json form (``specs/validate.schema.json``)."""
        return {
            "format_version": VALIDATE_FORMAT_VERSION,
            "valid": self.valid,
            "studies": self.studies,
            "organizations": self.organizations,
            "problems": [
                {
                    "file": problem.location.file if problem.location else None,
                    "line": problem.location.line if problem.location else None,
                    "column": problem.location.column if problem.location else None,
                    "path": problem.path,
                    "message": problem.message,
                }
                for problem in self.problems
            ],
        }


def validation_json(validation: Validation) -> str:
    """The document, as ``validate --format json`` prints it."""
    return json.dumps(validation.to_dict(), indent=2, ensure_ascii=False) + "\n"


def validation_github(validation: Validation) -> str:
    """One workflow command per problem (``::error file=...,line=...,col=...::...``);
    nothing for a valid spec."""
    lines = []
    for problem in validation.problems:
        message = _data(f"{problem.path}: {problem.message}" if problem.path else problem.message)
        where = problem.location
        if where is None:
            lines.append(f"::error::{message}")
        else:
            lines.append(
                f"::error file={_property(where.file)},line={where.line},col={where.column}"
                f"::{message}"
            )
    return "".join(f"{line}\n" for line in lines)


def _data(text: str) -> str:
    # A workflow command's message ends at a line break: escape them, and '%' first.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    # A property value also ends at ',' and its name at ':'.
    return _data(text).replace(":", "%3A").replace(",", "%2C")
