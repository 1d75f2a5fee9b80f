"""Per-trial FHIR R4 Group of candidates (actual, members = eligible and insufficient-data),
validated with fhir.resources R4B.
"""

from __future__ import annotations

import re
from typing import Any

from service.population.worklist import is_candidate, rank_key

# What a FHIR id may not hold ([A-Za-z0-9\-\.]{1,64}): a run id may (an underscore, say).
_NOT_IN_ID = re.compile(r"[^a-z0-9.-]+")


def group_id(run_id: str, trial_id: str) -> str:
    """Return the Group's id: the run's and trial's, lower case, any other character a hyphen,
    at most 64 characters.
    """
    return _NOT_IN_ID.sub("-", f"{run_id}-{trial_id}".lower())[:64]


def candidate_group(
    trial_id: str, run_id: str, as_of: str, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """Build the Group a coordinator can load back into the EHR; raises pydantic's
    ValidationError if it is not valid R4.
    """
    # PLC0415: 2 s of import, paid by screens only, not by app start-up
    from fhir.resources.R4B.group import Group  # noqa: PLC0415

    members = [
        {"entity": {"reference": f"Patient/{row['patientId']}"}, "inactive": False}
        for row in sorted(filter(is_candidate, rows), key=rank_key)
    ]
    body: dict[str, Any] = {
        "resourceType": "Group",
        "id": group_id(run_id, trial_id),
        "type": "person",
        "actual": True,
        "name": f"Pre-screening candidates for {trial_id} as of {as_of} (run {run_id})",
        "quantity": len(members),
    }
    if members:
        body["member"] = members
    # Validated, and returned as built: the model's own dump gives the same members (a test says
    # so) at twice the cost of the validation (1.3 s for 6,300 members).
    Group.model_validate(body)
    return body
