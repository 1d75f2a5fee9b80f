"""Fixture patients as data: per trial a base patient and its cases (cases/*.yaml), built into
Bundles by the engine.
"""
