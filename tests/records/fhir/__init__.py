"""Tests of the FHIR client, authentication, search plan and fetch."""
