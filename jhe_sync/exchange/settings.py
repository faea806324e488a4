"""Where the exchange is and how to authenticate: from flags first, then the environment.

The rules that keep credentials safe live here, before any connection is opened: a
plain ``http://`` URL is refused unless it points at this machine or the user said
they mean it, a token endpoint (``JHE_TOKEN_URL``) must be on the exchange's own
origin, and the secret is kept out of ``repr`` so it cannot reach a log or a
traceback by way of this object.

Why the token endpoint may move but not leave the exchange's origin: JHE issues its
tokens itself (Django OAuth Toolkit, mounted at ``OAUTH_MOUNT_PATH``, ``/o/`` by
default), and the API accepts only tokens from its own table. A server may mount
OAuth at another path, or serve the whole exchange below a prefix; it never takes
tokens from another host. The client secret is sent to the token endpoint, so a
token URL on another host would only ever hand the secret to a host that cannot
issue a usable token (a typo, or a value someone slipped into the environment).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import SplitResult, urlsplit

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
    token_url: str | None = None
    """Where to get tokens with the client id and secret; None: ``/o/token/`` under ``url``."""


def settings_from(
    url: str | None = None,
    token: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    *,
    token_url: str | None = None,
    allow_insecure_http: bool = False,
    environ: Mapping[str, str] | None = None,
) -> ConnectionSettings:
    """Settings from the flags given, falling back to ``JHE_URL``, ``JHE_TOKEN``,
    ``JHE_CLIENT_ID``, ``JHE_CLIENT_SECRET`` and ``JHE_TOKEN_URL``; a ConfigError says
    what is missing or unsafe.

    ``--url local`` (the emulator in process) is ``jhe_sync.local``'s: this module
    knows only real exchanges.
    """
    env = os.environ if environ is None else environ
    url = flag_or_environment(url, env, "JHE_URL")
    token = flag_or_environment(token, env, "JHE_TOKEN")
    client_id = flag_or_environment(client_id, env, "JHE_CLIENT_ID")
    client_secret = flag_or_environment(client_secret, env, "JHE_CLIENT_SECRET")
    token_url = flag_or_environment(token_url, env, "JHE_TOKEN_URL")

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
        url=base,
        token=token,
        client_id=client_id,
        client_secret=client_secret,
        token_url=checked_token_url(token_url, base) if token_url else None,
    )


def checked_token_url(token_url: str, base_url: str) -> str:
    """``token_url`` if it is an absolute URL on the origin (scheme, host and port) of
    ``base_url``, the exchange's checked URL; a ConfigError says why not. Being on that
    origin, it passes the exchange URL's http:// rule too. See the module docstring."""
    parts = urlsplit(token_url)
    base = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"the token URL {token_url!r} (JHE_TOKEN_URL or --token-url) is not an absolute "
            f"http(s) URL; give the whole URL, e.g. {base.scheme}://{base.netloc}/o/token/"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(
            f"the token URL {parts.scheme}://{parts.hostname}{parts.path} must not hold "
            "credentials, a query or a fragment (the client id and secret go in HTTP Basic)"
        )
    if _origin(parts) != _origin(base):
        raise ConfigError(
            f"refusing the token URL {parts.scheme}://{parts.netloc}{parts.path}: it is not on "
            f"the exchange's origin {base.scheme}://{base.netloc}, and the client secret would "
            "be sent there. A JupyterHealth Exchange issues its own tokens: give its token "
            "endpoint, with the scheme, host and port of JHE_URL"
        )
    return token_url


def _origin(parts: SplitResult) -> tuple[str, str, int | None]:
    try:
        port = parts.port
    except ValueError:
        port = -1
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port or default)


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


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalized_url(url: str) -> str:
    """The one way to write an exchange's URL, to tell whether two name the same one:
    scheme and host in lower case, no default port, no trailing slash
    (``HTTPS://JHE.example.org:443/`` is ``https://jhe.example.org``)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


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
