"""Tests of the REST API surface."""
