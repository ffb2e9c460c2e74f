"""The harness's own Kubernetes requests, recorded while the journey walks the emulated
Sovereign, replayed against the real kube-apiserver and an emulated API holding the same
objects (the default Sovereign's manifests, no controllers on either side).

Per step, every distinct request must get the same status from both, lists must name the
same manifest objects, and a GET of one object must return the same spec: the requests the
journey makes are ones a real server accepts, and they read what they would read there.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from e2e.oracle import OracleServer
from e2e.oracle.apply import Discovery, apply, message
from e2e.oracle.rawapi import RawApi, watch_events
from stubs.emulator import manifests
from stubs.emulator.runtime import Emulator, EmulatorThread
from tests.oracle.conftest import install_crds

Request = tuple[str, str, tuple[tuple[str, str], ...]]  # method, path, query
VARIABLES = {"SOVEREIGN_FQDN": "sovereign.test"}
VOLATILE_QUERY = {"resourceVersion", "continue", "timeoutSeconds"}


@pytest.fixture(scope="module")
def recorded(oracle: OracleServer) -> dict[int, list[Request]]:
    """Each step's KubeClient calls during a clean emulated journey (reads only: the
    journey's one create and its cleanup are not replayed). Asks for `oracle` only to skip
    alike when it cannot run."""
    from e2e.config import Settings
    from e2e.kube.client import KubeClient
    from e2e.session import JourneySession

    calls: list[Request] = []
    original = KubeClient._call

    def recording(self: KubeClient, method: str, path: str, **kw: Any) -> Any:
        query = tuple(sorted((k, str(v)) for k, v in (kw.get("query") or {}).items()
                             if v is not None and k not in VOLATILE_QUERY))
        if method == "GET":
            calls.append((method, path, query))
        return original(self, method, path, **kw)

    per_step: dict[int, list[Request]] = {}
    with tempfile.TemporaryDirectory(prefix="journey-requests-") as tmp:
        mp = pytest.MonkeyPatch()
        mp.setattr(KubeClient, "_call", recording)
        session = JourneySession(Settings(report_dir=Path(tmp)))
        try:
            session.start()
            for step in session.steps:
                calls.clear()
                result = session.run_step(step.number)
                assert result.status.value == "PASS", f"step {step.number}: {result.status}"
                per_step[step.number] = list(dict.fromkeys(calls))
        finally:
            session.close()
            mp.undo()
    return per_step


def _docs() -> list[dict[str, Any]]:
    return manifests.build(manifests.DEFAULT_MANIFESTS_DIR, variables=VARIABLES)


@pytest.fixture(scope="module")
def twins() -> Iterator[tuple[RawApi, RawApi]]:
    """An emulated API with the default manifests (no controllers), and a fresh oracle with
    the shipped CRDs and the same manifests applied for real."""
    thread = EmulatorThread(Emulator(manifests_dir=manifests.DEFAULT_MANIFESTS_DIR))
    emulated = RawApi.from_kubeconfig(thread.start().kubeconfig())
    with OracleServer() as server:
        real = RawApi.from_kubeconfig(server.kubeconfig())
        discovery = Discovery(real)
        problems = [p for ps in install_crds(real).values() for p in ps]
        assert not problems, problems
        docs = sorted(_docs(), key=lambda d: d.get("kind") != "Namespace")
        for doc in docs:
            answer = apply(real, discovery, doc, dry_run=False)
            assert answer.status < 300, message(answer)
        yield emulated, real
    emulated.close()
    thread.stop()


def _manifest_ids() -> set[tuple[str, str, str]]:
    return {(d["kind"], (d.get("metadata") or {}).get("namespace", ""),
             d["metadata"]["name"]) for d in _docs()}


def _seen(api: RawApi, method: str, path: str, query: dict[str, str]) -> Any:
    if query.get("watch") in ("true", "1"):
        listed = api.get(path, params={k: v for k, v in query.items() if k != "watch"})
        rv = listed.body["metadata"]["resourceVersion"] if listed.status == 200 else "0"
        status, events = watch_events(api, path, {**query, "resourceVersion": rv,
                                                  "timeoutSeconds": 1})
        return [status, [e.get("type") for e in events
                         if isinstance(e, dict) and e.get("type") == "ERROR"]]
    answer = api.call(method, path, params=query)
    body = answer.body if isinstance(answer.body, dict) else {}
    if "items" in body:
        ours = _manifest_ids()
        named = sorted(i for i in ((o.get("kind") or body.get("kind", "")[:-4],
                                    o["metadata"].get("namespace", ""), o["metadata"]["name"])
                                   for o in body["items"]) if i in ours)
        return [answer.status, named]
    if answer.status == 200 and "metadata" in body:
        return [answer.status, body["metadata"].get("name"), body.get("spec")]
    return [answer.status, body.get("reason")]


@pytest.mark.parametrize("number", range(1, 17), ids=lambda n: f"step-{n:02d}")
def test_journey_requests_answer_alike(number: int, recorded: dict[int, list[Request]],
                                       twins: tuple[RawApi, RawApi]) -> None:
    requests = recorded.get(number, [])
    if not requests:
        pytest.skip(f"step {number:02d} made no Kubernetes API read of its own (it reads "
                    "informers opened before, or talks HTTP to the platform)")
    emulated, real = twins
    differ = []
    for method, path, query in requests:
        q = dict(query)
        if path == "/version":
            continue  # compared by the differential tests (case "version")
        a, b = _seen(emulated, method, path, q), _seen(real, method, path, q)
        if a != b:
            differ.append(f"{method} {path} {q}: emulated {a} != real {b}")
    assert not differ, "\n".join(differ)
