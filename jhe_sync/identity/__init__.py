"""Which live object a spec name or a spec entry stands for: the rules, once.

    study.py     identify(spec, organization_id, StudyIndex(live)) -> Match
                 (pinned id, else organization and name, else a previous name)
    lookup.py    the finders: organizations (by id, name or path), scopes, data sources,
                 clients and patients; each answers an id or raises
                 ``jhe_sync.errors.Unresolved``

A ground floor under the read and the plan: ``snapshot`` applies the identity rule to
decide which link sets to read, ``plan.resolve`` to match each entry, and ``snapshot``'s
``locate_studies`` for the commands that act on live studies without planning; the same
finders read the spec in ``resolve`` and check what ``export`` writes. It imports only
the snapshot's value types (``jhe_sync.live``), the spec models and the errors.
"""

from jhe_sync.identity.lookup import (
    CatalogueFinder,
    Finders,
    OrganizationFinder,
    PatientFinder,
    ScopeFinder,
    organization_chain,
    organization_path,
)
from jhe_sync.identity.study import Match, MatchedBy, StudyIndex, identify

__all__ = [
    "CatalogueFinder",
    "Finders",
    "Match",
    "MatchedBy",
    "OrganizationFinder",
    "PatientFinder",
    "ScopeFinder",
    "StudyIndex",
    "identify",
    "organization_chain",
    "organization_path",
]
