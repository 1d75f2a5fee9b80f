"""trial-eligibility: criterion-by-criterion clinical-trial eligibility from FHIR data, with evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from service.api.auth import api_auth
from service.cds.service import CdsService
from service.cds.settings import cds_settings, url_list
from service.cds.state import IssuedStore, state_from_config
from service.config import DEFAULTS, flag, positive_int
from service.errors import EligibilityError
from service.observability.logs import configure_logging
from service.records.fhir.client import new_session
from service.records.fhir.settings import client_from_config, client_settings, fetch_options
from service.records.sources import FhirPatients, FixturePatients, PatientDirectory
from service.rulebook.book import Rulebook, load_rulebook
from service.web.gate import EvaluationGate
from service.web.json_provider import OrjsonProvider


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults, then ELIGIBILITY_* environment variables, then ``config``."""
    app = Flask(__name__)
    app.json = OrjsonProvider(
        app
    )  # the same JSON as Flask's default, serialised by orjson (service/web/json_provider.py)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("ELIGIBILITY")
    if config:
        app.config.update(config)
    # One JSON stream on stderr before anything logs (service/observability); ELIGIBILITY_LOG_LEVEL, INFO by default.
    configure_logging(app.config.get("LOG_LEVEL"))
    # A bad rule file stops start-up here, naming the file, the criterion and the problem.
    app.extensions["rulebook"] = load_rulebook(app.config["RULES_DIR"])
    app.extensions["patients"] = patient_directory(app.config, app.extensions["rulebook"])
    app.extensions["api_auth"] = api_auth(
        app.config, reaches_patient_data=isinstance(app.extensions["patients"], FhirPatients)
    )

    app.extensions["evaluation_gate"] = EvaluationGate(
        positive_int(app.config.get("EVALUATION_SLOTS"), "EVALUATION_SLOTS")
    )
    # Seen jti values, issued cards and feedback, in SQLite or Redis (STATE_URL), shared by workers and replicas.
    app.extensions["cds_state"] = state = state_from_config(app.config)
    app.extensions["cds_settings"] = cds_settings(app.config, state.replays)
    app.extensions["cds_service"] = cds_service(
        app.config, app.extensions["rulebook"], state.issued
    )
    app.extensions["cds_feedback"] = state.feedback

    from service import observability, pages
    from service.api import blueprint as api_blueprint
    from service.api.auth import check_current_request
    from service.cds import blueprint as cds_blueprint
    from service.web import cors, errorhandlers, hygiene

    # First: the request line's clock starts before any other hook, and it sees the final answer (JSON logs, /metrics).
    observability.init_app(app)
    errorhandlers.register(app)
    # CORS first: a preflight is answered before any other check (it carries no credentials).
    cors.register(app, cors.cors_policy(app.config))
    hygiene.register(app)
    app.register_blueprint(api_blueprint.blueprint)
    app.register_blueprint(cds_blueprint.blueprint)
    # The HTML pages under /ui/ (service/pages) show patient data: the same authentication as the REST API.
    pages.register(app, before_request=check_current_request)
    from service.population import api as population_api

    population_api.init_app(app)  # POST /population-screens (service/population)
    return app


def patient_directory(config: Mapping[str, Any], book: Rulebook) -> PatientDirectory:
    """Return where records by id come from: the configured FHIR server, else the bundled fixtures."""
    client = client_from_config(config)
    if client is None:
        return FixturePatients(config["FIXTURES_DIR"])
    return FhirPatients(client, book, fetch_options(config))


def cds_service(
    config: Mapping[str, Any], book: Rulebook, issued: IssuedStore | None = None
) -> CdsService:
    """Return the CDS service with its fhirServer allowlist, FHIR client settings and issued-card store."""
    settings = client_settings(config)
    return CdsService(
        book,
        tuple(url_list(config.get("CDS_FHIR_ALLOWLIST"), "CDS_FHIR_ALLOWLIST")),
        flag(config.get("CDS_SHOW_INELIGIBLE"), default=False),
        settings,
        fetch_options(config),
        new_session(settings.pool_size),
        report_base=str(config.get("CDS_PUBLIC_URL") or "") or None,
        require_target_disease=flag(config.get("CDS_REQUIRE_TARGET_DISEASE"), default=True),
        issued=issued,
    )


__all__ = ["EligibilityError", "create_app"]
