"""trial-eligibility: criterion-by-criterion clinical-trial eligibility from FHIR data, with evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from service.config import DEFAULTS
from service.errors import EligibilityError
from service.fhir.settings import client_from_config, fetch_options
from service.patients import FhirPatients, FixturePatients, PatientSource
from service.rulebook import Rulebook, load_rulebook


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults, then ELIGIBILITY_* environment variables, then ``config``."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("ELIGIBILITY")
    if config:
        app.config.update(config)
    # A bad rule file stops start-up here, naming the file, the criterion and the problem.
    app.extensions["rulebook"] = load_rulebook(app.config["RULES_DIR"])
    app.extensions["patients"] = patient_source(app.config, app.extensions["rulebook"])

    from service import api, errorhandlers

    errorhandlers.register(app)
    app.register_blueprint(api.blueprint)
    return app


def patient_source(config: Mapping[str, Any], book: Rulebook) -> PatientSource:
    """Return where records by id come from: the configured FHIR server, else the bundled fixtures."""
    client = client_from_config(config)
    if client is None:
        return FixturePatients(config["FIXTURES_DIR"])
    return FhirPatients(client, book, fetch_options(config))


__all__ = ["EligibilityError", "create_app"]
