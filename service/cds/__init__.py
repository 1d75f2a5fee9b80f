"""CDS Hooks 2.0: trusting the calling CDS Client, and the feedback it sends."""
