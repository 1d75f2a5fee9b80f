"""Builders and fakes shared by the FHIR client tests: Bundles, a settable clock, a countable
auth.
"""

from __future__ import annotations

from typing import Any

BASE = "https://fhir.example.org/r4/"


def searchset(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    """Return a searchset Bundle of the resources, with a next link when given."""
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r, "search": {"mode": "match"}} for r in resources],
    }
    if next_url is not None:
        bundle["link"] = [
            {"relation": "self", "url": BASE + "Observation"},
            {"relation": "next", "url": next_url},
        ]
    return bundle


def observation(resource_id: str, patient_id: str = "p1") -> dict[str, Any]:
    """Return a minimal Observation of a patient."""
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "subject": {"reference": f"Patient/{patient_id}"},
    }


def ids(resources: list[dict[str, Any]]) -> list[str]:
    """Return the resources' ids in order."""
    return [r["id"] for r in resources]


class Clock:
    """A clock that moves only when told (or when something sleeps on it)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        """Return the current time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Advance the clock instead of waiting."""
        self.now += seconds


class CountingAuth:
    """A refreshable auth whose token changes each time it is invalidated."""

    refreshable = True

    def __init__(self) -> None:
        self.invalidated = 0

    def headers(self) -> dict[str, str]:
        """Return the current token."""
        return {"Authorization": f"Bearer token-{self.invalidated}"}

    def invalidate(self) -> None:
        """Move on to the next token."""
        self.invalidated += 1
