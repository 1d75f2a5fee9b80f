"""trial-eligibility: criterion-by-criterion clinical-trial eligibility from FHIR data, with evidence."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from service.config import DEFAULTS
from service.errors import EligibilityError
from service.rulebook import load_rulebook


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults, then ELIGIBILITY_* environment variables, then ``config``."""
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("ELIGIBILITY")
    if config:
        app.config.update(config)
    # A bad rule file stops start-up here, naming the file, the criterion and the problem.
    app.extensions["rulebook"] = load_rulebook(app.config["RULES_DIR"])

    from service import api, errorhandlers

    errorhandlers.register(app)
    app.register_blueprint(api.blueprint)
    return app


__all__ = ["EligibilityError", "create_app"]
