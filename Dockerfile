# trial-eligibility: the REST API served by gunicorn. Build: docker build -t trial-eligibility .
# Run: docker run -p 8000:8000 trial-eligibility   (configure with ELIGIBILITY_* variables, see below)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed, unprivileged uid/gid so orchestrators can check runAsNonRoot and mounts can be chowned to it.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin app

# Install the package (service/ only, with gunicorn) from a throw-away copy of the source; the
# dependencies ship as wheels (datalogic-py: abi3 manylinux, checked for x86_64), so no compiler is needed.
WORKDIR /tmp/src
COPY pyproject.toml ./
COPY service/ ./service/
RUN pip install . && rm -rf /tmp/src

# The rules and fixture patients are data, baked in read-only (owned by root, readable by app).
WORKDIR /app
COPY rules/ /app/rules/
COPY fhir_fixtures/ /app/fhir_fixtures/
# The only writable place: CDS Hooks card feedback (SQLite). Mount a volume here to keep it across containers.
RUN mkdir -p /data && chown 10001:10001 /data
VOLUME /data

# The package is installed in site-packages, so its defaults cannot find rules/ beside it: say where they are.
# Every ELIGIBILITY_<KEY> variable sets app.config[<KEY>] (values that parse as JSON are parsed: numbers stay numbers).
ENV ELIGIBILITY_RULES_DIR=/app/rules \
    ELIGIBILITY_FIXTURES_DIR=/app/fhir_fixtures \
    ELIGIBILITY_MAX_CONTENT_LENGTH=20971520 \
    ELIGIBILITY_CDS_FEEDBACK_DB=/data/feedback.sqlite3 \
    WEB_CONCURRENCY=2

USER 10001:10001
EXPOSE 8000

# slim has no curl: ask /health with the standard library (urlopen raises on a non-2xx status).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"]

# The gunicorn settings live in service/gunicorn_conf.py (the README command uses the same file): gthread workers
# (WEB_CONCURRENCY of them, ELIGIBILITY_EVALUATION_SLOTS + 10 threads each), timeouts that nest around the FHIR deadline,
# heartbeat files in /dev/shm, no control socket, problem+json for gunicorn's own errors, no Server banner, and an access
# log on stdout without query strings. Extra flags can go in GUNICORN_CMD_ARGS.
CMD ["gunicorn", "-c", "python:service.gunicorn_conf", "--bind", "0.0.0.0:8000", "service.wsgi:serve_app()"]
