"""The reference data a fresh emulator starts with: the upstream ``manage.py seed``.

Every id, name, code, link and timestamp below that a recording in
``../shared/jhe-contract/`` shows is copied from it (the file numbers are in the
comments). The few values no recording shows are marked "not recorded"; they follow the
upstream seed command. Patients' family names, birth dates and phone numbers are random
(Faker) upstream, so they differ between seeds; the ones here are those of the seed the
001-203 recordings were made against.

Beyond the upstream seed, every seeded user gets a practitioner-style API client
(client id = the local part of the email, secret ``SEED_PASSWORD``) so that each of them
can obtain a token with the client-credentials grant. Only manager_mary's exists on the
recorded server (Application 6, practitioner client 1, files 008 and 138); the others
are the emulator's addition and are not listed by ``/practitioner_clients``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field

SEED_PASSWORD = "Jhe1234!"

OMH = "https://w3id.org/openmhealth"
FHIR_RESOURCE_TYPES = "http://hl7.org/fhir/resource-types"
IEEE = "https://w3id.org/ieee1752"

# (id, name, type, part_of) -- 016, 028
ORGANIZATIONS: list[tuple[int, str, str, int | None]] = [
    (0, "ROOT", "root", None),
    (20001, "Planetary Research Institute", "edu", 0),
    (20002, "Saturn School of Data Science", "team", 20001),
    (20003, "Lifespan Lab", "laboratory", 20002),
    (20004, "Neptune Health System", "prov", 0),
    (20005, "Department of Medicine", "dept", 20004),
    (20006, "Cardiology Division", "dept", 20005),
    (20007, "Neptunian Pulse Lab", "laboratory", 20006),
    (20008, "Cosmic Cardio Lab", "laboratory", 20006),
]

# 029
ORGANIZATION_TYPES: dict[str, str] = {
    "root": "ROOT",
    "prov": "Healthcare Provider",
    "dept": "Hospital Department",
    "team": "Organizational team",
    "govt": "Government",
    "ins": "Insurance Company",
    "pay": "Payer",
    "edu": "Educational Institute",
    "reli": "Religious Institution",
    "crs": "Clinical Research Sponsor",
    "cg": "Community Group",
    "bus": "Non-Healthcare Business or Corporation",
    "other": "Other",
    "laboratory": "Laboratory",
    "imaging": "Imaging Center",
    "pharmacy": "Pharmacy",
    "health-information-network": "Health Information Network",
    "health-data-aggregator": "Health Data Aggregator",
}

# (id, coding_system, coding_code, text) -- 036
SCOPE_CODES: list[tuple[int, str, str, str]] = [
    (50001, OMH, "omh:blood-glucose:4.0", "Blood glucose"),
    (50002, OMH, "omh:blood-pressure:4.0", "Blood pressure"),
    (50003, OMH, "omh:body-temperature:4.0", "Body temperature"),
    (50004, OMH, "omh:heart-rate:2.0", "Heart Rate"),
    (50005, OMH, "omh:oxygen-saturation:2.0", "Oxygen saturation"),
    (50006, OMH, "omh:respiratory-rate:2.0", "Respiratory rate"),
    (50007, OMH, "omh:rr-interval:1.0", "RR Interval"),
    (50008, OMH, "omh:body-weight:3.0", "Body weight"),
    (50009, OMH, "omh:forced-vital-capacity:1.0", "Forced vital capacity"),
    (50010, OMH, "omh:forced-expiratory-volume-1-second:1.0", "Forced expiratory volume 1 second"),
    (50011, FHIR_RESOURCE_TYPES, "QuestionnaireResponse", "FHIR QuestionnaireResponse"),
    (50012, OMH, "omh:physical-activity:1.2", "Physical activity"),
    (50013, OMH, "omh:step-count:3.0", "Step count"),
    (50014, IEEE, "ieee:sleep-stage-summary:1.0", "Sleep stage summary"),
    (50015, OMH, "omh:sleep-episode:1.1", "Sleep episode"),
    (50016, OMH, "omh:sleep-duration:2.0", "Sleep duration"),
]

# (id, name, type, last_updated, supported scope ids) -- 032, 035, 110, 118
# (iHealth's, Oura's and Patient Access API's last_updated: not recorded)
DATA_SOURCES: list[tuple[int, str, str, str, list[int]]] = [
    (70001, "CareX", "personal_device", "2026-11-24T18:35:50.569307Z", [50002, 50004]),
    (70002, "Dexcom", "personal_device", "2026-11-24T18:35:50.579497Z", [50001]),
    (70003, "iHealth", "personal_device", "2026-11-24T18:35:50.584710Z", [50003, 50004]),
    (70004, "Oura", "personal_device", "2026-11-24T18:35:50.590112Z", [50004]),
    (70005, "Questionnaire", "patient_app", "2026-11-24T18:35:50.595587Z", [50011]),
    (70006, "Patient Access API", "medical_device", "2026-11-24T18:35:50.601264Z", []),
]


@dataclass(frozen=True)
class SeedApplication:
    """An oauth2 Application row; ``invitation_url`` set means a patient-app client."""

    id: int
    name: str
    client_id: str
    created: str
    updated: str
    invitation_url: str | None = None
    data_sources: tuple[int, ...] = ()


# Applications 1-5. 037, 038, 039, 125, 133. Applications 4 and 5 are not patient apps
# (absent from /clients); their names are not recorded and follow the upstream seed.
APPLICATIONS: list[SeedApplication] = [
    SeedApplication(
        1,
        "CareX",
        "LamKIXB4kFPgr1Uaa19jck5nHMOX7gr5Bmt0r01S",
        "2026-11-24T18:35:51.015166Z",
        "2026-11-24T18:35:51.015205Z",
        "https://carex.ai/invitation/CODE",
        (70001, 70005),
    ),
    SeedApplication(
        2,
        "CommonHealth",
        "Jsx9yGb3dY8LQanoNyh2DdgLclMXLT7RJH0lNZrk",
        "2026-11-24T18:35:51.431777Z",
        "2026-11-24T18:35:51.431807Z",
        "https://commonhealth.tcp.org?invitation=CODE",
        (70002, 70003),
    ),
    SeedApplication(
        3,
        "Patient Access",
        "CHQr9ar45UihFqznBOryYSdjvWsdQCeEre7w4jPH",
        "2026-11-24T18:35:51.831523Z",
        "2026-11-24T18:35:51.831599Z",
        "http://localhost:8001/clients/patient-access/?code=CODE",
        (70006,),
    ),
    SeedApplication(
        4,
        "JHE Admin UI",
        "Vq2mXc7Lr0sNe4TbWy9uPz6AkHd1GfJo3iQaS8Bl",
        "2026-11-24T18:35:57.104311Z",
        "2026-11-24T18:35:57.104338Z",
    ),
    SeedApplication(
        5,
        "JHE MCP Server",
        "Rb5nKt0Wm3Yq8Lc2Hs7Pd4Vx1Zj6Fg9Ea0Uo5Ti3N",
        "2026-11-24T18:35:57.211508Z",
        "2026-11-24T18:35:57.211530Z",
    ),
]

REDIRECT_URI = "http://localhost:8000/auth/callback"


@dataclass(frozen=True)
class SeedPatient:
    id: int
    birth_date: str
    telecom_phone: str
    last_updated: str
    organizations: tuple[int, ...]
    identifiers: tuple[tuple[int, str, str], ...] = ()


@dataclass(frozen=True)
class SeedUser:
    id: int
    email: str
    first_name: str
    last_name: str
    practitioner_id: int | None = None
    roles: tuple[tuple[int, int, str], ...] = ()  # (link id, organization id, role)
    patient: SeedPatient | None = None
    is_superuser: bool = False
    settings: dict[str, int] = field(default_factory=dict)

    @property
    def client_id(self) -> str:
        """The emulator's API client id for this user: the local part of the email."""
        return self.email.split("@", 1)[0]


