"""Decode a request body that carries a FHIR Bundle, building only the entries a record reads.

Two thirds of a Synthea `$everything` Bundle is Claims, ExplanationOfBenefits and Encounters that no
definition reads: building them into dicts and freeing them again was half of the parse
(Fletcher_Hyatt's 1.5 MB body: 16.4 ms whole, 7.9 ms this way). Here msgspec checks the whole body's
JSON syntax and hands over each entry's bytes; an entry whose resource type a record may read (or
that names no type) is decoded in full with orjson, any other becomes a stub that keeps what the
Bundle checks look at (its resourceType and search). The result is the dict ``orjson.loads`` gives
with those entries cut down, so every later check and message is the same. Whatever the fast path
cannot read as that shape (a body that is not an object, an entry list that is not a list, bad
UTF-8, a number msgspec refuses, nesting too deep, a piece orjson refuses) is decoded whole with
orjson, whose error the caller reports as before.

One difference, chosen: a number too large for a double (1e400) inside an entry that is not read is
not refused, as JSON allows; orjson refuses it anywhere.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from service.records.entries import KNOWN_TYPES

_OBJECT = msgspec.json.Decoder(dict[str, msgspec.Raw])
_ENTRIES = msgspec.json.Decoder(list[msgspec.Raw])


class _Resource(msgspec.Struct):
    """What an entry's resource says of its kind (every other field skipped, not built)."""

    resourceType: object = None  # noqa: N815 - the FHIR element's name


class _Entry(msgspec.Struct):
    """What the Bundle checks read of an entry that is not read in full."""

    resource: _Resource | None = None
    search: object = msgspec.UNSET


_ENTRY = msgspec.json.Decoder(_Entry)


def decode_bundle_body(raw: bytes, key: str = "bundle") -> Any:
    """Return the JSON body with the Bundle under ``key`` read as above; raise
    ``orjson.JSONDecodeError`` for a body that is not JSON.
    """
    try:
        raw.decode("utf-8")  # msgspec does not check the UTF-8 of what it skips; orjson does
        fields = _OBJECT.decode(raw)
        body = {
            name: _bundle(value) if name == key else _loads(value) for name, value in fields.items()
        }
    except (
        UnicodeDecodeError,
        RecursionError,
        msgspec.DecodeError,
        msgspec.ValidationError,
        orjson.JSONDecodeError,
    ):
        # Not the shape the fast path reads, or a piece orjson refuses: orjson decodes the body
        # whole, or names what is wrong at its place in the whole body.
        return orjson.loads(raw)
    return body


def _bundle(raw: msgspec.Raw) -> Any:
    """Return a Bundle with only its readable entries built, or the value whole if it is not
    an object whose entry is a list.
    """
    try:
        fields = _OBJECT.decode(raw)
    except msgspec.ValidationError:
        return _loads(raw)
    bundle: dict[str, Any] = {}
    for name, value in fields.items():
        if name != "entry":
            bundle[name] = _loads(value)
            continue
        try:
            entries = _ENTRIES.decode(value)
        except msgspec.ValidationError:
            bundle[name] = _loads(value)
            continue
        bundle[name] = [_entry(entry) for entry in entries]
    return bundle


def _entry(raw: msgspec.Raw) -> Any:
    """Return an entry whole when a record may read it, else a stub of its type and search."""
    try:
        shape = _ENTRY.decode(raw)
    except msgspec.ValidationError:
        return _loads(raw)  # not an object, or a resource that is not one: the checks say so
    kind = shape.resource.resourceType if shape.resource is not None else None
    if not isinstance(kind, str) or kind.lower() in KNOWN_TYPES:
        # Read types, earlier versions' names, outcomes, and a type in the wrong case (refused by
        # the checks, which quote it) are kept whole.
        return _loads(raw)
    stub: dict[str, Any] = {"resource": {"resourceType": kind}}
    if shape.search is not msgspec.UNSET:
        stub["search"] = shape.search
    return stub


def _loads(raw: msgspec.Raw) -> Any:
    """Decode a piece of the body with orjson, as the whole body would have been."""
    return orjson.loads(memoryview(raw))
