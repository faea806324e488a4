"""The emulator's SQLite tables.

Table and column names follow the upstream Django models, and the unique, not-null and
foreign-key constraints are the ones that make the real server answer 500: a duplicate
link breaks a UNIQUE, an unknown id breaks a FOREIGN KEY. Ids are assigned by the
``sequence`` table rather than by SQLite, because PostgreSQL spends a sequence value on
every INSERT it attempts, even one that then fails; the recordings' ids depend on that.

Deletes cascade in the database (``ON DELETE CASCADE``) where Django cascades in Python:
the outcome of deleting a study (links, enrollments and consents gone) or an
organization (its child organizations, their studies and memberships) is the same.

Every foreign-key column has an index, as Django creates one for every ``ForeignKey``
(unless a unique constraint already starts with it): without them a consent read at
100,000 enrollments scans whole tables.
"""

from __future__ import annotations

SCHEMA_VERSION = 2

DDL = """
CREATE TABLE emulator_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE sequence (
    name TEXT PRIMARY KEY,
    last_value INTEGER NOT NULL
);

-- user_type is NULL for users made by POST /practitioners and POST /patients (460)
CREATE TABLE core_jheuser (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    user_type TEXT CHECK (user_type IN ('practitioner', 'patient')),
    is_superuser INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE core_jhesetting_user (
    user_id INTEGER NOT NULL REFERENCES core_jheuser (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value INTEGER,
    PRIMARY KEY (user_id, key)
);

-- heap_position: where PostgreSQL keeps the row. Its UPDATE writes a new row version at
-- the end of the table, and the unordered joins of the real server (a patient's or a
-- practitioner's organizations) list organizations in that order (483).
CREATE TABLE core_organization (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    type TEXT NOT NULL,
    part_of_id INTEGER REFERENCES core_organization (id) ON DELETE CASCADE,
    last_updated TEXT NOT NULL,
    heap_position INTEGER NOT NULL
);
CREATE INDEX core_organization_part_of_id ON core_organization (part_of_id);

CREATE TABLE core_practitioner (
    id INTEGER PRIMARY KEY,
    jhe_user_id INTEGER NOT NULL UNIQUE REFERENCES core_jheuser (id) ON DELETE CASCADE,
    identifier TEXT,
    name_family TEXT,
    name_given TEXT,
    last_updated TEXT NOT NULL
);

-- role: any string, as the server stores it (463). Column order as in PostgreSQL's
-- "Failing row contains" detail (465)
CREATE TABLE core_practitionerorganization (
    id INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES core_organization (id) ON DELETE CASCADE,
    practitioner_id INTEGER NOT NULL REFERENCES core_practitioner (id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    UNIQUE (practitioner_id, organization_id)
);
CREATE INDEX core_practitionerorganization_organization_id
    ON core_practitionerorganization (organization_id);

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
    value TEXT NOT NULL,
    UNIQUE (system, value)
);
CREATE INDEX core_patientidentifier_patient_id ON core_patientidentifier (patient_id);
CREATE INDEX core_patientidentifier_value ON core_patientidentifier (value);

CREATE TABLE core_patientorganization (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    organization_id INTEGER NOT NULL REFERENCES core_organization (id) ON DELETE CASCADE,
    UNIQUE (patient_id, organization_id)
);
CREATE INDEX core_patientorganization_organization_id
    ON core_patientorganization (organization_id);

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
CREATE INDEX core_datasourcesupportedscope_scope_code_id
    ON core_datasourcesupportedscope (scope_code_id);

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
CREATE INDEX oauth2_provider_application_user_id ON oauth2_provider_application (user_id);

CREATE TABLE core_clientdatasource (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    data_source_id INTEGER NOT NULL REFERENCES core_datasource (id) ON DELETE CASCADE,
    UNIQUE (client_id, data_source_id)
);
CREATE INDEX core_clientdatasource_data_source_id ON core_clientdatasource (data_source_id);

CREATE TABLE core_practitionerclient (
    id INTEGER PRIMARY KEY,
    practitioner_id INTEGER NOT NULL REFERENCES core_practitioner (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL UNIQUE
        REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    label TEXT NOT NULL DEFAULT '',
    created TEXT NOT NULL
);
CREATE INDEX core_practitionerclient_practitioner_id ON core_practitionerclient (practitioner_id);

CREATE TABLE oauth2_provider_accesstoken (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES core_jheuser (id) ON DELETE CASCADE,
    application_id INTEGER NOT NULL
        REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    expires REAL NOT NULL,
    scope TEXT NOT NULL
);
CREATE INDEX oauth2_provider_accesstoken_user_id ON oauth2_provider_accesstoken (user_id);
CREATE INDEX oauth2_provider_accesstoken_application_id
    ON oauth2_provider_accesstoken (application_id);

CREATE TABLE core_study (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    organization_id INTEGER NOT NULL REFERENCES core_organization (id) ON DELETE CASCADE,
    icon_url TEXT,
    last_updated TEXT NOT NULL
);
CREATE INDEX core_study_organization_id ON core_study (organization_id);

CREATE TABLE core_studyscoperequest (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES core_study (id) ON DELETE CASCADE,
    scope_code_id INTEGER NOT NULL REFERENCES core_codeableconcept (id),
    UNIQUE (study_id, scope_code_id)
);
CREATE INDEX core_studyscoperequest_scope_code_id ON core_studyscoperequest (scope_code_id);

CREATE TABLE core_studydatasource (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES core_study (id) ON DELETE CASCADE,
    data_source_id INTEGER NOT NULL REFERENCES core_datasource (id),
    UNIQUE (study_id, data_source_id)
);
CREATE INDEX core_studydatasource_data_source_id ON core_studydatasource (data_source_id);

-- column order (id, client_id, study_id) as in PostgreSQL's "Failing row contains" detail
CREATE TABLE core_studyclient (
    id INTEGER PRIMARY KEY,
    client_id INTEGER NOT NULL REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    study_id INTEGER NOT NULL REFERENCES core_study (id) ON DELETE CASCADE,
    UNIQUE (study_id, client_id)
);
CREATE INDEX core_studyclient_client_id ON core_studyclient (client_id);

CREATE TABLE core_studypatient (
    id INTEGER PRIMARY KEY,
    study_id INTEGER NOT NULL REFERENCES core_study (id) ON DELETE CASCADE,
    patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    UNIQUE (study_id, patient_id)
);
CREATE INDEX core_studypatient_patient_id ON core_studypatient (patient_id);

CREATE TABLE core_studypatientscopeconsent (
    id INTEGER PRIMARY KEY,
    study_patient_id INTEGER NOT NULL REFERENCES core_studypatient (id) ON DELETE CASCADE,
    scope_code_id INTEGER NOT NULL REFERENCES core_codeableconcept (id),
    consented INTEGER,
    consented_time TEXT
);
CREATE INDEX core_studypatientscopeconsent_study_patient_id
    ON core_studypatientscopeconsent (study_patient_id);
CREATE INDEX core_studypatientscopeconsent_scope_code_id
    ON core_studypatientscopeconsent (scope_code_id);

CREATE TABLE core_observation (
    id INTEGER PRIMARY KEY,
    subject_patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    codeable_concept_id INTEGER NOT NULL REFERENCES core_codeableconcept (id),
    omh_data TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE INDEX core_observation_subject_patient_id ON core_observation (subject_patient_id);
CREATE INDEX core_observation_codeable_concept_id ON core_observation (codeable_concept_id);

CREATE TABLE core_patientinvitation (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES core_patient (id) ON DELETE CASCADE,
    client_id INTEGER NOT NULL REFERENCES oauth2_provider_application (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    last_updated TEXT NOT NULL
);
CREATE INDEX core_patientinvitation_patient_id ON core_patientinvitation (patient_id);
CREATE INDEX core_patientinvitation_client_id ON core_patientinvitation (client_id);
"""
