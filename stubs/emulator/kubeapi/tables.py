"""Server-side printing: `meta.k8s.io/v1` Table answers, as kube-apiserver gives kubectl.

A client asks with `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`. Built-in kinds
get the columns of the API server's printers (pkg/printers/internalversion: pods
READY/STATUS/RESTARTS/AGE, deployments READY/UP-TO-DATE/AVAILABLE, ...); custom resources
get Name plus their CRD's `additionalPrinterColumns`, evaluated by JSONPath (Age when the
CRD declares none); other kinds the default Name/Created At. Each row carries the object
as `PartialObjectMetadata` (`includeObject=Metadata`, the default), the full object
(`Object`) or nothing (`None`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from . import errors, jsonpath
from .resources import ResourceType

Obj = dict[str, Any]
Column = dict[str, Any]
Row = list[Any]

TABLE_MEDIA = "as=Table"
NAME_DESCRIPTION = ("Name must be unique within a namespace. Is required when creating "
                    "resources, although some resources may allow a client to request the "
                    "generation of an appropriate name automatically. Name is primarily "
                    "intended for creation idempotence and configuration definition. Cannot "
                    "be updated. More info: https://kubernetes.io/docs/concepts/overview/"
                    "working-with-objects/names#names")
AGE_DESCRIPTION = ("CreationTimestamp is a timestamp representing the server time when this "
                   "object was created.")


def wants_table(accept: str) -> bool:
    """True when the client asked for a Table (kubectl lists Table first, JSON as fallback)."""
    first = accept.split(",")[0]
    return TABLE_MEDIA in first.replace(" ", "") and "g=meta.k8s.io" in first


# ---- formatting, as k8s.io/apimachinery's duration.HumanDuration --------------------------
def human_duration(seconds: float) -> str:
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        rest = s % 60
        return f"{minutes}m" if rest == 0 else f"{minutes}m{rest}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h" if rest == 0 else f"{hours}h{rest}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        rest = hours % 24
        return f"{hours // 24}d" if rest == 0 else f"{hours // 24}d{rest}h"
    if hours < 24 * 365 * 2:
        return f"{hours // 24}d"
    if hours < 24 * 365 * 8:
        days = (hours // 24) % 365
        return f"{hours // 24 // 365}y" if days == 0 else f"{hours // 24 // 365}y{days}d"
    return f"{hours // 24 // 365}y"


def _parse_time(ts: str | None) -> datetime | None:
    if not ts:
        return None
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None


def since(ts: str | None) -> str:
    """A timestamp as the printers show it: `<unknown>` when unset."""
    t = _parse_time(ts)
    if t is None:
        return "<unknown>"
    return human_duration((datetime.now(UTC) - t).total_seconds())


def _age(obj: Obj) -> str:
    return since(obj["metadata"].get("creationTimestamp"))


def _col(name: str, type_: str = "string", description: str = "", priority: int = 0,
         fmt: str = "") -> Column:
    return {"name": name, "type": type_, "format": fmt, "description": description,
            "priority": priority}


NAME_COL = _col("Name", fmt="name", description=NAME_DESCRIPTION)
AGE_COL = _col("Age", description=AGE_DESCRIPTION)


def _none(values: list[str]) -> str:
    return ",".join(values) if values else "<none>"


def _labels(selector: dict[str, str] | None) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items())) or "<none>"


def _containers(obj: Obj) -> tuple[str, str]:
    cs = ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    return ",".join(c.get("name", "") for c in cs), ",".join(c.get("image", "") for c in cs)


def _match_labels(obj: Obj) -> str:
    sel = (obj.get("spec") or {}).get("selector") or {}
    parts = [f"{k}={v}" for k, v in sorted((sel.get("matchLabels") or {}).items())]
    for e in sel.get("matchExpressions") or []:
        op, key, vals = e.get("operator"), e.get("key"), e.get("values") or []
        if op == "In":
            parts.append(f"{key} in ({','.join(sorted(vals))})")
        elif op == "NotIn":
            parts.append(f"{key} notin ({','.join(sorted(vals))})")
        elif op == "Exists":
            parts.append(key)
        elif op == "DoesNotExist":
            parts.append(f"!{key}")
    return ",".join(parts) or "<none>"


# ---- pods: printPod -----------------------------------------------------------------------
def _pod_status(pod: Obj) -> tuple[str, int, int, int, str | None]:
    """(STATUS, ready, total, restarts, last restart time) as printPod computes them."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    total = len(spec.get("containers") or [])
    reason = status.get("reason") or status.get("phase") or ""
    restarts, ready = 0, 0
    last_restart: str | None = None

    def note_restart(cs: Obj) -> None:
        nonlocal restarts, last_restart
        restarts += int(cs.get("restartCount") or 0)
        finished = ((cs.get("lastState") or {}).get("terminated") or {}).get("finishedAt")
        if finished and (last_restart is None or finished > last_restart):
            last_restart = finished

    initializing = False
    init_specs = spec.get("initContainers") or []
    for i, cs in enumerate(status.get("initContainerStatuses") or []):
        note_restart(cs)
        state = cs.get("state") or {}
        term, wait = state.get("terminated"), state.get("waiting")
        if term and term.get("exitCode") == 0:
            continue
        if term:
            if term.get("reason"):
                reason = "Init:" + term["reason"]
            elif term.get("signal"):
                reason = f"Init:Signal:{term['signal']}"
            else:
                reason = f"Init:ExitCode:{term.get('exitCode')}"
        elif wait and wait.get("reason") and wait["reason"] != "PodInitializing":
            reason = "Init:" + wait["reason"]
        else:
            reason = f"Init:{i}/{len(init_specs)}"
        initializing = True
        break
    if not initializing:
        restarts = 0
        for cs in status.get("initContainerStatuses") or []:
            note_restart(cs)
        has_running = False
        for cs in reversed(status.get("containerStatuses") or []):
            note_restart(cs)
            state = cs.get("state") or {}
            wait, term = state.get("waiting"), state.get("terminated")
            if wait and wait.get("reason"):
                reason = wait["reason"]
            elif term and term.get("reason"):
                reason = term["reason"]
            elif term:
                reason = (f"Signal:{term['signal']}" if term.get("signal")
                          else f"ExitCode:{term.get('exitCode')}")
            elif cs.get("ready") and "running" in state:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            ready_cond = any(c.get("type") == "Ready" and c.get("status") == "True"
                             for c in status.get("conditions") or [])
            reason = "Running" if ready_cond else "NotReady"
    if pod["metadata"].get("deletionTimestamp"):
        reason = "Unknown" if status.get("reason") == "NodeLost" else "Terminating"
    return reason, ready, total, restarts, last_restart


