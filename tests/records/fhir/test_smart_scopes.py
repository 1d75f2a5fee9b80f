"""SMART Backend Services asks, by default, for read access to exactly the resource types the
rules read: one default.
"""

from __future__ import annotations

from service.config import DEFAULTS
from service.records.fhir.auth import SmartBackendServices
from service.rulebook.kinds import RESOURCE_TYPES


def test_the_default_scopes_cover_every_type_a_definition_kind_reads() -> None:
    """Every resource type of service.facts.KINDS (and Medication, read by reference) has its
    system/<Type>.read scope.
    """
    scopes = set(DEFAULTS["FHIR_SMART_SCOPES"].split())
    wanted = {f"system/{rtype}.read" for types in RESOURCE_TYPES.values() for rtype in types} | {
        "system/Medication.read"
    }
    assert len(wanted) >= 8
    assert wanted - scopes == set()


def test_the_client_default_is_the_configuration_default() -> None:
    """SmartBackendServices built without scopes asks for the service's default, not a wildcard
    of its own.
    """
    assert (
        SmartBackendServices.__dataclass_fields__["scopes"].default == DEFAULTS["FHIR_SMART_SCOPES"]
    )
    assert "*" not in DEFAULTS["FHIR_SMART_SCOPES"]
