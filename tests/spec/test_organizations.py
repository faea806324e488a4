"""Organizations as code, the spec side (issue 17): an ``organizations:`` entry lists
its practitioners' roles, its patient members, its parent and type, earlier names,
protect and state; each mistake is an offline problem naming file, line and the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jhe_sync.errors import SourceLocation
from jhe_sync.spec import load_desired

Jhe = Callable[..., Any]

ISSUE_SPEC = """\
version: 1
organizations:
  - organization: Lifespan Lab
    practitioners:
      manager_mary@example.com: manager
      member_megan@example.com: member
      three_org_tom@example.com: viewer
    patients:
      - ll_patient_peter@example.com
  - organization: Sleep Lab
    part_of: Lifespan Lab
    type: laboratory
    previous_names: [Sleep Unit]
    protect: true
  - organization: Old Lab
    part_of: Lifespan Lab
    type: laboratory
    state: absent
"""


def _spec(tmp_path: Path, text: str, name: str = "organizations.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _problem(jhe: Jhe, *args: object) -> str:
    run = jhe("validate", *args)
    assert run.code == 1, run.out
    (problem,) = run.err.splitlines()[1:]
    return problem.strip()


def test_the_issue_s_organizations_are_read_as_written(load_text: Any) -> None:
    lifespan, sleep, old = load_text(ISSUE_SPEC).organizations
    assert lifespan.practitioners == {
        "manager_mary@example.com": "manager",
        "member_megan@example.com": "member",
        "three_org_tom@example.com": "viewer",
    }
    assert [p.email for p in lifespan.patients or ()] == ["ll_patient_peter@example.com"]
    assert (sleep.part_of, sleep.type, sleep.previous_names, sleep.protect) == (
        "Lifespan Lab",
        "laboratory",
        ["Sleep Unit"],
        True,
    )
    assert (old.state, old.practitioners, old.patients) == ("absent", None, None)
    assert [o.key for o in (lifespan, sleep, old)] == ["lifespan-lab", "sleep-lab", "old-lab"]


def test_an_omitted_list_is_not_managed_and_an_empty_one_means_none(load_text: Any) -> None:
    spec = "version: 1\norganizations:\n  - {organization: A, practitioners: {}, patients: []}\n"
    (entry,) = load_text(spec).organizations
    assert (entry.practitioners, entry.patients) == ({}, [])


@pytest.mark.parametrize(
    ("reference", "key"),
    [
        ("Lifespan Lab", "lifespan-lab"),
        (
            "Planetary Research Institute/Saturn School of Data Science",
            "saturn-school-of-data-science",
        ),
        ("20003", "organization-20003"),
    ],
)
def test_an_entry_s_key_defaults_to_a_slug_of_its_name(
    load_text: Any, reference: str, key: str
) -> None:
    spec = f"version: 1\norganizations:\n  - organization: '{reference}'\n"
    assert load_text(spec).organizations[0].key == key


# -- mistakes, each named where it is written -------------------------------------------


@pytest.mark.parametrize(
    ("entry", "at", "says"),
    [
        (
            "    practitioners:\n      manager_mary@example.com: admin\n",
            "5:33",
            "organizations[0].practitioners.manager_mary@example.com: expected 'manager', "
            "'member' or 'viewer', not 'admin'",
        ),
        (
            "    practitioners:\n      - manager_mary@example.com\n",
            "5:7",
            "organizations[0].practitioners: expected a mapping, not a list; write each "
            "practitioner as email: role (manager, member or viewer), e.g. "
            "manager_mary@example.com: manager",
        ),
        (
            "    practitioners:\n      manager_mary: manager\n",
            "5:7",
            "organizations[0].practitioners.manager_mary: 'manager_mary' is not an email address",
        ),
        (
            "    practitioners:\n",
            "4:19",
            "organizations[0].practitioners: practitioners is empty (null): write {} for none, "
            "or leave the key out",
        ),
        (
            "    state: gone\n",
            "4:12",
            "organizations[0].state: expected 'present' or 'absent', not 'gone'",
        ),
        (
            "    type: Laboratory\n",
            "4:11",
            "organizations[0].type: 'Laboratory' is not an organization type key: write the key "
            "in lower case",
        ),
        (
            "    patients: [peter]\n",
            "4:16",
            "organizations[0].patients[0]: 'peter' is not an email address",
        ),
        (
            "    practitioners:\n      Mary@example.com: manager\n      mary@example.com: viewer\n",
            "6:7",
            "organizations[0].practitioners.mary@example.com: 'mary@example.com' is listed twice "
            "(first as 'Mary@example.com'; emails are compared without case)",
        ),
        (
            "    protect: true\n    state: absent\n",
            "5:12",
            "organizations[0].state: state: absent contradicts protect: true",
        ),
        (
            "    part_of: Lifespan Lab\n",
            "4:14",
            "organizations[0].part_of: an organization cannot be part of itself",
        ),
        (
            "    prnue: true\n",
            "4:5",
            "organizations[0].prnue: unknown key 'prnue'; did you mean 'prune'?",
        ),
    ],
    ids=[
        "unknown role",
        "a list where a mapping is expected",
        "a practitioner key that is not an email",
        "practitioners written as null",
        "a bad state",
        "a type that is not a key",
        "a patient that is not an email",
        "one practitioner twice",
        "protected and absent",
        "part of itself",
        "unknown key",
    ],
)
def test_each_mistake_is_one_problem_at_its_place(
    jhe: Jhe, tmp_path: Path, entry: str, at: str, says: str
) -> None:
    path = _spec(tmp_path, "version: 1\norganizations:\n  - organization: Lifespan Lab\n" + entry)
    problem = _problem(jhe, path)
    assert problem.startswith(f"{path}:{at}: {says}"), problem


def test_one_organization_listed_twice_names_both_places(jhe: Jhe, tmp_path: Path) -> None:
    one = _spec(tmp_path, "version: 1\norganizations:\n  - organization: Lifespan Lab\n", "a.yaml")
    two = _spec(
        tmp_path,
        "version: 1\norganizations:\n  - {organization: Lifespan Lab, prune: true}\n",
        "b.yaml",
    )
    assert _problem(jhe, one, two) == (
        f"{two}:3:20: organizations[0].organization: the organization 'Lifespan Lab' is listed "
        f"twice (first at {one}:3:19); give each organization one entry"
    )


def test_an_entry_key_a_study_has_already_is_a_clash(jhe: Jhe, tmp_path: Path) -> None:
    path = _spec(
        tmp_path,
        "version: 1\n"
        "studies:\n"
        "  - {name: Sleep Lab, description: d, organization: Lifespan Lab}\n"
        "organizations:\n"
        "  - organization: Sleep Lab\n",
    )
    assert _problem(jhe, path) == (
        f"{path}:5:19: organizations[0].key: the key 'sleep-lab' is already used by the entry "
        f"at {path}:3:12; set key: to tell them apart (--target and --allow-destroy name "
        "studies and organizations alike)"
    )


def test_a_key_tells_an_organization_from_a_study_of_the_same_name(load_text: Any) -> None:
    spec = (
        "version: 1\n"
        "studies:\n"
        "  - {name: Sleep Lab, description: d, organization: Lifespan Lab}\n"
        "organizations:\n"
        "  - {organization: Sleep Lab, key: sleep-lab-org}\n"
    )
    desired = load_text(spec)
    assert (desired.studies[0].key, desired.organizations[0].key) == ("sleep-lab", "sleep-lab-org")


def test_each_environment_s_practitioners_can_come_from_its_var_file(
    jhe: Jhe, tmp_path: Path
) -> None:
    spec = _spec(
        tmp_path,
        "version: 1\norganizations:\n  - organization: Lifespan Lab\n    practitioners: ${staff}\n",
    )
    prod = _spec(
        tmp_path,
        "staff:\n  manager_mary@example.com: manager\n  member_megan@example.com: viewr\n",
        "prod.vars.yaml",
    )
    assert _problem(jhe, spec, "--var-file", prod) == (
        f"{prod}:3:29: organizations[0].practitioners.member_megan@example.com: expected "
        "'manager', 'member' or 'viewer', not 'viewr' (from the variable ${staff})"
    )
    prod.write_text(prod.read_text().replace("viewr", "viewer"))
    (entry,) = load_desired([spec], var_files=[prod], environ={}).organizations
    assert entry.practitioners == {
        "manager_mary@example.com": "manager",
        "member_megan@example.com": "viewer",
    }


def test_a_later_stage_can_point_at_a_practitioner_or_patient(load_text: Any) -> None:
    lifespan = load_text(ISSUE_SPEC).organizations[0]
    assert lifespan.locate_key("practitioners", "member_megan@example.com") == SourceLocation(
        "s.yaml", 6, 7
    )
    assert lifespan.locate("patients", 0) == SourceLocation("s.yaml", 9, 9)
    assert lifespan.origin == SourceLocation("s.yaml", 3, 5)