def _lifespan_settings() -> dict[str, int]:
    return {"current_organization_id": 20003, "current_study_id": 30001}


# 012, 014, 024, 025, 142, 148. Paul's and Pat's names, dates and phones: not recorded
# (random upstream). Link ids of practitioner roles: 024 and 025 list users by link id,
# newest first.
USERS: list[SeedUser] = [
    SeedUser(10001, "admin@example.com", "", "", practitioner_id=80001, is_superuser=True),
    SeedUser(
        10002,
        "manager_mary@example.com",
        "ManagerMary",
        "Wright",
        practitioner_id=80002,
        roles=((1, 20001, "manager"), (2, 20002, "manager"), (3, 20003, "manager")),
        settings=_lifespan_settings(),
    ),
    SeedUser(
        10003,
        "member_megan@example.com",
        "MemberMegan",
        "Rodriguez",
        practitioner_id=80003,
        roles=((4, 20003, "member"),),
        settings=_lifespan_settings(),
    ),
    SeedUser(
        10004,
        "viewer_victor@example.com",
        "ViewerVictor",
        "Rivera",
        practitioner_id=80004,
        roles=((5, 20003, "viewer"),),
        settings=_lifespan_settings(),
    ),
    SeedUser(
        10005,
        "three_org_tom@example.com",
        "ThreeOrgTom",
        "Gutierrez",
        practitioner_id=80005,
        roles=((6, 20003, "viewer"), (11, 20007, "member"), (12, 20008, "manager")),
        settings={"current_organization_id": 20008, "current_study_id": 30005},
    ),
    SeedUser(
        10006,
        "ll_patient_peter@example.com",
        "LlPatientPeter",
        "Taylor",
        patient=SeedPatient(
            40001,
            "1992-12-22",
            "+1-581-073-5472",
            "2026-11-24T18:35:54.820486Z",
            (20003,),
            (
                (1, "https://openwearables.io/ns/patient-id", "abc123"),
                (2, "urn:oid:1.2.3.4", "E1234"),
            ),
        ),
    ),
    SeedUser(
        10007,
        "ll_patient_pamela@example.com",
        "LlPatientPamela",
        "Hogan",
        patient=SeedPatient(
            40002, "1991-08-09", "+1-466-101-5116", "2026-11-24T18:35:55.398290Z", (20003,)
        ),
    ),
    SeedUser(
        10008,
        "manager_mark@example.com",
        "ManagerMark",
        "Hines",
        practitioner_id=80006,
        roles=(
            (7, 20004, "manager"),
            (8, 20005, "manager"),
            (9, 20006, "manager"),
            (10, 20007, "manager"),
        ),
        settings={"current_organization_id": 20007, "current_study_id": 30004},
    ),
    SeedUser(
        10009,
        "npl_patient_percy@example.com",
        "NplPatientPercy",
        "Johnson",
        patient=SeedPatient(
            40003, "1990-06-16", "+1-552-229-8673", "2026-11-24T18:35:56.311842Z", (20007,)
        ),
    ),
    SeedUser(
        10010,
        "ccl_patient_paul@example.com",
        "CclPatientPaul",
        "Ramirez",
        patient=SeedPatient(
            40004, "1988-03-14", "+1-415-555-0142", "2026-11-24T18:35:56.402117Z", (20008,)
        ),
    ),
    SeedUser(
        10011,
        "ccl_cardio_patient_pat@example.com",
        "CclCardioPatientPat",
        "Nguyen",
        patient=SeedPatient(
            40005, "1984-10-02", "+1-628-555-0187", "2026-11-24T18:35:56.489305Z", (20006, 20008)
        ),
    ),
]

