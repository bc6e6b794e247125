"""The scenarios: each prepares users, drives the load processes and builds a report."""
