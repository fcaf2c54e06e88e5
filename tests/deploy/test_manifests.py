"""The deployment files hold what a running platform needs (no Docker engine or cluster is at hand).

Compose (deploy/compose), the Kubernetes manifests (deploy/k8s: Kustomize base, overlays, Strimzi
resources) are parsed and checked against the code (the Dockerfile in test_dockerfile.py): ports from the services'
settings, partitions and retention from lapor_shared.topics. Kafka's listeners and every principal's rights
are checked in test_kafka_access.py; the network, the Ingress and monitoring in test_exposure.py.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from lapor_shared.topics import (
    FIXED_TOPICS,
    JURISDICTION_PARTITIONS,
    JURISDICTION_RETENTION_MS,
    all_topics,
    jurisdiction_topics,
)
from tests.deploy.conftest import (
    BASE,
    COMPOSE_DIR,
    CONTACT_KEY_HOLDERS,
    K8S,
    OVERLAYS,
    ROOT,
    SERVICES,
    base_resources,
    compose,
    compose_environment,
    consumed_topics,
    container,
    env_files_of,
    kustomization_files,
    kustomize_references,
    load_docs,
    max_useful_replicas,
    one,
    read_env_file,
    service_port,
)

pytestmark = pytest.mark.unit

# ============================================================================================ compose


def test_compose_runs_kafka_in_kraft_mode_from_the_official_image():
    kafka = compose()["services"]["kafka"]
    assert re.fullmatch(r"\$\{KAFKA_IMAGE:-apache/kafka:\d+\.\d+\.\d+\}|apache/kafka:\d+\.\d+\.\d+", kafka["image"])
    env = kafka["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert "CONTROLLER" in env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"].startswith(f"{env['KAFKA_NODE_ID']}@kafka:")
    assert "ZOOKEEPER" not in " ".join(env).upper()
    assert str(env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"]).lower() == "false"
    assert any(v.endswith(":/var/lib/kafka/data") for v in kafka["volumes"])
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])
    assert kafka["restart"] == "unless-stopped"


def test_compose_services_reach_kafka_on_an_advertised_listener():
    advertised = compose()["services"]["kafka"]["environment"]["KAFKA_ADVERTISED_LISTENERS"]
    hosts = {entry.partition("://")[2] for entry in advertised.split(",")}
    bootstrap = read_env_file(COMPOSE_DIR / "lapor.env")["LAPOR_KAFKA_BOOTSTRAP_SERVERS"]
    assert bootstrap in hosts


def test_compose_keeps_postgres_in_a_volume_and_checks_it_with_pg_isready():
    postgres = compose()["services"]["postgres"]
    assert postgres["image"].split(":-")[-1].rstrip("}").startswith("postgres:")
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert any(v.endswith(":/var/lib/postgresql/data") for v in postgres["volumes"])
    assert postgres["restart"] == "unless-stopped"
    assert ":?" in postgres["environment"]["POSTGRES_PASSWORD"], "the password must be required, not defaulted"


def test_compose_provisions_the_topics_once_kafka_is_healthy():
    topics = compose()["services"]["topics"]
    assert topics["command"] == ["python", "-m", "lapor_shared.provision"]  # fails on any refused topic
    assert compose_environment(topics)["LAPOR_KAFKA_REPLICATION_FACTOR"] == "1"
    assert topics["depends_on"]["kafka"]["condition"] == "service_healthy"
    assert topics["restart"] == "no", "a one-shot job must not be restarted after it succeeded"
    assert compose_environment(topics)["LAPOR_KAFKA_BOOTSTRAP_SERVERS"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_compose_service_waits_for_its_infrastructure_and_is_health_checked(service):
    spec = compose()["services"][service]
    stores = service in ("gateway", "console")
    extra = {"minio-bucket": {"condition": "service_completed_successfully"}} if stores else {}
    assert spec["depends_on"] == {
        "kafka": {"condition": "service_healthy"},
        "postgres": {"condition": "service_healthy"},
        "topics": {"condition": "service_completed_successfully"},
        **extra,  # the gateway and the console store evidence in MinIO's bucket (docs/evidence.md)
    }
    assert spec["restart"] == "unless-stopped"
    check = " ".join(spec["healthcheck"]["test"])
    assert f"127.0.0.1:{service_port(service)}/readyz" in check
    assert f"lapor-{service}:" in spec["image"]
    assert spec["read_only"] is True and spec["cap_drop"] == ["ALL"]


@pytest.mark.parametrize("service", SERVICES)
def test_every_compose_service_runs_its_own_module_on_its_port_with_the_idempotent_producer(service):
    spec = compose()["services"][service]
    env = compose_environment(spec)
    command = " ".join(spec.get("command", []))
    assert not command or command.endswith(f"exec python -m lapor_{service}")
    assert env["LAPOR_HTTP_PORT"] == str(service_port(service))
    assert env["LAPOR_HTTP_HOST"] == "0.0.0.0"
    assert env["LAPOR_KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert env["LAPOR_KAFKA_FETCH_MAX_WAIT_MS"] == "500"  # the short embedded default is for Tansu only
    assert env["LAPOR_LOG_FORMAT"] == "json"
    assert env["LAPOR_DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["LAPOR_DATABASE_URL"]
    assert f"127.0.0.1:{service_port(service)}:{service_port(service)}" in spec["ports"]


def test_contact_keys_reach_only_intake_and_notify_in_compose():
    services = compose()["services"]
    holders = {name for name, spec in services.items() if "lapor_contact_keys" in spec.get("secrets", [])}
    assert holders == CONTACT_KEY_HOLDERS
    for name, spec in services.items():
        assert "LAPOR_CONTACT_KEYS" not in compose_environment(spec), f"{name} must not get the keys as plain env"
        for path in env_files_of(spec):
            assert "CONTACT_KEYS" not in path.read_text(encoding="utf-8")
    for name in CONTACT_KEY_HOLDERS:
        assert "/run/secrets/lapor_contact_keys" in " ".join(services[name]["command"])
    assert compose()["secrets"]["lapor_contact_keys"]["file"].startswith("./secrets/")
    assert "secrets/*" in (COMPOSE_DIR / ".gitignore").read_text(encoding="utf-8")


def test_the_dashboard_session_secret_reaches_only_the_dashboard_as_a_compose_secret():
    services = compose()["services"]
    holders = {name for name, spec in services.items()
               if "lapor_dashboard_session_secret" in spec.get("secrets", [])}
    assert holders == {"dashboard"}
    dashboard = services["dashboard"]
    assert "/run/secrets/lapor_dashboard_session_secret" in " ".join(dashboard["command"])
    assert "LAPOR_SESSION_SECRET" not in compose_environment(dashboard), "the secret must come from the file"
    for spec in services.values():
        for path in env_files_of(spec):
            assert "SESSION_SECRET" not in path.read_text(encoding="utf-8")
    assert compose()["secrets"]["lapor_dashboard_session_secret"]["file"].startswith("./secrets/")
    assert compose_environment(dashboard)["LAPOR_DEMO_USERS"] == "false", "no demo officials with a known password"


# ========================================================================================= Kubernetes


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_a_deployment_service_configmap_pdb_and_autoscaler(service):
    name = f"lapor-{service}"
    deployment = one("Deployment", name)
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert selector.items() <= pod_labels.items()

    svc = one("Service", name)
    assert svc["spec"]["selector"] == selector
    assert [p["targetPort"] for p in svc["spec"]["ports"]] == ["http"]
    assert one("PodDisruptionBudget", name)["spec"]["selector"]["matchLabels"] == selector
    target = one("HorizontalPodAutoscaler", name)["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", name)
    one("ConfigMap", f"{name}-config")


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_probes_readiness_and_liveness_on_the_right_paths(service):
    c = container(one("Deployment", f"lapor-{service}"))
    assert c["ports"] == [{"name": "http", "containerPort": service_port(service), "protocol": "TCP"}]
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["startupProbe"]["httpGet"]["path"] == "/healthz"
    # /readyz waits up to 2 s for Kafka and 2 s for PostgreSQL
    assert c["readinessProbe"]["timeoutSeconds"] >= 4


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_requests_resources_and_runs_non_root_on_a_read_only_root(service):
    deployment = one("Deployment", f"lapor-{service}")
    pod = deployment["spec"]["template"]["spec"]
    c = container(deployment)
    assert {"cpu", "memory"} <= c["resources"]["requests"].keys()
    assert "memory" in c["resources"]["limits"]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    sc = c["securityContext"]
    assert sc["runAsNonRoot"] is True and sc["readOnlyRootFilesystem"] is True
    assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"]["drop"] == ["ALL"]
    assert "/tmp" in {m["mountPath"] for m in c["volumeMounts"]}
    # services stop within 10 s of SIGTERM; give them room
    assert pod["terminationGracePeriodSeconds"] >= 15
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_takes_settings_from_its_configmap_and_secrets_only_by_reference(service):
    c = container(one("Deployment", f"lapor-{service}"))
    assert {"configMapRef": {"name": f"lapor-{service}-config"}} in c["envFrom"]
    env = {e["name"]: e for e in c["env"]}
    assert env["LAPOR_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["name"] == f"lapor-{service}-database"
    for name, entry in env.items():
        if re.search(r"KEY|PASSWORD|SECRET|TOKEN|DATABASE_URL", name):
            assert "value" not in entry, f"{name} must come from a Secret"
    assert "Secret" not in base_resources(), "secret values never live in the manifests"

    config = one("ConfigMap", f"lapor-{service}-config")["data"]
    assert config["LAPOR_HTTP_PORT"] == str(service_port(service))
    assert config["LAPOR_HTTP_HOST"] == "0.0.0.0"
    assert config["LAPOR_KAFKA_ENABLE_IDEMPOTENCE"] == "true"
    assert config["LAPOR_KAFKA_FETCH_MAX_WAIT_MS"] == "500"
    assert config["LAPOR_LOG_FORMAT"] == "json"
    assert not re.search(r"KEY|PASSWORD|SECRET|TOKEN|DATABASE_URL", " ".join(config))


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_authenticates_as_its_own_kafka_user_over_tls(service):
    config = one("ConfigMap", f"lapor-{service}-config")["data"]
    kafka = one("Kafka", "lapor")
    scram = next(listener for listener in kafka["spec"]["kafka"]["listeners"] if listener["name"] == "scram")
    assert scram["tls"] is True and scram["authentication"]["type"] == "scram-sha-512"
    assert config["LAPOR_KAFKA_BOOTSTRAP_SERVERS"] == f"lapor-kafka-bootstrap:{scram['port']}"
    assert config["LAPOR_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert config["LAPOR_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    user = one("KafkaUser", f"lapor-{service}")
    assert config["LAPOR_KAFKA_SASL_USERNAME"] == user["metadata"]["name"]
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"

    deployment = one("Deployment", f"lapor-{service}")
    env = {e["name"]: e for e in container(deployment)["env"]}
    # Strimzi's User Operator writes the password to a Secret named after the KafkaUser
    assert env["LAPOR_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": user["metadata"]["name"], "key": "password"}
    mounts = {m["name"]: m for m in container(deployment)["volumeMounts"]}
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes["kafka-ca"]["secret"]["secretName"] == "lapor-cluster-ca-cert"
    ca_path = f"{mounts['kafka-ca']['mountPath']}/{volumes['kafka-ca']['secret']['items'][0]['path']}"
    assert config["LAPOR_KAFKA_SSL_CAFILE"] == ca_path and mounts["kafka-ca"]["readOnly"] is True

    from lapor_shared.settings import ServiceSettings

    settings = ServiceSettings(**{f"kafka_{k.removeprefix('LAPOR_KAFKA_').lower()}": v for k, v in config.items()
                                  if k.startswith("LAPOR_KAFKA_") and k != "LAPOR_KAFKA_SSL_CAFILE"},
                               kafka_sasl_password="from-the-secret")
    assert settings.kafka.client_options()["sasl_plain_username"] == f"lapor-{service}"


def test_contact_keys_are_referenced_only_by_intake_and_notify():
    holders = set()
    for deployment in base_resources()["Deployment"]:
        env = {e["name"]: e for e in container(deployment).get("env", [])}
        if "LAPOR_CONTACT_KEYS" in env:
            assert env["LAPOR_CONTACT_KEYS"]["valueFrom"]["secretKeyRef"]["name"] == "lapor-contact-keys"
            holders.add(deployment["metadata"]["name"].removeprefix("lapor-"))
        for source in container(deployment)["envFrom"]:
            assert source.get("secretRef", {}).get("name") != "lapor-contact-keys"
    assert holders == CONTACT_KEY_HOLDERS


def test_the_dashboard_signs_sessions_with_its_own_secret_and_seeds_no_demo_officials():
    env = {e["name"]: e for e in container(one("Deployment", "lapor-dashboard"))["env"]}
    assert env["LAPOR_SESSION_SECRET"]["valueFrom"]["secretKeyRef"] == {"name": "lapor-dashboard-session",
                                                                          "key": "secret"}
    for deployment in base_resources()["Deployment"]:
        if deployment["metadata"]["name"] != "lapor-dashboard":
            refs = {e.get("valueFrom", {}).get("secretKeyRef", {}).get("name") for e in container(deployment)["env"]}
            assert "lapor-dashboard-session" not in refs
    config = one("ConfigMap", "lapor-dashboard-config")["data"]
    assert config["LAPOR_DEMO_USERS"] == "false"
    assert config["LAPOR_COOKIE_SECURE"] == "true"


@pytest.mark.parametrize("service", SERVICES)
def test_autoscaler_never_goes_beyond_the_partitions_of_the_consumed_topic(service):
    assert consumed_topics(service), f"{service} reads no catalogued topic?"
    hpa = one("HorizontalPodAutoscaler", f"lapor-{service}")["spec"]
    assert 1 <= hpa["minReplicas"] <= hpa["maxReplicas"] <= max_useful_replicas(service)
    for overlay in OVERLAYS:
        for path in (K8S / "overlays" / overlay).glob("*.yaml"):
            for doc in load_docs(path):
                ops = doc if isinstance(doc, list) else []
                for op in ops:
                    if op.get("path") == "/spec/maxReplicas":
                        assert op["value"] <= max_useful_replicas(service), f"{path.name} scales too far"


# ============================================================================================= topics


def test_every_fixed_topic_has_a_kafkatopic_with_the_catalogue_partitions_and_retention():
    by_topic = {t["spec"]["topicName"]: t for t in base_resources()["KafkaTopic"]}
    for spec in FIXED_TOPICS:
        topic = by_topic[spec.name]
        assert topic["spec"]["partitions"] == spec.partitions
        assert int(topic["spec"]["config"]["retention.ms"]) == spec.retention_ms


def test_every_jurisdiction_topic_has_a_kafkatopic():
    by_topic = {t["spec"]["topicName"]: t for t in base_resources()["KafkaTopic"]}
    expected = jurisdiction_topics()
    assert len(expected) == 553
    for spec in expected:
        assert by_topic[spec.name]["spec"]["partitions"] == JURISDICTION_PARTITIONS
        assert int(by_topic[spec.name]["spec"]["config"]["retention.ms"]) == JURISDICTION_RETENTION_MS
    assert set(by_topic) == {t.name for t in all_topics()}, "a KafkaTopic no catalogue entry asks for"


def test_the_committed_topic_files_are_what_the_generator_writes_from_the_catalogue():
    spec = importlib.util.spec_from_file_location("generate_topics", K8S / "generate_topics.py")
    assert spec and spec.loader
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    for path, text in generator.outputs().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(ROOT)} is out of date: uv run python deploy/k8s/generate_topics.py"
        )


def test_every_strimzi_resource_belongs_to_the_lapor_cluster():
    cluster = one("Kafka", "lapor")["metadata"]["name"]
    for kind in ("KafkaTopic", "KafkaUser", "KafkaNodePool"):
        for resource in base_resources()[kind]:
            assert resource["apiVersion"] == "kafka.strimzi.io/v1"
            assert resource["metadata"]["labels"]["strimzi.io/cluster"] == cluster
            assert re.fullmatch(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?", resource["metadata"]["name"])


# ========================================================================================== Kustomize


def test_every_kustomization_names_files_that_exist_and_every_manifest_is_used():
    referenced: set[Path] = set()
    for path in kustomization_files():
        for target in kustomize_references(path):
            assert target.exists(), f"{path.relative_to(ROOT)} names {target} which does not exist"
            if target.is_dir():
                assert (target / "kustomization.yaml").exists(), f"{target} has no kustomization.yaml"
            referenced.add(target)
    manifests = {p.resolve() for p in K8S.rglob("*.yaml") if p.name != "kustomization.yaml"}
    assert manifests - referenced == set(), "manifests no kustomization includes"


def test_the_base_puts_everything_in_the_lapor_namespace_and_the_overlays_build_on_it():
    (base,) = load_docs(BASE / "kustomization.yaml")
    assert base["namespace"] == "lapor"
    assert one("Namespace", "lapor")
    for overlay in OVERLAYS:
        (doc,) = load_docs(K8S / "overlays" / overlay / "kustomization.yaml")
        assert "../../base" in doc["resources"]


def test_the_production_overlay_replicates_every_topic_three_times_with_two_in_sync():
    (doc,) = load_docs(K8S / "overlays" / "production" / "kustomization.yaml")
    (topic_patch,) = [p for p in doc["patches"] if p.get("target", {}).get("kind") == "KafkaTopic"]
    assert set(topic_patch["target"]) == {"kind"}, "the patch must reach every KafkaTopic"
    ops = {op["path"]: op["value"] for op in load_docs(K8S / "overlays" / "production" / topic_patch["path"])[0]}
    assert ops == {"/spec/replicas": 3, "/spec/config/min.insync.replicas": 2}


# rendering needs kubectl (it carries Kustomize); skipped where it is missing


@pytest.mark.timeout(400)
def test_the_overlays_render_with_the_replicas_and_replication_they_promise(rendered):
    dev, production = rendered["dev"], rendered["production"]
    assert {(h["spec"]["minReplicas"], h["spec"]["maxReplicas"]) for h in dev["HorizontalPodAutoscaler"]} == {(1, 1)}
    assert {(t["spec"]["replicas"], t["spec"]["config"]["min.insync.replicas"]) for t in dev["KafkaTopic"]} == {(1, 1)}

    for hpa in production["HorizontalPodAutoscaler"]:
        service = hpa["metadata"]["name"].removeprefix("lapor-")
        assert 3 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"] <= max_useful_replicas(service)
    assert len(production["KafkaTopic"]) == len(all_topics())
    assert {(t["spec"]["replicas"], t["spec"]["config"]["min.insync.replicas"])
            for t in production["KafkaTopic"]} == {(3, 2)}
    (pool,) = production["KafkaNodePool"]
    assert pool["spec"]["replicas"] == 3
    (kafka,) = production["Kafka"]
    config = kafka["spec"]["kafka"]["config"]
    assert config["min.insync.replicas"] == 2 and config["default.replication.factor"] == 3
    assert config["offsets.topic.replication.factor"] == 3
    assert len(kafka["spec"]["kafka"]["listeners"]) == 2, "the patch must not drop a listener"
    for deployment in production["Deployment"]:
        service = deployment["metadata"]["name"].removeprefix("lapor-")
        assert container(deployment)["image"].partition("@")[0].endswith(f"/lapor-{service}")
    for overlay in (dev, production):
        for kind, resources in overlay.items():
            for resource in resources:
                if kind != "Namespace":
                    assert resource["metadata"]["namespace"] == "lapor", f"{kind} {resource['metadata']['name']}"


@pytest.mark.parametrize("service", SERVICES)
def test_forwarded_for_is_believed_from_the_clusters_own_addresses_only(service):
    import ipaddress

    from lapor_shared.http_limits import ClientAddress

    proxies = one("ConfigMap", f"lapor-{service}-config")["data"]["LAPOR_HTTP__TRUSTED_PROXIES"]
    networks = [ipaddress.ip_network(p) for p in proxies.split(",")]
    assert networks and all(n.is_private for n in networks)
    behind_ingress = {"client": ("10.42.0.17", 1), "headers": [(b"x-forwarded-for", b"203.0.113.9")]}
    assert ClientAddress(proxies)(behind_ingress) == "203.0.113.9"


@pytest.mark.parametrize("service", ["gateway", "dashboard", "console"])
def test_every_service_that_signs_evidence_links_gets_the_one_link_secret(service):
    spec = compose()["services"][service]
    assert "lapor_evidence_link_secret" in spec["secrets"]
    assert "LAPOR_EVIDENCE__LINK_SECRET" in " ".join(spec["command"])
    env = container(one("Deployment", f"lapor-{service}"))["env"]
    [link] = [e for e in env if e["name"] == "LAPOR_EVIDENCE__LINK_SECRET"]
    assert link["valueFrom"]["secretKeyRef"] == {"name": "lapor-evidence", "key": "link-secret"}
