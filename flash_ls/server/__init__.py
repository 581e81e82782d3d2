"""Server engine."""
