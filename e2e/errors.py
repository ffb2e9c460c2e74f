"""The harness's error tree. Library exceptions (kubernetes, httpx) never leave kube/ or clients/.

    E2EError
    ├── ConfigError              bad option, env var, file: the user must fix input
    │   └── PrerequisiteMissing  the machine lacks what the target needs
    ├── ProviderError            a target could not be brought up or attached
    │   ├── ClusterCreateError
    │   └── ClusterUnreachable
    ├── KubeAPIError             the Kubernetes API answered with an error status
    │   ├── KubeNotFound (404)
    │   ├── KubeConflict (409)
    │   └── KubeUnauthorized (401/403)
    ├── HTTPCallError            a platform HTTP endpoint failed at transport level
    ├── StepFailed               the platform is wrong (a step's verdict)
    └── HarnessBroken            our tooling is wrong (a bug or an unusable environment)
"""

from __future__ import annotations


class E2EError(Exception):
    """Base of every error the harness raises on purpose."""


class ConfigError(E2EError):
    """Invalid input: the message names the problem, where it came from, and the fix."""


class PrerequisiteMissing(ConfigError):
    """The machine cannot run the target (no Docker, a tool not on PATH): one line naming
    it and how to install it, raised before anything is created (the cycle's ERROR report
    records it, so the night still reaches history)."""


class ProviderError(E2EError):
    pass


class ClusterCreateError(ProviderError):
    pass


class ClusterUnreachable(ProviderError):
    pass


class KubeAPIError(E2EError):
    def __init__(self, status: int, reason: str, message: str, *, path: str = "") -> None:
        super().__init__(f"{status} {reason}: {message}" + (f" ({path})" if path else ""))
        self.status = status
        self.reason = reason
        self.api_message = message
        self.path = path


class KubeNotFound(KubeAPIError):
    pass


class KubeConflict(KubeAPIError):
    pass


class KubeUnauthorized(KubeAPIError):
    pass


class HTTPCallError(E2EError):
    """A platform endpoint could not be reached (DNS, connect, TLS, timeout)."""


class StepFailed(E2EError):
    pass


class HarnessBroken(E2EError):
    pass


_BODY_LIMIT = 256
# Statuses that say "not now" rather than "no": the API server or a proxy is overloaded,
# restarting or throttling us (client-go retries the same ones).
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


def is_reachability_error(e: BaseException) -> bool:
    """Whether `e` says the target could not be reached or answered "not now" (after the
    clients' retries): the path to the platform, not the platform's verdict."""
    if isinstance(e, ClusterUnreachable | HTTPCallError):
        return True
    return isinstance(e, KubeAPIError) and e.status in TRANSIENT_STATUSES


def kube_error(status: int, reason: str, body: str, path: str = "") -> KubeAPIError:
    """Map an API status to our class; the body is truncated (it may be large)."""
    message = body
    try:
        import json

        data = json.loads(body)
        message = data.get("message", body)
        reason = data.get("reason", reason) or reason
    except (ValueError, AttributeError):
        pass
    message = message[:_BODY_LIMIT]
    cls: type[KubeAPIError] = KubeAPIError
    if status == 404:
        cls = KubeNotFound
    elif status == 409:
        cls = KubeConflict
    elif status in (401, 403):
        cls = KubeUnauthorized
    return cls(status, reason, message, path=path)
