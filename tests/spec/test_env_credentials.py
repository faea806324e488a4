"""A spec may not read credentials from the environment: plans would print them."""

from __future__ import annotations

import pytest

from jhe_sync.errors import SpecError
from jhe_sync.spec import SpecSource, load_desired


def spec_reading(variable: str) -> SpecSource:
    return SpecSource.from_text(
        "version: 1\nstudies:\n  - key: a\n    name: A\n"
        f'    description: "leak ${{env:{variable}}}"\n    organization: Lifespan Lab\n',
        name="leak.yaml",
    )


@pytest.mark.parametrize(
    "variable",
    [
        "JHE_CLIENT_SECRET",
        "JHE_TOKEN",
        "GITHUB_TOKEN",
        "AWS_SECRET_ACCESS_KEY",
        "DB_PASSWORD",
        "API_KEY",
    ],
)
def test_reading_a_credential_from_the_environment_is_refused_without_its_value(
    variable: str,
) -> None:
    with pytest.raises(SpecError) as raised:
        load_desired([spec_reading(variable)], environ={variable: "s3cr3t-VALUE"})
    message = str(raised.value)
    assert "leak.yaml:5" in message
    assert "names a credential" in message
    assert "s3cr3t-VALUE" not in message


@pytest.mark.parametrize("variable", ["SITE", "STAGE", "KEYCLOAK_URL", "MONKEY"])
def test_other_environment_variables_are_read(variable: str) -> None:
    desired = load_desired([spec_reading(variable)], environ={variable: "value"})
    assert desired.studies[0].description == "leak value"
