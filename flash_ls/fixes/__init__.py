"""Fixes: turning findings into text edits and applying them to files."""
