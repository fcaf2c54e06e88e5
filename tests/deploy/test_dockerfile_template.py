"""Every service's Dockerfile is the rendering of the one template (``make dockerfiles``)."""

from __future__ import annotations

import pytest

from tools.dockerfiles import SERVICES, path, render

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_dockerfile_is_the_template_rendered_for_the_service(service):
    assert path(service).read_text(encoding="utf-8") == render(service), (
        f"services/{service}/Dockerfile differs from deploy/docker/service.Dockerfile.in: run `make dockerfiles`")
