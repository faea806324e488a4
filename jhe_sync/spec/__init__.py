"""The spec language: YAML files in, a validated ``Desired`` out; and its JSON Schema.

    load_desired(paths, variables, var_files, environ) -> Desired   (raises SpecError)
    json_schema() -> dict                                          (one spec file)

Stages, each a module: ``plainload`` (YAML as plain values, fast), ``document`` (a
file's layout), ``expand`` (templates, for_each, ``variables``), ``validate`` (models
and problems), ``checks`` (clashes across studies), ``loader`` (files and the
digest), ``schema`` (the published JSON Schema). Values carry no line and column:
``yamlload`` (the strict loader, every value located) and ``locator`` find them for a
problem, from ``values.Where`` (file and path).
"""

from jhe_sync.spec.loader import SpecSource, load_desired, spec_digest
from jhe_sync.spec.models import (
    Desired,
    EmailPatient,
    OrganizationSettings,
    PatientRef,
    PatientReference,
    StudySpec,
    slug,
)
from jhe_sync.spec.schema import json_schema, json_schema_text

__all__ = [
    "Desired",
    "EmailPatient",
    "OrganizationSettings",
    "PatientRef",
    "PatientReference",
    "SpecSource",
    "StudySpec",
    "json_schema",
    "json_schema_text",
    "load_desired",
    "slug",
    "spec_digest",
]
