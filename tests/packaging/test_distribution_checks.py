"""``.ci/check_dist.py`` refuses the sdist and wheel a user or a rebuild would be let down by.

Each refusal is shown on member lists and metadata made here; ``.ci/package`` runs the
same checks on the real build.
"""

from __future__ import annotations

import importlib.util
import sys
from email.message import Message
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_check_dist() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_dist", ROOT / ".ci" / "check_dist.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


check_dist = _load_check_dist()

SOURCE = {"jhe_sync/__init__.py", "jhe_sync/py.typed", "jhe_sync/emulator/seed.json"}
DIST_INFO = "jhe_sync-0.1.0.dist-info"
WHEEL = [*SOURCE, f"{DIST_INFO}/METADATA", f"{DIST_INFO}/licenses/LICENSE", f"{DIST_INFO}/RECORD"]
SDIST = [
    f"jhe_sync-0.1.0/{name}"
    for name in [
        *SOURCE,
        "PKG-INFO",
        "pyproject.toml",
        "MANIFEST.in",
        "README.md",
        "LICENSE",
        "CHANGELOG.md",
        ".pre-commit-hooks.yaml",
        ".ci/check_dist.py",
        ".github/workflows/release.yml",
        "tests/test_a.py",
        "specs/jhe-sync.schema.json",
        "examples/quickstart/studies.yaml",
    ]
]
CLASSIFIERS = {"Programming Language :: Python :: 3.11"}


def metadata(**changes: list[str] | str) -> Message:
    fields: dict[str, list[str] | str] = {
        "Version": "0.1.0",
        "License-Expression": "BSD-3-Clause",
        "License-File": ["LICENSE"],
        "Classifier": ["Programming Language :: Python :: 3.11"],
        "Requires-Dist": [
            "pydantic<3,>=2.6",
            "pyyaml>=6.0",
            "httpx<1,>=0.27",
            "click>=8.1",
            'pytest>=8; extra == "test"',
        ],
    }
    fields.update(changes)
    message = Message()
    for key, value in fields.items():
        for item in [value] if isinstance(value, str) else value:
            message[key] = item
    return message


def test_a_complete_build_passes() -> None:
    assert check_dist.wheel_problems(WHEEL, metadata(), SOURCE, CLASSIFIERS) == []
    assert check_dist.sdist_problems(SDIST, SOURCE) == []
    assert check_dist.version_problems(metadata(), "0.1.0") == []


def test_a_package_data_file_missing_from_the_wheel_is_named_with_the_fix() -> None:
    wheel = [name for name in WHEEL if name != "jhe_sync/emulator/seed.json"]

    [problem] = check_dist.wheel_problems(wheel, metadata(), SOURCE, CLASSIFIERS)

    assert problem.startswith(
        "jhe_sync/emulator/seed.json is in the source package but not in the wheel"
    )
    assert "package-data" in problem


def test_files_outside_the_package_in_the_wheel_are_refused() -> None:
    [problem] = check_dist.wheel_problems(
        [*WHEEL, "tests/test_a.py"], metadata(), SOURCE, CLASSIFIERS
    )

    assert "tests/test_a.py is in the wheel but outside the jhe_sync package" in problem


def test_a_wheel_without_its_license_file_is_refused() -> None:
    wheel = [name for name in WHEEL if not name.endswith("licenses/LICENSE")]

    assert check_dist.wheel_problems(wheel, metadata(), SOURCE, CLASSIFIERS) == [
        "the wheel has no .dist-info/licenses/LICENSE: set license-files"
    ]


@pytest.mark.parametrize(
    ("requires", "named"),
    [
        (["pydantic", "pyyaml", "httpx", "click", "build>=1"], "unexpected ['build']"),
        (["pydantic", "PyYAML", "httpx"], "missing ['click']"),
        (["pydantic", "pyyaml", "httpx", "click", "deepdiff>=7"], "unexpected ['deepdiff']"),
    ],
)
def test_runtime_dependencies_are_exactly_the_four_allowed(requires: list[str], named: str) -> None:
    [problem] = check_dist.wheel_problems(
        WHEEL, metadata(**{"Requires-Dist": requires}), SOURCE, CLASSIFIERS
    )

    assert problem.startswith("runtime dependencies must be exactly")
    assert named in problem


def test_a_classifier_the_index_does_not_know_is_refused_before_upload() -> None:
    wrong = metadata(Classifier=["Programming Language :: Python :: 3.11", "License :: BSD"])

    assert check_dist.wheel_problems(WHEEL, wrong, SOURCE, CLASSIFIERS) == [
        "classifier 'License :: BSD' is not a trove classifier: PyPI refuses the upload"
    ]


def test_a_license_that_is_not_the_spdx_expression_is_refused() -> None:
    [problem] = check_dist.wheel_problems(
        WHEEL, metadata(**{"License-Expression": "BSD"}), SOURCE, CLASSIFIERS
    )

    assert "License-Expression is 'BSD', not 'BSD-3-Clause'" in problem


@pytest.mark.parametrize("missing", ["CHANGELOG.md", "LICENSE", "README.md"])
def test_an_sdist_without_what_a_rebuild_needs_is_refused(missing: str) -> None:
    sdist = [name for name in SDIST if name != f"jhe_sync-0.1.0/{missing}"]

    assert check_dist.sdist_problems(sdist, SOURCE) == [
        f"the sdist has no {missing}: list it in MANIFEST.in"
    ]


def test_an_sdist_without_the_tests_is_refused() -> None:
    sdist = [name for name in SDIST if "/tests/" not in name]

    assert check_dist.sdist_problems(sdist, SOURCE) == [
        "the sdist has no tests/: graft it in MANIFEST.in"
    ]


def test_a_release_tag_that_is_not_the_package_version_is_refused_with_both_versions() -> None:
    [problem] = check_dist.version_problems(metadata(), "0.2.0")

    assert "the release tag says version 0.2.0 but the package is version 0.1.0" in problem
    assert "tag v0.1.0" in problem
