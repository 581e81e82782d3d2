"""Deploy engine."""
