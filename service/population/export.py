"""FHIR Bulk Data $export with the pull mode's client: kick-off, polling that honours
Retry-After, download, error[].
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import orjson
import requests

from service.errors import FhirError
from service.records.fhir.client import TEMPORARY_STATUS, FhirClient
from service.records.fhir.client import (
    _outcome_text as outcome_text,
)  # the client's own OperationOutcome quoting, reused, not forked
from service.records.fhir.client import _retry_after as retry_after

log = logging.getLogger(__name__)
NDJSON = "application/fhir+ndjson"
# Polling: the server's Retry-After is honoured within these bounds (seconds); no Retry-After waits
# DEFAULT_POLL.
DEFAULT_POLL, MIN_POLL, MAX_POLL = 1.0, 0.2, 120.0


class ExportError(FhirError):
    """The export could not be started, failed on the server (its OperationOutcomes quoted), or
    its files could not be read.
    """

    code = "export-failed"


@dataclass
class ExportResult:
    """What one export produced: its manifest, the files written, and the non-fatal issues it
    reported.
    """

    manifest: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class BulkExporter:
    """Run exports against one FHIR server through its FhirClient (session, authentication, retry
    settings).
    """

    client: FhirClient
    sleep: Callable[[float], None] = time.sleep
    max_wait: float = 3600.0  # seconds a job may take before the screen gives up

    def export(
        self,
        dest: Path,
        types: list[str],
        group: str | None = None,
        level: str = "patient",
        since: str | None = None,
        on_progress: Callable[[str], None] | None = None,
    ) -> ExportResult:
        """Kick off an export, wait for it and download its files into ``dest``."""
        status_url = self.kick_off(types, group, level, since)
        try:
            manifest = self.poll(status_url, on_progress)
        except BaseException:
            self._delete(status_url)  # a job we stop waiting for is cancelled, not left running
            raise
        return self.download(manifest, dest)

    def kick_off(self, types: list[str], group: str | None, level: str, since: str | None) -> str:
        """Start the job; return its status URL (Content-Location)."""
        path = (
            f"Group/{group}/$export"
            if group
            else "Patient/$export"
            if level == "patient"
            else "$export"
        )
        params = [("_type", ",".join(types)), ("_outputFormat", NDJSON)]
        if since:
            params.append(("_since", since))
        what = f"{path} kick-off"
        response = self._send(
            "GET", urljoin(self.client.base_url, path), what, params=params, prefer=True
        )
        if response.status_code != 202:
            raise ExportError(
                f"{what}: {response.status_code} {outcome_text(response)}".rstrip(),
                http_status=response.status_code,
            )
        location = response.headers.get("Content-Location")
        if not location:
            raise ExportError(
                f"{what}: the server accepted the job but sent no Content-Location to poll"
            )
        return urljoin(self.client.base_url, location)

    def poll(
        self, status_url: str, on_progress: Callable[[str], None] | None = None
    ) -> dict[str, Any]:
        """Poll the status URL until the manifest; ExportError quoting the server when the job
        failed.
        """
        deadline = time.monotonic() + self.max_wait
        while True:
            response = self._send("GET", status_url, "export status", accept="application/json")
            if response.status_code == 200:
                try:
                    manifest = orjson.loads(response.content)
                except orjson.JSONDecodeError as exc:
                    raise ExportError(
                        "export status: the completed job's manifest is not JSON"
                    ) from exc
                if not isinstance(manifest, dict) or not isinstance(manifest.get("output"), list):
                    raise ExportError(
                        "export status: the completed job's manifest has no output list"
                    )
                return manifest
            if response.status_code not in (202, 429):
                raise ExportError(
                    f"the export job failed: {response.status_code} "
                    f"{outcome_text(response)}".rstrip(),
                    http_status=response.status_code,
                )
            if on_progress and response.headers.get("X-Progress"):
                on_progress(response.headers["X-Progress"][:100])
            wait = retry_after(response.headers.get("Retry-After"))
            wait = min(MAX_POLL, max(MIN_POLL, DEFAULT_POLL if wait is None else wait))
            if time.monotonic() + wait > deadline:
                raise ExportError(f"the export job did not finish within {self.max_wait:g} s")
            self.sleep(wait)

    def download(self, manifest: dict[str, Any], dest: Path) -> ExportResult:
        """Download every output file (and read error[]); stop naming the cause when the job
        reports errors.
        """
        dest.mkdir(parents=True, exist_ok=True)
        result = ExportResult(manifest)
        problems = self._errors(manifest, result)
        if problems:
            raise ExportError("the export job reported errors: " + "; ".join(problems)[:600])
        seq = len(list(dest.glob("*.ndjson")))
        for item in manifest["output"]:
            rtype, url = item.get("type"), item.get("url")
            if not isinstance(rtype, str) or not isinstance(url, str):
                raise ExportError("export manifest: an output entry has no type or url")
            seq += 1
            path = dest / f"{rtype}.{seq}.ndjson"
            response = self._send(
                "GET",
                urljoin(self.client.base_url, url),
                f"download of the {rtype} file",
                accept=NDJSON,
                auth=bool(manifest.get("requiresAccessToken", True)),
                stream=True,
            )
            if response.status_code != 200:
                raise ExportError(
                    f"download of the {rtype} file: {response.status_code} "
                    f"{outcome_text(response)}".rstrip()
                )
            tmp = path.with_suffix(".part")
            with tmp.open("wb") as handle:
                for chunk in response.iter_content(1 << 20):
                    handle.write(chunk)
            tmp.replace(path)
            result.files.append(path)
        return result

    def _errors(self, manifest: dict[str, Any], result: ExportResult) -> list[str]:
        """Read error[] OperationOutcomes: error and fatal issues are returned, warnings kept in
        ``result``.
        """
        problems = []
        for item in manifest.get("error") or []:
            url = item.get("url") if isinstance(item, dict) else None
            if not isinstance(url, str):
                continue
            response = self._send(
                "GET",
                urljoin(self.client.base_url, url),
                "download of the export's errors",
                accept=NDJSON,
                auth=bool(manifest.get("requiresAccessToken", True)),
            )
            for line in response.content.splitlines():
                try:
                    outcome = orjson.loads(line)
                except orjson.JSONDecodeError:
                    problems.append("an error file line is not JSON")
                    continue
                for issue in outcome.get("issue") or [] if isinstance(outcome, dict) else []:
                    text = (
                        issue.get("diagnostics")
                        or (issue.get("details") or {}).get("text")
                        or issue.get("code")
                        or "no details"
                    )
                    (
                        problems if issue.get("severity") in ("error", "fatal") else result.warnings
                    ).append(str(text)[:200])
        return problems

    def _delete(self, status_url: str) -> None:
        try:
            self._send("DELETE", status_url, "export cancel")
        except (FhirError, requests.RequestException) as exc:
            log.info("export cancel failed: %s", type(exc).__name__)

    def _send(
        self,
        method: str,
        url: str,
        what: str,
        params: list[tuple[str, str]] | None = None,
        accept: str = "application/fhir+json",
        prefer: bool = False,
        auth: bool = True,
        stream: bool = False,
    ) -> requests.Response:
        """One request with the client's session, credentials and retry settings; temporary
        failures are retried.
        """
        client = self.client
        assert client.session is not None  # noqa: S101 - FhirClient sets it
        # Credentials go only to the configured server: an output URL on another host (a signed
        # storage URL) gets none.
        send_auth = auth and client.within_base(url)
        last = "no attempt"
        refreshed = False
        attempt = 0
        while attempt < client.settings.tries:
            attempt += 1
            headers = {"Accept": accept, **(client.auth.headers() if send_auth else {})}
            if prefer:
                headers["Prefer"] = "respond-async"
            # S311: jitter
            delay = client.settings.backoff * 2 ** (attempt - 1) * (0.5 + random.random() / 2)  # noqa: S311
            try:
                response = client.session.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    timeout=client.settings.timeout,
                    allow_redirects=False,
                    stream=stream,
                )
            except (requests.Timeout, requests.ConnectionError) as exc:
                last = f"connection failed ({type(exc).__name__})"
            else:
                if (
                    response.status_code == 401
                    and send_auth
                    and client.auth.refreshable
                    and not refreshed
                ):
                    refreshed, attempt = True, attempt - 1
                    client.auth.invalidate()
                    continue
                if response.status_code in (401, 403):
                    raise ExportError(
                        f"{what}: the FHIR server refused the service's credentials "
                        f"({response.status_code})",
                        http_status=response.status_code,
                    )
                # The last try's answer goes back to the caller, which quotes the server's
                # OperationOutcome.
                polled = (
                    response.status_code == 429 and what == "export status"
                )  # poll() waits out a 429 itself
                if (
                    response.status_code not in TEMPORARY_STATUS
                    or attempt >= client.settings.tries
                    or polled
                ):
                    return response
                last = str(response.status_code)
                wait = retry_after(response.headers.get("Retry-After"))
                if wait is not None:
                    delay = min(wait, client.settings.max_retry_after)
            if attempt < client.settings.tries:
                self.sleep(delay)
        raise ExportError(f"{what} failed: {last} after {client.settings.tries} tries")
