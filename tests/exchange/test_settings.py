"""Connection settings: flags over environment, clear errors, and the http:// rule."""

from __future__ import annotations

import pytest

from jhe_sync.errors import ConfigError
from jhe_sync.exchange.settings import settings_from

SECRET = "s3cr3t-value"


def test_flags_win_over_the_environment() -> None:
    settings = settings_from(
        url="https://flag.example.org",
        client_id="from-flag",
        environ={
            "JHE_URL": "https://env.example.org",
            "JHE_CLIENT_ID": "from-env",
            "JHE_CLIENT_SECRET": SECRET,
        },
    )
    assert (settings.url, settings.client_id, settings.client_secret) == (
        "https://flag.example.org",
        "from-flag",
        SECRET,
    )


def test_the_environment_is_used_when_no_flag_is_given() -> None:
    settings = settings_from(environ={"JHE_URL": "https://jhe.example.org/", "JHE_TOKEN": "tok"})
    assert (settings.url, settings.token) == ("https://jhe.example.org", "tok")


def test_a_missing_url_names_the_flag_and_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"--url.*JHE_URL"):
        settings_from(environ={"JHE_TOKEN": "tok"})


def test_missing_credentials_name_every_way_to_give_them() -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from(url="https://jhe.example.org", environ={})
    message = str(raised.value)
    for name in ("JHE_CLIENT_ID", "JHE_CLIENT_SECRET", "JHE_TOKEN", "--client-id", "--token"):
        assert name in message


def test_a_client_id_without_its_secret_is_an_error() -> None:
    with pytest.raises(ConfigError, match="JHE_CLIENT_SECRET is not"):
        settings_from(url="https://jhe.example.org", client_id="abc", environ={})


def test_a_secret_without_a_client_id_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no client id") as raised:
        settings_from(url="https://jhe.example.org", environ={"JHE_CLIENT_SECRET": SECRET})
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("host", ["jhe.example.org", "10.0.0.5", "192.168.1.20"])
def test_plain_http_to_another_host_is_refused(host: str) -> None:
    with pytest.raises(ConfigError, match="--insecure-http"):
        settings_from(url=f"http://{host}:8000", token="tok", environ={})


def test_plain_http_to_another_host_is_allowed_when_the_user_says_so() -> None:
    settings = settings_from(
        url="http://jhe.internal:8000", token="tok", allow_insecure_http=True, environ={}
    )
    assert settings.url == "http://jhe.internal:8000"


@pytest.mark.parametrize(
    "url",
    ["http://localhost:8000", "http://127.0.0.1:8000", "http://127.1.2.3", "http://[::1]:8000"],
)
def test_plain_http_to_this_machine_is_allowed(url: str) -> None:
    assert settings_from(url=url, token="tok", environ={}).url == url


@pytest.mark.parametrize("url", ["ftp://jhe.example.org", "jhe.example.org", "https://"])
def test_a_url_that_is_not_http_is_refused(url: str) -> None:
    with pytest.raises(ConfigError, match="not an http"):
        settings_from(url=url, token="tok", environ={})


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from(url=f"https://user:{SECRET}@jhe.example.org", token="tok", environ={})
    assert SECRET not in str(raised.value)


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = settings_from(
        url="https://jhe.example.org",
        token="tok-value",
        client_id="id",
        client_secret=SECRET,
        environ={},
    )
    assert SECRET not in repr(settings)
    assert "tok-value" not in repr(settings)
