"""trial-eligibility: criterion-by-criterion clinical-trial eligibility from FHIR data, with
evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from service.api.auth import api_auth
from service.cds.service import CdsService
from service.cds.settings import cds_settings
from service.cds.state import IssuedStore, state_from_settings
from service.errors import EligibilityError
from service.observability.logs import configure_logging
from service.records.fhir.client import new_session
from service.records.fhir.settings import client_settings, fetch_options, fhir_client
from service.records.sources import FhirPatients, FixturePatients, PatientDirectory
from service.rulebook.book import Rulebook, load_rulebook
from service.settings import Settings, load_config, parse_settings
from service.web.gate import EvaluationGate
from service.web.json_provider import OrjsonProvider


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults, then ELIGIBILITY_* environment variables, then ``config``,
    checked once.
    """
    app = Flask(__name__)
    app.json = OrjsonProvider(
        app
    )  # the same JSON as Flask's default, serialised by orjson (service/web/json_provider.py)
    app.config.update(load_config(config))
    # Every setting read and checked here, once: a bad value stops start-up with a ConfigError
    # naming it.
    settings = parse_settings(app.config)
    app.config["MAX_CONTENT_LENGTH"] = settings.limits.max_content_length  # Flask reads it itself
    app.extensions["settings"] = settings
    # One JSON stream on stderr before anything logs (service/observability); ELIGIBILITY_LOG_LEVEL,
    # INFO by default.
    configure_logging(settings.observability.log_level)
    # A bad rule file stops start-up here, naming the file, the criterion and the problem.
    app.extensions["rulebook"] = load_rulebook(settings.rules_dir)
    app.extensions["patients"] = patient_directory(settings, app.extensions["rulebook"])
    app.extensions["api_auth"] = api_auth(
        settings.api, reaches_patient_data=isinstance(app.extensions["patients"], FhirPatients)
    )

    app.extensions["evaluation_gate"] = EvaluationGate(settings.limits.evaluation_slots)
    # Seen jti values, issued cards and feedback, in SQLite or Redis (STATE_URL), shared by workers
    # and replicas.
    app.extensions["cds_state"] = state = state_from_settings(settings.state)
    app.extensions["cds_settings"] = cds_settings(settings.cds, state.replays)
    app.extensions["cds_service"] = cds_service(settings, app.extensions["rulebook"], state.issued)
    app.extensions["cds_feedback"] = state.feedback

    from service import observability, pages
    from service.api import blueprint as api_blueprint
    from service.api.auth import check_current_request
    from service.cds import blueprint as cds_blueprint
    from service.web import cors, errorhandlers, hygiene

    # First: the request line's clock starts before any other hook, and it sees the final answer
    # (JSON logs, /metrics).
    observability.init_app(app)
    errorhandlers.register(app)
    # CORS first: a preflight is answered before any other check (it carries no credentials).
    cors.register(app, cors.cors_policy(settings.cors))
    hygiene.register(app)
    app.register_blueprint(api_blueprint.blueprint)
    app.register_blueprint(cds_blueprint.blueprint)
    # The HTML pages under /ui/ (service/pages) show patient data: the same authentication as the
    # REST API.
    pages.register(app, before_request=check_current_request)
    from service.population import api as population_api

    population_api.init_app(app)  # POST /population-screens (service/population)
    return app


def patient_directory(settings: Settings, book: Rulebook) -> PatientDirectory:
    """Return where records by id come from: the configured FHIR server, else the bundled
    fixtures.
    """
    client = fhir_client(settings.fhir)
    if client is None:
        return FixturePatients(settings.fixtures_dir)
    return FhirPatients(client, book, fetch_options(settings.fhir))


def cds_service(
    settings: Settings, book: Rulebook, issued: IssuedStore | None = None
) -> CdsService:
    """Return the CDS service with its fhirServer allowlist, FHIR client settings and issued-card
    store.
    """
    client = client_settings(settings.fhir)
    return CdsService(
        book,
        settings.cds.fhir_allowlist,
        settings.cds.show_ineligible,
        client,
        fetch_options(settings.fhir),
        new_session(client.pool_size),
        report_base=settings.cds.public_url or None,
        require_target_disease=settings.cds.require_target_disease,
        issued=issued,
    )


__all__ = ["EligibilityError", "Settings", "create_app"]
