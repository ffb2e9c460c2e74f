"""sovereign-e2e: the end-to-end harness for Sovereign provisioning."""

__version__ = "0.1.0"