# Not recorded: when the seed wrote organizations and practitioners (their lastUpdated)
ORGANIZATIONS_UPDATED = "2026-11-24T18:35:53.902114Z"
PRACTITIONERS_UPDATED = "2026-11-24T18:35:54.012377Z"

# manager_mary's practitioner API client, as recorded (008, 138)
MARY_API_CLIENT_CREATED = "2026-11-24T18:36:05.337155Z"
MARY_API_CLIENT_UPDATED = "2026-11-24T18:36:05.337170Z"
MARY_API_CLIENT_NAME = "_practitioner_client_80002_20261124183605"
MARY_PRACTITIONER_CLIENT_LABEL = "jhe-run token.sh"

# (id, name, description, organization, last_updated) -- 027, 040, 086, 104.
# Studies 30004 and 30005: names from the upstream seed; their timestamps not recorded.
STUDIES: list[tuple[int, str, str, int, str]] = [
    (
        30001,
        "Lifespan Study on BP & HR",
        "Blood Pressure & Heart Rate",
        20003,
        "2026-11-24T18:35:54.173571Z",
    ),
    (30002, "Lifespan Study on BP", "Blood Pressure", 20003, "2026-11-24T18:35:54.180933Z"),
    (30003, "Cardiology Div Study on BGL", "Blood Glucose", 20006, "2026-11-24T18:35:56.096183Z"),
    (30004, "Nep Pulse Lab Study on BT", "Body Temperature", 20007, "2026-11-24T18:35:56.103418Z"),
    (
        30005,
        "Cosmic Cardio Lab Study on O2",
        "Oxygen Saturation",
        20008,
        "2026-11-24T18:35:56.109867Z",
    ),
]

