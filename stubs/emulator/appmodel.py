"""The app model: what each container image is, as far as the emulated kubelet needs to know.

`clusters/emulated/apps.yaml` (kind `AppModel`) lists the images that exist in the emulated
registries: repository, the tags that exist (omitted = any), the app that runs (a name
registered in `stubs.emulator.apps` or `generic`), the port the process listens on, the
path prefixes a generic app answers, and what the entrypoint does at start (paths it
removes, lines it prints), optionally its ENV defaults (`env`) and the memory its process
grows to once started (`memory`, a quantity: a container whose memory limit is below it is
OOM-killed), the executables on its $PATH an exec probe may run (`commands`, behaviours from
controllers/execprobe.py; none listed: a distroless image, every exec fails), and the
grpc.health.v1 server its process runs (`grpc: {port, services: {<name>: SERVING|
NOT_SERVING}}`, "" the server's overall health). An image that is not listed does not
exist: pulling it fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .kubeapi.quantity import quantity

# The exec behaviours the kubelet knows (controllers/execprobe.py); kept here so the model
# is checked when it is read, without importing the kubelet's side.
KNOWN_COMMANDS = frozenset({"sh", "bash", "cat", "true", "false", "curl", "wget",
                            "pg_isready", "redis-cli"})

DEFAULT_APPS_FILE = Path(__file__).resolve().parents[2] / "clusters" / "emulated" / "apps.yaml"
DEFAULT_REGISTRY = "docker.io"
DEFAULT_PORT = 8080


@dataclass(frozen=True)
class ImageRef:
    """A parsed image reference, normalised the way containerd names it."""

    registry: str
    path: str
    tag: str
    digest: str = ""

    @property
    def repository(self) -> str:
        return f"{self.registry}/{self.path}"

    def __str__(self) -> str:
        ref = f"{self.repository}:{self.tag}"
        return f"{ref}@{self.digest}" if self.digest else ref


def parse_image(image: str) -> ImageRef:
    """`nginx` -> docker.io/library/nginx:latest; `ghcr.io/a/b:1.0` -> itself."""
    name, _, digest = image.partition("@")
    last = name.rsplit("/", 1)[-1]
    tag = ""
    if ":" in last:
        name, _, tag = name.rpartition(":")
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = DEFAULT_REGISTRY, name
    if registry == DEFAULT_REGISTRY and "/" not in path:
        path = f"library/{path}"
    return ImageRef(registry, path, tag or ("" if digest else "latest"), digest)


@dataclass(frozen=True)
class Entrypoint:
    removes: tuple[str, ...] = ()
    log: tuple[str, ...] = ()


@dataclass(frozen=True)
class GrpcHealth:
    port: int
    services: tuple[tuple[str, str], ...] = (("", "SERVING"),)


@dataclass(frozen=True)
class ImageModel:
    repository: str
    tags: tuple[str, ...] | None = None
    app: str = "generic"
    port: int | None = None
    paths: tuple[str, ...] = ("/",)
    entrypoint: Entrypoint = field(default_factory=Entrypoint)
    # The image's ENV defaults (the Dockerfile's ENV), overridden by the pod spec.
    env: tuple[tuple[str, str], ...] = ()
    # The working set the process reaches after start (bytes; None: small, never limited).
    memory: float | None = None
    # Executables on the image's $PATH (what an exec probe can run).
    commands: frozenset[str] = frozenset()
    grpc: GrpcHealth | None = None

    def env_map(self) -> dict[str, str]:
        return dict(self.env)

    def has_tag(self, tag: str) -> bool:
        return self.tags is None or tag in self.tags


def _image_model(doc: Mapping[str, Any]) -> ImageModel:
    ep = doc.get("entrypoint") or {}
    tags = doc.get("tags")
    paths = doc.get("paths")
    commands = frozenset(str(c) for c in doc.get("commands") or ())
    unknown = sorted(commands - KNOWN_COMMANDS)
    if unknown:
        raise ValueError(f"image {doc.get('repository')}: no behaviour for commands "
                         f"{', '.join(unknown)} (known: {', '.join(sorted(KNOWN_COMMANDS))})")
    grpc_doc = doc.get("grpc")
    grpc = None
    if grpc_doc is not None:
        services = grpc_doc.get("services") or {"": "SERVING"}
        grpc = GrpcHealth(int(grpc_doc["port"]),
                          tuple((str(k), str(v)) for k, v in services.items()))
    return ImageModel(
        repository=parse_image(str(doc["repository"])).repository,
        tags=tuple(str(t) for t in tags) if tags is not None else None,
        app=str(doc.get("app") or "generic"),
        port=int(doc["port"]) if doc.get("port") is not None else None,
        paths=tuple(str(p) for p in paths) if paths else ("/",),
        entrypoint=Entrypoint(tuple(str(p) for p in ep.get("removes") or ()),
                              tuple(str(line) for line in ep.get("log") or ())),
        env=tuple((str(k), str(v)) for k, v in (doc.get("env") or {}).items()),
        memory=quantity(doc["memory"]) if doc.get("memory") is not None else None,
        commands=commands, grpc=grpc,
    )


@dataclass(frozen=True)
class AppModel:
    images: tuple[ImageModel, ...] = ()

    @classmethod
    def parse(cls, doc: Mapping[str, Any]) -> AppModel:
        if doc.get("kind") not in (None, "AppModel"):
            raise ValueError(f"not an AppModel: kind {doc.get('kind')!r}")
        return cls(tuple(_image_model(d) for d in doc.get("images") or ()))

    @classmethod
    def load(cls, path: Path = DEFAULT_APPS_FILE) -> AppModel:
        """The model in `path`; a missing file is an empty model (no image exists)."""
        if not path.exists():
            return cls()
        return cls.parse(yaml.safe_load(path.read_text()) or {})

    def find(self, image: str) -> ImageModel | None:
        """The model of an image reference, or None when no registry has that image."""
        ref = parse_image(image)
        for model in self.images:
            if model.repository == ref.repository and (ref.digest or model.has_tag(ref.tag)):
                return model
        return None

    def repositories(self) -> Sequence[str]:
        return [m.repository for m in self.images]
