"""Try the CDS Hooks service end to end with a signed JWT: python -m service.cds.demo [run | jwks |
call] (see --help).

`run` (the default) needs nothing else: it serves a throw-away JWK Set and the service on 127.0.0.1,
signs an ES384 JWT as a demo CDS Client, calls the patient-view hook with a bundled fixture patient
as prefetch, and prints the cards. `jwks` + `call` do the same against a service you started
yourself (e.g. the README's gunicorn command).
"""

from __future__ import annotations

import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import click
import jwt
import orjson
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.serving import make_server

from service.config import DEFAULTS, VAR_DIR

ISSUER = "urn:trial-eligibility:demo-cds-client"
KID = "demo-1"
DEFAULT_KEY = VAR_DIR / "demo-cds-client-key.pem"
DEFAULT_PATIENT = Path(DEFAULTS["FIXTURES_DIR"]) / "NCT06761417" / "eligible.json"


def load_or_create_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The demo client's P-384 key, created on first use (a local file: never a production key)."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise click.ClickException(f"{path} is not an EC private key")
        return key
    key = ec.generate_private_key(ec.SECP384R1())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return key


def jwk_set(key: ec.EllipticCurvePrivateKey) -> bytes:
    """The JWK Set publishing the demo key's public half."""
    public = jwt.algorithms.ECAlgorithm.to_jwk(key.public_key(), as_dict=True)
    return orjson.dumps({"keys": [{**public, "kid": KID, "alg": "ES384", "use": "sig"}]})


@contextmanager
def serve_jwks(document: bytes, port: int) -> Iterator[str]:
    """Serve a JWK Set on 127.0.0.1; yield its URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200 if self.path == "/jwks.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            """Stay quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def sign(key: ec.EllipticCurvePrivateKey, audience: str) -> str:
    """A CDS Hooks client JWT for one endpoint (aud = its URL), valid for 5 minutes."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})


def hook_call(prefetch_templates: dict[str, str], bundle: dict[str, Any]) -> dict[str, Any]:
    """A patient-view call whose prefetch answers every template from one patient's Bundle (all
    resources of the template's type).
    """
    resources = [
        entry["resource"]
        for entry in bundle.get("entry", [])
        if isinstance(entry, dict) and isinstance(entry.get("resource"), dict)
    ]
    patient = next(r for r in resources if r.get("resourceType") == "Patient")
    prefetch: dict[str, Any] = {}
    for key, template in prefetch_templates.items():
        resource_type = template.split("?")[0].split("/")[0]
        if resource_type == "Patient":
            prefetch[key] = patient
            continue
        matches = [r for r in resources if r.get("resourceType") == resource_type]
        prefetch[key] = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(matches),
            "entry": [{"resource": r} for r in matches],
        }
    return {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/demo", "patientId": patient["id"]},
        "prefetch": prefetch,
    }


def call_service(
    url: str, public_url: str, key: ec.EllipticCurvePrivateKey, patient: Path
) -> dict[str, Any]:
    """Read discovery, then call the hook with a signed JWT; return the answer (raise with the
    service's problem on failure).
    """
    discovery = requests.get(f"{url}/cds-services", timeout=30)
    discovery.raise_for_status()
    service = discovery.json()["services"][0]
    endpoint = f"/cds-services/{service['id']}"
    body = hook_call(service.get("prefetch", {}), orjson.loads(patient.read_bytes()))
    response = requests.post(
        url + endpoint,
        json=body,
        headers={"Authorization": f"Bearer {sign(key, public_url.rstrip('/') + endpoint)}"},
        timeout=120,
    )
    if response.status_code != 200:
        raise click.ClickException(
            f"the hook answered {response.status_code}: {response.text[:500]}"
        )
    answer: dict[str, Any] = response.json()
    return answer


def show(answer: dict[str, Any]) -> None:
    """Print each card's indicator and summary."""
    cards = answer.get("cards", [])
    click.echo(f"{len(cards)} card(s):")
    for card in cards:
        click.echo(f"  [{card['indicator']}] {card['summary']}")


@click.group(invoke_without_command=True)
@click.pass_context
def main(context: click.Context) -> None:
    """A demo CDS Client: sign a JWT with a local key and call the patient-view hook."""
    if context.invoked_subcommand is None:
        context.invoke(run)


@main.command()
@click.option(
    "--patient",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=DEFAULT_PATIENT,
    help="a patient's FHIR Bundle",
)
def run(patient: Path) -> None:
    """Serve a JWK Set and the service on 127.0.0.1 (the service trusting the demo issuer), call
    the hook, print the cards.
    """
    from service import create_app

    key = ec.generate_private_key(ec.SECP384R1())
    with serve_jwks(jwk_set(key), 0) as jwks_url:
        server = make_server(
            "127.0.0.1",
            0,
            app := create_app(
                {"CDS_TRUSTED_ISSUERS": {ISSUER: jwks_url}, "CDS_PUBLIC_URL": "http://127.0.0.1:0"}
            ),
        )
        url = f"http://127.0.0.1:{server.server_port}"
        # The JWT's aud must be this service's endpoint URL, which is known only once the port is.
        app.extensions["cds_settings"].public_url = url
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            click.echo(f"service on {url}, trusting {ISSUER} (JWK Set {jwks_url})")
            show(call_service(url, url, key, patient))
        finally:
            server.shutdown()


@main.command()
@click.option("--port", type=int, default=8090, show_default=True)
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_KEY,
    show_default=True,
)
def jwks(port: int, key_path: Path) -> None:
    """Serve the demo client's JWK Set until Ctrl-C, and print the setting that makes a service
    trust it.
    """
    key = load_or_create_key(key_path)
    with serve_jwks(jwk_set(key), port) as url:
        click.echo("Start the service with:")
        click.echo(f"  ELIGIBILITY_CDS_TRUSTED_ISSUERS='{orjson.dumps({ISSUER: url}).decode()}'")
        click.echo(
            f"then: python -m service.cds.demo call --key {key_path}   (Ctrl-C here to stop)"
        )
        sys.stdout.flush()
        with suppress(KeyboardInterrupt):
            threading.Event().wait()


@main.command()
@click.option(
    "--url", default="http://localhost:8000", show_default=True, help="the running service"
)
@click.option("--public-url", default=None, help="its ELIGIBILITY_CDS_PUBLIC_URL (default: --url)")
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_KEY,
    show_default=True,
)
@click.option(
    "--patient",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=DEFAULT_PATIENT,
)
def call(url: str, public_url: str | None, key_path: Path, patient: Path) -> None:
    """Call a running service's hook with a JWT signed by the demo key (its JWK Set served by
    `jwks`).
    """
    show(call_service(url.rstrip("/"), public_url or url, load_or_create_key(key_path), patient))


if __name__ == "__main__":  # pragma: no cover
    main()
