"""What a service declares it publishes (``Runtime.publishes``) is where the deployment lets it write, and
the in-memory harness fails a service that emits anywhere else."""

from __future__ import annotations

from uuid import uuid4

import pytest

from lapor_shared.events.lifecycle import ActionRejected
from lapor_shared.events.notifications import NotificationSent
from lapor_shared.events.values import Reason
from lapor_shared.runtime import Publication, Runtime
from lapor_shared.settings import ServiceSettings
from lapor_shared.testing.factories import envelope
from lapor_shared.testing.service import undeclared_destinations
from lapor_shared.topics import COMPLAINTS, NOTIFICATIONS, jurisdiction_topic, triage_stream

pytestmark = pytest.mark.unit


def rejection(**fields):
    payload = ActionRejected(command_type="reporter.erase_contact", command_id=uuid4(),
                             reason=Reason(code="unknown_reporter", message_id="Tidak dikenal.", message_en="Unknown."))
    return envelope(payload, **fields)


def runtime_declaring(*payload_types, jurisdiction: bool = True) -> Runtime:
    runtime = Runtime(ServiceSettings(service_name="probe", database_url="postgresql://probe@db/probe"),
                      schema="probe", migrations="lapor_shared.migrations")
    runtime.publishes(*payload_types, jurisdiction=jurisdiction)
    return runtime


def test_a_declared_lifecycle_event_goes_to_the_complaint_stream_and_to_any_jurisdiction_topic():
    runtime = runtime_declaring(ActionRejected)

    assert runtime.publications == [Publication("complaint.action_rejected", (COMPLAINTS.name,), True)]
    assert undeclared_destinations(runtime, rejection(jurisdiction_code="18.71")) == []
    assert undeclared_destinations(runtime, rejection(jurisdiction_code="32")) == []


def test_an_event_declared_without_a_jurisdiction_may_not_reach_a_jurisdiction_topic():
    runtime = runtime_declaring(ActionRejected, jurisdiction=False)

    assert runtime.publications == [Publication("complaint.action_rejected", (COMPLAINTS.name,), False)]
    assert undeclared_destinations(runtime, rejection()) == []
    assert undeclared_destinations(runtime, rejection(jurisdiction_code="18.71")) == [jurisdiction_topic("18.71")]


def test_an_undeclared_event_type_is_undeclared_on_every_topic_it_would_reach():
    runtime = runtime_declaring(NotificationSent)

    assert runtime.publications[0].topics == (NOTIFICATIONS.name,)
    # at a province with no agency: the triage desk's stream too (its admins are onboarded)
    assert undeclared_destinations(runtime, rejection(jurisdiction_code="18")) == [
        COMPLAINTS.name, jurisdiction_topic("18"), triage_stream("18")]


def test_explicit_topics_are_checked_one_by_one():
    runtime = runtime_declaring(ActionRejected, jurisdiction=False)

    assert undeclared_destinations(runtime, rejection(), topics=[COMPLAINTS.name, NOTIFICATIONS.name]) == [
        NOTIFICATIONS.name]
