"""Diagnosers: one module per failure family, each `(StepContext) -> list[Finding]`.

Rules: read the Sovereign only through its handle (Kubernetes API, gateway HTTP); never
raise for a platform problem (return a Finding); never put a secret in a Finding
(compare secrets by equality or last eight characters, never print them); each Finding's
`hint` names the fix. Codes are stable identifiers (reports, Allure categories, trends).
"""
