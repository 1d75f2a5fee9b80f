"""What a searchset Bundle says of its own completeness: a next page, and a total above what it
holds.
"""

from __future__ import annotations

from typing import Any

from service.errors import EligibilityError


def next_link(bundle: dict[str, Any], where: str, error: type[EligibilityError]) -> str | None:
    """Return a searchset's next-page URL, or None; raise ``error`` when its links cannot be
    read.
    """
    links = bundle.get("link") or []
    # What says whether the search is whole must be readable: never guessed to be.
    if not isinstance(links, list):
        raise error(f"{where}Bundle.link must be a list")
    for link in links:
        # Relation values are lower case; a "NEXT" still says there is more.
        if isinstance(link, dict) and str(link.get("relation", "")).lower() == "next":
            if not isinstance(link.get("url"), str) or not link["url"]:
                raise error(f"{where}a next link has no url")
            return str(link["url"])
    return None


def total_gap(bundle: dict[str, Any], where: str, error: type[EligibilityError]) -> str | None:
    """Say how a searchset's ``total`` exceeds the matches it holds (None when it does not);
    raise ``error`` when the total is not a count.
    """
    total = bundle.get("total")
    if total is None:
        return None
    if isinstance(total, bool) or not isinstance(total, int) or total < 0:
        raise error(f"{where}Bundle.total must be a whole number of matches, not {total!r}")
    entries = [e for e in bundle.get("entry") or [] if isinstance(e, dict)]
    # Entries marked "match" are the matches; a Bundle that marks none counts every resource but
    # an OperationOutcome.
    matches = sum(
        1
        for e in entries
        if isinstance(e.get("search"), dict) and e["search"].get("mode") == "match"
    ) or sum(
        1
        for e in entries
        if isinstance(e.get("resource"), dict)
        and e["resource"].get("resourceType") != "OperationOutcome"
    )
    if total > matches:
        return (
            f"the searchset's total is {total} but it holds {matches} matches: it is not complete"
        )
    return None
