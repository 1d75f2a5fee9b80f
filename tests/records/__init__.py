"""Tests of patient records: Bundles, record checks, sources."""
