"""The REST API surface: health, trials, and eligibility reports."""
