"""Writing exported studies as spec file text: comments first, then YAML in a fixed layout.

The text is produced by PyYAML's safe dumper (quoting whatever YAML would otherwise read
as a number, a boolean or a date), with lists indented under their key, no line
folding, multi-line descriptions as literal blocks, and every ``${`` written as ``$${``
so that the spec loader's variable substitution gives back the server's text exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

DEFAULT_SCHEMA_URL = "https://example.invalid/jhe-sync.schema.json"
"""Where the first line of an exported file points editors for the spec's JSON Schema
(``jhe-sync schema`` prints it); the CLI may pass the project's published address."""

WITH_PATIENTS_NOTE = (
    "Patient emails in this file are personal data: keep it out of public repositories",
    "and out of pull requests that people without access to the exchange can read.",
    "`jhe-sync export --no-patients` leaves enrollments unmanaged instead (no patients lists).",
)
WITHOUT_PATIENTS_NOTE = (
    "Exported with --no-patients: no patients lists, so enrollments are left unmanaged",
    "and this file holds no personal data. Patient emails are personal data: think",
    "twice before adding patients lists to a file that others can read.",
)


def spec_file_text(
    studies: Sequence[tuple[Mapping[str, Any], Sequence[str]]],
    *,
    organization: str,
    include_patients: bool,
    schema_url: str = DEFAULT_SCHEMA_URL,
    organizations: Sequence[tuple[Mapping[str, Any], Sequence[str]]] = (),
) -> str:
    """One spec file: the schema line, the personal-data note, ``version: 1``, the
    organization entries and the studies, each a mapping in the order to write its keys,
    with comment lines above it."""
    header = [
        f"# yaml-language-server: $schema={schema_url}",
        *(
            f"# {line}"
            for line in (WITH_PATIENTS_NOTE if include_patients else WITHOUT_PATIENTS_NOTE)
        ),
        f"# Exported by `jhe-sync export`: {'the organization and ' if organizations else ''}"
        f"the studies of {_one_line(organization)}.",
        "version: 1",
    ]
    lines = list(header)
    if organizations:
        lines += ["organizations:", *_entries(organizations)]
    if not studies:
        return "\n".join([*lines, "studies: []", ""])
    lines += ["studies:", *_entries(studies)]
    return "\n".join(lines) + "\n"


def _entries(entries: Sequence[tuple[Mapping[str, Any], Sequence[str]]]) -> list[str]:
    lines = []
    for entry, notes in entries:
        lines += [f"  # {_one_line(note)}" for note in notes]
        block = yaml.dump(
            [_escaped(dict(entry))],
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=1_000_000,
            indent=2,
        )
        lines += [f"  {line}" if line else line for line in block.rstrip("\n").split("\n")]
    return lines


def _escaped(value: Any) -> Any:
    """``${`` as ``$${``: the spec loader would otherwise read it as a variable."""
    if isinstance(value, str):
        return value.replace("${", "$${")
    if isinstance(value, dict):
        return {key: _escaped(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_escaped(item) for item in value]
    return value


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Dumper(yaml.SafeDumper):
    """Safe dumper with lists indented under their key and no anchors."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)
