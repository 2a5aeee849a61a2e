"""FTTH lines pushed to an HTTP inventory service (a sample third-party app)."""
