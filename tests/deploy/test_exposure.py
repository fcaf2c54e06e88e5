"""Who reaches what over the network: the Ingress routes each service's public pages and APIs over TLS and
nothing else (never /metrics or another runtime path, never intake or routing); NetworkPolicies admit only
the Ingress controller to the public services and Prometheus to every service; each service runs under a
ServiceAccount of its own that carries no token."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

from lapor_shared.runtime import RUNTIME_PATHS
from tests.deploy.conftest import OVERLAYS, SERVICES, base_resources, container, one
from tools.asyncapi_docs import fixed_settings

pytestmark = pytest.mark.unit

PUBLIC = ("gateway", "followup", "notify", "dashboard", "console")
"""Services with pages or APIs for people outside the cluster; intake and routing have none."""


# ------------------------------------------------------------------------------------- what is public


def sample(path: str) -> str:
    """A concrete request path for a route or prefix: ``/complaints/{tracking_number}`` → ``/complaints/x``,
    ``/v1/`` → ``/v1/x``, ``/`` → ``/``."""
    if path == "/":
        return path
    return re.sub(r"\{[^}]+\}", "x", path).rstrip("/") + ("/x" if path.endswith("/") else "") or "/"


def built(service: str) -> Any:
    """The service as its composition root builds it (nothing connects)."""
    return importlib.import_module(f"lapor_{service}.app").build(fixed_settings(service))


def served_paths(service: str) -> set[str]:
    """Every path of the service's own routes (its ``http.py``)."""
    http = importlib.import_module(f"lapor_{service}.http")
    return {sample(route.path) for route in http.routes(built(service))}


def public_paths(service: str) -> set[str]:
    """Request paths the service serves to the public, from its own code: its rate-limited public routes,
    and every route of the gateway (the channels) and of the dashboard (the pages)."""
    http = importlib.import_module(f"lapor_{service}.http")
    paths = {sample(route.prefix) for route in http.PUBLIC_ROUTES}
    if service in ("gateway", "dashboard", "console"):
        paths |= served_paths(service)
    return paths


def internal_paths() -> set[str]:
    """Paths that must not be public: the runtime's own on every service, and routing's HTTP (/triage …)."""
    return {*RUNTIME_PATHS, *(p + "/x" for p in RUNTIME_PATHS), *served_paths("routing")}


# -------------------------------------------------------------------------------------- Ingress model


def ingress_paths(resources: dict[str, list[dict[str, Any]]]) -> list[tuple[str, str, str, str]]:
    """(host, path, pathType, backend service) of every Ingress rule."""
    return [(rule["host"], p["path"], p["pathType"], p["backend"]["service"]["name"])
            for ingress in resources.get("Ingress", []) for rule in ingress["spec"]["rules"]
            for p in rule["http"]["paths"]]


def matches(path_type: str, rule: str, request: str) -> bool:
    """Kubernetes path matching: Exact, or Prefix by whole path elements (``/foo`` matches ``/foo/bar``,
    never ``/foobar``)."""
    if path_type == "Exact":
        return request == rule
    return rule == "/" or request == rule or request.startswith(rule.rstrip("/") + "/")


def route(resources: dict[str, list[dict[str, Any]]], request: str, hosts: set[str] | None = None) -> set[str]:
    """The services a request path reaches on each host, or on ``hosts`` (an Exact match first, then the
    longest prefix)."""
    reached = set()
    for host in hosts or {h for h, *_ in ingress_paths(resources)}:
        rules = [(p, t, s) for h, p, t, s in ingress_paths(resources) if h == host and matches(t, p, request)]
        exact = [s for p, t, s in rules if t == "Exact"]
        if exact:
            reached.add(exact[0])
        elif rules:
            reached.add(max(rules, key=lambda r: len(r[0]))[2])
    return reached


# ---------------------------------------------------------------------------------------------- tests


@pytest.mark.parametrize("service", PUBLIC)
def test_the_ingress_routes_every_public_path_of_a_service_to_that_service(service):
    paths = public_paths(service)
    assert paths, f"{service} declares no public path"
    hosts = {h for h, _, _, backend in ingress_paths(base_resources()) if backend == f"lapor-{service}"}
    for path in paths:  # on the host(s) that serve it: the dashboard and the console have the same paths
        assert route(base_resources(), path, hosts) == {f"lapor-{service}"}, path


