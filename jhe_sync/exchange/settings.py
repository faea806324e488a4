"""Where the exchange is and how to authenticate: from flags first, then the environment.

The rules that keep credentials safe live here, before any connection is opened: a
plain ``http://`` URL is refused unless it points at this machine or the user said
they mean it, and the secret is kept out of ``repr`` so it cannot reach a log or a
traceback by way of this object.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from jhe_sync.errors import ConfigError

LOCAL_DEFAULT_DB = Path(".jhe-sync") / "local.db"
"""Where ``--url local`` keeps the emulator's database, under the current directory."""

LOCAL_DEFAULT_CLIENT_ID = "manager_mary"

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


@dataclass(frozen=True)
class ConnectionSettings:
    """A resolved connection: a base URL (or the local emulator) and credentials.

    ``local_db`` is set for ``--url local[:PATH]``; ``url`` is then ``"local"``.
    """

    url: str
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    local_db: Path | None = None


def settings_from(
    url: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    *,
    allow_insecure_http: bool = False,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> ConnectionSettings:
    """Settings from the flags given, falling back to ``JHE_URL``, ``JHE_TOKEN``,
    ``JHE_CLIENT_ID`` and ``JHE_CLIENT_SECRET``; a ConfigError says what is missing."""
    env = os.environ if environ is None else environ
    url = _given(url) or _given(env.get("JHE_URL"))
    token = _given(token) or _given(env.get("JHE_TOKEN"))
    client_id = _given(client_id) or _given(env.get("JHE_CLIENT_ID"))
    client_secret = _given(client_secret) or _given(env.get("JHE_CLIENT_SECRET"))

    if not url:
        raise ConfigError(
            "no exchange URL: pass --url or set JHE_URL "
            "(or use --url local for the built-in emulator)"
        )
    if url == "local" or url.startswith("local:"):
        return _local_settings(url, client_id, client_secret, cwd or Path.cwd())

    base = _checked_url(url, allow_insecure_http)
    if client_id and not client_secret:
        raise ConfigError(
            "a client id is set (--client-id or JHE_CLIENT_ID) but JHE_CLIENT_SECRET is not; "
            "the secret is read from the environment only"
        )
    if client_secret and not client_id:
        raise ConfigError(
            "JHE_CLIENT_SECRET is set but no client id: set JHE_CLIENT_ID or pass --client-id"
        )
    if not token and not client_id:
        raise ConfigError(
            "no credentials for the exchange: set JHE_CLIENT_ID and JHE_CLIENT_SECRET "
            "(a practitioner API client; --client-id also works for the id), "
            "or a bearer token in JHE_TOKEN (or --token)"
        )
    return ConnectionSettings(
        url=base, token=token, client_id=client_id, client_secret=client_secret
    )


def _local_settings(
    url: str, client_id: str | None, client_secret: str | None, cwd: Path
) -> ConnectionSettings:
    # Imported here: the emulator is only needed for --url local.
    from jhe_sync.emulator import SEED_PASSWORD, seeded_credentials

    path_text = url.partition(":")[2].strip()
    db = Path(path_text).expanduser() if path_text else LOCAL_DEFAULT_DB
    if not db.is_absolute():
        db = cwd / db
    seeded = {row[0] for row in seeded_credentials()}
    # A client id from the environment may be meant for a real exchange: only a seeded
    # user's id selects who to act as here, anything else means the default user.
    if client_id in seeded:
        secret = client_secret or SEED_PASSWORD
    else:
        client_id, secret = LOCAL_DEFAULT_CLIENT_ID, SEED_PASSWORD
    return ConnectionSettings(url="local", client_id=client_id, client_secret=secret, local_db=db)


def _checked_url(url: str, allow_insecure_http: bool) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"the exchange URL {url!r} is not an http(s) URL "
            "(expected e.g. https://jhe.example.org, or 'local')"
        )
    if parts.username or parts.password:
        raise ConfigError(
            "the exchange URL must not hold credentials; use JHE_CLIENT_ID/JHE_CLIENT_SECRET"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"the exchange URL {url!r} must not have a query or fragment")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// to {parts.hostname}: the token and patients' data would "
            "cross the network unencrypted. Use https://, or pass --insecure-http if you mean it."
        )
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    """True for this machine: ``localhost``, 127.0.0.0/8 and ``::1``."""
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _given(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None
