"""Build engine."""
