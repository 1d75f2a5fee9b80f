"""HTTP plumbing every surface shares: CORS, errors as problems, hygiene, request bodies, JSON,
the evaluation gate.
"""