def _pod_row(pod: Obj) -> Row:
    reason, ready, total, restarts, last = _pod_status(pod)
    restart_text = str(restarts)
    if restarts and last:
        restart_text = f"{restarts} ({since(last)} ago)"
    status = pod.get("status") or {}
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    gates_text = "<none>"
    if gates:
        true = {c.get("type") for c in status.get("conditions") or []
                if c.get("status") == "True"}
        gates_text = f"{sum(g.get('conditionType') in true for g in gates)}/{len(gates)}"
    return [pod["metadata"]["name"], f"{ready}/{total}", reason, restart_text, _age(pod),
            status.get("podIP") or "<none>", (pod.get("spec") or {}).get("nodeName") or "<none>",
            status.get("nominatedNodeName") or "<none>", gates_text]


POD_COLS = [NAME_COL, _col("Ready", description="The aggregate readiness state of this pod for "
                           "accepting traffic."),
            _col("Status", description="The aggregate status of the containers in this pod."),
            _col("Restarts", description="The number of times the containers in this pod have "
                 "been restarted and when the last container in this pod has restarted."),
            AGE_COL,
            _col("IP", priority=1, description="IP address allocated to the pod."),
            _col("Node", priority=1, description="Name of the Node this pod is assigned to."),
            _col("Nominated Node", priority=1, description="Name of the node nominated by the "
                 "scheduler."),
            _col("Readiness Gates", priority=1, description="The readiness gates of the pod.")]


