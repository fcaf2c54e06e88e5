"""Readers for the deployment files: YAML (multi-document), the Dockerfile, Kustomize trees, Kafka ACLs.

No Docker engine or Kubernetes cluster is at hand, so the deployment is checked by reading its files.
What a file must hold is derived from the code wherever the code knows it: ports from the services'
settings, partitions and retention from ``lapor_shared.topics``, who may read or write a topic from the
code's own wiring (tests/deploy/access.py).
"""

from __future__ import annotations

import ast
import importlib
import re
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from lapor_shared.topics import all_topics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE_DIR = DEPLOY / "compose"
K8S = DEPLOY / "k8s"
BASE = K8S / "base"
OVERLAYS = ("dev", "production")
SERVICES = ("intake", "routing", "followup", "notify", "dashboard", "gateway", "console")
CONTACT_KEY_HOLDERS = {"intake", "notify"}
"""Only these two services get the contact key ring: intake encrypts, notify decrypts."""

ROLES = {service: {service} for service in SERVICES}
"""Catalogue roles each service's Kafka principal acts for: its own name. The gateway is named in the
catalogue where it acts (lapor.submissions, the results, lapor.complaints); the "channel adapters" role is
outside adapters', and no service holds it."""


# --------------------------------------------------------------------------------------------- YAML

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML has it: the 553 jurisdiction topics parse in a fraction of the time."""


def load_docs(path: Path) -> list[dict[str, Any]]:
    """Every non-empty document of a (multi-document) YAML file."""
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.load_all(fh, Loader=LOADER) if doc]


@cache
def compose() -> dict[str, Any]:
    (doc,) = load_docs(COMPOSE_DIR / "compose.yaml")
    return doc


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def env_files_of(service: dict[str, Any]) -> list[Path]:
    entries = service.get("env_file", [])
    entries = [entries] if isinstance(entries, str) else entries
    return [COMPOSE_DIR / (e if isinstance(e, str) else e["path"]) for e in entries]


def compose_environment(service: dict[str, Any]) -> dict[str, str]:
    """What a compose service's process sees: its env files, then its ``environment`` (which wins)."""
    env: dict[str, str] = {}
    for path in env_files_of(service):
        env.update(read_env_file(path))
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    env.update({k: str(v) for k, v in environment.items()})
    return env


@cache
def base_resources() -> dict[str, list[dict[str, Any]]]:
    """Every resource under deploy/k8s/base, by kind (the files themselves, not a Kustomize build)."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(BASE.rglob("*.yaml")):
        for doc in load_docs(path):
            if path.name != "kustomization.yaml":
                by_kind[doc["kind"]].append(doc)
    return dict(by_kind)


def one(kind: str, name: str, resources: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, Any]:
    found = [r for r in (resources or base_resources()).get(kind, []) if r["metadata"]["name"] == name]
    assert len(found) == 1, f"expected exactly one {kind} {name!r}, found {len(found)}"
    return found[0]


def container(deployment: dict[str, Any]) -> dict[str, Any]:
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return only


# ----------------------------------------------------------------------------------------- services


def service_port(service: str) -> int:
    """The HTTP port the service's settings default to (LAPOR_HTTP_PORT)."""
    settings = importlib.import_module(f"lapor_{service}.settings")
    (cls,) = [v for k, v in vars(settings).items() if k.endswith("Settings") and k.lower() == f"{service}settings"]
    return cls.model_fields["http_port"].default


def consumed_topics(service: str) -> dict[str, int]:
    """Catalogued topics the service reads → their partitions."""
    return {t.name: t.partitions for t in all_topics() if ROLES[service] & set(t.readers)}


def max_useful_replicas(service: str) -> int:
    """Beyond the largest partition count among the topics it consumes, a replica gets no partition; a group
    reading many topics by one pattern (the console: every agency's stream) shares all their partitions."""
    topics = consumed_topics(service)
    if service == "console":
        return sum(topics.values())
    return max(topics.values())


def module_path(name: str) -> Path | None:
    """The source file of a lapor_shared or lapor_<service> module, None for anything else."""
    top = name.split(".")[0]
    if top == "lapor_shared":
        root = ROOT / "shared"
    elif top.removeprefix("lapor_") in SERVICES:
        root = ROOT / "services" / top.removeprefix("lapor_")
    else:
        return None
    base = root.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def import_closure(entry: str) -> dict[str, ast.Module]:
    """Every project module a process started as ``python -m <entry>`` can import (statically: also
    imports inside functions), with its syntax tree. Modules only tests import are not in it."""
    trees: dict[str, ast.Module] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        path = module_path(name)
        if name in trees or path is None:
            continue
        tree = trees[name] = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                todo += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
                module = ".".join([*anchor, *([node.module] if node.module else [])])
                todo += [module, *(f"{module}.{alias.name}" for alias in node.names)]
    return trees


def imported_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def settings_defaults(trees: dict[str, ast.Module]) -> dict[str, str]:
    """String defaults of the fields of every ``…Settings`` class in the modules (``consumer_group`` …)."""
    defaults: dict[str, str] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Settings"):
                for item in node.body:
                    if (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                            and isinstance(item.value, ast.Constant) and isinstance(item.value.value, str)):
                        defaults[item.target.id] = item.value.value
    return defaults


