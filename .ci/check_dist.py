"""Checks of a built sdist and wheel that ``twine check`` and the smoke run do not make.

``python .ci/check_dist.py DIST_DIR [--expect-version V]`` (run by ``.ci/package``) reads
the one ``*.tar.gz`` and the one ``*.whl`` in DIST_DIR and says, one line each, what a
user or a rebuild would miss:

- the wheel lacks a file the source package has (a data file no ``package-data``
  pattern matches, a folder without ``__init__.py``), or carries files outside it;
- the license file, the SPDX license expression or a runtime dependency is not what
  pyproject.toml promises (runtime dependencies are exactly ``RUNTIME_DEPENDENCIES``);
- a classifier is one a package index would refuse at upload;
- the sdist lacks what rebuilding and testing it needs (``SDIST_FILES``, ``SDIST_DIRS``);
- with ``--expect-version`` (a release tag without its ``v``): the version differs.

The checks are pure functions of archive member names and metadata text, so tests can
show each refusal without building anything.
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import zipfile
from collections.abc import Collection, Iterable
from email.message import Message
from email.parser import Parser
from pathlib import Path

PACKAGE = "jhe_sync"
LICENSE_EXPRESSION = "BSD-3-Clause"
LICENSE_FILE = "LICENSE"
RUNTIME_DEPENDENCIES = frozenset({"pydantic", "pyyaml", "httpx", "click"})
SDIST_FILES = (
    "PKG-INFO",
    "pyproject.toml",
    "MANIFEST.in",
    "README.md",
    LICENSE_FILE,
    "CHANGELOG.md",
    ".pre-commit-hooks.yaml",
)
SDIST_DIRS = ("tests", "specs", "examples", ".ci", ".github/workflows")
"""What rebuilding the sdist, running its tests (which read the hook file, the release
workflow and .ci/check_dist.py) and reading its docs need."""

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRA_MARKER = re.compile(r";.*\bextra\s*==")

try:  # CI tooling, installed by .ci/package; the pure checks above run without it
    from trove_classifiers import classifiers as TROVE_CLASSIFIERS
except ImportError:  # pragma: no cover - only where .ci/package did not install it
    TROVE_CLASSIFIERS = None


def normalized(name: str) -> str:
    """A distribution name as package indexes compare them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def package_files(package_dir: Path) -> set[str]:
    """The source package's files as wheel member names (``jhe_sync/...``), bytecode aside."""
    root = package_dir.parent
    return {
        path.relative_to(root).as_posix()
        for path in package_dir.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def runtime_dependencies(metadata: Message) -> set[str]:
    """Names of the ``Requires-Dist`` entries that are not behind an extra."""
    names = set()
    for requirement in metadata.get_all("Requires-Dist") or []:
        if _EXTRA_MARKER.search(requirement):
            continue
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            names.add(normalized(match.group(1)))
    return names


def version_problems(metadata: Message, expect_version: str | None) -> list[str]:
    version = metadata.get("Version", "")
    if expect_version is None or expect_version == version:
        return []
    return [
        f"the release tag says version {expect_version} but the package is version {version} "
        f"(jhe_sync/__init__.py __version__): tag v{version}, or set __version__ and tag again"
    ]


def wheel_problems(
    names: Collection[str],
    metadata: Message,
    source_files: Collection[str],
    known_classifiers: Collection[str] | None = None,
) -> list[str]:
    """What is wrong with a wheel whose members are ``names``."""
    problems = []
    dist_info = {
        name.split("/", 1)[0] for name in names if name.split("/", 1)[0].endswith(".dist-info")
    }
    for name in sorted(set(source_files) - set(names)):
        problems.append(
            f"{name} is in the source package but not in the wheel: add it to "
            "[tool.setuptools.package-data] in pyproject.toml (or give its folder an __init__.py)"
        )
    for name in sorted(names):
        top = name.split("/", 1)[0]
        if top != PACKAGE and top not in dist_info:
            problems.append(f"{name} is in the wheel but outside the {PACKAGE} package")
    if not any(name.endswith(f".dist-info/licenses/{LICENSE_FILE}") for name in names):
        problems.append(f"the wheel has no .dist-info/licenses/{LICENSE_FILE}: set license-files")
    problems.extend(metadata_problems(metadata, known_classifiers))
    return problems


def metadata_problems(metadata: Message, known_classifiers: Collection[str] | None) -> list[str]:
    problems = []
    if metadata.get("License-Expression") != LICENSE_EXPRESSION:
        problems.append(
            f"License-Expression is {metadata.get('License-Expression')!r}, "
            f"not {LICENSE_EXPRESSION!r}: set license = {LICENSE_EXPRESSION!r} in pyproject.toml"
        )
    if metadata.get_all("License-File") != [LICENSE_FILE]:
        problems.append(
            f"License-File is {metadata.get_all('License-File')}, not [{LICENSE_FILE!r}]"
        )
    dependencies = runtime_dependencies(metadata)
    if dependencies != RUNTIME_DEPENDENCIES:
        extra = sorted(dependencies - RUNTIME_DEPENDENCIES)
        missing = sorted(RUNTIME_DEPENDENCIES - dependencies)
        problems.append(
            f"runtime dependencies must be exactly {sorted(RUNTIME_DEPENDENCIES)}: "
            f"unexpected {extra}, missing {missing} (tooling belongs in an extra)"
        )
    if known_classifiers is not None:
        for classifier in metadata.get_all("Classifier") or []:
            if classifier not in known_classifiers:
                problems.append(
                    f"classifier {classifier!r} is not a trove classifier: PyPI refuses the upload"
                )
    return problems


def sdist_problems(names: Iterable[str], source_files: Collection[str]) -> list[str]:
    """What is wrong with an sdist whose members are ``names`` (with their top folder)."""
    inside = {name.split("/", 1)[1] for name in names if "/" in name}
    problems = [
        f"the sdist has no {name}: list it in MANIFEST.in"
        for name in SDIST_FILES
        if name not in inside
    ]
    for folder in SDIST_DIRS:
        if not any(name.startswith(f"{folder}/") and not name.endswith("/") for name in inside):
            problems.append(f"the sdist has no {folder}/: graft it in MANIFEST.in")
    problems.extend(
        f"{name} is in the source package but not in the sdist"
        for name in sorted(set(source_files) - inside)
    )
    return problems


def check(
    dist_dir: Path,
    package_dir: Path,
    expect_version: str | None,
    known_classifiers: Collection[str],
) -> list[str]:
    wheels = sorted(dist_dir.glob("*.whl"))
    sdists = sorted(dist_dir.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        return [
            f"{dist_dir} must hold one wheel and one sdist, not {[p.name for p in wheels + sdists]}"
        ]
    with zipfile.ZipFile(wheels[0]) as wheel:
        names = wheel.namelist()
        [metadata_name] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(wheel.read(metadata_name).decode("utf-8"))
    with tarfile.open(sdists[0]) as sdist:
        sdist_names = sdist.getnames()
    source = package_files(package_dir)
    return (
        wheel_problems(names, metadata, source, known_classifiers)
        + sdist_problems(sdist_names, source)
        + version_problems(metadata, expect_version)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dist_dir", type=Path)
    parser.add_argument("--expect-version", help="the version a release tag names, without its 'v'")
    parser.add_argument(
        "--package-dir", type=Path, default=Path(__file__).resolve().parents[1] / PACKAGE
    )
    args = parser.parse_args(argv)
    if TROVE_CLASSIFIERS is None:
        print("check_dist: needs trove-classifiers: pip install trove-classifiers", file=sys.stderr)
        return 1
    problems = check(args.dist_dir, args.package_dir, args.expect_version, TROVE_CLASSIFIERS)
    for problem in problems:
        print(f"check_dist: {problem}", file=sys.stderr)
    if not problems:
        print(f"check_dist: OK: {', '.join(sorted(p.name for p in args.dist_dir.iterdir()))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
