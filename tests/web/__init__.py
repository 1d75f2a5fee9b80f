"""Tests of the HTTP plumbing shared by the surfaces."""
