"""Who outside the services may read and write which topics: the one place that decides an agency's, an
admin's and a monitoring level's Kafka ACLs (the principal generator in deploy/ renders them as Strimzi
``KafkaUser`` resources; tests here check the layout against the catalogue).

- **An agency** writes its own command topic and reads its own stream, both by a *literal* ACL: agency
  ids hold dots (``pu.18`` is a prefix of ``pu.18.71``), so a prefix would reach a sibling's topics. It
  also reads its jurisdiction's shared topic (the overview: every complaint of its regency or province,
  rahasia ones without their content). The general complaints office of a province or of the nation
  (``umum.18``, ``umum.ID``), where followup escalates ignored complaints, reads its whole subtree as a
  monitoring level does, since it may act on any complaint escalated to it.
- **A monitoring level** reads its jurisdiction's subtree by prefix (``lapor.jurisdiction.ID.18``: the
  shared topics, the agency and triage streams below it, whole) and writes nothing.
- **The officer console** (``lapor-console``, a service) reads every onboarded agency's stream, each by a
  literal ACL, and writes any agency's command topic: see ``console_grants``.
- **An admin scope** writes its own command topic (literal) and reads its subtree by prefix, its triage
  stream included; the national scope also changes the agency registry.

Each principal joins the consumer group named after it (``agency-<id>``, ``monitor-<code>``,
``admin-<code>``) and any ``<that name>:<anything>``: a plain prefix ``agency-umum.18`` would also cover
``agency-umum.18.71``, another agency's group (ids hold dots and dashes, never a colon).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lapor_shared import onboarding
from lapor_shared.events.values import NATIONAL_CODE
from lapor_shared.onboarding import Onboarding
from lapor_shared.topics import (
    ADMIN_COMMANDS,
    AGENCY_COMMANDS,
    DEAD_LETTER,
    REGISTRY_COMMANDS,
    agency_stream,
    is_triage_level,
    jurisdiction_topic,
)

GENERAL_OFFICE_KIND = "umum"
"""Routing's registry convention: the general complaints office of a government is ``umum.<code>``."""
GROUP_SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class Grant:
    """One ACL: ``operations`` on a topic or consumer group named ``name``, matched ``literal`` or by ``prefix``
    (or on the cluster itself, ``kafka-cluster``: the platform team's grant in deploy/k8s)."""

    resource: Literal["topic", "group", "cluster"]
    name: str
    pattern: Literal["literal", "prefix"]
    operations: tuple[str, ...]


def general_office_id(code: str) -> str:
    """``18`` → ``umum.18``: the general complaints office (Unit Pengaduan) of the government at ``code``."""
    return f"{GENERAL_OFFICE_KIND}.{code}"


def is_escalation_office(agency_id: str, code: str) -> bool:
    """Whether followup escalates complaints to this agency: a province's or the nation's general office."""
    return is_triage_level(code) and agency_id == general_office_id(code)


def reads(name: str, pattern: Literal["literal", "prefix"] = "literal") -> Grant:
    return Grant("topic", name, pattern, ("Read", "Describe"))


def writes(name: str) -> Grant:
    return Grant("topic", name, "literal", ("Write", "Describe"))


def groups(name: str) -> list[Grant]:
    """The consumer group ``name`` and ``name:<anything>`` (more applications of the same principal)."""
    return [Grant("group", name, "literal", ("Read",)), Grant("group", name + GROUP_SEPARATOR, "prefix", ("Read",))]


def agency_grants(agency_id: str, jurisdiction_code: str) -> list[Grant]:
    """An onboarded agency: its stream and its jurisdiction's shared topic (read), its command topic
    (write), its groups; an escalation office also reads its subtree."""
    grants = [
        reads(agency_stream(jurisdiction_code, agency_id)),
        reads(jurisdiction_topic(jurisdiction_code)),
        writes(AGENCY_COMMANDS.topic(agency_id)),
    ]
    if is_escalation_office(agency_id, jurisdiction_code):
        grants.append(reads(jurisdiction_topic(jurisdiction_code), "prefix"))
    return [*grants, *groups(f"agency-{agency_id}")]


def monitor_grants(jurisdiction_code: str) -> list[Grant]:
    """A monitoring level: everything under its jurisdiction (a prefix ending at a whole code:
    ``lapor.jurisdiction.ID.18`` covers 18 and 18.xx, never 19 or 180), nothing written."""
    return [reads(jurisdiction_topic(jurisdiction_code), "prefix"), *groups(f"monitor-{jurisdiction_code}")]


def admin_grants(scope: str) -> list[Grant]:
    """The admins of a scope: their command topic (write) and their subtree (read); the nation's admins
    also write registry commands and read routing's answers to them."""
    grants = [writes(ADMIN_COMMANDS.topic(scope)), reads(jurisdiction_topic(scope), "prefix")]
    if scope == NATIONAL_CODE:
        grants += [writes(REGISTRY_COMMANDS.name), reads(REGISTRY_COMMANDS.name)]
    return [*grants, *groups(f"admin-{scope}")]


def console_grants(onboarded: Onboarding | None = None) -> list[Grant]:
    """The officer console's service user (``lapor-console``): every onboarded agency's stream, read by a
    *literal* ACL each (never the shared jurisdiction topics, never a triage stream), so an agency onboarded
    later is read once the principals are generated again; its officers' commands written on any agency's
    command topic (the prefix ``lapor.commands.agency.``: the console serves the officers of every
    onboarded agency, and the agency of each command is the officer's account's); dead letters; its groups."""
    onboarded = onboarded or onboarding.current()
    return [
        *(reads(agency_stream(code, agency_id)) for agency_id, code in onboarded.agencies.items()),
        Grant("topic", f"{AGENCY_COMMANDS.prefix}.", "prefix", ("Write", "Describe")),
        writes(DEAD_LETTER.name),
        Grant("group", "lapor-console", "prefix", ("Read",)),
    ]


def allows(grants: list[Grant], operation: str, topic: str) -> bool:
    """Whether ``grants`` allow ``operation`` on ``topic`` (as Kafka's authoriser reads them)."""
    return any(
        g.resource == "topic" and operation in g.operations
        and (topic == g.name if g.pattern == "literal" else topic.startswith(g.name))
        for g in grants
    )
