"""Database schema, engine and migrations helpers."""