# (id, study, scope code) -- 086, 104; the next id is 9 (088)
STUDY_SCOPE_REQUESTS = [
    (1, 30001, 50002),
    (2, 30001, 50004),
    (3, 30001, 50011),
    (4, 30002, 50002),
    (5, 30002, 50011),
    (6, 30003, 50001),
    (7, 30004, 50003),
    (8, 30005, 50005),
]
# (id, study, data source) -- 110, 122; the next id is 7 (118)
STUDY_DATA_SOURCES = [
    (1, 30001, 70001),
    (2, 30001, 70005),
    (3, 30002, 70001),
    (4, 30002, 70005),
    (5, 30004, 70003),
    (6, 30003, 70002),
]
# (id, study, application) -- 125; the next id is 6 (133)
STUDY_CLIENTS = [(1, 30001, 1), (2, 30002, 1), (3, 30001, 3), (4, 30004, 2), (5, 30003, 2)]
# (id, study, patient) -- 086, 104, 158; the next id is 9 (162)
STUDY_PATIENTS = [
    (1, 30001, 40001),
    (2, 30002, 40001),
    (3, 30001, 40002),
    (4, 30002, 40002),
    (5, 30004, 40003),
    (6, 30005, 40004),
    (7, 30003, 40005),
    (8, 30005, 40005),
]

INSTITUTE_CONSENT_TIME = "2026-11-24T18:35:55.405188Z"  # 151
HEALTH_SYSTEM_CONSENT_TIME = "2026-11-24T18:35:56.527640Z"  # not recorded
# (id, study patient, scope code, consented_time) -- 151, 184; the next id is 13 (183)
CONSENTS = [
    (1, 1, 50002, INSTITUTE_CONSENT_TIME),
    (2, 1, 50004, INSTITUTE_CONSENT_TIME),
    (3, 1, 50011, INSTITUTE_CONSENT_TIME),
    (4, 3, 50002, INSTITUTE_CONSENT_TIME),
    (5, 3, 50004, INSTITUTE_CONSENT_TIME),
    (6, 3, 50011, INSTITUTE_CONSENT_TIME),
    (7, 4, 50002, INSTITUTE_CONSENT_TIME),
    (8, 4, 50011, INSTITUTE_CONSENT_TIME),
    (9, 5, 50003, HEALTH_SYSTEM_CONSENT_TIME),
    (10, 6, 50005, HEALTH_SYSTEM_CONSENT_TIME),
    (11, 7, 50001, HEALTH_SYSTEM_CONSENT_TIME),
    (12, 8, 50005, HEALTH_SYSTEM_CONSENT_TIME),
]

# One observation per consented OMH scope (the seed skips FHIR questionnaires).
# 301 shows 60005 (Peter's heart rate, the newest) exactly; the others are not recorded.
# (id, patient, scope code, last_updated, value)
OBSERVATIONS: list[tuple[int, int, int, str, float]] = [
    (60001, 40001, 50002, "2026-11-24T18:39:33.981204Z", 118.0),
    (60002, 40002, 50002, "2026-11-24T18:39:33.992871Z", 124.0),
    (60003, 40002, 50004, "2026-11-24T18:39:34.003516Z", 72.0),
    (60004, 40002, 50002, "2026-11-24T18:39:34.014902Z", 121.0),
    (60005, 40001, 50004, "2026-11-24T18:39:34.026437Z", 67.5),
    (60006, 40003, 50003, "2026-11-24T18:39:34.101733Z", 36.8),
    (60007, 40004, 50005, "2026-11-24T18:39:34.112095Z", 97.0),
    (60008, 40005, 50001, "2026-11-24T18:39:34.123660Z", 104.0),
    (60009, 40005, 50005, "2026-11-24T18:39:34.134218Z", 96.0),
]

