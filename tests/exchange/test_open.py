"""open_exchange: from flags and environment to an open Exchange, closed afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from jhe_sync.errors import ConfigError
from jhe_sync.exchange import open_exchange


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
