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
from urllib.parse import urlsplit

from jhe_sync.errors import ConfigError

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


@dataclass(frozen=True)
class ConnectionSettings:
    """A resolved connection: a base URL and credentials (a token, or a client id and
    secret)."""

    url: str
    token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)


def settings_from(
    url: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    *,
    allow_insecure_http: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ConnectionSettings:
    """Settings from the flags given, falling back to ``JHE_URL``, ``JHE_TOKEN``,
    ``JHE_CLIENT_ID`` and ``JHE_CLIENT_SECRET``; a ConfigError says what is missing.

    ``--url local`` (the emulator in process) is ``jhe_sync.local``'s: this module
    knows only real exchanges.
    """
    env = os.environ if environ is None else environ
    url = flag_or_environment(url, env, "JHE_URL")
    token = flag_or_environment(token, env, "JHE_TOKEN")
    client_id = flag_or_environment(client_id, env, "JHE_CLIENT_ID")
    client_secret = flag_or_environment(client_secret, env, "JHE_CLIENT_SECRET")

    if not url:
        raise ConfigError(
            "no exchange URL: pass --url or set JHE_URL "
            "(or use --url local for the built-in emulator)"
        )
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


def flag_or_environment(flag: str | None, environ: Mapping[str, str], name: str) -> str | None:
    """A flag's value if it is given (not blank), else the environment variable ``name``'s;
    stripped, and None when neither holds anything."""
    for value in (flag, environ.get(name)):
        if value is not None and value.strip():
            return value.strip()
    return None
