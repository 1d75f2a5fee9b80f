"""The orjson JSON provider: the same JSON as Flask's default provider, faster."""

from __future__ import annotations

import json
from datetime import date

import orjson
from flask import Flask, jsonify

from service.web.json_provider import OrjsonProvider


def _app(debug: bool = False) -> Flask:
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    app.debug = debug
    return app


def test_response_is_compact_json_with_sorted_keys_and_a_newline() -> None:
    """A response is the stdlib's compact, key-sorted JSON, byte for byte, for ASCII data."""
    app = _app()
    data = {"b": [1, 2.5, None, True], "a": {"z": "x", "c": "y"}}
    with app.app_context():
        body = jsonify(data).get_data()
    assert body == (json.dumps(data, sort_keys=True, separators=(",", ":")) + "\n").encode()


def test_non_ascii_text_parses_to_the_same_value() -> None:
    """Non-ASCII text is sent as UTF-8 and parses back to the same string."""
    app = _app()
    with app.app_context():
        response = jsonify({"reason": "ANC ≥ 1.5 — met"})
    assert response.mimetype == "application/json"
    assert orjson.loads(response.get_data()) == {"reason": "ANC ≥ 1.5 — met"}


def test_dates_render_as_flask_renders_them() -> None:
    """A date goes through Flask's own default (an RFC 822 string), not orjson's ISO form."""
    app = _app()
    with app.app_context():
        body = orjson.loads(jsonify({"day": date(2020, 1, 2)}).get_data())
    assert body == {"day": "Thu, 02 Jan 2020 00:00:00 GMT"}


def test_what_orjson_refuses_falls_back_to_the_stdlib() -> None:
    """An integer past 64 bits is still serialised (by the stdlib encoder), not a 500."""
    app = _app()
    with app.app_context():
        body = jsonify({"n": 10**30}).get_data()
    assert json.loads(body) == {"n": 10**30}


def test_debug_mode_keeps_indented_output() -> None:
    """In debug mode the response is indented, as Flask's default provider does."""
    app = _app(debug=True)
    with app.app_context():
        body = jsonify({"a": 1}).get_data(as_text=True)
    assert body == '{\n  "a": 1\n}\n'


def test_the_app_uses_the_orjson_provider(app: Flask) -> None:
    """create_app installs the orjson provider."""
    assert isinstance(app.json, OrjsonProvider)
