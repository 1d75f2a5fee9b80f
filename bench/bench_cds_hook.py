"""Benchmark: the CDS Hooks patient-view call served by gunicorn on 127.0.0.1, called by concurrent clients.

Run: python bench/bench_cds_hook.py [--requests 200] [--clients 4] [--workers 2] [--threads 2]
The prefetch is built from the largest Synthea record (Fletcher_Hyatt) plus recent labs, so every trial
has data to decide; all five trials are evaluated. Each call carries a freshly signed ES384 JWT that the
service verifies against a JWKS served on 127.0.0.1 (so verification is part of the measured time).
Prints p50 / p90 / p99 latency in ms, beside the time of orjson.loads of the same request body.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import orjson
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from service.cds.prefetch import prefetch_plan  # noqa: E402
from service.rulebook import load_rulebook  # noqa: E402

SYNTHEA = Path(os.environ.get("SYNTHEA_DIR") or ROOT.parent / "shared" / "fhir" / "synthea")
ISSUER = "https://ehr.bench.example"
LOINC = "http://loinc.org"
# Recent labs so the trials' lab criteria are decided rather than unknown: (LOINC, display, value, UCUM unit).
ADDED_LABS = [
    ("751-8", "Neutrophils [#/volume] in Blood", 3.1, "10*9/L"),
    ("777-3", "Platelets [#/volume] in Blood", 210, "10*9/L"),
    ("718-7", "Hemoglobin [Mass/volume] in Blood", 12.8, "g/dL"),
    ("6690-2", "Leukocytes [#/volume] in Blood", 6.2, "10*9/L"),
    ("2160-0", "Creatinine [Mass/volume] in Serum or Plasma", 0.9, "mg/dL"),
    ("1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma", 22, "U/L"),
    ("1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma", 25, "U/L"),
    ("1975-2", "Bilirubin.total [Mass/volume] in Serum or Plasma", 0.7, "mg/dL"),
]


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def hook_body(patient_id_hint: str | None = None) -> dict[str, Any]:
    """Return a patient-view request whose prefetch holds Fletcher_Hyatt's record and the added labs."""
    path = next(SYNTHEA.glob("Fletcher_Hyatt*.json"), None)
    if path is None:
        raise SystemExit(f"Fletcher_Hyatt not found in {SYNTHEA}; set SYNTHEA_DIR")
    bundle = orjson.loads(path.read_bytes())
    resources = [e["resource"] for e in bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    # Synthea references by urn:uuid; a FHIR server's searches answer with Patient/{id}.
    full_urls = {e["fullUrl"]: f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"] if "fullUrl" in e}
    for resource in resources:
        for element in ("subject", "patient"):
            ref = resource.get(element)
            if isinstance(ref, dict) and ref.get("reference") in full_urls:
                ref["reference"] = full_urls[ref["reference"]]
    day = (date.today() - timedelta(days=3)).isoformat()
    for code, display, value, unit in ADDED_LABS:
        resources.append({
            "resourceType": "Observation", "id": f"bench-{code}", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]}, "subject": {"reference": f"Patient/{patient['id']}"},
            "effectiveDateTime": day, "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
        })
    book = load_rulebook()
    plan = prefetch_plan(book, book.trials.values())
    prefetch: dict[str, Any] = {"patient": patient}
    for key, search in plan.searches.items():
        wanted = set(search.codes)
        matches = [r for r in resources if r["resourceType"] == search.resource_type and (
            not wanted or any(f"{c.get('system')}|{c.get('code')}" in wanted for c in (r.get("code") or {}).get("coding", [])))]
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "total": len(matches), "entry": [{"resource": r} for r in matches]}
    return {
        "hookInstance": str(uuid.uuid4()), "hook": "patient-view", "fhirServer": "https://ehr.bench.example/fhir",
        "context": {"userId": "Practitioner/bench", "patientId": patient["id"]}, "prefetch": prefetch,
    }


class Jwks(BaseHTTPRequestHandler):
    """Serve the bench issuer's JWKS."""

    document = b"{}"

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.document)))
        self.end_headers()
        self.wfile.write(self.document)

    def log_message(self, *args: Any) -> None:
        """Stay quiet."""


