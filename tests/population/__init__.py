"""Tests of population screening."""
