"""Kubernetes access for the harness: a thin REST client, watch-fed caches, readiness rules.

Rules: only this package imports `kubernetes`; callers get plain dicts and our errors.
"""