def consumer_groups(trees: dict[str, ast.Module]) -> set[str]:
    """Consumer group ids (or, for f-strings, their literal prefix) the modules subscribe with: literals,
    module constants and fields of the service's settings (``group_id=settings.consumer_group``)."""
    groups: set[str] = set()
    fields = settings_defaults(trees)
    for tree in trees.values():
        constants = {
            target.id: node.value.value
            for node in tree.body if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
            for target in node.targets if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if not (isinstance(node, ast.keyword) and node.arg == "group_id"):
                continue
            value = node.value
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                groups.add(value.value)
            elif isinstance(value, ast.Name) and value.id in constants:
                groups.add(constants[value.id])
            elif isinstance(value, ast.Attribute) and value.attr in fields:
                groups.add(fields[value.attr])
            elif isinstance(value, ast.JoinedStr) and value.values and isinstance(value.values[0], ast.Constant):
                groups.add(value.values[0].value)
    return groups


def subscribed_topics(trees: dict[str, ast.Module]) -> set[str]:
    """Topics the modules subscribe to as ``broker.subscriber(<CATALOGUE_CONSTANT>.name, …)`` or, in
    batches through the shared runtime, as ``runtime.subscribe(consumer, <CATALOGUE_CONSTANT>.name, …)``."""
    from lapor_shared import topics as catalogue

    found: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("subscriber", "subscribe")):
                continue
            for arg in node.args:
                if (isinstance(arg, ast.Attribute) and arg.attr == "name" and isinstance(arg.value, ast.Name)
                        and isinstance(getattr(catalogue, arg.value.id, None), catalogue.TopicSpec)):
                    found.add(getattr(catalogue, arg.value.id).name)
    return found


# -------------------------------------------------------------------------------------- Dockerfiles


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


DOCKERFILE = DEPLOY / "docker" / "Dockerfile"
"""The one Dockerfile of every service image; the build arguments SERVICE and PORT say which."""


def build_args(service: str) -> dict[str, str]:
    """What `make images` and compose pass for ``service``: its name and its settings' HTTP port."""
    return {"SERVICE": service, "PORT": str(service_port(service))}


def dockerfile(service: str) -> list[Instruction]:
    """The instructions of the Dockerfile as built for ``service``: continuation lines joined, the build
    arguments and ARG defaults expanded."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    args = build_args(service)
    instructions = []
    for line in logical:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "ARG" and "=" in rest:
            name, _, default = rest.partition("=")
            args.setdefault(name.strip(), default.strip().strip('"'))
        rest = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest)
        instructions.append(Instruction(keyword, rest.strip()))
    return instructions


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    """Instructions grouped by build stage (each list starts with its FROM)."""
    grouped: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            grouped.append([])
        if grouped:
            grouped[-1].append(ins)
    return grouped


# --------------------------------------------------------------------------------------- Kafka ACLs

ALL_TOPIC_NAMES = [t.name for t in all_topics()]


def acl_operations(acl: dict[str, Any]) -> set[str]:
    return set(acl.get("operations") or [acl["operation"]])


def allows(user: dict[str, Any], operation: str, resource_type: str, name: str) -> bool:
    """Does one of the user's allow-ACLs grant ``operation`` on ``name`` (literal, prefix or ``*``)?"""
    for acl in user["spec"]["authorization"]["acls"]:
        resource = acl["resource"]
        if resource["type"] != resource_type or acl.get("type", "allow") != "allow":
            continue
        if not acl_operations(acl) & {operation, "All"}:
            continue
        pattern, granted = resource.get("patternType", "literal"), resource.get("name", "*")
        if granted == "*" or (pattern == "literal" and granted == name) or (
            pattern == "prefix" and name.startswith(granted)
        ):
            return True
    return False


def topics_allowed(user: dict[str, Any], operation: str, topics: Iterable[str] = ALL_TOPIC_NAMES) -> set[str]:
    return {t for t in topics if allows(user, operation, "topic", t)}


def kafka_users() -> dict[str, dict[str, Any]]:
    return {u["metadata"]["name"]: u for u in base_resources()["KafkaUser"]}


# ---------------------------------------------------------------------------------------- Kustomize


def kustomization_files() -> list[Path]:
    return sorted(K8S.rglob("kustomization.yaml"))


def kustomize_references(path: Path) -> list[Path]:
    """The files and folders a kustomization.yaml names (resources, components, patches …)."""
    (doc,) = load_docs(path)
    names: list[str] = [*doc.get("resources", []), *doc.get("components", []),
                        *doc.get("patchesStrategicMerge", [])]
    for patch in [*doc.get("patches", []), *doc.get("patchesJson6902", [])]:
        if "path" in patch:
            names.append(patch["path"])
    for generator in [*doc.get("configMapGenerator", []), *doc.get("secretGenerator", [])]:
        names.extend(f.partition("=")[2] or f for f in generator.get("files", []))
        names.extend(generator.get("envs", []))
    return [(path.parent / name).resolve() for name in names if "://" not in name]


@pytest.fixture(scope="session")
def kubectl() -> str:
    binary = shutil.which("kubectl")
    if binary is None:
        pytest.skip("kubectl is not installed: the overlays are checked file by file only")
    return binary


@pytest.fixture(scope="session")
def rendered(kubectl: str) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """``kubectl kustomize`` of each overlay, by overlay and kind."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for overlay in OVERLAYS:
        result = subprocess.run(
            [kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True, timeout=180,
            check=False,
        )
        assert result.returncode == 0, f"kubectl kustomize overlays/{overlay} failed:\n{result.stderr}"
        by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for doc in yaml.load_all(result.stdout, Loader=LOADER):
            if doc:
                by_kind[doc["kind"]].append(doc)
        out[overlay] = dict(by_kind)
    return out
