"""The oracle: a real etcd and kube-apiserver, built from source, run on loopback.

Like Kubernetes' integration tests and controller-runtime's envtest there is no kubelet and
no controller-manager: the API server alone answers, which is what the emulated API is
checked against (tests/oracle/) and what every manifest is dry-run against.
"""

from e2e.oracle.binaries import OracleBinaries, OracleUnavailable, find_binaries
from e2e.oracle.server import OracleServer

__all__ = ["OracleBinaries", "OracleServer", "OracleUnavailable", "find_binaries"]