def test_no_runtime_path_and_no_internal_endpoint_is_routed_by_the_ingress():
    for path in internal_paths():
        assert route(base_resources(), path) == set(), f"{path} must not be public"


def test_intake_and_routing_are_never_behind_the_ingress():
    backends = {service for *_, service in ingress_paths(base_resources())}
    assert backends == {f"lapor-{s}" for s in PUBLIC}


def test_every_ingress_serves_its_hosts_over_tls_only():
    for ingress in base_resources()["Ingress"]:
        spec, annotations = ingress["spec"], ingress["metadata"]["annotations"]
        tls_hosts = {host for entry in spec["tls"] for host in entry["hosts"]}
        assert {rule["host"] for rule in spec["rules"]} <= tls_hosts
        assert all(entry["secretName"] for entry in spec["tls"])
        assert annotations["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
        assert spec["ingressClassName"]
        for *_, name in ingress_paths({"Ingress": [ingress]}):
            one("Service", name)


@pytest.mark.parametrize("name", ["lapor-dashboard", "lapor-console"])
def test_the_live_streams_are_not_buffered_nor_cut_before_they_end(name):
    annotations = one("Ingress", name)["metadata"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/proxy-buffering"] == "off"
    assert int(annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]) > 60


def policy_targets(policy: dict[str, Any]) -> set[str]:
    (expression,) = policy["spec"]["podSelector"]["matchExpressions"]
    assert (expression["key"], expression["operator"]) == ("app.kubernetes.io/name", "In")
    return {name.removeprefix("lapor-") for name in expression["values"]}


def test_every_service_pod_denies_ingress_unless_a_policy_admits_it():
    policies = {p["metadata"]["name"]: p for p in base_resources()["NetworkPolicy"]}
    deny = policies["lapor-services-deny-ingress"]
    assert policy_targets(deny) == set(SERVICES)
    assert deny["spec"]["policyTypes"] == ["Ingress"] and "ingress" not in deny["spec"]
    for name, policy in policies.items():
        for rule in policy["spec"].get("ingress", []):
            assert [port["port"] for port in rule["ports"]] == ["http"], name
            for peer in rule["from"]:
                assert set(peer) == {"namespaceSelector", "podSelector"}, f"{name}: a namespace and its pods only"
                assert peer["podSelector"]["matchLabels"], f"{name}: named pods, not a whole namespace"


def test_only_the_ingress_controller_reaches_the_public_services_and_prometheus_every_service():
    policies = {p["metadata"]["name"]: p for p in base_resources()["NetworkPolicy"]}
    admitted: dict[str, set[str]] = {}
    for policy in policies.values():
        for rule in policy["spec"].get("ingress", []):
            for peer in rule["from"]:
                who = peer["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"]
                admitted.setdefault(who, set()).update(policy_targets(policy))
    assert admitted == {"ingress-nginx": set(PUBLIC), "monitoring": set(SERVICES)}


def test_the_services_pod_labels_are_what_the_policies_select():
    for service in SERVICES:
        labels = one("Deployment", f"lapor-{service}")["spec"]["template"]["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == f"lapor-{service}"
        assert container(one("Deployment", f"lapor-{service}"))["ports"][0]["name"] == "http"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_runs_under_its_own_service_account_without_a_token(service):
    account = one("ServiceAccount", f"lapor-{service}")
    pod = one("Deployment", f"lapor-{service}")["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == account["metadata"]["name"]
    assert account["automountServiceAccountToken"] is False and pod["automountServiceAccountToken"] is False
    assert "Role" not in base_resources() and "RoleBinding" not in base_resources(), "no Kubernetes API rights"


@pytest.mark.timeout(400)
def test_every_overlay_renders_the_ingress_policies_and_service_accounts(rendered):
    for overlay in OVERLAYS:
        resources = rendered[overlay]
        assert len(resources["ServiceAccount"]) == len(SERVICES)
        assert {p["metadata"]["name"] for p in resources["NetworkPolicy"]} == {
            p["metadata"]["name"] for p in base_resources()["NetworkPolicy"]}
        for path in internal_paths():
            assert route(resources, path) == set(), (overlay, path)
        for service in PUBLIC:
            hosts = {h for h, _, _, backend in ingress_paths(resources) if backend == f"lapor-{service}"}
            for path in public_paths(service):
                assert route(resources, path, hosts) == {f"lapor-{service}"}, (overlay, path)
