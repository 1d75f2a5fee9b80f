"""The one exception hierarchy of the service; each class maps to one HTTP status."""

from __future__ import annotations

import traceback


class EligibilityError(Exception):
    """Root of every error the service raises on purpose."""

    status = 500
    code = "internal-error"
    # Whether the message may go to the log: False where it can quote patient data (ids, a FHIR
    # server's text).
    log_message = False

    def __init__(self, message: str, *, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, object]:
        """Render the error as the RFC 9457 problem details body the API returns."""
        from service.problems import problem

        return problem(self.status, self.code, self.message, self.details)

    def headers(self) -> dict[str, str]:
        """Extra response headers this error carries (WWW-Authenticate, Retry-After)."""
        return {}

    def reason(self) -> str:
        """A short, patient-free reason for the log: details.reason when there is one, else the
        code.
        """
        if isinstance(self.details, dict) and isinstance(self.details.get("reason"), str):
            return str(self.details["reason"])
        return self.code


class ConfigError(EligibilityError):
    """A setting is missing or malformed; names the setting (never its secret value)."""

    code = "invalid-configuration"


class RuleError(EligibilityError):
    """A rule, definition or value-set file is invalid; names the file, criterion and problem."""

    code = "invalid-rules"


class BadRequest(EligibilityError):
    """The request body is not JSON or misses a required member."""

    status = 400
    code = "bad-request"
    log_message = True


class InvalidBundle(EligibilityError):
    """The body is JSON but not a usable FHIR Bundle for one patient."""

    status = 422
    code = "invalid-bundle"


class UnknownTrial(EligibilityError):
    """No trial with that id is in the rulebook."""

    status = 404
    code = "unknown-trial"


class UnknownService(EligibilityError):
    """No CDS service with that id is offered here."""

    status = 404
    code = "unknown-service"


class PatientNotFound(EligibilityError):
    """No patient with that id in the configured data source."""

    status = 404
    code = "patient-not-found"


class PayloadTooLarge(EligibilityError):
    """The request body is over the configured size limit."""

    status = 413
    code = "payload-too-large"


class Unauthorized(EligibilityError):
    """A caller's bearer JWT is missing or failed verification."""

    status = 401
    code = "unauthorized"
    log_message = True

    def headers(self) -> dict[str, str]:
        """RFC 6750 section 3: name the scheme, and say why (no error code when no token was
        sent).
        """
        reason = self.reason()
        if reason == "missing-authorization":
            return {"WWW-Authenticate": 'Bearer realm="trial-eligibility"'}
        return {
            "WWW-Authenticate": 'Bearer realm="trial-eligibility", error="invalid_token", '
            f'error_description="{reason}"'
        }


class Forbidden(EligibilityError):
    """A caller's verified token lacks the scope an endpoint needs."""

    status = 403
    code = "forbidden"
    log_message = True

    def headers(self) -> dict[str, str]:
        """RFC 6750 section 3.1: insufficient_scope, naming the scope needed."""
        scope = self.details.get("scope", "") if isinstance(self.details, dict) else ""
        return {
            "WWW-Authenticate": 'Bearer realm="trial-eligibility", error="insufficient_scope", '
            f'scope="{scope}"'
        }


class ServiceUnavailable(EligibilityError):
    """A shared resource (the SQLite store) stayed busy past its bounded wait; the caller may
    retry.
    """

    status = 503
    code = "service-unavailable"
    log_message = True

    def __init__(self, message: str, *, retry_after: int = 1, details: object = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """Say when to retry (RFC 9110 section 10.2.3)."""
        return {"Retry-After": str(self.retry_after)}


class FhirError(EligibilityError):
    """Fetching from a FHIR server failed; carries the HTTP status and the server's
    OperationOutcome text.
    """

    status = 502
    code = "fhir-server-error"

    def __init__(
        self, message: str, *, http_status: int | None = None, details: object = None
    ) -> None:
        super().__init__(message, details=details)
        self.http_status = http_status


class FhirTemporaryError(FhirError):
    """A FHIR request failed in a way worth retrying (408, 429, 500, 502-504, connection errors,
    timeouts).
    """

    code = "fhir-server-unavailable"


class FhirFatalError(FhirError):
    """A FHIR request failed in a way retrying cannot fix (400, 403 and the like, malformed
    Bundles).
    """


class FhirAuthRefused(FhirError):
    """The FHIR server (or its token endpoint) refused the service's own credentials."""

    code = "fhir-credentials-refused"


class FhirDeadlineExceeded(FhirError):
    """An evaluation's deadline passed before the FHIR server answered."""

    status = 504
    code = "fhir-deadline-exceeded"


class PrefetchUnavailable(EligibilityError):
    """CDS Hooks: data the service needs was neither prefetched nor fetchable (the
    specification's 412).
    """

    status = 412
    code = "prefetch-unavailable"
    log_message = True


def frames_of(exc: BaseException) -> str:
    """Where an exception happened (its traceback frames), without its message: str(exc) can
    quote a value from a record.
    """
    return "".join(traceback.format_tb(exc.__traceback__)).rstrip()
