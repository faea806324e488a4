"""One version, written once: ``jhe_sync.__version__``, read by the build and reported by the CLI."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import jhe_sync

ROOT = Path(__file__).resolve().parents[2]


def test_pyproject_reads_the_version_from_the_package_instead_of_repeating_it() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

    assert "version" not in pyproject["project"]
    assert "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "jhe_sync.__version__"}


def test_installed_metadata_carries_the_package_version() -> None:
    assert version("jhe-sync") == jhe_sync.__version__


def test_the_console_script_reports_the_installed_distribution_version() -> None:
    script = Path(sys.executable).with_name("jhe-sync")

    result = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)

    assert result.stdout == f"jhe-sync, version {version('jhe-sync')}\n"
