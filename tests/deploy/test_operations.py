"""What an operator relies on, as rendered: Kafka brokers spread over nodes and zones and measured, PodMonitors
for Kafka and every service, a PostgreSQL cluster with nightly backups and a restore the docs describe, and
production images pinned by digest so that applying the overlay again never changes what runs."""

from __future__ import annotations

import importlib.util
import re
import sys
from typing import Any

import pytest
import yaml

from tests.deploy.conftest import K8S, ROOT, SERVICES, base_resources, container, load_docs, one

pytestmark = [pytest.mark.unit, pytest.mark.timeout(400)]

DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
OPERATIONS = ROOT / "docs" / "operations.md"


def by_name(resources: dict[str, list[dict[str, Any]]], kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in resources.get(kind, [])}


# ============================================================================================== Kafka


def test_production_spreads_the_brokers_one_per_node_over_the_zones_and_tells_kafka_their_zone(rendered):
    (pool,) = rendered["production"]["KafkaNodePool"]
    (kafka,) = rendered["production"]["Kafka"]
    own_pods = {"strimzi.io/cluster": "lapor", "strimzi.io/pool-name": pool["metadata"]["name"]}
    template = pool["spec"]["template"]["pod"]
    (anti,) = template["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti["topologyKey"] == "kubernetes.io/hostname" and anti["labelSelector"]["matchLabels"] == own_pods
    (spread,) = template["topologySpreadConstraints"]
    assert (spread["topologyKey"], spread["whenUnsatisfiable"], spread["maxSkew"]) == (
        "topology.kubernetes.io/zone", "DoNotSchedule", 1)
    assert spread["labelSelector"]["matchLabels"] == own_pods
    assert kafka["spec"]["kafka"]["rack"]["topologyKey"] == "topology.kubernetes.io/zone"
    assert pool["spec"]["replicas"] == 3 == kafka["spec"]["kafka"]["config"]["default.replication.factor"]


def test_kafka_exports_broker_metrics_and_consumer_lag_and_renews_its_ca_in_a_maintenance_window():
    spec = one("Kafka", "lapor")["spec"]
    assert spec["kafka"]["metricsConfig"]["type"] == "strimziMetricsReporter"
    assert re.fullmatch(r"\S+", spec["kafkaExporter"]["groupRegex"]) and "lapor" in spec["kafkaExporter"]["topicRegex"]
    assert spec["clusterCa"]["renewalDays"] < spec["clusterCa"]["validityDays"]
    assert spec["maintenanceTimeWindows"], "CA renewals and certificate rolls happen in a known window"


def test_the_docs_tell_how_services_survive_a_cluster_ca_renewal():
    section = OPERATIONS.read_text(encoding="utf-8").split("### Renewing the cluster CA")[1].split("\n## ")[0]
    for needed in ("renewalDays", "rollout restart", "lapor-cluster-ca-cert", "force-replace", "ca-cert-generation"):
        assert needed in section, needed


# ========================================================================================= monitoring


def test_production_scrapes_every_service_and_kafka_with_pod_monitors(rendered):
    monitors = by_name(rendered["production"], "PodMonitor")
    services = monitors["lapor-services"]
    (expression,) = services["spec"]["selector"]["matchExpressions"]
    assert set(expression["values"]) == {f"lapor-{s}" for s in SERVICES}
    (endpoint,) = services["spec"]["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("http", "/metrics")
    for service in SERVICES:  # the port the monitor names is the container's
        assert container(one("Deployment", f"lapor-{service}"))["ports"][0]["name"] == endpoint["port"]
    kafka = monitors["lapor-kafka"]
    assert kafka["spec"]["selector"]["matchLabels"] == {"strimzi.io/cluster": "lapor", "strimzi.io/kind": "Kafka"}
    assert [e["port"] for e in kafka["spec"]["podMetricsEndpoints"]] == ["tcp-prometheus"]
    assert "PodMonitor" not in rendered["dev"], "dev clusters need no Prometheus Operator"


# ========================================================================================= PostgreSQL


def test_production_runs_postgres_as_a_cloudnativepg_cluster_with_one_role_and_schema_per_service(rendered):
    (cluster,) = rendered["production"]["Cluster"]
    spec = cluster["spec"]
    assert spec["instances"] >= 3 and spec["affinity"]["topologyKey"] == "topology.kubernetes.io/zone"
    roles = {role["name"]: role for role in spec["managed"]["roles"]}
    assert set(roles) == {f"lapor_{s}" for s in SERVICES}
    sql = " ".join(spec["bootstrap"]["initdb"]["postInitApplicationSQL"])
    for service in SERVICES:
        role = roles[f"lapor_{service}"]
        assert role["login"] is True and role["ensure"] == "present"
        # the role's password and the service's url come from one Secret: the one the Deployment reads
        deployment = by_name(rendered["production"], "Deployment")[f"lapor-{service}"]
        env = {e["name"]: e for e in container(deployment)["env"]}
        assert role["passwordSecret"]["name"] == env["LAPOR_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"]
        assert f"CREATE SCHEMA {service} AUTHORIZATION lapor_{service}" in sql
    assert spec["bootstrap"]["initdb"]["database"] == "lapor"


def test_every_production_service_verifies_the_database_server_against_the_clusters_ca(rendered):
    for deployment in rendered["production"]["Deployment"]:
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        mounts = {m["name"]: m for m in container(deployment)["volumeMounts"]}
        assert volumes["postgres-ca"]["secret"]["secretName"] == "lapor-postgres-ca"  # CloudNativePG's CA
        assert mounts["postgres-ca"]["mountPath"] == "/etc/lapor/postgres-ca" and mounts["postgres-ca"]["readOnly"]


def test_production_archives_the_wal_and_backs_up_every_night_to_an_object_store_whose_keys_are_a_secret(rendered):
    production = rendered["production"]
    (cluster,) = production["Cluster"]
    (store,) = production["ObjectStore"]
    (schedule,) = production["ScheduledBackup"]
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["isWALArchiver"] is True and plugin["parameters"]["barmanObjectName"] == store["metadata"]["name"]
    credentials = store["spec"]["configuration"]["s3Credentials"]
    assert {credentials["accessKeyId"]["name"], credentials["secretAccessKey"]["name"]} == {"lapor-backup-s3"}
    assert store["spec"]["retentionPolicy"].endswith("d")
    assert schedule["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert schedule["spec"]["method"] == "plugin"
    assert schedule["spec"]["pluginConfiguration"]["name"] == plugin["name"]
    assert len(schedule["spec"]["schedule"].split()) == 6, "CloudNativePG's cron has seconds first"
    assert "Secret" not in production, "no secret value in the manifests"
    assert "Cluster" not in rendered["dev"], "dev brings its own PostgreSQL"


def test_the_documented_restore_recovers_from_the_same_object_store_and_server_name(rendered):
    (cluster,) = rendered["production"]["Cluster"]
    (store,) = rendered["production"]["ObjectStore"]
    section = OPERATIONS.read_text(encoding="utf-8").split("### Restoring the database")[1].split("\n## ")[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, re.S)
    restored = next(doc for block in blocks for doc in yaml.safe_load_all(block) if doc and doc["kind"] == "Cluster")
    spec = restored["spec"]
    source = spec["bootstrap"]["recovery"]["source"]
    (external,) = [c for c in spec["externalClusters"] if c["name"] == source]
    assert external["plugin"]["name"] == cluster["spec"]["plugins"][0]["name"]
    assert external["plugin"]["parameters"] == {"barmanObjectName": store["metadata"]["name"],
                                                "serverName": cluster["metadata"]["name"]}
    assert restored["metadata"]["name"] != cluster["metadata"]["name"], "restore beside, never over, the original"
    assert {r["name"] for r in spec["managed"]["roles"]} == {r["name"] for r in cluster["spec"]["managed"]["roles"]}
    assert "recoveryTarget" in spec["bootstrap"]["recovery"], "the docs show a point-in-time recovery"


# ============================================================================================= images


def test_production_runs_every_service_from_an_image_pinned_by_digest_and_never_by_tag(rendered):
    (doc,) = load_docs(K8S / "overlays" / "production" / "kustomization.yaml")
    for entry in doc["images"]:
        assert DIGEST.fullmatch(entry["digest"]) and "newTag" not in entry, entry["name"]
    for deployment in rendered["production"]["Deployment"]:
        service = deployment["metadata"]["name"].removeprefix("lapor-")
        repository, _, digest = container(deployment)["image"].partition("@")
        assert repository.endswith(f"/lapor-{service}") and ":" not in repository.rpartition("/")[2]
        assert DIGEST.fullmatch(digest), f"{service} runs a mutable tag"


def pin_tool():
    spec = importlib.util.spec_from_file_location("pin_images", K8S / "pin_images.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_pinning_a_release_rewrites_only_the_named_services_digests():
    tool = pin_tool()
    text = (K8S / "overlays" / "production" / "kustomization.yaml").read_text(encoding="utf-8")
    new_digest = "sha256:" + "ab" * 32

    pinned = tool.pin(text, "registry.go.id/lapor/", "3f2a9c1b7d4e", {"routing": new_digest})

    images = {i["name"]: i for i in yaml.safe_load(pinned)["images"]}
    assert images["lapor-routing"] == {"name": "lapor-routing", "newName": "registry.go.id/lapor/lapor-routing",
                                       "digest": new_digest}
    assert "digest: " + new_digest + "  # release 3f2a9c1b7d4e" in pinned
    before = {i["name"]: i for i in yaml.safe_load(text)["images"]}
    assert {k: v for k, v in images.items() if k != "lapor-routing"} == {
        k: v for k, v in before.items() if k != "lapor-routing"}
    assert pinned.replace(pinned[pinned.index("images:"):pinned.index("patches:")], "") == text.replace(
        text[text.index("images:"):text.index("patches:")], ""), "nothing else changes"


@pytest.mark.parametrize("argument", ["routing=latest", "routing=sha256:abc", "routing=0.2.0",
                                      "kafka=sha256:" + "a" * 64])
def test_pinning_refuses_a_tag_a_short_digest_or_an_unknown_service(argument):
    with pytest.raises(ValueError):
        pin_tool().parse_pin(argument)


def test_the_base_images_exist_only_for_local_builds_and_production_replaces_every_one():
    (doc,) = load_docs(K8S / "overlays" / "production" / "kustomization.yaml")
    names = {container(d)["image"].partition(":")[0] for d in base_resources()["Deployment"]}
    assert names == {entry["name"] for entry in doc["images"]}
