"""The QStash side: the scheduler port, its adapter over the official SDK, and request verification."""
