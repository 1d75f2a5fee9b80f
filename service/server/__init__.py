"""The server process: the WSGI entry point gunicorn serves, its configuration and hooks."""
