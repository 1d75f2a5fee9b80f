"""Tests for service.web.requests: the as-of date every surface reads from a body."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from service.errors import BadRequest
from service.web.requests import as_of_date

TODAY = date(2026, 12, 2)


def test_as_of_defaults_to_today() -> None:
    """A body without asOf is evaluated as of today."""
    assert as_of_date({}, TODAY) == TODAY


def test_as_of_reads_a_calendar_date() -> None:
    """asOf YYYY-MM-DD is that day."""
    assert as_of_date({"asOf": "2024-02-29"}, TODAY) == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (20240229, "must be a date string"),
        ("2024-2-29", "must be a date string"),
        ("2023-02-29", "is not a date"),
        ("0001-01-01", "must be between 1900-01-01"),
        ("2024-02-29T10:00:00Z", "must be a date string"),
    ],
)
def test_as_of_that_is_not_a_plausible_date_is_refused_naming_the_problem(
    value: Any, says: str
) -> None:
    """A non-string, a malformed or impossible date, or one outside 1900-2999 is a BadRequest
    saying which.
    """
    with pytest.raises(BadRequest, match=says):
        as_of_date({"asOf": value}, TODAY)
