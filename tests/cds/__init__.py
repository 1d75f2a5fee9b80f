"""Tests of the CDS Hooks surface: trust, prefetch, cards, feedback and the shared state."""
