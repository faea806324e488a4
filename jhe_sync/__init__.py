"""jhe-sync: keep JupyterHealth Exchange studies in YAML, plan and apply them."""

__version__ = "0.1.0"
"""The one place the version is written: pyproject.toml reads it (``dynamic``), so the
built wheel's metadata, ``jhe-sync --version`` and the release tag (``v`` + this) agree."""
