"""Integration tests against a real FHIR R4 server (sekmet-fhir, started per test session)."""
