"""Supabase Auth through the official SDK, against the local stand-in."""