def main() -> None:
    """Start a JWKS server and gunicorn, fire the calls, print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="calls in total, after 8 warm-ups")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=2, help="threads per gunicorn worker")
    args = parser.parse_args()

    key = ec.generate_private_key(ec.SECP384R1())
    jwk = orjson.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    Jwks.document = orjson.dumps({"keys": [{**jwk, "kid": "bench-1", "alg": "ES384", "use": "sig"}]})
    jwks_server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=jwks_server.serve_forever, daemon=True).start()
    jwks_url = f"http://127.0.0.1:{jwks_server.server_address[1]}/jwks.json"
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    body = orjson.dumps(hook_body())
    parse = sorted(_time(lambda: orjson.loads(body)) for _ in range(50))
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    endpoint = f"{public_url}/cds-services/trial-eligibility"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ELIGIBILITY_CDS_PUBLIC_URL": public_url, "ELIGIBILITY_CDS_TRUSTED_ISSUERS": orjson.dumps({ISSUER: jwks_url}).decode(),
               "ELIGIBILITY_CDS_FEEDBACK_DB": f"{tmp}/feedback.sqlite3"}
        server = subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
            [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
             "--threads", str(args.threads), "--log-level", "warning", "--access-logfile", "/dev/null", "service.wsgi:serve_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=open(f"{tmp}/gunicorn.log", "w"),  # noqa: SIM115
        )
        try:
            _wait(f"{public_url}/health")

            def call(session: requests.Session) -> float:
                now = int(time.time())
                token = jwt.encode({"iss": ISSUER, "aud": endpoint, "exp": now + 120, "iat": now, "jti": str(uuid.uuid4())}, pem,
                                   algorithm="ES384", headers={"kid": "bench-1", "typ": "JWT"})
                start = time.perf_counter()
                response = session.post(endpoint, data=body, headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
                                         timeout=30)
                elapsed = (time.perf_counter() - start) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"hook answered {response.status_code}: {response.text[:300]}")
                return elapsed

            sessions = [requests.Session() for _ in range(args.clients)]
            cards = requests.post(endpoint, data=body, timeout=30, headers={"Content-Type": "application/json", "Authorization": "Bearer x"})
            for _ in range(8):
                call(sessions[0])
            per_client = args.requests // args.clients
            with ThreadPoolExecutor(args.clients) as pool:
                started = time.perf_counter()
                futures = [pool.submit(lambda s=s: [call(s) for _ in range(per_client)]) for s in sessions]
                samples = sorted(x for f in futures for x in f.result())
                wall = time.perf_counter() - started
            one = sorted(call(sessions[0]) for _ in range(30))
        finally:
            server.terminate()
            server.wait(timeout=10)
            jwks_server.shutdown()
    print(f"request body {len(body) / 1e6:.2f} MB; {len(samples)} calls by {args.clients} clients; gunicorn {args.workers} workers x {args.threads} threads")
    print(f"(an unsigned call was refused with {cards.status_code}, as it should be)")
    print(f"{'':24} {'p50':>8} {'p90':>8} {'p99':>8}   (ms)")
    print(f"{'hook, concurrent':24} {_pct(samples, 50):8.1f} {_pct(samples, 90):8.1f} {_pct(samples, 99):8.1f}   {len(samples) / wall:.1f} calls/s")
    print(f"{'hook, one client':24} {_pct(one, 50):8.1f} {_pct(one, 90):8.1f} {_pct(one, 99):8.1f}")
    print(f"{'orjson.loads of body':24} {_pct(parse, 50):8.1f} {_pct(parse, 90):8.1f} {_pct(parse, 99):8.1f}")
    print(f"p50 / parse p50 = {statistics.median(samples) / statistics.median(parse):.1f}x (target <= 3x); p99 target < 100 ms")


def _time(action: Any) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def _pct(samples: list[float], pct: int) -> float:
    return samples[min(len(samples) - 1, int(len(samples) * pct / 100))]


def _wait(url: str) -> None:
    for _ in range(100):
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise SystemExit("gunicorn did not start")


if __name__ == "__main__":
    main()
