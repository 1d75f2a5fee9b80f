"""Request and response hygiene for every route: no credentials in query strings, no caching or
sniffing of answers.
"""

from __future__ import annotations

import re

from flask import Flask, Response, request

from service.errors import BadRequest

# Query parameters that carry credentials by convention (RFC 6750 section 2.3's access_token, and
# the usual others).
TOKEN_PARAMETERS = frozenset(
    {
        "access_token",
        "token",
        "jwt",
        "id_token",
        "bearer",
        "authorization",
        "assertion",
        "client_assertion",
        "api_key",
        "apikey",
    }
)
# A JWT anywhere in the query (header and payload are base64url JSON objects, so they start with
# "eyJ").
_JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}")


class CredentialsInQuery(BadRequest):
    """A token was sent in the query string, where logs and proxies keep it; it is refused
    unread.
    """

    code = "credentials-in-query"


def refuse_query_credentials() -> None:
    """Refuse a request whose query string carries a token (the access log never records query
    strings either).
    """
    if not request.query_string:
        return
    names = {name.lower() for name in request.args}
    if names & TOKEN_PARAMETERS or _JWT.search(request.query_string.decode("latin-1")):
        raise CredentialsInQuery(
            "credentials must not be sent in the query string; send 'Authorization: Bearer "
            "<token>'",
            details={"reason": "token-in-query"},
        )


def protect_response(response: Response) -> Response:
    """Answers hold patient data: never store them in a cache, never let a browser guess their
    type.
    """
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def register(app: Flask) -> None:
    """Install the hygiene hooks on an app."""
    app.before_request(refuse_query_credentials)
    app.after_request(protect_response)
