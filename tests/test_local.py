"""``--url local`` and open_exchange: from flags and environment to an open Exchange (the
emulator in process, or a real one), closed afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from jhe_sync.errors import ConfigError
from jhe_sync.local import open_exchange, settings_from

SECRET = "s3cr3t-value"


def test_local_creates_and_seeds_its_database_on_first_use(tmp_path: Path) -> None:
    with open_exchange(url="local", environ={}, cwd=tmp_path) as exchange:
        assert exchange.get("/api/v1/users/profile")["email"] == "manager_mary@example.com"
    assert (tmp_path / ".jhe-sync" / "local.db").is_file()


def test_local_state_is_kept_between_runs(tmp_path: Path) -> None:
    body = {"name": "Kept", "description": "d", "organization": 20003}
    with open_exchange(url="local:state.db", environ={}, cwd=tmp_path) as exchange:
        created = exchange.write("POST", "/api/v1/studies", body).data["id"]
    with open_exchange(url="local:state.db", environ={}, cwd=tmp_path) as exchange:
        assert exchange.get(f"/api/v1/studies/{created}")["name"] == "Kept"


def test_local_acts_as_the_seeded_user_the_environment_names(tmp_path: Path) -> None:
    environ = {"JHE_CLIENT_ID": "member_megan"}
    with open_exchange(url="local", environ=environ, cwd=tmp_path) as exchange:
        assert exchange.get("/api/v1/users/profile")["email"] == "member_megan@example.com"


def test_a_bad_setting_fails_before_anything_is_opened(tmp_path: Path) -> None:
    with (
        pytest.raises(ConfigError),
        open_exchange(url="http://jhe.example.org", token="t", environ={}),
    ):
        pass


def test_local_uses_a_database_under_the_current_directory_as_manager_mary(tmp_path: Path) -> None:
    settings = settings_from(url="local", environ={}, cwd=tmp_path)
    assert settings.local_db == tmp_path / ".jhe-sync" / "local.db"
    assert settings.client_id == "manager_mary"


def test_local_with_a_path_uses_that_database(tmp_path: Path) -> None:
    settings = settings_from(url="local:other/jhe.db", environ={}, cwd=tmp_path)
    assert settings.local_db == tmp_path / "other" / "jhe.db"


def test_local_acts_as_another_seeded_user_when_the_environment_names_one(tmp_path: Path) -> None:
    settings = settings_from(url="local", environ={"JHE_CLIENT_ID": "viewer_victor"}, cwd=tmp_path)
    assert settings.client_id == "viewer_victor"


def test_local_ignores_a_client_id_meant_for_a_real_exchange(tmp_path: Path) -> None:
    settings = settings_from(
        url="local",
        environ={"JHE_CLIENT_ID": "prod-ci-client", "JHE_CLIENT_SECRET": SECRET},
        cwd=tmp_path,
    )
    assert settings.client_id == "manager_mary"
    assert settings.client_secret != SECRET