# 301, verbatim
_RECORDED_OBSERVATION_60005: dict[str, object] = {
    "body": {
        "heart_rate": {"unit": "beats/min", "value": 67.5},
        "effective_time_frame": {"date_time": "2026-11-24T19:39:34+00:00"},
    },
    "header": {
        "uuid": "f772f17b-ff9c-4d80-806b-557b1b90ea3a",
        "modality": "sensed",
        "schema_id": {"name": "heart-rate", "version": "2.0", "namespace": "omh"},
        "external_datasheets": [
            {"datasheet_type": "manufacturer", "datasheet_reference": "iHealth"}
        ],
        "source_creation_date_time": "2026-11-24T18:39:34+00:00",
    },
}

# PostgreSQL sequences whose next value is not simply max(id) + 1
INVITATION_SEQUENCE_START = 101  # the seed restarts core_patientinvitation_id_seq at 101 (307)


_OMH_UNITS = {
    "heart-rate": "beats/min",
    "body-temperature": "C",
    "oxygen-saturation": "%",
    "blood-glucose": "mg/dL",
}


def _omh_body(coding_code: str, value: float) -> dict[str, object]:
    name = coding_code.split(":")[1]
    if name == "blood-pressure":
        return {
            "systolic_blood_pressure": {"unit": "mmHg", "value": value},
            "diastolic_blood_pressure": {"unit": "mmHg", "value": round(value * 0.66)},
        }
    return {name.replace("-", "_"): {"unit": _OMH_UNITS[name], "value": value}}


def _omh_data(
    observation_id: int, coding_code: str, last_updated: str, value: float
) -> dict[str, object]:
    if observation_id == 60005:
        return _RECORDED_OBSERVATION_60005
    name, version = coding_code.split(":")[1:]
    stamp = last_updated[:19] + "+00:00"
    body = _omh_body(coding_code, value)
    body["effective_time_frame"] = {"date_time": stamp}
    return {
        "body": body,
        "header": {
            "uuid": f"00000000-0000-4000-8000-{observation_id:012d}",
            "modality": "sensed",
            "schema_id": {"name": name, "version": version, "namespace": "omh"},
            "external_datasheets": [
                {"datasheet_type": "manufacturer", "datasheet_reference": "iHealth"}
            ],
            "source_creation_date_time": stamp,
        },
    }


def _hashed_secret(name: str) -> str:
    # Looks like Django's PBKDF2 hash; patient apps never use the client-credentials grant.
    digest = hashlib.sha256(f"emulator:{name}".encode()).hexdigest()
    return f"pbkdf2_sha256$870000$emulatorseed${digest}"


def api_client_application_id(user: SeedUser) -> int:
    """The Application pk of a seeded user's API client: mary's is 6, the rest follow."""
    others = [u for u in USERS if u.id != 10002]
    if user.id == 10002:
        return 6
    return 7 + others.index(user)


def seeded_credentials() -> list[tuple[str, str, str]]:
    """(client id, email, role description) of every seeded user's API client.

    The secret of each is ``SEED_PASSWORD``. The CLI prints this table at start-up.
    """
    rows = []
    for user in USERS:
        rows.append((user.client_id, user.email, _describe(user)))
    return rows


def _describe(user: SeedUser) -> str:
    if user.is_superuser:
        return "superuser, member of no organization"
    if user.patient is not None:
        orgs = ", ".join(str(o) for o in user.patient.organizations)
        return f"patient {user.patient.id} in {orgs}"
    by_role: dict[str, list[str]] = {}
    for _link, org, role in user.roles:
        by_role.setdefault(role, []).append(str(org))
    return "; ".join(f"{role} of {', '.join(orgs)}" for role, orgs in by_role.items())


