"""Build the fixture Bundles from the data files: ``python -m fhir_fixtures build [NCT… | demo
…]``.
"""

from fhir_fixtures.engine import main

main()
