"""Population pre-screening: every patient of a Bulk Data export against the trials, bucket by
bucket on Dask.
"""
