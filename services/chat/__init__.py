"""Chat delivery: the port and its adapters."""
