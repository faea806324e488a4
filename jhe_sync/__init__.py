"""jhe-sync: keep JupyterHealth Exchange studies in YAML, plan and apply them."""

__version__ = "0.1.0"
