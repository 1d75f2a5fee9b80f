"""A body carrying a Bundle decodes to what orjson gives, with the entries no record reads cut to
their type and search; a body the fast path cannot read decodes (or fails) exactly as orjson's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from service.records.bundle import record_from_bundle
from service.records.entries import KNOWN_TYPES
from service.web.bundle_body import decode_bundle_body
from tests.helpers import FIXTURES
from tests.needs import synthea_dir

BUNDLES = sorted(FIXTURES.glob("NCT*/*.json"))
BUNDLES = [path for path in BUNDLES if path.name != "manifest.json"]


def expected(raw: bytes) -> Any:
    """What the body must decode to: orjson's result with unread entries as stubs, or orjson's
    error.
    """
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return ("error", str(exc))
    bundle = body.get("bundle") if isinstance(body, dict) else None
    if isinstance(bundle, dict) and isinstance(bundle.get("entry"), list):
        bundle["entry"] = [_stub(entry) for entry in bundle["entry"]]
    return body


def _stub(entry: Any) -> Any:
    resource = entry.get("resource") if isinstance(entry, dict) else None
    kind = resource.get("resourceType") if isinstance(resource, dict) else None
    if not isinstance(kind, str) or kind.lower() in KNOWN_TYPES:
        return entry
    stub = {"resource": {"resourceType": kind}}
    return {**stub, "search": entry["search"]} if "search" in entry else stub


def decoded(raw: bytes) -> Any:
    """What the fast path gives, or its error."""
    try:
        return decode_bundle_body(raw)
    except orjson.JSONDecodeError as exc:
        return ("error", str(exc))


def body_of(path: Path) -> bytes:
    """A request body holding the file's Bundle."""
    return orjson.dumps({"bundle": orjson.loads(path.read_bytes()), "asOf": "2026-01-01"})


def test_every_synthea_record_decodes_to_the_same_record() -> None:
    """Each Synthea record (mostly Claims, EOBs and Encounters) gives the record the whole parse
    gives, and the stubs replace every unread entry.
    """
    paths = sorted(synthea_dir().glob("*.json"))
    assert len(paths) >= 10
    for path in paths:
        raw = body_of(path)
        fast = decode_bundle_body(raw)
        assert fast == expected(raw), path.name
        assert record_from_bundle(fast["bundle"]) == record_from_bundle(orjson.loads(raw)["bundle"])
        stubs = [e for e in fast["bundle"]["entry"] if len(e["resource"]) == 1]
        assert stubs, path.name


@pytest.mark.parametrize("path", BUNDLES[::40], ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_bundles_decode_as_orjson_cut_to_what_is_read(path: Path) -> None:
    """A sample of the fixture Bundles decode to orjson's dict, unread entries cut."""
    raw = body_of(path)
    assert decoded(raw) == expected(raw)


CLAIM = b'{"resourceType": "Claim", "id": "c1", "total": {"value": 12.5}}'
OBSERVATION = b'{"resourceType": "Observation", "id": "o1", "status": "final"}'


def with_entries(*entries: bytes, before: bytes = b"") -> bytes:
    """A body whose Bundle holds the given raw entries."""
    return (
        b'{"asOf": "2026-01-01", "bundle": {"resourceType": "Bundle", "type": "collection", '
        + before
        + b'"entry": ['
        + b", ".join(entries)
        + b"]}}"
    )


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"[1, 2]", id="a-list"),
        pytest.param(b'{"bundle": "text"}', id="bundle-not-an-object"),
        pytest.param(b'{"bundle": {"entry": {"resource": {}}}}', id="entry-not-a-list"),
        pytest.param(with_entries(b'"text"'), id="entry-element-a-string"),
        pytest.param(with_entries(b'{"resource": null}'), id="resource-null"),
        pytest.param(with_entries(b'{"resource": [1]}'), id="resource-a-list"),
        pytest.param(with_entries(b'{"resource": {"resourceType": 7}}'), id="type-a-number"),
        pytest.param(with_entries(b'{"resource": {"resourceType": "observation"}}'), id="case"),
        pytest.param(
            with_entries(b'{"resource": ' + CLAIM + b', "resource": ' + OBSERVATION + b"}"),
            id="dup-key",
        ),
        pytest.param(
            with_entries(b'{"resource": ' + CLAIM + b', "search": {"mode": "match"}}'), id="search"
        ),
        pytest.param(with_entries(b'{"resource": ' + CLAIM + b"}", b"{"), id="truncated"),
        pytest.param(with_entries(b'{"resource": ' + CLAIM + b",}"), id="trailing-comma"),
        pytest.param(
            with_entries(b'{"resource": {"resourceType": "Claim", "x": "\xff"}}'),
            id="bad-utf8-in-a-claim",
        ),
        pytest.param(
            with_entries(b'{"resource": {"resourceType": "Observation", "x": 1e400}}'),
            id="huge-number-read",
        ),
        pytest.param(
            with_entries(b'{"resource": ' + CLAIM + b"}", before=b'"total": 1e400, '),
            id="huge-total",
        ),
        pytest.param(b'{"bundle": ' + b"[" * 2000 + b"]" * 2000 + b"}", id="deep"),
    ],
)
def test_bodies_the_fast_path_cannot_read_decode_or_fail_as_orjson(raw: bytes) -> None:
    """Malformed bodies, odd entries and bad bytes: the same dict (unread entries cut), or
    orjson's own error, so the caller answers as it always did.
    """
    assert decoded(raw) == expected(raw)


def test_a_huge_number_in_an_unread_entry_is_not_refused() -> None:
    """The one chosen difference: JSON allows 1e400, and an unread Claim is not built, so the
    body is read (orjson alone refuses it).
    """
    raw = with_entries(
        b'{"resource": {"resourceType": "Claim", "x": 1e400}}',
        b'{"resource": ' + OBSERVATION + b"}",
    )
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(raw)
    assert decode_bundle_body(raw)["bundle"]["entry"] == [
        {"resource": {"resourceType": "Claim"}},
        orjson.loads(b'{"resource": ' + OBSERVATION + b"}"),
    ]
