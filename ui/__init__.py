"""Shared helpers for the Streamlit pages: where services come from, formatting, tables, the compose form."""
