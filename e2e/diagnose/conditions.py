"""resource.condition-false: a resource the step waits on (custom resources included) whose
readiness condition is False with a reason. Named with that reason, instead of only shown
in the progress line. Used when a step ends without a more specific cause."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import E2EError
from ..kube import gvr as gvrs
from ..kube.gvr import GVR
from ..kube.status import name_of, namespace_of
from ..report.model import Finding
from ..sovereign import Sovereign
from .evidence import READY_TYPES, conditions_text
from .findings import blocking, subject_of

# Kinds with their own rules (pods, Flux, workloads) or no conditions worth naming.
OWN_RULES = {gvrs.PODS, gvrs.EVENTS, gvrs.SECRETS, gvrs.CONFIGMAPS, gvrs.ENDPOINTSLICES,
             gvrs.SERVICES, gvrs.HELMRELEASES}


def condition_false(sov: Sovereign, kinds: Sequence[GVR]) -> list[Finding]:
    out: list[Finding] = []
    for kind in kinds:
        if kind in OWN_RULES:
            continue
        try:
            objs = sov.informers(kind).items()
        except E2EError:
            continue
        for obj in sorted(objs, key=lambda o: (namespace_of(o), name_of(o))):
            conds = {c.get("type"): c for c in (obj.get("status") or {}).get("conditions")
                     or []}
            c = next((conds[t] for t in READY_TYPES if t in conds), None)
            if c is None or c.get("status") != "False" or not c.get("reason"):
                continue
            ns = namespace_of(obj)
            ref = f"{obj.get('kind')} {ns + '/' if ns else ''}{name_of(obj)}"
            out.append(blocking(
                "resource.condition-false", subject_of(obj),
                f"{ref} is {c.get('type')}=False {c.get('reason')}: {c.get('message', '')}",
                f"fix what {ref}'s {c.get('type')} condition names ({c.get('reason')}); its "
                "controller's log and the object's events say more",
                reason=str(c.get("reason")), conditions=conditions_text(obj)))
    return out
