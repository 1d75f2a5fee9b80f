"""Tests of the server process: the WSGI entry point and gunicorn."""
