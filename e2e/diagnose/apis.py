"""api.kind-not-served: a kind (or version) the journey needs is not served by the API
server: no CRD, a CRD not Established, or the version the harness reads not `served`.
Decided from the CustomResourceDefinition itself, instead of waiting on 404s."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import E2EError, KubeNotFound
from ..kube.gvr import GVR
from ..kube.status import condition
from ..report.model import Finding
from ..sovereign import Sovereign
from .findings import blocking, subject

CRDS = GVR("apiextensions.k8s.io", "v1", "customresourcedefinitions", False,
           "CustomResourceDefinition")
BUILTIN_GROUPS = {"", "apps", "batch", "discovery.k8s.io", "apiextensions.k8s.io"}


def _listable(sov: Sovereign, kind: GVR) -> bool | None:
    """True when the informer lists the kind; False on 404; None when unsure."""
    try:
        sov.informers(kind)
        return True
    except KubeNotFound:
        return False
    except E2EError:
        return None


def not_served(sov: Sovereign, kinds: Sequence[GVR]) -> list[Finding]:
    out: list[Finding] = []
    for kind in kinds:
        if kind.group in BUILTIN_GROUPS or _listable(sov, kind) is not False:
            continue
        crd_name = f"{kind.plural}.{kind.group}"
        try:
            crd = sov.kube.try_get(CRDS, crd_name)
        except E2EError:
            crd = None
        want = f"{kind.group}/{kind.version} {kind.kind or kind.plural}"
        subj = subject("CustomResourceDefinition", crd_name)
        if crd is None:
            out.append(blocking(
                "api.kind-not-served", subj,
                f"{want} is not served: CustomResourceDefinition {crd_name} does not exist",
                f"install the CRD {crd_name} (the chart or kit that ships it) before what "
                "uses it", crd=crd_name))
            continue
        established = condition(crd, "Established") or {}
        versions = {str(v.get("name")): v for v in (crd.get("spec") or {}).get("versions")
                    or []}
        served = sorted(n for n, v in versions.items() if v.get("served", True))
        if established and established.get("status") != "True":
            why = (f"CustomResourceDefinition {crd_name} is not Established "
                   f"({established.get('reason', '')}: {established.get('message', '')})")
            fix = f"fix what the CRD's conditions name (names conflict?) in {crd_name}"
        elif kind.version not in served:
            why = (f"CustomResourceDefinition {crd_name} does not serve {kind.version} "
                   f"(served: {', '.join(served) or 'none'})")
            fix = (f"serve {kind.version} again in CRD {crd_name} (versions[].served: true) "
                   "while clients still read it, or upgrade the clients to "
                   f"{served[0] if served else 'a served version'}")
        else:
            continue  # served by the CRD: the 404 is something else (RBAC, aggregation)
        out.append(blocking("api.kind-not-served", subj, f"{want} is not served: {why}", fix,
                            crd=crd_name, served=", ".join(served)))
    return out
