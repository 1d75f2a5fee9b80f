"""The test suite: it mirrors service/ (see CONTRIBUTING.md)."""
