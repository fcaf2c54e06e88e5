"""The onboarding file on Kubernetes: the ConfigMap ``lapor-onboarding`` is the very file the topic and
principal generators read, and every service reads it from there (issue 14: onboarding an agency on
Kubernetes), so the streams the services write, the topics that exist and the Kafka users cannot disagree."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest
import yaml

from lapor_shared import onboarding
from lapor_shared.onboarding import Onboarding

from .conftest import BASE, K8S, OVERLAYS, SERVICES, container, load_docs, one

pytestmark = pytest.mark.unit

CONFIGMAP = BASE / "onboarding" / "configmap.yaml"


def shipped() -> str:
    (doc,) = load_docs(CONFIGMAP)
    assert doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "lapor-onboarding"
    return doc["data"]["onboarding.toml"]


def test_the_configmap_holds_the_onboarding_file_the_generators_read_byte_for_byte():
    assert shipped() == onboarding.text()
    assert Onboarding.from_toml(shipped()) == Onboarding.load()


def test_the_generator_writes_the_configmap_of_another_onboarding_file_too(tmp_path, monkeypatch):
    import importlib.util

    spec = importlib.util.spec_from_file_location("generate_topics", K8S / "generate_topics.py")
    assert spec is not None and spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    other = '[agencies]\n"dinkes.18.01" = "18.01"\n\n[admins]\nscopes = ["18"]\n'
    (tmp_path / "onboarding.toml").write_text(other, encoding="utf-8")
    monkeypatch.setenv(onboarding.ENV_VAR, str(tmp_path / "onboarding.toml"))

    text = generator.outputs()[generator.ONBOARDING_CONFIGMAP]

    assert yaml.safe_load(text)["data"]["onboarding.toml"] == other
    with pytest.raises(onboarding.OnboardingError):
        generator.render_onboarding('[agencies]\n"dinkes.99" = "99.99"\n')


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_reads_the_onboarding_from_the_mounted_configmap(service):
    deployment = one("Deployment", f"lapor-{service}")
    config = one("ConfigMap", f"lapor-{service}-config")["data"]
    path = PurePosixPath(config["LAPOR_ONBOARDING_FILE"])
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    [mount] = [m for m in container(deployment)["volumeMounts"] if m["name"] == "onboarding"]

    assert volumes["onboarding"]["configMap"]["name"] == "lapor-onboarding"
    assert PurePosixPath(mount["mountPath"]) == path.parent and path.name == "onboarding.toml"
    assert mount.get("readOnly") is True
    assert "subPath" not in mount  # a subPath mount never sees the ConfigMap change: no onboarding without a restart


def test_every_overlay_renders_the_one_onboarding_configmap(rendered):
    for overlay in OVERLAYS:
        [configmap] = [c for c in rendered[overlay]["ConfigMap"] if c["metadata"]["name"] == "lapor-onboarding"]
        assert configmap["metadata"]["namespace"] == "lapor"
        assert configmap["data"]["onboarding.toml"] == onboarding.text()
