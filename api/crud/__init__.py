"""Keyword-only helpers over the database, one module per resource."""
