"""The production overlay gives every service each value that production refuses to start without
(``ServiceSettings.development_values``): a service deployed as rendered would start, not refuse."""

from __future__ import annotations

import importlib
import os
import re
from typing import Any

import pytest

from .conftest import ROOT, SERVICES, container

OPERATIONS = ROOT / "docs" / "operations.md"
FROM_A_SECRET = "set-by-the-operator-secret"
SHAPED = {"LAPOR_ADMIN_TOKENS": f"ID={FROM_A_SECRET * 2}", "LAPOR_AGENCY_TOKENS": f"umum.18={FROM_A_SECRET * 2}"}
"""A Secret's value where the setting has a shape (bearer tokens bound to a subject, each long enough)."""


def documented_secret_keys() -> dict[str, set[str]]:
    """Secret name → the environment variables it holds, from the table in docs/operations.md ("Secrets")."""
    keys: dict[str, set[str]] = {}
    for line in OPERATIONS.read_text(encoding="utf-8").splitlines():
        row = re.match(r"\| `(lapor-[a-z0-9-]+)` \| (.*?) \|", line)
        if row:
            keys[row.group(1)] = set(re.findall(r"`(LAPOR_[A-Z0-9_]+)`", row.group(2)))
    return keys


def process_environment(deployment: dict[str, Any], config_maps: dict[str, dict[str, str]]) -> dict[str, str]:
    """What the container's process sees, a Secret's values stood in for by a placeholder."""
    env: dict[str, str] = {}
    spec = container(deployment)
    documented = documented_secret_keys()
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]])
        if "secretRef" in source:
            name = source["secretRef"]["name"]
            assert name in documented, f"{name} is not in the Secrets table of docs/operations.md"
            env.update(dict.fromkeys(documented[name], FROM_A_SECRET))
    for variable in spec.get("env", []):
        env[variable["name"]] = variable.get("value", SHAPED.get(variable["name"], FROM_A_SECRET))
    return env


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_deployed_by_the_production_overlay_has_no_development_value_left(
    service, rendered, monkeypatch
):
    production = rendered["production"]
    config_maps = {c["metadata"]["name"]: c.get("data") or {} for c in production.get("ConfigMap", [])}
    (deployment,) = [d for d in production["Deployment"] if d["metadata"]["name"] == f"lapor-{service}"]
    env = process_environment(deployment, config_maps)
    for name in [n for n in os.environ if n.startswith("LAPOR_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    module = importlib.import_module(f"lapor_{service}.settings")
    settings_class = next(v for k, v in vars(module).items() if k.endswith("Settings") and k != "ServiceSettings"
                          and k.lower().startswith(service))

    settings = settings_class()

    assert settings.environment == "production"
    assert settings.development_values() == []
