"""Patient records: every source (Bundle, fixtures, FHIR server, CDS prefetch, bulk export) read
into one PatientRecord.
"""