def seed_database(conn: sqlite3.Connection) -> None:
    """Insert the reference data and set every id sequence to continue after it."""
    conn.executemany(
        "INSERT INTO core_organization (id, name, type, part_of_id, last_updated, heap_position) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [
            (*organization, ORGANIZATIONS_UPDATED, position)
            for position, organization in enumerate(ORGANIZATIONS, start=1)
        ],
    )
    conn.executemany(
        "INSERT INTO core_codeableconcept (id, coding_system, coding_code, text) VALUES (?, ?, ?, ?)",
        SCOPE_CODES,
    )
    link_id = 0
    for ds_id, name, ds_type, updated, scopes in DATA_SOURCES:
        conn.execute(
            "INSERT INTO core_datasource (id, name, type, last_updated) VALUES (?, ?, ?, ?)",
            (ds_id, name, ds_type, updated),
        )
        for scope in scopes:
            link_id += 1
            conn.execute(
                "INSERT INTO core_datasourcesupportedscope (id, data_source_id, scope_code_id) VALUES (?, ?, ?)",
                (link_id, ds_id, scope),
            )
    _seed_users(conn)
    _seed_applications(conn)
    conn.executemany(
        "INSERT INTO core_study (id, name, description, organization_id, icon_url, last_updated) "
        "VALUES (?, ?, ?, ?, NULL, ?)",
        STUDIES,
    )
    conn.executemany(
        "INSERT INTO core_studyscoperequest (id, study_id, scope_code_id) VALUES (?, ?, ?)",
        STUDY_SCOPE_REQUESTS,
    )
    conn.executemany(
        "INSERT INTO core_studydatasource (id, study_id, data_source_id) VALUES (?, ?, ?)",
        STUDY_DATA_SOURCES,
    )
    conn.executemany(
        "INSERT INTO core_studyclient (id, study_id, client_id) VALUES (?, ?, ?)", STUDY_CLIENTS
    )
    conn.executemany(
        "INSERT INTO core_studypatient (id, study_id, patient_id) VALUES (?, ?, ?)", STUDY_PATIENTS
    )
    conn.executemany(
        "INSERT INTO core_studypatientscopeconsent (id, study_patient_id, scope_code_id, consented, "
        "consented_time) VALUES (?, ?, ?, 1, ?)",
        CONSENTS,
    )
    codes = {row[0]: row[2] for row in SCOPE_CODES}
    for obs_id, patient_id, scope, updated, value in OBSERVATIONS:
        conn.execute(
            "INSERT INTO core_observation (id, subject_patient_id, codeable_concept_id, omh_data, "
            "last_updated) VALUES (?, ?, ?, ?, ?)",
            (
                obs_id,
                patient_id,
                scope,
                json.dumps(_omh_data(obs_id, codes[scope], updated, value)),
                updated,
            ),
        )
    _seed_sequences(conn)


def _seed_users(conn: sqlite3.Connection) -> None:
    membership_id = 0
    for user in USERS:
        conn.execute(
            "INSERT INTO core_jheuser (id, email, first_name, last_name, user_type, is_superuser) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                user.id,
                user.email,
                user.first_name,
                user.last_name,
                "patient" if user.patient else "practitioner",
                int(user.is_superuser),
            ),
        )
        for key, value in user.settings.items():
            conn.execute(
                "INSERT INTO core_jhesetting_user (user_id, key, value) VALUES (?, ?, ?)",
                (user.id, key, value),
            )
        if user.practitioner_id is not None:
            # The superuser's practitioner is made bare by a signal (450: no names, 80001);
            # the others copy the user's names, and its empty identifier (469).
            names = (
                (None, None, None) if user.is_superuser else ("", user.last_name, user.first_name)
            )
            conn.execute(
                "INSERT INTO core_practitioner (id, jhe_user_id, identifier, name_family, name_given, "
                "last_updated) VALUES (?, ?, ?, ?, ?, ?)",
                (user.practitioner_id, user.id, *names, PRACTITIONERS_UPDATED),
            )
            for link, org, role in user.roles:
                conn.execute(
                    "INSERT INTO core_practitionerorganization (id, practitioner_id, organization_id, role) "
                    "VALUES (?, ?, ?, ?)",
                    (link, user.practitioner_id, org, role),
                )
        if user.patient is not None:
            p = user.patient
            conn.execute(
                "INSERT INTO core_patient (id, jhe_user_id, name_family, name_given, birth_date, "
                "telecom_phone, last_updated) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    p.id,
                    user.id,
                    user.last_name,
                    user.first_name,
                    p.birth_date,
                    p.telecom_phone,
                    p.last_updated,
                ),
            )
            for identifier_id, system, identifier in p.identifiers:
                conn.execute(
                    "INSERT INTO core_patientidentifier (id, patient_id, system, value) VALUES (?, ?, ?, ?)",
                    (identifier_id, p.id, system, identifier),
                )
            for org in p.organizations:
                membership_id += 1
                conn.execute(
                    "INSERT INTO core_patientorganization (id, patient_id, organization_id) VALUES (?, ?, ?)",
                    (membership_id, p.id, org),
                )


