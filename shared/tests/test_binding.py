"""Commands bound to their senders by the topic they arrive on: a command that names another agency or scope
than its topic is refused before its use case runs, with one refusal event, one security log line and a
metric; an admin command reaches only complaints of the admin's scope."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
import structlog
from structlog.testing import capture_logs

import lapor_shared.binding
from lapor_shared.binding import bound, refused_outside_scope, scope_of, sender_of, within
from lapor_shared.consumer import Consumer, Tx
from lapor_shared.events import Envelope, decode
from lapor_shared.events.commands import AcknowledgeComplaint, AdminHold
from lapor_shared.metrics import Metrics
from lapor_shared.testing import factories as f
from lapor_shared.testing.records import delivered
from lapor_shared.topics import ADMIN_COMMANDS, AGENCY_COMMANDS, COMPLAINTS, DEAD_LETTER

pytestmark = [pytest.mark.timeout(30, func_only=True)]


class Spy:
    """A use case that records what it was given."""

    def __init__(self) -> None:
        self.seen: list[tuple[str | None, Envelope[Any]]] = []

    async def __call__(self, tx: Tx, envelope: Envelope[Any]) -> None:
        self.seen.append((tx.source.topic if tx.source else None, envelope))


def acknowledge(agency_id: str) -> Envelope[Any]:
    return f.envelope(AcknowledgeComplaint(agency_id=agency_id), complaint_id=f.accepted_envelope().complaint_id,
                      tracking_number=f.tracking_number())


def hold(scope: str | None = None) -> Envelope[Any]:
    return f.envelope(AdminHold(admin_ref="admin.lampung", reason="Menunggu data.", scope=scope),
                      complaint_id=f.accepted_envelope().complaint_id)


async def refusals(pool: asyncpg.Pool) -> list[tuple[str, Envelope[Any]]]:
    rows = await pool.fetch("SELECT topic, payload FROM outbox ORDER BY id")
    return [(r["topic"], decode(bytes(r["payload"]))) for r in rows]


@pytest.fixture
def security_log(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(lapor_shared.binding, "log", structlog.get_logger(component="binding"))
    with capture_logs() as logs:
        yield logs


def consumer(pool: asyncpg.Pool, delivery, handler, metrics: Metrics | None = None) -> Consumer:
    handlers = {AcknowledgeComplaint: bound(handler), AdminHold: bound(handler)}
    return Consumer("svc.commands", lambda: pool, producer="svc", handlers=handlers, settings=delivery,
                    metrics=metrics)


async def test_a_command_on_the_topic_of_the_agency_it_names_reaches_its_use_case_with_its_source(pool, delivery):
    spy = Spy()
    command = acknowledge("pu.18.71")

    await consumer(pool, delivery, spy).handle(delivered(command, topic=AGENCY_COMMANDS.topic("pu.18.71")))

    assert spy.seen == [("lapor.commands.agency.pu.18.71", command)]
    assert await refusals(pool) == []


async def test_an_agency_naming_another_agency_is_refused_on_the_platform_stream_logged_and_counted(
        pool, delivery, security_log):
    spy, metrics = Spy(), Metrics("svc")
    command = acknowledge("pu.18.71")  # dinkes.18.71 writes, claiming to be Dinas PU

    await consumer(pool, delivery, spy, metrics).handle(
        delivered(command, topic=AGENCY_COMMANDS.topic("dinkes.18.71")))

    assert spy.seen == []
    [(topic, refusal)] = await refusals(pool)
    assert topic == COMPLAINTS.name
    assert (refusal.event_type, refusal.payload.reason.code, refusal.payload.command_id) == (
        "complaint.action_rejected", "sender_mismatch", command.event_id)
    assert refusal.jurisdiction_code is None and refusal.agency_id is None
    [line] = [e for e in security_log if e["event"] == "command_impersonation_refused"]
    assert (line["log_level"], line["topic"], line["claimed"], line["event_id"], line["kind"]) == (
        "warning", "lapor.commands.agency.dinkes.18.71", "pu.18.71", str(command.event_id), "agency")
    assert metrics.impersonation_refused.labels("svc", "agency")._value.get() == 1


async def test_an_agency_command_arriving_on_an_admins_topic_is_dead_lettered_as_not_belonging_there(pool, delivery):
    spy = Spy()

    await consumer(pool, delivery, spy).handle(delivered(acknowledge("umum.18"), topic=ADMIN_COMMANDS.topic("18")))

    assert spy.seen == []
    assert [r["topic"] for r in await pool.fetch("SELECT topic FROM outbox")] == [DEAD_LETTER.name]


async def test_an_admin_command_naming_another_scope_than_its_topic_is_refused(pool, delivery, security_log):
    spy, metrics = Spy(), Metrics("svc")

    await consumer(pool, delivery, spy, metrics).handle(delivered(hold(scope="ID"), topic=ADMIN_COMMANDS.topic("18")))

    assert spy.seen == []
    assert [r.payload.reason.code for _, r in await refusals(pool)] == ["sender_mismatch"]
    assert metrics.impersonation_refused.labels("svc", "admin")._value.get() == 1


async def test_an_admin_command_naming_no_scope_takes_its_topics(pool, delivery):
    spy = Spy()

    await consumer(pool, delivery, spy).handle(delivered(hold(), topic=ADMIN_COMMANDS.topic("18")))

    assert [topic for topic, _ in spy.seen] == ["lapor.commands.admin.18"]


async def test_an_admin_command_about_a_complaint_outside_the_scope_is_refused(pool, delivery, security_log):
    metrics = Metrics("svc")
    outcomes: list[bool] = []

    async def use_case(tx: Tx, envelope: Envelope[Any]) -> None:
        outcomes.append(await refused_outside_scope(tx, envelope, "19.71"))  # Bangka Belitung, not Lampung
        outcomes.append(await refused_outside_scope(tx, envelope, "18.71"))

    await consumer(pool, delivery, use_case, metrics).handle(delivered(hold("18"), topic=ADMIN_COMMANDS.topic("18")))

    assert outcomes == [True, False]
    assert [r.payload.reason.code for _, r in await refusals(pool)] == ["outside_scope"]
    [line] = [e for e in security_log if e["event"] == "command_outside_scope_refused"]
    assert (line["scope"], line["jurisdiction_code"], line["kind"]) == ("18", "19.71", "admin_scope")
    assert metrics.impersonation_refused.labels("svc", "admin_scope")._value.get() == 1


def test_the_sender_of_a_topic_is_its_agency_or_its_admin_scope():
    assert sender_of("lapor.commands.agency.pu.18.71") == lapor_shared.binding.Sender("agency", "pu.18.71")
    assert sender_of("lapor.commands.admin.18") == lapor_shared.binding.Sender("admin", "18")
    assert sender_of("lapor.commands.reporter") is None


def test_a_scope_covers_itself_and_what_lies_below_it():
    assert within("ID", "18.71") and within("ID", None)
    assert within("18", "18") and within("18", "18.71")
    assert not within("18", "19.71") and not within("18", "ID") and not within("18", None)
    assert not within("18.71", "18") and not within("1", "18.71")


def test_without_a_source_there_is_no_scope(pool):
    assert scope_of(Tx(None, None, "svc")) is None  # type: ignore[arg-type]
