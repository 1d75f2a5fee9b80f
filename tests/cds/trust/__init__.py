"""Tests of CDS Client trust: JWT verification and replay stores."""
