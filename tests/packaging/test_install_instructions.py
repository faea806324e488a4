"""Until the first release is on PyPI, every install line names the git tag of this version.

``pip install jhe-sync`` would fetch whatever holds that name on the index (nothing, or
someone else's package); the tag ``v<version>`` is what the release workflow publishes
from. When the version changes, these lines change with it. (Once a release is on PyPI,
``pip install jhe-sync==<version>`` becomes the right line and this test changes.)
"""

from __future__ import annotations

import re
from pathlib import Path

import jhe_sync

ROOT = Path(__file__).resolve().parents[2]
REPOSITORY = "https://github.com/jupyterhealth/jhe-sync"
SKIPPED_FOLDERS = {"tests", "build", "dist", "node_modules", "__pycache__"}


def documents() -> list[str]:
    """The repository's docs, examples and workflow files: what a user copies install lines from."""
    found = []
    for path in ROOT.rglob("*"):
        parts = path.relative_to(ROOT).parts
        hidden = any(
            part.startswith(".") and part not in (".github", ".pre-commit-hooks.yaml")
            for part in parts
        )
        if (
            hidden
            or SKIPPED_FOLDERS & set(parts)
            or any(part.endswith(".egg-info") for part in parts)
        ):
            continue
        if path.is_file() and path.suffix in (".md", ".yml", ".yaml"):
            found.append(path.relative_to(ROOT).as_posix())
    return sorted(found)


DOCUMENTS = documents()
GIT_INSTALL = re.compile(r"jhe-sync @ git\+(?P<url>\S+?)@(?P<ref>[^\s\"']+)")
HOOK_REV = re.compile(rf"repo: {re.escape(REPOSITORY)}\s*\n[#\s]*rev: (\S+)")
INDEX_INSTALL = re.compile(r"pip install (?:-\S+ )*[\"']?jhe-sync(?![\w@ -]*@ git\+)")


def text(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_the_install_documents_are_among_those_checked() -> None:
    assert {"README.md", "examples/ci/github-actions.yml", ".pre-commit-hooks.yaml"} <= set(
        DOCUMENTS
    )


def test_the_readme_installs_this_version_from_its_git_tag_and_from_a_clone() -> None:
    readme = text("README.md")

    assert f'pip install "jhe-sync @ git+{REPOSITORY}@v{jhe_sync.__version__}"' in readme
    assert f"git clone {REPOSITORY}" in readme


def test_the_pre_commit_example_pins_this_versions_tag() -> None:
    assert HOOK_REV.findall(text(".pre-commit-hooks.yaml")) == [f"v{jhe_sync.__version__}"]


def test_no_document_installs_the_unpublished_name_from_the_index() -> None:
    offenders = [name for name in DOCUMENTS if INDEX_INSTALL.search(text(name))]

    assert offenders == [], "these install jhe-sync from the package index"


def test_every_git_install_and_pre_commit_rev_names_the_tag_of_this_version() -> None:
    expected = (REPOSITORY, f"v{jhe_sync.__version__}")
    wrong = []
    for name in DOCUMENTS:
        document = text(name)
        refs = [(m["url"], m["ref"]) for m in GIT_INSTALL.finditer(document)]
        refs += [(REPOSITORY, ref) for ref in HOOK_REV.findall(document)]
        # A ref made of a variable is the version a user asks for (action.yml's input).
        wrong += [
            (name, url, ref)
            for url, ref in refs
            if (url, ref) != expected and not (url == REPOSITORY and ref.startswith("v${"))
        ]

    assert wrong == []
