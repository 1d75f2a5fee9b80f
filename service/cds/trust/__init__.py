"""Trusting the calling CDS Client: the JWT verifier, its JWKS, and the stores of JWT ids already
seen.
"""
