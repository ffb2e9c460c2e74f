"""HTTP clients for the platform's services, reached through the Sovereign's gateway.

Rules: only this package imports `httpx`; callers get plain data and our errors;
credentials are passed per call and never logged.
"""
