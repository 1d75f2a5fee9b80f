"""A patient-view hook request, parsed once into a typed object: who, what the EHR sent, and
where more can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from service.errors import BadRequest
from service.records.entries import is_fhir_id
from service.records.fhir.auth import Auth, BearerToken, NoAuth

HOOK = "patient-view"


@dataclass(frozen=True)
class HookRequest:
    """What one hook call carries: its instance, the patient, the prefetch, and the EHR's FHIR
    server and token.
    """

    hook_instance: str
    patient_id: str
    prefetch: object
    # The request's fhirServer as sent (None, a URL, or something else, which no allowlist matches).
    fhir_server: object
    fhir_auth: Auth

    def why_no_server(self) -> str:
        """Say why this request's fhirServer cannot be used, for the 412 naming the missing
        prefetch keys.
        """
        if self.fhir_server is None:
            return "and the request has no fhirServer to fetch them from"
        if isinstance(self.fhir_server, str):
            return "and the request's fhirServer is not on this service's allowlist"
        return "and fhirServer is not a URL"


def parse_hook_request(body: dict[str, Any]) -> HookRequest:
    """Parse a hook call's body; BadRequest naming the first member that is wrong."""
    if body.get("hook") != HOOK:
        raise BadRequest(f"this service answers the {HOOK!r} hook, not {body.get('hook')!r}")
    hook_instance = body.get("hookInstance")
    if not isinstance(hook_instance, str) or not hook_instance:
        raise BadRequest("'hookInstance' must be a non-empty string")
    context = body.get("context")
    if not isinstance(context, dict):
        raise BadRequest("'context' must be an object with patientId")
    patient_id = context.get("patientId")
    if not is_fhir_id(patient_id):
        raise BadRequest("'context.patientId' must be a FHIR id: 1-64 letters, digits, '-' or '.'")
    return HookRequest(
        hook_instance,
        str(patient_id),
        body.get("prefetch"),
        body.get("fhirServer"),
        _fhir_auth(body.get("fhirAuthorization")),
    )


def _fhir_auth(authorization: object) -> Auth:
    """Return the bearer token fhirAuthorization carries (none without it); BadRequest when it is
    not usable.
    """
    if authorization is None:
        return NoAuth()
    token = authorization.get("access_token") if isinstance(authorization, dict) else None
    if (
        not isinstance(authorization, dict)
        or not isinstance(token, str)
        or not token
        or (authorization.get("token_type") or "Bearer").lower() != "bearer"
    ):
        raise BadRequest("'fhirAuthorization' must hold a Bearer access_token")
    try:
        return BearerToken(token)
    except ValueError as exc:
        raise BadRequest("'fhirAuthorization.access_token' is not a usable bearer token") from exc
