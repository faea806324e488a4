"""What jhe-sync does inside CI: talking to GitHub (``github.py``: the one request path to
its REST API) and keeping the drift issue (``drift.py``).

Nothing is imported here, so that importing one module of this package does not load
the others.
"""
