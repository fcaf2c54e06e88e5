"""Which subscriptions may keep a record waiting longer after a quiet spell (``lapor_shared.fetch_pace``).

A hop of a complaint's way through the platform keeps the short idle waits, since the next hop waits for
it; commands people send and what only people look at take ``Tempo.PEOPLE``'s longer ones (issue 17,
lever 4). Read from each service's own wiring, as the AsyncAPI generator builds it."""

from __future__ import annotations

import pytest

from lapor_shared.fetch_pace import Tempo
from lapor_shared.topics import COMPLAINTS, CONTACTS, SUBMISSION_RESULTS, SUBMISSIONS, TopicFamily
from tools.asyncapi_docs import SERVICES, service_runtime

pytestmark = pytest.mark.unit

PIPELINE_HOPS = {
    ("intake", SUBMISSIONS.name), ("routing", COMPLAINTS.name), ("followup", COMPLAINTS.name),
    ("notify", COMPLAINTS.name), ("notify", CONTACTS.name), ("gateway", SUBMISSION_RESULTS.name),
}
"""(service, topic): where a complaint, its contact or a channel's answer waits for the subscriber."""


def _subscriptions() -> list[tuple[str, object]]:
    return [(service, s) for service in SERVICES for s in service_runtime(service).subscriptions]


def test_every_hop_of_a_complaints_way_keeps_the_pipelines_short_idle_waits():
    tempos = {(service, topic): s.tempo for service, s in _subscriptions() for topic in s.topics}

    assert {hop: tempos.get(hop) for hop in PIPELINE_HOPS} == dict.fromkeys(PIPELINE_HOPS, Tempo.PIPELINE)


def test_commands_people_send_are_read_at_peoples_pace():
    commands = [(service, s) for service, s in _subscriptions()
                if isinstance(s.family, TopicFamily) or any(t.startswith("lapor.commands.") for t in s.topics)]

    assert len(commands) == 7
    assert {(service, s.group_id): s.tempo for service, s in commands} == {
        (service, s.group_id): Tempo.PEOPLE for service, s in commands
    }


def test_every_other_subscription_is_read_at_peoples_pace():
    others = {(service, s.group_id): s.tempo for service, s in _subscriptions()
              if not any((service, topic) in PIPELINE_HOPS for topic in s.topics)}

    assert len(others) == 11
    assert set(others.values()) == {Tempo.PEOPLE}
