"""Tests through the Flask app: routes, operations, the database, the CLI."""
