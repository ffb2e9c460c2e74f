"""Probes: one function per step, `(StepContext) -> Progress`. Read-only except `setup`s."""
