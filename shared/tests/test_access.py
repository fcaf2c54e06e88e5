"""The ACL layout of agencies, admins and monitoring levels: each reaches its own topics and its subtree,
never a sibling's, and writes only as itself."""

from __future__ import annotations

import pytest

from lapor_shared.access import Grant, admin_grants, agency_grants, allows, monitor_grants
from lapor_shared.onboarding import Onboarding
from lapor_shared.topics import (
    COMPLAINTS,
    CONTACTS,
    REGISTRY_COMMANDS,
    agency_stream,
    all_topics,
    jurisdiction_topic,
    triage_stream,
)

pytestmark = pytest.mark.unit

ONBOARDED = Onboarding(
    {"dinkes.18.71": "18.71", "pu.18.71": "18.71", "umum.18.71": "18.71", "pu.18": "18", "umum.18": "18",
     "dinkes.17.71": "17.71"},
    ("ID", "18", "18.71"),
)
TOPICS = [t.name for t in all_topics(ONBOARDED)]


def readable(grants: list[Grant]) -> set[str]:
    return {t for t in TOPICS if allows(grants, "Read", t)}


def writable(grants: list[Grant]) -> set[str]:
    return {t for t in TOPICS if allows(grants, "Write", t)}


def test_an_agency_reads_its_stream_and_its_jurisdictions_shared_topic_and_writes_only_its_command_topic():
    grants = agency_grants("dinkes.18.71", "18.71")

    assert readable(grants) == {agency_stream("18.71", "dinkes.18.71"), jurisdiction_topic("18.71")}
    assert writable(grants) == {"lapor.commands.agency.dinkes.18.71"}


def test_every_grant_of_an_agency_on_a_topic_is_literal_since_its_id_may_prefix_a_siblings():
    grants = agency_grants("pu.18", "18")

    assert {g.pattern for g in grants if g.resource == "topic"} == {"literal"}
    assert not allows(grants, "Write", "lapor.commands.agency.pu.18.71")
    assert not allows(grants, "Read", agency_stream("18", "pu.18.x"))


def test_a_sibling_agency_reaches_neither_the_stream_nor_the_command_topic_of_another():
    sibling = agency_grants("pu.18.71", "18.71")

    assert not allows(sibling, "Read", agency_stream("18.71", "dinkes.18.71"))
    assert not allows(sibling, "Write", "lapor.commands.agency.dinkes.18.71")


def test_no_agency_reads_the_platforms_stream_the_contacts_or_another_jurisdiction():
    grants = agency_grants("dinkes.18.71", "18.71")

    for topic in (COMPLAINTS.name, CONTACTS.name, jurisdiction_topic("18"), jurisdiction_topic("17.71"),
                  agency_stream("17.71", "dinkes.17.71")):
        assert not allows(grants, "Read", topic), topic


def test_a_provinces_general_office_reads_its_subtree_because_complaints_escalate_to_it():
    office = readable(agency_grants("umum.18", "18"))

    assert agency_stream("18.71", "dinkes.18.71") in office
    assert jurisdiction_topic("18.71") in office
    assert agency_stream("17.71", "dinkes.17.71") not in office
    assert readable(agency_grants("umum.18.71", "18.71")) == {agency_stream("18.71", "umum.18.71"),
                                                              jurisdiction_topic("18.71")}


def test_a_monitoring_level_reads_its_whole_subtree_and_writes_nothing():
    grants = monitor_grants("18")

    assert readable(grants) == {t for t in TOPICS if t.startswith(jurisdiction_topic("18") + ".")} | {
        jurisdiction_topic("18")}
    assert agency_stream("18.71", "dinkes.18.71") in readable(grants)
    assert writable(grants) == set()


def test_an_admin_writes_its_scopes_command_topic_and_reads_its_subtree_with_the_triage_stream():
    grants = admin_grants("18")

    assert writable(grants) == {"lapor.commands.admin.18"}
    assert triage_stream("18") in readable(grants)
    assert triage_stream("ID") not in readable(grants)
    assert not allows(grants, "Write", "lapor.commands.admin.18.71")


def test_only_the_nations_admins_change_the_registry():
    assert REGISTRY_COMMANDS.name in writable(admin_grants("ID"))
    assert REGISTRY_COMMANDS.name not in writable(admin_grants("18"))


def test_each_principal_joins_its_own_groups_and_no_siblings():
    groups = [g for g in agency_grants("umum.18", "18") if g.resource == "group"]

    assert groups == [Grant("group", "agency-umum.18", "literal", ("Read",)),
                      Grant("group", "agency-umum.18:", "prefix", ("Read",))]
    assert not any("agency-umum.18.71".startswith(g.name) for g in groups if g.pattern == "prefix")


@pytest.mark.parametrize("grants", [
    agency_grants("dinkes.18.71", "18.71"), agency_grants("umum.18", "18"), monitor_grants("ID"), admin_grants("ID"),
], ids=["agency", "escalation office", "monitor", "admin"])
def test_every_topic_grant_names_a_topic_that_exists(grants):
    for grant in grants:
        if grant.resource == "topic":
            assert any(t == grant.name or (grant.pattern == "prefix" and t.startswith(grant.name))
                       for t in TOPICS), grant
