"""Tests of the rulebook: loading, checks, the three-valued rewrite, value sets and the search
plan.
"""
