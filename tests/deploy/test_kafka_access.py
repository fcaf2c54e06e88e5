"""Every Kafka principal holds exactly the rights its code needs: a service's KafkaUser grants Write on every
topic the service publishes to and Read on every topic it subscribes to, no more and no fewer, in the base
files and in every overlay as ``kubectl kustomize`` renders it."""

from __future__ import annotations

import pytest

from lapor_shared.topics import DEAD_LETTER, REGISTRY_COMMANDS
from tests.deploy.access import (
    catalogue_topics,
    described,
    granted,
    may_join,
    operations_used,
    prefixes,
    service_rights,
    topic_acls_naming_nothing,
    users_by_name,
)
from tests.deploy.conftest import OVERLAYS, SERVICES, base_resources

pytestmark = pytest.mark.unit


def check_service_user(user, service: str) -> None:
    needed = service_rights(service)
    rights = granted(user)
    assert sorted(needed.writes - rights.writes) == [], f"lapor-{service} may not write what its code publishes"
    assert sorted(rights.writes - needed.writes) == [], f"lapor-{service} may write what its code never publishes"
    assert sorted(needed.reads - rights.reads) == [], f"lapor-{service} may not read what its code subscribes to"
    assert sorted(rights.reads - needed.reads) == [], f"lapor-{service} may read what its code never subscribes to"
    assert described(user) == needed.described, "Describe goes with Read and Write, and only with them"
    assert topic_acls_naming_nothing(user) == []
    assert operations_used(user, "topic") <= {"Read", "Write", "Describe"}
    assert operations_used(user, "group") == {"Read"}
    assert prefixes(user, "group") == {f"lapor-{service}"}
    for group in needed.groups:
        assert may_join(user, group), group
    assert user["spec"]["authentication"]["type"] == "scram-sha-512"


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_user_grants_exactly_what_the_services_code_publishes_and_subscribes_to(service):
    check_service_user(users_by_name(base_resources())[f"lapor-{service}"], service)


@pytest.mark.timeout(400)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rendered_overlay_grants_each_service_exactly_what_its_code_needs(rendered, overlay):
    users = users_by_name(rendered[overlay])
    for service in SERVICES:
        check_service_user(users[f"lapor-{service}"], service)


def test_routing_may_answer_registry_commands_on_the_registry_topic():
    """registry.agency_changed / command_rejected go where the commands came from: without Write there, the
    relay's first registry answer is refused and every complaint.routed behind it waits for ever."""
    assert REGISTRY_COMMANDS.name in service_rights("routing").writes
    assert REGISTRY_COMMANDS.name in granted(users_by_name(base_resources())["lapor-routing"]).writes


@pytest.mark.parametrize("service", SERVICES)
def test_the_catalogue_names_every_service_among_the_writers_and_readers_of_what_its_code_uses(service):
    """The catalogue's writers and readers columns (the topic table in docs/architecture.md) tell the truth."""
    needed = service_rights(service)
    writable = catalogue_topics(service, "writers") | catalogue_topics("every service", "writers")
    assert sorted(needed.writes - writable) == []
    assert sorted(needed.reads - catalogue_topics(service, "readers")) == []


def test_every_consuming_service_may_dead_letter():
    for service in SERVICES:
        assert DEAD_LETTER.name in service_rights(service).writes, service
