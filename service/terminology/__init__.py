"""Build-time terminology: expand the value-set definitions in rules/valuesets/ from code-system
data into versioned FHIR ValueSets.

Nothing here runs on the request path; the service loads only the committed expansions
(service/rulebook/valuesets.py).
"""

from service.terminology.checkdigits import loinc_check_ok, snomed_check_ok

__all__ = ["loinc_check_ok", "snomed_check_ok"]
