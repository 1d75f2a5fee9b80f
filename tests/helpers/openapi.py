"""Shared test helpers."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

import orjson
import pytest
import yaml
from flask import Flask
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.validation.request.exceptions import RequestValidationError
from werkzeug.test import EnvironBuilder, TestResponse

from service import create_app
from tests.helpers import ROOT

SPEC_PATH = ROOT / "openapi.yaml"


@cache
def spec_document() -> dict[str, Any]:
    """openapi.yaml, parsed."""
    document: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return document


@cache
def openapi() -> OpenAPI:
    """The spec, ready to validate requests and responses (problem+json parsed as JSON)."""
    return OpenAPI.from_file_path(
        str(SPEC_PATH),
        config=Config(extra_media_type_deserializers={"application/problem+json": orjson.loads}),
    )


def base_url() -> str:
    """The spec's server URL: requests are sent there so that openapi-core finds the server."""
    url: str = spec_document()["servers"][0]["url"]
    return url


@dataclass(frozen=True)
class Call:
    """One request to the app, and what the spec should say about it."""

    method: str
    path: str
    status: int
    body: Any = None  # sent as JSON unless ``raw`` is given
    raw: bytes | None = None
    config: dict[str, Any] = field(default_factory=dict)
    # False when the request deliberately breaks the spec (the app must still answer per the spec).
    request_conforms: bool = True
    headers: dict[str, str] = field(default_factory=dict)

    def builder_args(self) -> dict[str, Any]:
        """Return the Werkzeug test-request arguments of the call."""
        args: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "base_url": base_url(),
            "headers": self.headers,
        }
        if self.raw is not None:
            args.update(data=self.raw, content_type="application/json")
        elif self.body is not None:
            args["json"] = self.body
        return args


def perform(call: Call) -> tuple[WerkzeugOpenAPIRequest, TestResponse]:
    """Send a call to a fresh app; return the request (rebuilt, since the app consumes the body)
    and the response.
    """
    app: Flask = create_app({"TESTING": True, **call.config})
    response = app.test_client().open(**call.builder_args())
    request = EnvironBuilder(**call.builder_args()).get_request()
    return WerkzeugOpenAPIRequest(request), response


def check(call: Call) -> TestResponse:
    """Perform a call, check its status, and validate the pair against the spec."""
    request, response = perform(call)
    assert response.status_code == call.status, response.get_data(as_text=True)[:500]
    if call.request_conforms:
        openapi().validate_request(request)
    else:
        with pytest.raises(RequestValidationError):
            openapi().validate_request(request)
    openapi().validate_response(request, WerkzeugOpenAPIResponse(response))
    return response
