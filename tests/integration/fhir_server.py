"""Run a throw-away sekmet-fhir R4 server for integration tests and load Bundles into it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_VENV = REPO_ROOT / ".sekmet-venv"
SEKMET_REQUIREMENT = "sekmet-fhir==0.1.1"
FHIR_JSON = "application/fhir+json"
# Fixture Bundles are merged into transactions of about this many entries: sekmet stores ~0.6 ms per
# entry in big transactions against ~1.1 ms per entry when each 20-entry fixture is its own request.
MAX_ENTRIES = 2000
# Settings the server would take from our environment over the settings file; a stray one would move
# it.
_OVERRIDING_ENV = (
    "SEKMET_BASE_URL",
    "SEKMET_PUBLIC_URL",
    "SEKMET_PORT",
    "SEKMET_DB",
    "SEKMET_CONFIG",
)


class FhirServerError(RuntimeError):
    """The test FHIR server could not be installed or started, or refused a Bundle."""


def ensure_sekmet(venv_dir: Path = DEFAULT_VENV) -> Path:
    """Return the sekmet executable ($SEKMET_BIN, else install sekmet-fhir into its own venv
    once).
    """
    override = os.environ.get("SEKMET_BIN")
    if override:
        return Path(override)
    exe = venv_dir / "bin" / "sekmet"
    if exe.exists():
        return exe
    # Its own venv because sekmet pins its own FastAPI and pydantic; sys.executable is a Python
    # sekmet supports (>= 3.11).
    _run([sys.executable, "-m", "venv", str(venv_dir)])
    _run([str(venv_dir / "bin" / "python"), "-m", "pip", "install", "--quiet", SEKMET_REQUIREMENT])
    if not exe.exists():
        raise FhirServerError(f"pip installed {SEKMET_REQUIREMENT} but {exe} is missing")
    return exe


def _run(cmd: list[str]) -> None:
    """Run an install step; fail with its output."""
    # S603: - fixed argument list, no shell
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode:
        raise FhirServerError(
            f"{' '.join(cmd)} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}"
        )


def _free_port() -> int:
    """Ask the OS for a free port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FhirServer:
    """A sekmet server on 127.0.0.1 with a throw-away database; use as a context manager."""

    def __init__(self, executable: Path | None = None, startup_timeout: float = 60.0) -> None:
        self.executable = executable or ensure_sekmet()
        self.startup_timeout = startup_timeout
        self.base_url = ""
        self.workdir: Path | None = None
        self.log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> FhirServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> FhirServer:
        """Launch the server and wait until it answers /metadata."""
        self.workdir = Path(tempfile.mkdtemp(prefix="sekmet-"))
        self.log_path = self.workdir / "server.log"
        try:
            # The port is free when picked but may be taken before the server binds it: try a few.
            for _attempt in range(3):
                if self._launch(_free_port()):
                    return self
            raise FhirServerError(f"sekmet exited during startup three times:\n{self.log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _launch(self, port: int) -> bool:
        """Start one server process; True once ready, False if it exited early."""
        assert self.workdir is not None
        assert self.log_path is not None
        self.base_url = f"http://127.0.0.1:{port}/fhir"
        db_path = self.workdir / "sekmet.db"
        settings = {
            "host": "127.0.0.1",
            "port": port,
            # sekmet writes this base, not the request's Host, into Location headers, fullUrls and
            # paging links.
            "base_url": self.base_url,
            "db_path": str(db_path),
            "data_dir": str(self.workdir / "data"),
            "log_inbound": False,
            "simulator": {"enabled": False},
            # Reject structurally invalid resources, as a production server would.
            "validation": {"inbound": "strict"},
        }
        config = self.workdir / "settings.yaml"
        # JSON is YAML, so no YAML library is needed on this side.
        config.write_bytes(orjson.dumps(settings))
        env = {k: v for k, v in os.environ.items() if k not in _OVERRIDING_ENV}
        env.update(SEKMET_CONFIG=str(config), SEKMET_DB=str(db_path))
        if self.executable.name.startswith("python"):
            cmd = [str(self.executable), "-m", "sekmet.cli", "serve", "--config", str(config)]
        else:
            cmd = [str(self.executable), "serve", "--config", str(config)]
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(  # noqa: S603 -- fixed argument list
                cmd,
                cwd=self.workdir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                if (
                    requests.get(
                        f"{self.base_url}/metadata", headers={"Accept": FHIR_JSON}, timeout=2
                    ).status_code
                    == 200
                ):
                    return True
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise FhirServerError(
            f"sekmet did not answer {self.base_url}/metadata within {self.startup_timeout:.0f} "
            f"s:\n{self.log_tail()}"
        )

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the server's log."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        """Stop the server (terminate, then kill) and delete its files."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        self._proc = None
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None


def load_bundle(
    base_url: str, bundle: dict[str, Any], session: requests.Session | None = None
) -> dict[str, str]:
    """Store a Bundle; map each entry's fullUrl (or Type/id) to the server's Type/id."""
    return load_bundles(base_url, [bundle], session)


def load_bundles(
    base_url: str,
    bundles: Iterable[dict[str, Any]],
    session: requests.Session | None = None,
    max_entries: int = MAX_ENTRIES,
) -> dict[str, str]:
    """Store Bundles in order: transactions as they are, others as PUTs keeping their ids, merged
    into few requests.
    """
    if session is None:
        with requests.Session() as own:
            return load_bundles(base_url, bundles, own, max_entries)
    http = session
    mapping: dict[str, str] = {}
    keys: list[str] = []
    entries: list[dict[str, Any]] = []

    def flush() -> None:
        if entries:
            mapping.update(_post_transaction(http, base_url, keys, entries))
            keys.clear()
            entries.clear()

    for bundle in bundles:
        if bundle.get("type") == "transaction":
            flush()
            sent = bundle.get("entry", [])
            mapping.update(
                _post_transaction(
                    http, base_url, [e.get("fullUrl") or e["request"]["url"] for e in sent], sent
                )
            )
            continue
        new_keys, new_entries = _as_puts(base_url, bundle)
        # A transaction may not touch one resource twice, so a repeated id starts a new one (and the
        # later PUT wins).
        pending = {e["request"]["url"] for e in entries}
        if len(entries) + len(new_entries) > max_entries or any(
            e["request"]["url"] in pending for e in new_entries
        ):
            flush()
        keys += new_keys
        entries += new_entries
    flush()
    return mapping


def _as_puts(base_url: str, bundle: dict[str, Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Turn a collection Bundle into PUT Type/id transaction entries, pointing urn:uuid
    references at Type/id.
    """
    keys: list[str] = []
    targets: list[str] = []
    refs: dict[str, str] = {}
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        if not resource.get("id"):
            raise FhirServerError(
                f"cannot PUT a {resource.get('resourceType')} without an id (fullUrl "
                f"{entry.get('fullUrl')})"
            )
        ref = f"{resource['resourceType']}/{resource['id']}"
        keys.append(entry.get("fullUrl") or ref)
        targets.append(ref)
        refs[keys[-1]] = ref
    entries = []
    for ref, entry in zip(targets, bundle.get("entry", []), strict=True):
        # The urn:uuid fullUrls are dropped: a PUT entry's fullUrl is its RESTful URL, and HAPI
        # rejects urns that are not UUIDs.
        entries.append(
            {
                "fullUrl": f"{base_url}/{ref}",
                "resource": _relink(entry["resource"], refs),
                "request": {"method": "PUT", "url": ref},
            }
        )
    return keys, entries


def _relink(node: Any, refs: dict[str, str]) -> Any:
    """Copy node with references to other entries' fullUrls replaced by Type/id."""
    if isinstance(node, dict):
        return {
            k: refs.get(v, v) if k == "reference" and isinstance(v, str) else _relink(v, refs)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_relink(v, refs) for v in node]
    return node


def _post_transaction(
    http: requests.Session, base_url: str, keys: list[str], entries: list[dict[str, Any]]
) -> dict[str, str]:
    """POST one transaction; map keys to the Type/id the server reports for each entry."""
    body = orjson.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries})
    # return=minimal: we only need each entry's Location, not the stored resources echoed back.
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON, "Prefer": "return=minimal"}
    resp = http.post(base_url, data=body, headers=headers, timeout=300)
    if resp.status_code != 200:
        raise FhirServerError(
            f"transaction of {len(entries)} entries: HTTP {resp.status_code}: {_outcome_text(resp)}"
        )
    answers = resp.json().get("entry", [])
    if len(answers) != len(entries):
        raise FhirServerError(
            f"transaction of {len(entries)} entries answered with {len(answers)} entries"
        )
    return {
        key: _server_ref(sent, answer)
        for key, sent, answer in zip(keys, entries, answers, strict=True)
    }


def _server_ref(sent: dict[str, Any], answer: dict[str, Any]) -> str:
    """Type/id of a stored entry, from the response's location (absolute or relative, maybe
    versioned).
    """
    location = answer.get("response", {}).get("location")
    if location:
        parts = location.split("?")[0].split("/_history/")[0].rstrip("/").split("/")
        return f"{parts[-2]}/{parts[-1]}"
    resource = answer.get("resource") or {}
    if resource.get("id"):
        return f"{resource['resourceType']}/{resource['id']}"
    # A PUT to Type/id keeps the id even when the server omits location.
    if sent["request"]["method"] == "PUT":
        return str(sent["request"]["url"])
    raise FhirServerError(
        f"no location for the stored {sent['request']['method']} {sent['request']['url']}"
    )


def _outcome_text(resp: requests.Response) -> str:
    """The OperationOutcome diagnostics of an error response, else its body."""
    try:
        issues = resp.json().get("issue", [])
    except ValueError:
        return resp.text[:2000]
    return "; ".join(
        str(i.get("diagnostics") or i.get("details", {}).get("text") or i.get("code"))
        for i in issues
    )[:2000]
