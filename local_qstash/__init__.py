"""Embedded QStash-compatible server: the offline stand-in for Upstash QStash."""
