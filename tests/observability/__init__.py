"""Tests of the logs and metrics."""
