"""The main job: the 16-step Sovereign journey, one test per step.

    pytest -k journey                      # all 16 steps against the emulated Sovereign
    pytest -k "journey and routes"         # step 15, after the steps it needs
    pytest -k journey --sovereign kubeconfig --kubeconfig ~/.kube/t23.yaml
"""

from e2e.plugin import expect_pass
from e2e.report.model import StepResult


def test_journey(journey_step: StepResult) -> None:
    expect_pass(journey_step)
