"""The 16-step journey: steps as data (steps.py), probes (probes/), the runner (runner.py).

Rules: no provider checks here; probes read the Sovereign handle only; waiting is done by
the runner (watch-fed change signals with deadlines), never by a probe.
"""
