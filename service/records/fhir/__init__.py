"""Fetch a patient's record from a FHIR R4 server."""
