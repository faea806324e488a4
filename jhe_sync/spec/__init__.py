"""The spec language: YAML files in, a validated ``Desired`` out; and its JSON Schema.

    load_desired(paths, variables, var_files, environ) -> Desired   (raises SpecError)
    json_schema() -> dict                                          (one spec file)

Stages, each a module: ``yamlload`` (safe YAML with file:line:column on every value),
``document`` (a file's layout), ``expand`` (templates, for_each, ``variables``),
``validate`` (models and located problems), ``checks`` (clashes across studies),
``loader`` (files and the digest), ``schema`` (the published JSON Schema).
"""

from jhe_sync.spec.loader import SpecSource, load_desired, spec_digest
from jhe_sync.spec.models import Desired, OrganizationSettings, PatientRef, StudySpec, slug
from jhe_sync.spec.schema import json_schema, json_schema_text

__all__ = [
    "Desired",
    "OrganizationSettings",
    "PatientRef",
    "SpecSource",
    "StudySpec",
    "json_schema",
    "json_schema_text",
    "load_desired",
    "slug",
    "spec_digest",
]
