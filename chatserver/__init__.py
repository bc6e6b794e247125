"""Realtime chat and community server."""

__version__ = "0.1.0"
