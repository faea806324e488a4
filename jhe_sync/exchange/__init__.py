"""Talking to a JupyterHealth Exchange over HTTP: settings, the client, parsing, reads.

    settings.py      settings_from(flags, environ): URL and credentials, checked
    client.py        Exchange: the one request path (token, timeouts, retries, pages,
                     typed errors, redaction)
    responses.py     error answers reduced to a typed error with a one-line reason
    parse.py         answers turned into ``jhe_sync.live`` records, checked as it goes
    read.py          single-resource reads (a study, a link set, an organization's studies)
    concurrency.py   gather: keyed tasks a few at a time

A ground floor: it imports only the errors, the records (``jhe_sync.live``) and the
names of the API (``jhe_sync.resources``). Reading many resources into a snapshot is
``jhe_sync.snapshot``'s; the emulator in process (``--url local``) is wired in
``jhe_sync.local``, which this package does not know.
"""

from jhe_sync.exchange.client import Exchange, Reply, RetryPolicy
from jhe_sync.exchange.settings import ConnectionSettings, flag_or_environment, settings_from

__all__ = [
    "ConnectionSettings",
    "Exchange",
    "Reply",
    "RetryPolicy",
    "flag_or_environment",
    "settings_from",
]
