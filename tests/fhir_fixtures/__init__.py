"""Tests of the fixture engine and its vocabulary."""
