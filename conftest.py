"""Thin root conftest: the harness is the `e2e.plugin` pytest plugin (entry point `pytest11`).

Nothing lives here on purpose; see docs/DESIGN.md.
"""
