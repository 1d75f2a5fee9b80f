"""Shared test helpers."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from tests.helpers.fakes import BASE


class FakeFhir:
    """A FHIR server in memory: reads, patient searches paged by _count, optional _include, and
    failures on demand.

    Observation searches honour code (Observation.code), combo-code (code or component.code) and
    date=ge (on effectiveDateTime or the end of effectivePeriod) as FHIR R4 defines them.
    """

    def __init__(
        self, resources: list[dict[str, Any]], *, includes: bool = True, lenient: bool = False
    ) -> None:
        self.resources = resources
        self.includes = includes
        self.lenient = lenient
        # Resource type (for searches) or "Type/id" (for reads) -> the status to answer with
        # instead.
        self.fail: dict[str, int] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], bytes]:
        """Answer one request."""
        url = urlsplit(str(request.url))
        path = url.path.removeprefix(urlsplit(BASE).path)
        query = {name: values[0] for name, values in parse_qs(url.query).items()}
        with self._lock:
            self.requests.append(path + ("?" + url.query if url.query else ""))
        rtype = path.split("/")[0]
        if path in self.fail or (rtype in self.fail and "/" not in path):
            return self.fail.get(path, self.fail.get(rtype, 500)), {}, b""
        if "/" in path:
            found = [r for r in self.resources if f"{r['resourceType']}/{r['id']}" == path]
            return (
                (200, {}, orjson.dumps(found[0]))
                if found
                else (404, {}, b'{"resourceType": "OperationOutcome", "issue": []}')
            )
        return 200, {}, orjson.dumps(self.searchset(rtype, query))

    def searchset(self, rtype: str, query: dict[str, str]) -> dict[str, Any]:
        """Return one page of the type's resources for the patient, with a next link while more
        remain.
        """
        matches = [
            r
            for r in self.resources
            if r["resourceType"] == rtype
            and (self.lenient or _subject(r) == query["patient"])
            and _filters_match(r, query)
        ]
        count, offset = int(query.get("_count", "100")), int(query.get("_offset", "0"))
        page = matches[offset : offset + count]
        entries = [{"resource": r, "search": {"mode": "match"}} for r in page]
        if self.includes and "_include" in query:
            wanted = {(r.get("medicationReference") or {}).get("reference") for r in page}
            entries += [
                {"resource": r, "search": {"mode": "include"}}
                for r in self.resources
                if f"{r['resourceType']}/{r['id']}" in wanted
            ]
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "entry": entries,
        }
        if offset + count < len(matches):
            # Relative, as HAPI writes its paging links.
            next_query = "&".join(
                f"{k}={v}" for k, v in {**query, "_offset": str(offset + count)}.items()
            )
            bundle["link"] = [{"relation": "next", "url": f"{rtype}?{next_query}"}]
        return bundle

    def searched(self, rtype: str) -> list[dict[str, str]]:
        """Return the query of each search of a type (every page), in order."""
        return [
            {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
            for url in self.requests
            if url.startswith(rtype + "?")
        ]


def _tokens(concept: Any) -> set[str]:
    codings = (concept or {}).get("coding", [])
    # system|code, and the bare code: a token without a system matches the code in any system.
    return {f"{c.get('system')}|{c.get('code')}" for c in codings} | {
        str(c.get("code")) for c in codings
    }


def _filters_match(resource: dict[str, Any], query: dict[str, str]) -> bool:
    """Apply Observation's code, combo-code and date=ge parameters."""
    if "code" in query and not _tokens(resource.get("code")) & set(query["code"].split(",")):
        return False
    if "combo-code" in query:
        elements = [resource, *resource.get("component", [])]
        if not set().union(*(_tokens(e.get("code")) for e in elements)) & set(
            query["combo-code"].split(",")
        ):
            return False
    if "date" in query:
        when = resource.get("effectiveDateTime") or (resource.get("effectivePeriod") or {}).get(
            "end"
        )
        if not when or when[:10] < query["date"].removeprefix("ge"):
            return False
    return True


def _subject(resource: dict[str, Any]) -> str | None:
    for element in ("subject", "patient"):
        if isinstance(resource.get(element), dict):
            return str(resource[element].get("reference"))
    return None


def pem(key: PrivateKeyTypes) -> str:
    """Return a private key as unencrypted PKCS#8 PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
