"""sovereign-e2e: the end-to-end harness for Sovereign provisioning."""
