"""The sovereign-e2e pytest plugin (registered through the `pytest11` entry point)."""
