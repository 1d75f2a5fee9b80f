"""CORS for browser clients: on the CDS Hooks endpoints for the configured origins, on the REST
API only if configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, request

from service.settings import CorsSettings

CDS_PREFIX = "/cds-services"
ALLOWED_HEADERS = "Authorization, Content-Type"
ALLOWED_METHODS = "GET, POST, OPTIONS"
# Browsers cache a preflight at most this long (Chromium caps it at 7,200 s).
MAX_AGE_SECONDS = 600


@dataclass(frozen=True)
class CorsPolicy:
    """The origins allowed to call the CDS Hooks endpoints and the REST API from a browser ("*"
    means any).
    """

    cds_origins: frozenset[str] = frozenset()
    api_origins: frozenset[str] = frozenset()

    def origins_for(self, path: str) -> frozenset[str]:
        """The origins allowed on a path."""
        return (
            self.cds_origins
            if path == CDS_PREFIX or path.startswith(CDS_PREFIX + "/")
            else self.api_origins
        )

    def allows(self, path: str, origin: str | None) -> bool:
        """Say whether a browser at `origin` may read answers from `path`."""
        origins = self.origins_for(path)
        return origin is not None and ("*" in origins or origin in origins)


def cors_policy(cors: CorsSettings) -> CorsPolicy:
    """Return the CORS policy the settings give."""
    return CorsPolicy(cors.cds_origins, cors.api_origins)


def register(app: Flask, policy: CorsPolicy) -> None:
    """Answer preflights, and add the CORS headers to answers for allowed origins."""

    @app.before_request
    def preflight() -> Response | None:
        # A preflight carries no credentials (Fetch standard), so it is answered before any
        # authentication.
        if request.method != "OPTIONS":
            return None
        response = Response(status=204)
        if policy.allows(request.path, request.headers.get("Origin")):
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = str(MAX_AGE_SECONDS)
        return response

    @app.after_request
    def allow_origin(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if policy.allows(request.path, origin):
            response.headers["Access-Control-Allow-Origin"] = (
                "*" if "*" in policy.origins_for(request.path) else str(origin)
            )
            # 401s carry WWW-Authenticate; a browser client may read it to say why it was refused.
            response.headers["Access-Control-Expose-Headers"] = "WWW-Authenticate, Retry-After"
        response.vary.add("Origin")
        return response
