"""Tests of the facts: each definition kind against small hand-made records."""
