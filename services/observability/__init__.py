"""Operations: structured logs (logs.py, redaction.py) and Prometheus metrics (metrics.py, exposition.py)."""
