"""The committed AsyncAPI documents describe the code as it is."""

from __future__ import annotations

import pytest

from tools.asyncapi_docs import DOCS, SERVICES, render

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("service", SERVICES)
def test_the_committed_asyncapi_document_matches_the_service(service):
    committed = DOCS / f"{service}.json"

    assert committed.exists(), "run `make asyncapi`"
    assert committed.read_text() == render(service), f"docs/asyncapi/{service}.json is stale: run `make asyncapi`"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_documents_what_it_consumes(service):
    document = render(service)

    assert '"operations"' in document and "receive" in document
