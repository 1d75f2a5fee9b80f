"""Tests of evaluation: reports, verdicts and evidence."""
