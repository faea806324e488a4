"""Reading the live exchange into a snapshot (``jhe_sync.live.Live``): the read stage.

    read.py       read_live(exchange, desired): what a spec needs, and nothing more;
                  read_access: who the caller is and their roles (to apply a saved plan)
    links.py      read_link_sets: many studies' link sets at once (LinkSets), and
                  read_enrollment_sets for the impact of deleting a study
    consents.py   read_consents: patients' consent answers
    parts.py      read_parts: whole catalogue parts, for the commands that do not plan
    locate.py     locate_studies: the live study of each spec entry (status, invite)
    estate.py     read_estate: every visible study with all its links (export)

Between the HTTP client (``exchange``: one request path, parsing, single-resource
reads) and the plan: it imports those, the identity rules and the spec models, and
nothing of plan, apply, lifecycle or the CLI. Every read of more than one resource
is here, so a new part of the exchange is read in one place.
"""

from jhe_sync.snapshot.consents import read_consents
from jhe_sync.snapshot.estate import read_estate
from jhe_sync.snapshot.links import LinkSets, read_enrollment_sets, read_link_sets
from jhe_sync.snapshot.locate import LocatedStudy, locate_studies
from jhe_sync.snapshot.parts import Part, read_parts
from jhe_sync.snapshot.read import read_access, read_live

__all__ = [
    "LinkSets",
    "LocatedStudy",
    "Part",
    "locate_studies",
    "read_access",
    "read_consents",
    "read_enrollment_sets",
    "read_estate",
    "read_link_sets",
    "read_live",
    "read_parts",
]
