"""The emulator's SQLite tables.

Table and column names follow the upstream Django models, and the unique, not-null and
foreign-key constraints are the ones that make the real server answer 500: a duplicate
link breaks a UNIQUE, an unknown id breaks a FOREIGN KEY. Ids are assigned by the
``sequence`` table rather than by SQLite, because PostgreSQL spends a sequence value on
every INSERT it attempts, even one that then fails; the recordings' ids depend on that.

Deletes cascade in the database (``ON DELETE CASCADE``) where Django cascades in Python:
the outcome of deleting a study (links, enrollments and consents gone) is the same.
"""

from __future__ import annotations

SCHEMA_VERSION = 1

DDL = """
CREATE TABLE emulator_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sequence (
    name TEXT PRIMARY KEY,
    last_value INTEGER NOT NULL
);

CREATE TABLE core_jheuser (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    user_type TEXT NOT NULL CHECK (user_type IN ('practitioner', 'patient')),
    is_superuser INTEGER NOT NULL DEFAULT 0,
    -- the order an unordered SELECT returned users in on the recorded server
    list_position INTEGER NOT NULL
);

CREATE TABLE core_jhesetting_user (
    user_id INTEGER NOT NULL REFERENCES core_jheuser (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value INTEGER,
    PRIMARY KEY (user_id, key)
);

CREATE TABLE core_organization (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    part_of_id INTEGER REFERENCES core_organization (id)
);

CREATE TABLE core_practitioner (
    id INTEGER PRIMARY KEY,
    jhe_user_id INTEGER NOT NULL UNIQUE REFERENCES core_jheuser (id) ON DELETE CASCADE
);

CREATE TABLE core_practitionerorganization (
    id INTEGER PRIMARY KEY,
    practitioner_id INTEGER NOT NULL REFERENCES core_practitioner (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES core_organization (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('manager', 'member', 'viewer')),
    UNIQUE (practitioner_id, organization_id)
);

CREATE TABLE core_patient (
    id INTEGER PRIMARY KEY,
    jhe_user_id INTEGER NOT NULL UNIQUE REFERENCES core_jheuser (id) ON DELETE CASCADE,
    name_family TEXT,
    name_given TEXT,
    birth_date TEXT,
    telecom_phone TEXT,
    last_updated TEXT NOT NULL
);

CREATE TABLE core_patientidentifier (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    system TEXT NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE core_patientorganization (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES core_organization (id) ON DELETE CASCADE,
    UNIQUE (patient_id, organization_id)
);

CREATE TABLE core_codeableconcept (
    id INTEGER PRIMARY KEY,
    coding_system TEXT NOT NULL,
    coding_code TEXT NOT NULL,
    text TEXT NOT NULL,
    UNIQUE (coding_system, coding_code)
);

CREATE TABLE core_datasource (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    last_updated TEXT NOT NULL
);

CREATE TABLE core_datasourcesupportedscope (
    id INTEGER PRIMARY KEY,
    data_source_id INTEGER NOT NULL REFERENCES core_datasource (id) ON DELETE CASCADE,
    scope_code_id INTEGER NOT NULL REFERENCES core_codeableconcept (id) ON DELETE CASCADE,
    UNIQUE (data_source_id, scope_code_id)
);

-- oauth2_provider_application, plus the JheClient invitation_url (NULL: not a patient app)
CREATE TABLE oauth2_provider_application (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    redirect_uris TEXT NOT NULL DEFAULT '',
    post_logout_redirect_uris TEXT NOT NULL DEFAULT '',
    client_type TEXT NOT NULL,
    authorization_grant_type TEXT NOT NULL,
    client_secret TEXT NOT NULL,
    hash_client_secret INTEGER NOT NULL,
    name TEXT NOT NULL,
    skip_authorization INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    updated TEXT NOT NULL,
    algorithm TEXT NOT NULL DEFAULT '',
    allowed_origins TEXT NOT NULL DEFAULT '',
    registration_source TEXT NOT NULL DEFAULT 'manual',
    cimd_expires_at TEXT,
    user_id INTEGER REFERENCES core_jheuser (id) ON DELETE CASCADE,
    invitation_url TEXT
);

CREATE TABLE core_clientdatasource (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    data_source_id INTEGER NOT NULL REFERENCES core_datasource (id) ON DELETE CASCADE,
    UNIQUE (client_id, data_source_id)
);

CREATE TABLE core_practitionerclient (
    id INTEGER PRIMARY KEY,
    practitioner_id INTEGER NOT NULL REFERENCES core_practitioner (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL UNIQUE
        REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);

CREATE TABLE oauth2_provider_accesstoken (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES core_jheuser (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL
        REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    expires REAL NOT NULL,
    scope TEXT NOT NULL
);

CREATE TABLE core_study (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    organization_id INTEGER NOT NULL REFERENCES core_organization (id),
    icon_url TEXT,
    last_updated TEXT NOT NULL
);

CREATE TABLE core_studyscoperequest (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES core_study (id) ON DELETE CASCADE,
    scope_code_id INTEGER NOT NULL REFERENCES core_codeableconcept (id),
    UNIQUE (study_id, scope_code_id)
);

CREATE TABLE core_studydatasource (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES core_study (id) ON DELETE CASCADE,
    data_source_id INTEGER NOT NULL REFERENCES core_datasource (id),
    UNIQUE (study_id, data_source_id)
);

-- column order (id, client_id, study_id) as in PostgreSQL's "Failing row contains" detail
CREATE TABLE core_studyclient (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES oauth2_provider_application (id),
    study_id INTEGER NOT NULL REFERENCES core_study (id) ON DELETE CASCADE,
    UNIQUE (study_id, client_id)
);

CREATE TABLE core_studypatient (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES core_study (id) ON DELETE CASCADE,
    patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    UNIQUE (study_id, patient_id)
);

CREATE TABLE core_studypatientscopeconsent (
    id INTEGER PRIMARY KEY,
    study_patient_id INTEGER NOT NULL REFERENCES core_studypatient (id) ON DELETE CASCADE,
    scope_code_id INTEGER NOT NULL REFERENCES core_codeableconcept (id),
    consented INTEGER,
    consented_time TEXT
);

CREATE TABLE core_observation (
    id INTEGER PRIMARY KEY,
    subject_patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    codeable_concept_id INTEGER NOT NULL REFERENCES core_codeableconcept (id),
    omh_data TEXT NOT NULL,
    last_updated TEXT NOT NULL
);

CREATE TABLE core_patientinvitation (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
"""
