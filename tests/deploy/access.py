"""Who may do what on Kafka, derived from the code: the rights each service's process needs, and the rights
a ``KafkaUser`` grants.

A service needs, and may hold, exactly:

- **Write** on every destination (``topics.destinations``) of every event type its composition root declares
  it emits (``Runtime.publishes``): the whole ``lapor.jurisdiction.`` tree by prefix when such an event
  carries a jurisdiction (shared topics, agency and triage streams, those onboarded later too), and
  ``lapor.deadletter`` when it has a consumer (a message it cannot process is dead-lettered through the
  outbox);
- **Read** on every topic it subscribes to (``Runtime.subscribe``), in its consumer groups: a family
  (``Subscription.family``) by its prefix ``lapor.commands.agency.`` / ``lapor.commands.admin.``, so a
  topic onboarded after the deployment is read without a new ACL; the agencies' streams
  (``StreamFamily``, the officer console) each by a literal ACL (generated from the onboarding);
- **Describe** on those topics and nothing else.

Checked on every catalogued topic (the onboarded ones included), and the prefix ACLs one by one.

The runtime is built as the AsyncAPI generator builds it (``tools/asyncapi_docs.py``): wired, unconnected.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from lapor_shared.topics import DEAD_LETTER, JURISDICTION_PREFIX, StreamFamily, TopicFamily, all_topics
from tests.deploy.conftest import ALL_TOPIC_NAMES, acl_operations, allows, topics_allowed
from tools.asyncapi_docs import service_runtime

JURISDICTION_TREE = JURISDICTION_PREFIX + "."
TOPIC_OPERATIONS = ("Read", "Write", "Describe", "DescribeConfigs", "Create", "Delete", "Alter", "AlterConfigs")


@dataclass(frozen=True)
class Rights:
    """Topics a principal reads and writes, and the consumer groups (ids) it joins."""

    reads: frozenset[str]
    writes: frozenset[str]
    groups: frozenset[str] = frozenset()
    prefixes: frozenset[tuple[str, str]] = frozenset()
    """``(operation, prefix)``: what is granted by a prefix ACL (a family, the jurisdiction tree)."""

    @property
    def described(self) -> frozenset[str]:
        return self.reads | self.writes


@cache
def service_rights(service: str) -> Rights:
    """What ``lapor-<service>`` needs, from the service's own wiring."""
    runtime = service_runtime(service)
    writes: set[str] = set()
    prefixed: set[tuple[str, str]] = set()
    for publication in runtime.publications:
        writes.update(publication.topics)
        if publication.jurisdictions:
            prefixed.add(("Write", JURISDICTION_TREE))
        if publication.family:
            prefixed.add(("Write", publication.family))
    if runtime.consumers:
        writes.add(DEAD_LETTER.name)
    reads = {topic for subscription in runtime.subscriptions for topic in subscription.topics}
    reads |= {topic for s in runtime.subscriptions if isinstance(s.family, StreamFamily) for topic in s.topics_now()}
    prefixed |= {("Read", f"{s.family.prefix}.") for s in runtime.subscriptions if isinstance(s.family, TopicFamily)}
    for operation, prefix in prefixed:
        (reads if operation == "Read" else writes).update(t for t in ALL_TOPIC_NAMES if t.startswith(prefix))
    groups = {subscription.group_id for subscription in runtime.subscriptions}
    return Rights(frozenset(reads), frozenset(writes), frozenset(groups), frozenset(prefixed))


def catalogue_topics(role: str, column: str) -> frozenset[str]:
    """Topics whose ``writers`` or ``readers`` (``column``) name ``role`` in ``lapor_shared.topics``."""
    return frozenset(t.name for t in all_topics() if role in getattr(t, column))


def granted(user: Mapping[str, Any]) -> Rights:
    """What a KafkaUser's ACLs allow on the catalogued topics (groups are checked one by one: ``allows``)."""
    return Rights(frozenset(topics_allowed(user, "Read")), frozenset(topics_allowed(user, "Write")))


def described(user: Mapping[str, Any]) -> set[str]:
    return topics_allowed(user, "Describe")


def acls(user: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(user["spec"]["authorization"]["acls"])


def topic_acls_naming_nothing(user: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Topic ACLs that cover no catalogued topic: a typo, or a grant on something that does not exist yet."""
    dead = []
    for acl in acls(user):
        resource = acl["resource"]
        if resource["type"] != "topic":
            continue
        name, pattern = resource.get("name", "*"), resource.get("patternType", "literal")
        if not any(name == "*" or (pattern == "prefix" and t.startswith(name)) or t == name for t in ALL_TOPIC_NAMES):
            dead.append(acl)
    return dead


def operations_used(user: Mapping[str, Any], resource_type: str) -> set[str]:
    return {op for acl in acls(user) if acl["resource"]["type"] == resource_type for op in acl_operations(acl)}


def may_join(user: Mapping[str, Any], group: str) -> bool:
    return allows(user, "Read", "group", group)


def topic_prefix_grants(user: Mapping[str, Any]) -> set[tuple[str, str]]:
    """``(operation, prefix)`` of the user's prefix ACLs on topics, for Read and Write."""
    return {(op, acl["resource"]["name"]) for acl in acls(user)
            if acl["resource"]["type"] == "topic" and acl["resource"].get("patternType") == "prefix"
            for op in acl_operations(acl) & {"Read", "Write"}}


def prefixes(user: Mapping[str, Any], resource_type: str) -> set[str]:
    return {acl["resource"]["name"] for acl in acls(user)
            if acl["resource"]["type"] == resource_type and acl["resource"].get("patternType") == "prefix"}


def users_by_name(resources: Mapping[str, Iterable[Mapping[str, Any]]]) -> dict[str, Mapping[str, Any]]:
    return {u["metadata"]["name"]: u for u in resources.get("KafkaUser", [])}


def is_jurisdiction(topic: str) -> bool:
    return topic.startswith(JURISDICTION_PREFIX + ".")
