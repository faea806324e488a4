"""``load_desired``: spec files and variables in, a validated ``Desired`` out.

The only module here that touches the file system. It finds the files (a directory
means every ``*.yaml``/``*.yml`` below it, sorted, except ``*.vars.yaml`` variable
files and hidden ones), reads them with a size bound, then runs the pure stages:
parse, read each document's layout, expand, validate, check across studies. Every
problem of every stage is collected and raised once, as one ``SpecError``.

Values travel without locations; the ``Locator`` made here keeps the files' bytes and
finds the line and column of a problem when there is one, during loading or later
(a name the exchange does not know, found when planning).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jhe_sync.errors import Problem, SourceLocation, SpecError
from jhe_sync.spec.checks import check_organizations, check_studies
from jhe_sync.spec.document import SpecDocument, read_document, read_variables
from jhe_sync.spec.expand import expand
from jhe_sync.spec.locator import Locator, Problems
from jhe_sync.spec.models import Desired, OrganizationSettings, StudySpec
from jhe_sync.spec.plainload import PlainFile, load_plain
from jhe_sync.spec.suggest import closest
from jhe_sync.spec.validate import validate_organization, validate_study
from jhe_sync.spec.values import Where, kind_of
from jhe_sync.spec.variables import VARIABLE_NAME, Variable, not_a_variable_name, referenced_names
from jhe_sync.spec.yamlload import MAX_FILE_BYTES, file_too_large

SPEC_SUFFIXES = (".yaml", ".yml")
VAR_FILE_SUFFIXES = (".vars.yaml", ".vars.yml")
"""Variable files may sit next to the specs; loading a directory skips them."""


@dataclass(frozen=True)
class SpecSource:
    """One input file: the name problems show for it, and its bytes."""

    name: str
    data: bytes

    @classmethod
    def from_text(cls, text: str, name: str = "<text>") -> SpecSource:
        """A spec given as text (tests, standard input)."""
        return cls(name, text.encode("utf-8", errors="surrogatepass"))


def load_desired(
    paths: Sequence[str | Path | SpecSource],
    variables: Mapping[str, str] | None = None,
    var_files: Sequence[str | Path | SpecSource] = (),
    environ: Mapping[str, str] | None = None,
) -> Desired:
    """Load, expand and validate spec files into the desired state.

    ``paths`` are files, directories or in-memory ``SpecSource``s. ``var_files`` and
    ``variables`` (``--var-file``, ``--var``) override the files' ``vars:``, later
    winning; ``environ`` serves ``${env:NAME}`` (default: the process environment).
    Raises ``SpecError`` with every problem found; touches no network.
    """
    found: list[Problem] = []
    seen: set[str] = set()  # each file once, though a path and its directory both name it
    sources = [source for path in paths for source in _sources(path, found, seen)]
    var_sources = [source for path in var_files for source in _read(path, found, set())]
    problems = Problems(Locator())
    problems.extend(found)
    from_files = [(source, _var_file(source, problems)) for source in var_sources]
    from_flags = _cli_variables(variables or {}, problems)
    overrides: dict[str, Variable] = {}
    for _, file_variables in from_files:
        overrides.update(file_variables)
    overrides.update(from_flags)

    references: list[str] = []
    documents = [_document(source, problems, references) for source in sources]
    if all(documents):  # a file that could not be read may be the one using a variable
        used = referenced_names(references)
        declared = {name for document in documents if document for name in document.variables}
        for source, file_variables in from_files:
            for name in file_variables.keys() - used:
                problems.add(
                    _unused(name, used | declared, ""),
                    Where(source.name, (name,)).key_of(),
                    name,
                )
        for name in from_flags.keys() - used:
            problems.add(_unused(name, used | declared, f"--var {name}=...: "))
    expansion = expand(
        [d for d in documents if d is not None],
        overrides,
        os.environ if environ is None else environ,
        problems,
    )
    studies: list[tuple[str, StudySpec]] = []
    for expanded in expansion.studies:
        study = validate_study(expanded, problems)
        if study is not None:
            studies.append((expanded.path, study))
    organizations: list[tuple[str, OrganizationSettings]] = []
    for entry in expansion.organizations:
        settings = validate_organization(entry, problems)
        if settings is not None:
            organizations.append((entry.path, settings))
    check_studies(studies, problems)
    check_organizations(organizations, studies, problems)
    if problems:
        raise SpecError(_distinct(problems))
    return Desired(
        studies=[study for _, study in studies],
        organizations=[settings for _, settings in organizations],
        digest=spec_digest(sources, var_sources, variables or {}, expansion.env_used),
    )


def spec_digest(
    sources: Sequence[SpecSource],
    var_sources: Sequence[SpecSource],
    variables: Mapping[str, str],
    env_used: Mapping[str, str],
) -> str:
    """sha256 of the spec files' bytes (by name), the var files, ``--var`` and the
    environment variables the spec read: a saved plan compares it to see a changed spec.
    Names are not hashed, so the same repository checked out elsewhere has the same digest.
    """
    digest = hashlib.sha256()
    for source in (*sorted(sources, key=lambda s: s.name), *var_sources):
        digest.update(len(source.data).to_bytes(8, "big"))
        digest.update(source.data)
    extra = {"vars": dict(sorted(variables.items())), "env": dict(sorted(env_used.items()))}
    digest.update(json.dumps(extra, sort_keys=True).encode())
    return digest.hexdigest()


def _read_plain(source: SpecSource, problems: Problems) -> PlainFile | None:
    try:
        read = load_plain(source.data, source.name)
    except SpecError as error:
        problems.extend(error.problems)
        return None
    problems.locator.add(source.name, source.data, read)
    return read


def _document(source: SpecSource, problems: Problems, references: list[str]) -> SpecDocument | None:
    read = _read_plain(source, problems)
    if read is None:
        return None
    references += read.references
    return read_document(read.root, source.name, problems)


def _unused(name: str, known: set[str], given: str) -> str:
    """Why a variable given for the command is refused: no spec file reads it, so it
    would change nothing (a typo that would let the wrong text through)."""
    message = f"{given}no spec file uses ${{{name}}}"
    close = closest(name, known)
    if close is not None:
        return f"{message}; did you mean ${{{close}}}?"
    return f"{message}; remove it, or give the spec files that use it"


def _var_file(source: SpecSource, problems: Problems) -> dict[str, Variable]:
    read = _read_plain(source, problems)
    if read is None or read.root is None:
        return {}
    if not isinstance(read.root, dict):
        problems.add(
            f"a variable file is a mapping of names to values, not {kind_of(read.root)}",
            Where(source.name),
        )
        return {}
    return read_variables(read.root, Where(source.name), "", f"--var-file {source.name}", problems)


def _cli_variables(variables: Mapping[str, str], problems: Problems) -> dict[str, Variable]:
    found = {}
    for name, value in variables.items():
        if VARIABLE_NAME.fullmatch(name):
            found[name] = Variable.from_text(value, "--var")
        else:
            problems.add(f"--var {name}=...: {not_a_variable_name(name)}")
    return found


def _sources(
    path: str | Path | SpecSource, problems: list[Problem], seen: set[str]
) -> list[SpecSource]:
    if isinstance(path, SpecSource):
        return [path]
    path = Path(path)
    if not path.is_dir():
        return _read(path, problems, seen)
    files = sorted(_spec_files(path), key=lambda p: p.relative_to(path).as_posix())
    if not files:
        problems.append(Problem(f"{path}: no *.yaml or *.yml spec files in this directory"))
    return [source for file in files for source in _read(file, problems, seen)]


def _spec_files(directory: Path) -> Iterable[Path]:
    for folder, subfolders, names in os.walk(directory):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        for name in names:
            if (
                name.endswith(SPEC_SUFFIXES)
                and not name.endswith(VAR_FILE_SUFFIXES)
                and not name.startswith(".")
            ):
                yield Path(folder, name)


def _read(
    path: str | Path | SpecSource, problems: list[Problem], seen: set[str]
) -> list[SpecSource]:
    """The file as a source ([] when it was read already or cannot be read)."""
    if isinstance(path, SpecSource):
        return [path]
    name = str(path)
    real = os.path.realpath(path)
    if real in seen:
        return []
    seen.add(real)
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
            size = os.fstat(file.fileno()).st_size
    except IsADirectoryError:
        problems.append(Problem(f"{name}: a directory, where a file is expected"))
        return []
    except FileNotFoundError:
        problems.append(Problem(f"{name}: no such file or directory"))
        return []
    except OSError as error:
        problems.append(Problem(f"{name}: cannot be read ({error.strerror or error})"))
        return []
    if len(data) > MAX_FILE_BYTES:
        problems.append(file_too_large(name, max(size, len(data))))
        return []
    return [SpecSource(name, data)]


def _distinct(problems: Iterable[Problem]) -> list[Problem]:
    """One problem per place and message: a template's mistake is reported once, not
    once for every study stamped from it."""
    distinct: dict[tuple[SourceLocation | None, str], Problem] = {}
    for problem in problems:
        distinct.setdefault((problem.location, problem.message), problem)
    return list(distinct.values())
