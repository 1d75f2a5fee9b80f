"""Builders of the fixture patients: small FHIR R4 resources and Bundles, made deterministically."""
