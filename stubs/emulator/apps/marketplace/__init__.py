"""The marketplace/billing/auth stand-in: app `sme-gateway` (the SME gateway on :8080 with
auth, catalog, tenant, billing and provisioning-status behind it). See app.py."""

from .app import sme_gateway

__all__ = ["sme_gateway"]
