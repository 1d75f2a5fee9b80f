"""Evaluation: a trial's criteria over a patient's facts, and the report with verdict and
evidence.
"""
