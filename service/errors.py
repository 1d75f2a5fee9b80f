"""The one exception hierarchy of the service; each class maps to one HTTP status."""

from __future__ import annotations


class EligibilityError(Exception):
    """Root of every error the service raises on purpose."""

    status = 500
    code = "internal-error"

    def __init__(self, message: str, *, details: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_json(self) -> dict[str, object]:
        """Render the error as the JSON body the API returns."""
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class RuleError(EligibilityError):
    """A rule, definition or value-set file is invalid; names the file, criterion and problem."""

    code = "invalid-rules"


class BadRequest(EligibilityError):
    """The request body is not JSON or misses a required member."""

    status = 400
    code = "bad-request"


class InvalidBundle(EligibilityError):
    """The body is JSON but not a usable FHIR Bundle for one patient."""

    status = 422
    code = "invalid-bundle"


class UnknownTrial(EligibilityError):
    """No trial with that id is in the rulebook."""

    status = 404
    code = "unknown-trial"


class PatientNotFound(EligibilityError):
    """No patient with that id in the configured data source."""

    status = 404
    code = "patient-not-found"


class PayloadTooLarge(EligibilityError):
    """The request body is over the configured size limit."""

    status = 413
    code = "payload-too-large"