def _seed_applications(conn: sqlite3.Connection) -> None:
    link_id = 0
    for app in APPLICATIONS:
        conn.execute(
            "INSERT INTO oauth2_provider_application (id, client_id, redirect_uris, client_type, "
            "authorization_grant_type, client_secret, hash_client_secret, name, created, updated, "
            "algorithm, invitation_url) VALUES (?, ?, ?, 'public', 'authorization-code', ?, 1, ?, ?, ?, "
            "'RS256', ?)",
            (
                app.id,
                app.client_id,
                REDIRECT_URI,
                _hashed_secret(app.name),
                app.name,
                app.created,
                app.updated,
                app.invitation_url,
            ),
        )
        for ds in app.data_sources:
            link_id += 1
            conn.execute(
                "INSERT INTO core_clientdatasource (id, client_id, data_source_id) VALUES (?, ?, ?)",
                (link_id, app.id, ds),
            )
    for user in USERS:
        is_mary = user.id == 10002
        # Like the real server's practitioner clients: confidential, client-credentials,
        # and the secret stored as given (hash_client_secret=False), which is why
        # GET /studies/{id}/clients can leak it (138).
        conn.execute(
            "INSERT INTO oauth2_provider_application (id, client_id, client_type, "
            "authorization_grant_type, client_secret, hash_client_secret, name, created, updated, "
            "user_id) VALUES (?, ?, 'confidential', 'client-credentials', ?, 0, ?, ?, ?, ?)",
            (
                api_client_application_id(user),
                user.client_id,
                SEED_PASSWORD,
                MARY_API_CLIENT_NAME if is_mary else f"emulator API client of {user.client_id}",
                MARY_API_CLIENT_CREATED,
                MARY_API_CLIENT_UPDATED,
                user.id,
            ),
        )
    conn.execute(
        "INSERT INTO core_practitionerclient (id, practitioner_id, application_id, label, created) "
        "VALUES (1, 80002, 6, ?, ?)",
        (MARY_PRACTITIONER_CLIENT_LABEL, MARY_API_CLIENT_CREATED),
    )


# table -> the sequence its ids come from (one per table, like PostgreSQL's serial columns)
SEQUENCED_TABLES = [
    "core_jheuser",
    "core_organization",
    "core_practitioner",
    "core_practitionerorganization",
    "core_patient",
    "core_patientidentifier",
    "core_patientorganization",
    "core_codeableconcept",
    "core_datasource",
    "core_datasourcesupportedscope",
    "oauth2_provider_application",
    "core_clientdatasource",
    "core_practitionerclient",
    "core_study",
    "core_studyscoperequest",
    "core_studydatasource",
    "core_studyclient",
    "core_studypatient",
    "core_studypatientscopeconsent",
    "core_observation",
    "core_patientinvitation",
]


def _seed_sequences(conn: sqlite3.Connection) -> None:
    for table in SEQUENCED_TABLES:
        (last,) = conn.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}").fetchone()
        if table == "core_patientinvitation":
            last = INVITATION_SEQUENCE_START - 1
        conn.execute("INSERT INTO sequence (name, last_value) VALUES (?, ?)", (table, last))