# ---- workloads ----------------------------------------------------------------------------
def _deployment_row(d: Obj) -> Row:
    spec, st = d.get("spec") or {}, d.get("status") or {}
    names, images = _containers(d)
    return [d["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            st.get("updatedReplicas", 0), st.get("availableReplicas", 0), _age(d), names,
            images, _match_labels(d)]


DEPLOYMENT_COLS = [NAME_COL, _col("Ready", description="Number of the pod with ready state"),
                   _col("Up-to-date", "integer", "Total number of non-terminated pods "
                        "targeted by this deployment that have the desired template spec."),
                   _col("Available", "integer", "Total number of available pods (ready for at "
                        "least minReadySeconds) targeted by this deployment."),
                   AGE_COL,
                   _col("Containers", priority=1, description="Names of each container in "
                        "the template."),
                   _col("Images", priority=1, description="Images referenced by each "
                        "container in the template."),
                   _col("Selector", priority=1, description="Label selector for pods.")]


def _replicaset_row(r: Obj) -> Row:
    spec, st = r.get("spec") or {}, r.get("status") or {}
    names, images = _containers(r)
    return [r["metadata"]["name"], spec.get("replicas", 1), st.get("replicas", 0),
            st.get("readyReplicas", 0), _age(r), names, images, _match_labels(r)]


REPLICASET_COLS = [NAME_COL, _col("Desired", "integer", "Number of desired pods."),
                   _col("Current", "integer", "Number of actual replicas."),
                   _col("Ready", "integer", "The number of ready replicas for this replica "
                        "set."),
                   AGE_COL, *DEPLOYMENT_COLS[5:]]


def _statefulset_row(s: Obj) -> Row:
    spec, st = s.get("spec") or {}, s.get("status") or {}
    names, images = _containers(s)
    return [s["metadata"]["name"], f"{st.get('readyReplicas', 0)}/{spec.get('replicas', 1)}",
            _age(s), names, images]


STATEFULSET_COLS = [NAME_COL, _col("Ready", description="Number of the pod with ready state"),
                    AGE_COL, *DEPLOYMENT_COLS[5:7]]


def _daemonset_row(d: Obj) -> Row:
    st = d.get("status") or {}
    node_selector = (((d.get("spec") or {}).get("template") or {}).get("spec") or {}).get(
        "nodeSelector")
    names, images = _containers(d)
    return [d["metadata"]["name"], st.get("desiredNumberScheduled", 0),
            st.get("currentNumberScheduled", 0), st.get("numberReady", 0),
            st.get("updatedNumberScheduled", 0), st.get("numberAvailable", 0),
            _labels(node_selector), _age(d), names, images, _match_labels(d)]


DAEMONSET_COLS = [NAME_COL, _col("Desired", "integer", "The desired number of daemon pods."),
                  _col("Current", "integer", "The current number of daemon pods."),
                  _col("Ready", "integer", "The number of ready daemon pods."),
                  _col("Up-to-date", "integer", "The number of up-to-date daemon pods."),
                  _col("Available", "integer", "The number of available daemon pods."),
                  _col("Node Selector", description="Node selector of the daemon set."),
                  AGE_COL, *DEPLOYMENT_COLS[5:]]


def _job_row(j: Obj) -> Row:
    spec, st = j.get("spec") or {}, j.get("status") or {}
    conds = {c.get("type") for c in st.get("conditions") or [] if c.get("status") == "True"}
    if "Complete" in conds:
        status = "Complete"
    elif "Failed" in conds:
        status = "Failed"
    elif j["metadata"].get("deletionTimestamp"):
        status = "Terminating"
    elif "SuccessCriteriaMet" in conds:
        status = "SuccessCriteriaMet"
    elif "Suspended" in conds:
        status = "Suspended"
    elif "FailureTarget" in conds:
        status = "FailureTarget"
    else:
        status = "Running"
    succeeded = st.get("succeeded", 0)
    if spec.get("completions") is not None:
        completions = f"{succeeded}/{spec['completions']}"
    elif (spec.get("parallelism") or 1) > 1:
        completions = f"{succeeded}/1 of {spec['parallelism']}"
    else:
        completions = f"{succeeded}/1"
    start, end = _parse_time(st.get("startTime")), _parse_time(st.get("completionTime"))
    duration = ""
    if start is not None:
        duration = human_duration(((end or datetime.now(UTC)) - start).total_seconds())
    names, images = _containers(j)
    return [j["metadata"]["name"], status, completions, duration, _age(j), names, images,
            _match_labels(j)]


JOB_COLS = [NAME_COL, _col("Status", description="Status of the job."),
            _col("Completions", description="The desired number of successfully finished "
                 "pods the job should be run with."),
            _col("Duration", description="Time required to complete the job."),
            AGE_COL, *DEPLOYMENT_COLS[5:]]


# ---- core kinds ---------------------------------------------------------------------------
def _service_row(s: Obj) -> Row:
    spec = s.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    cluster_ip = spec.get("clusterIP") or "<none>"
    if stype == "ExternalName":
        external = spec.get("externalName", "<none>")
    elif stype == "LoadBalancer":
        ingress = ((s.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        ips = [i.get("ip") or i.get("hostname") for i in ingress] + list(
            spec.get("externalIPs") or [])
        external = ",".join(ip for ip in ips if ip) or "<pending>"
    else:
        external = ",".join(spec.get("externalIPs") or []) or "<none>"
    ports = []
    for p in spec.get("ports") or []:
        node = f":{p['nodePort']}" if p.get("nodePort") else ""
        ports.append(f"{p.get('port')}{node}/{p.get('protocol', 'TCP')}")
    return [s["metadata"]["name"], stype, cluster_ip, external, _none(ports), _age(s),
            _labels(spec.get("selector"))]


SERVICE_COLS = [NAME_COL, _col("Type", description="The type of the service."),
                _col("Cluster-IP", description="The cluster IP of the service."),
                _col("External-IP", description="The external IP of the service."),
                _col("Port(s)", description="The ports of the service."),
                AGE_COL, _col("Selector", priority=1, description="The selector of the "
                              "service.")]


def _node_row(n: Obj) -> Row:
    st = n.get("status") or {}
    ready = next((c for c in st.get("conditions") or [] if c.get("type") == "Ready"), None)
    status = "Unknown"
    if ready is not None:
        status = "Ready" if ready.get("status") == "True" else "NotReady"
    if (n.get("spec") or {}).get("unschedulable"):
        status += ",SchedulingDisabled"
    roles = sorted(k.split("/", 1)[1] for k in (n["metadata"].get("labels") or {})
                   if k.startswith("node-role.kubernetes.io/") and "/" in k)
    info = st.get("nodeInfo") or {}
    internal = next((a.get("address") for a in st.get("addresses") or []
                     if a.get("type") == "InternalIP"), "<none>")
    external = next((a.get("address") for a in st.get("addresses") or []
                     if a.get("type") == "ExternalIP"), "<none>")
    return [n["metadata"]["name"], status, _none(roles), _age(n),
            info.get("kubeletVersion", ""), internal, external, info.get("osImage", "<unknown>"),
            info.get("kernelVersion", "<unknown>"), info.get("containerRuntimeVersion",
                                                             "<unknown>")]


NODE_COLS = [NAME_COL, _col("Status", description="The status of the node"),
             _col("Roles", description="The roles of the node"), AGE_COL,
             _col("Version", description="Kubelet Version reported by the node."),
             _col("Internal-IP", priority=1, description="List of internal IPs."),
             _col("External-IP", priority=1, description="List of external IPs."),
             _col("OS-Image", priority=1, description="OS Image reported by the node."),
             _col("Kernel-Version", priority=1, description="Kernel Version reported by "
                  "the node."),
             _col("Container-Runtime", priority=1, description="Container Runtime Version "
                  "reported by the node.")]


def _event_row(e: Obj) -> Row:
    last = e.get("lastTimestamp") or e.get("eventTime") or (
        (e.get("series") or {}).get("lastObservedTime"))
    first = e.get("firstTimestamp") or e.get("eventTime")
    count = int(e.get("count") or (e.get("series") or {}).get("count") or 1)
    last_seen = since(last)
    if count > 1:
        last_seen = f"{last_seen} (x{count} over {since(first)})"
    inv = e.get("involvedObject") or e.get("regarding") or {}
    obj = f"{str(inv.get('kind', '')).lower()}/{inv.get('name', '')}"
    source = e.get("source") or {}
    source_text = source.get("component", "") + (
        f", {source['host']}" if source.get("host") else "")
    return [last_seen, e.get("type", ""), e.get("reason", ""), obj,
            str(e.get("message", "")).strip(), inv.get("fieldPath", ""), source_text,
            count, since(first), e["metadata"]["name"]]


EVENT_COLS = [_col("Last Seen", description="Last time the event was observed"),
              _col("Type", description="Type of this event"),
              _col("Reason", description="Reason why the action was taken"),
              _col("Object", description="The object this event is about"),
              _col("Message", description="A human-readable description of the status"),
              _col("Subobject", priority=1, description="The field of the object"),
              _col("Source", priority=1, description="The component reporting this event"),
              _col("Count", "integer", priority=1, description="The number of times this "
                   "event has occurred"),
              _col("First Seen", priority=1, description="First time the event was observed"),
              _col("Name", priority=1, fmt="name", description=NAME_DESCRIPTION)]


def _namespace_row(n: Obj) -> Row:
    return [n["metadata"]["name"], (n.get("status") or {}).get("phase", ""), _age(n)]


def _configmap_row(c: Obj) -> Row:
    return [c["metadata"]["name"], len(c.get("data") or {}) + len(c.get("binaryData") or {}),
            _age(c)]


def _secret_row(s: Obj) -> Row:
    return [s["metadata"]["name"], s.get("type", ""), len(s.get("data") or {}), _age(s)]


def _sa_row(s: Obj) -> Row:
    return [s["metadata"]["name"], len(s.get("secrets") or []), _age(s)]


def _endpoints_row(e: Obj) -> Row:
    pairs = []
    for subset in e.get("subsets") or []:
        ports = subset.get("ports") or [{}]
        for addr in subset.get("addresses") or []:
            for p in ports:
                pairs.append(f"{addr.get('ip')}:{p['port']}" if p.get("port") else
                             str(addr.get("ip")))
    text = ",".join(pairs[:3]) if pairs else "<none>"
    if len(pairs) > 3:
        text += f" + {len(pairs) - 3} more..."
    return [e["metadata"]["name"], text, _age(e)]


def _pvc_row(p: Obj) -> Row:
    spec, st = p.get("spec") or {}, p.get("status") or {}
    capacity = (st.get("capacity") or {}).get("storage", "") if spec.get("volumeName") else ""
    modes = {"ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX",
             "ReadWriteOncePod": "RWOP"}
    access = ",".join(modes.get(m, m) for m in st.get("accessModes") or [])
    return [p["metadata"]["name"], st.get("phase", ""), spec.get("volumeName", ""), capacity,
            access, spec.get("storageClassName") or "<unset>",
            spec.get("volumeAttributesClassName") or "<unset>", _age(p),
            spec.get("volumeMode", "")]


def _lease_row(le: Obj) -> Row:
    return [le["metadata"]["name"], (le.get("spec") or {}).get("holderIdentity") or "<none>",
            _age(le)]


def _rolebinding_row(b: Obj) -> Row:
    ref = b.get("roleRef") or {}
    subjects = b.get("subjects") or []

    def of(kind: str) -> str:
        return ",".join(
            (f"{s.get('namespace', '')}/{s.get('name')}" if kind == "ServiceAccount"
             else str(s.get("name"))) for s in subjects if s.get("kind") == kind)

    return [b["metadata"]["name"], f"{ref.get('kind')}/{ref.get('name')}", _age(b),
            of("User"), of("Group"), of("ServiceAccount")]


def _created_at_row(o: Obj) -> Row:
    return [o["metadata"]["name"], o["metadata"].get("creationTimestamp", "")]


CREATED_AT_COLS = [NAME_COL, _col("Created At", "date", "CreationTimestamp is a timestamp "
                                  "representing the server time when this object was created.")]

Printer = tuple[list[Column], Callable[[Obj], Row]]

BUILTIN_PRINTERS: dict[tuple[str, str], Printer] = {
    ("", "pods"): (POD_COLS, _pod_row),
    ("apps", "deployments"): (DEPLOYMENT_COLS, _deployment_row),
    ("apps", "replicasets"): (REPLICASET_COLS, _replicaset_row),
    ("apps", "statefulsets"): (STATEFULSET_COLS, _statefulset_row),
    ("apps", "daemonsets"): (DAEMONSET_COLS, _daemonset_row),
    ("batch", "jobs"): (JOB_COLS, _job_row),
    ("", "services"): (SERVICE_COLS, _service_row),
    ("", "nodes"): (NODE_COLS, _node_row),
    ("", "events"): (EVENT_COLS, _event_row),
    ("", "namespaces"): ([NAME_COL, _col("Status", description="The status of the namespace"),
                          AGE_COL], _namespace_row),
    ("", "configmaps"): ([NAME_COL, _col("Data", "integer", "Number of data entries"),
                          AGE_COL], _configmap_row),
    ("", "secrets"): ([NAME_COL, _col("Type", description="The type of the secret"),
                       _col("Data", "integer", "Number of data entries"), AGE_COL],
                      _secret_row),
    ("", "serviceaccounts"): ([NAME_COL, _col("Secrets", "integer", "The number of secrets "
                                              "associated with the service account"), AGE_COL],
                              _sa_row),
    ("", "endpoints"): ([NAME_COL, _col("Endpoints", description="Endpoints of the "
                                        "resource"), AGE_COL], _endpoints_row),
    ("", "persistentvolumeclaims"): (
        [NAME_COL, _col("Status", description="The status of the claim"),
         _col("Volume", description="The volume bound to the claim"),
         _col("Capacity", description="The capacity of the volume"),
         _col("Access Modes", description="The access modes of the volume"),
         _col("StorageClass", description="The storage class of the claim"),
         _col("VolumeAttributesClass", description="The volume attributes class"), AGE_COL,
         _col("VolumeMode", priority=1, description="The volume mode of the claim")],
        _pvc_row),
    ("coordination.k8s.io", "leases"): (
        [NAME_COL, _col("Holder", description="The holder of the lease"), AGE_COL],
        _lease_row),
    ("rbac.authorization.k8s.io", "rolebindings"): (
        [NAME_COL, _col("Role", description="Role of the binding"), AGE_COL,
         _col("Users", priority=1, description="Users in the binding"),
         _col("Groups", priority=1, description="Groups in the binding"),
         _col("ServiceAccounts", priority=1, description="ServiceAccounts in the binding")],
        _rolebinding_row),
}
BUILTIN_PRINTERS[("rbac.authorization.k8s.io", "clusterrolebindings")] = BUILTIN_PRINTERS[
    ("rbac.authorization.k8s.io", "rolebindings")]


# ---- custom resources: additionalPrinterColumns -------------------------------------------
def _cell(column: dict[str, Any], obj: Obj) -> Any:
    """One printer-column cell as apiextensions' tableconvertor computes it."""
    try:
        values = jsonpath.find(obj, column.get("jsonPath", ""))
    except jsonpath.JsonPathError:
        return None
    if not values:
        return None
    value = values[0]  # "simple" JSONPath: the first result only, as upstream
    ctype = column.get("type", "string")
    if ctype == "string":
        return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if ctype == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if ctype == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if ctype == "boolean" and isinstance(value, bool):
        return value
    if ctype == "date" and isinstance(value, str):
        return since(value) if _parse_time(value) else "<invalid>"
    return None


def _crd_printer(rt: ResourceType) -> Printer:
    declared = list(rt.printer_columns) or [
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]
    cols = [NAME_COL] + [
        _col(c["name"], c.get("type", "string"), c.get("description", ""),
             int(c.get("priority", 0)), c.get("format", "")) for c in declared]

    def row(obj: Obj) -> Row:
        return [obj["metadata"]["name"], *(_cell(c, obj) for c in declared)]

    return cols, row


def printer_for(rt: ResourceType, is_custom: bool) -> Printer:
    if is_custom:
        return _crd_printer(rt)
    return BUILTIN_PRINTERS.get(rt.key, (CREATED_AT_COLS, _created_at_row))


def _row_object(obj: Obj, include: str) -> Obj | None:
    if include == "None":
        return None
    if include == "Object":
        return obj
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"]}


def table(rt: ResourceType, is_custom: bool, objs: list[Obj], list_meta: Obj,
          include_object: str | None, with_columns: bool = True) -> Obj:
    include = include_object or "Metadata"
    if include not in ("None", "Metadata", "Object"):
        raise errors.bad_request(
            f'Unsupported value: "{include}": supported values: "Metadata", "None", "Object"')
    cols, row = printer_for(rt, is_custom)
    out: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": list_meta,
                "rows": [{"cells": row(o), "object": _row_object(o, include)} for o in objs]}
    if with_columns:
        out["columnDefinitions"] = cols
    return out
