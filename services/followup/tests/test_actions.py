"""Commands against the state machine: what is allowed moves the complaint and its clocks; what is not
becomes complaint.action_rejected with a reason, and nothing else changes."""

from __future__ import annotations

from datetime import date, datetime
from uuid import uuid4

import pytest

from lapor_followup.workcalendar import WITA
from lapor_shared.events import decode
from lapor_shared.events.commands import (
    AcknowledgeComplaint,
    AdminClose,
    AdminHold,
    AdminReopen,
    RateHandling,
    ReopenComplaint,
    ReplyToResponse,
    RequestExtension,
    ResolveComplaint,
    RespondToComplaint,
)
from lapor_shared.events.lifecycle import ComplaintForwarded
from lapor_shared.events.values import Attachment, Evidence
from lapor_shared.testing.factories import complaint_routed, envelope, reason
from lapor_shared.topics import COMPLAINTS, agency_stream

from .harness import WIB, office

pytestmark = [pytest.mark.integration, pytest.mark.timeout(90)]


def at(day: int, hour: int = 10, minute: int = 0, month: int = 7) -> datetime:
    return datetime(2025, month, day, hour, minute, tzinfo=WIB)


async def test_illegal_transitions_are_rejected_with_a_reason_and_change_nothing(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    f.clock.set(at(7, 11))
    before = await f.case(complaint)

    await f.command(complaint, ReplyToResponse(text="Ada kabar?"))  # nothing to reply to yet
    await f.command(complaint, RateHandling(rating=5))  # not closed
    await f.command(complaint, ResolveComplaint(agency_id="umum.18.71"))  # no follow-up yet
    await f.command(complaint, ReopenComplaint(reason="Belum selesai"))  # not closed
    await f.command(complaint, AdminReopen(admin_ref="admin-1", reason="uji"))  # neither held nor closed
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.01"))  # another agency's complaint
    await f.command(None, AcknowledgeComplaint(agency_id="umum.18.71"))  # no complaint id
    await f.command(None, AcknowledgeComplaint(agency_id="umum.18.71"), complaint_id=complaint.correlation_id)

    assert await f.rejections(complaint) == [
        "illegal_transition", "illegal_transition", "illegal_transition", "illegal_transition", "illegal_transition",
        "not_responsible_agency",
    ]
    assert sorted(await f.rejections()) == sorted([*await f.rejections(complaint), "missing_complaint_id",
                                                   "unknown_complaint"])
    first = (await f.events(complaint, "complaint.action_rejected"))[0]
    assert first.payload.command_type == "reporter.reply"
    assert first.payload.reason.message_id.startswith("Tidak dapat menanggapi tindak lanjut")
    assert "routed" in first.payload.reason.message_en
    assert first.correlation_id == complaint.correlation_id

    after = await f.case(complaint)
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert all(c.dead_lettered == 0 for c in f.service.runtime.consumers)

    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.71"))
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.71"))
    assert await f.status(complaint) == "acknowledged"
    assert (await f.rejections(complaint))[-1] == "illegal_transition"


async def test_a_command_redelivered_is_applied_once(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    ack = await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.71"))
    await f.deliver(ack, "lapor.commands.agency.umum.18.71")
    assert len(await f.events(complaint, "complaint.acknowledged")) == 1
    assert await f.rejections(complaint) == []


async def test_an_extension_moves_the_deadline_within_the_policy_limits(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))  # due 14 July
    f.clock.set(at(8))
    await f.command(complaint, RequestExtension(agency_id="umum.18.71", working_days=15, reason="Perlu uji lab"))
    await f.command(complaint, RequestExtension(agency_id="umum.18.71", working_days=10, reason="Perlu uji lab"))
    assert await f.rejections(complaint) == ["extension_too_long"]
    [extended] = await f.events(complaint, "complaint.deadline_extended")
    assert extended.payload.due_at == datetime(2025, 7, 28, 23, 59, 59, tzinfo=WIB)
    assert (extended.payload.working_days, extended.payload.policy_version) == (10, "permenpanrb-62-2018")
    # the old deadline is gone: nothing on 15 July, the warning and the breach follow the new one
    assert await f.tick(at(15, 9)) == 0
    await f.tick(at(28, 1))
    await f.tick(at(29, 1))
    assert [e.event_type for e in await f.events(complaint)][-3:] == [
        "complaint.deadline_warning", "complaint.deadline_breached", "complaint.escalated"
    ]
    f.clock.set(at(29, 9))
    await f.command(complaint, RequestExtension(agency_id="umum.18.71", working_days=5, reason="Lagi"))
    assert (await f.rejections(complaint))[-1] == "deadline_passed"


async def test_extensions_stop_at_the_total_limit_and_at_the_hard_cap(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    f.clock.set(at(8))
    for _ in range(3):
        await f.command(complaint, RequestExtension(agency_id="umum.18.71", working_days=14, reason="Investigasi"))
    assert await f.rejections(complaint) == ["extension_limit"]  # 2 × 14 = 28, the total the policy allows
    assert (await f.case(complaint))["extension_days"] == 28

    # 60 calendar days after routing (5 September) no deadline may pass, extended or not
    late = await f.route("18.71", at=at(7))
    f.clock.set(at(20, month=8))
    await f.command(late, RespondToComplaint(agency_id="umum.18.71", text="Sedang diperiksa."))
    f.clock.set(at(21, month=8))
    await f.command(late, ReplyToResponse(text="Mohon dipercepat."))
    await f.command(late, RequestExtension(agency_id="umum.18.71", working_days=10, reason="Investigasi"))
    [refused] = await f.events(late, "complaint.action_rejected")
    assert refused.payload.reason.code == "hard_cap"
    assert "2025-09-05" in refused.payload.reason.message_id


async def test_admin_hold_stops_the_clocks_and_admin_reopen_restarts_them(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    f.clock.set(at(8))
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.71"))
    await f.command(complaint, AdminHold(admin_ref="admin-7", reason="Menunggu klarifikasi pelapor"))
    assert await f.status(complaint) == "held"
    await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="x"))
    assert await f.rejections(complaint) == ["illegal_transition"]
    assert await f.tick(at(21)) == 0  # the held complaint's deadline does not fire

    f.clock.set(at(21, 9))
    await f.command(complaint, AdminReopen(admin_ref="admin-7", reason="Klarifikasi diterima"))
    assert await f.status(complaint) == "acknowledged"
    restarted = (await f.events(complaint, "complaint.deadline_set"))[-1].payload
    assert restarted.due_at == datetime(2025, 7, 28, 23, 59, 59, tzinfo=WIB)

    await f.command(complaint, AdminClose(admin_ref="admin-7", reason="Laporan ganda"))
    assert await f.status(complaint) == "closed"
    await f.command(complaint, ReopenComplaint(reason="Bukan ganda"))
    assert (await f.rejections(complaint))[-1] == "not_reopenable"
    await f.command(complaint, AdminReopen(admin_ref="admin-7", reason="Ternyata bukan ganda"))
    assert await f.status(complaint) == "reopened"


async def test_the_reporter_may_reopen_within_the_window_after_a_resolution(followup):
    f = followup
    early, late = await f.route("18.71", at=at(7)), await f.route("18.71", at=at(7))
    f.clock.set(at(8))
    for complaint in (early, late):
        await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Sudah diperbaiki."))
        await f.command(complaint, ResolveComplaint(agency_id="umum.18.71", text="Selesai dikerjakan."))
    assert (await f.case(early))["reopen_until"] == datetime(2025, 7, 22, 23, 59, 59, tzinfo=WIB)

    f.clock.set(at(22, 20))
    await f.command(early, ReopenComplaint(reason="Lubang muncul lagi"))
    f.clock.set(at(23, 0, 1))
    await f.command(late, ReopenComplaint(reason="Lubang muncul lagi"))
    assert await f.status(early) == "reopened"
    assert await f.status(late) == "closed"
    assert await f.rejections(late) == ["reopen_window_passed"]
    reopened = (await f.events(early, "complaint.reopened"))[-1]
    assert reopened.payload.by == "reporter"
    assert (await f.events(early, "complaint.deadline_set"))[-1].payload.stage == "follow_up"

    await f.command(late, RateHandling(rating=2))
    await f.command(late, RateHandling(rating=5))
    assert await f.rejections(late) == ["reopen_window_passed", "already_rated"]
    assert (await f.case(late))["rating"] == 2


async def test_a_forwarded_complaint_leaves_its_agency_and_its_clocks_follow_it(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    makassar = office("73.71")
    f.clock.set(at(8))
    forwarded = envelope(
        ComplaintForwarded(from_agency=office("18.71"), to_agency=makassar, reason=reason(code="forwarded")),
        producer="routing", caused_by=complaint, jurisdiction_code="73.71", occurred_at=at(8, 9),
    )
    await f.deliver(forwarded, COMPLAINTS.name)
    # routing's complaint.routed for the second routing arrives too: already applied
    again = envelope(complaint_routed(agency=makassar, route_count=2), producer="routing", caused_by=complaint,
                     jurisdiction_code="73.71", occurred_at=at(8, 9))
    await f.deliver(again, COMPLAINTS.name)

    case = await f.case(complaint)
    assert (case["agency_id"], case["jurisdiction_code"], case["route_count"]) == ("umum.73.71", "73.71", 2)
    deadlines = await f.events(complaint, "complaint.deadline_set")
    assert len(deadlines) == 2
    new = deadlines[-1]
    assert new.jurisdiction_code == "73.71" and new.payload.agency_id == "umum.73.71"
    assert new.payload.due_at == datetime(2025, 7, 15, 23, 59, 59, tzinfo=WITA)  # 09:00 WIB = 10:00 WITA

    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.18.71"))
    assert await f.rejections(complaint) == ["not_responsible_agency"]
    await f.command(complaint, AcknowledgeComplaint(agency_id="umum.73.71"))
    assert await f.status(complaint) == "acknowledged"
    # the old agency's deadline (14 July) is gone
    await f.tick(at(15, 12))
    assert await f.events(complaint, "complaint.deadline_breached") == []


async def test_a_policy_change_applies_to_new_complaints_and_running_ones_keep_theirs(start_followup, clock, tmp_path):
    policy_file = tmp_path / "policies.toml"
    numbers = ("verification = 3\nfollow_up = {follow_up}\nauto_close = 10\nescalation = 5\nwarning_before = 1\n"
               "extension_per_request = 14\nextension_total = 55\nreopen_window = 10\nhard_cap_days = 60\n")
    policy_file.write_text(
        '[[version]]\nid = "v2018"\neffective_from = 2018-01-01\n[version.defaults]\n'
        + numbers.format(follow_up=5)
        + '[[version]]\nid = "v2025-07"\neffective_from = 2025-07-09\n[version.defaults]\n'
        + numbers.format(follow_up=7),
        encoding="utf-8",
    )
    async with start_followup(clock, policy_file=str(policy_file)) as f:
        running = await f.route("18.71", at=at(7))
        f.clock.set(at(10))
        new = await f.route("18.71", at=at(10))
        await f.command(running, RespondToComplaint(agency_id="umum.18.71", text="Ditangani."))
        await f.command(running, ReplyToResponse(text="Belum beres."))

        assert (await f.case(running))["policy_version"] == "v2018"
        assert (await f.case(new))["policy_version"] == "v2025-07"
        [new_deadline] = await f.events(new, "complaint.deadline_set")
        assert (new_deadline.payload.policy_version, new_deadline.payload.working_days) == ("v2025-07", 7)
        assert new_deadline.payload.due_at.date() == date(2025, 7, 21)
        after_reply = (await f.events(running, "complaint.deadline_set"))[-1]
        assert (after_reply.payload.stage, after_reply.payload.policy_version) == ("follow_up", "v2018")
        assert after_reply.payload.working_days == 5

    # a published version must never be edited: the service refuses to start
    policy_file.write_text(policy_file.read_text(encoding="utf-8").replace("follow_up = 5", "follow_up = 4"),
                           encoding="utf-8")
    with pytest.raises(Exception, match="must never be edited"):
        async with start_followup(clock, policy_file=str(policy_file)):
            pass


async def test_an_operator_calendar_override_is_picked_up_on_refresh(followup):
    f = followup
    await f.conn.execute(
        "INSERT INTO followup.calendar_overrides (day, working, name, decree)"
        " VALUES ('2025-07-10', false, 'Cuti bersama tambahan', 'SKB 3 Menteri (uji)')"
    )
    await f.service.poller.refresh_calendar()
    complaint = await f.route("18.71", at=at(7))
    [deadline] = await f.events(complaint, "complaint.deadline_set")
    assert deadline.payload.due_at.date() == date(2025, 7, 15)
    await f.conn.execute("DELETE FROM followup.calendar_overrides")
    await f.service.poller.refresh_calendar()
    assert f.service.ctx.calendar.is_working_day(date(2025, 7, 10))


async def test_a_complaint_in_triage_runs_the_verification_clock_until_routing_places_it(followup):
    from lapor_shared.events.lifecycle import ComplaintHeld, ComplaintNeedsTriage
    from lapor_shared.events.values import Location, ReportType

    f = followup
    triage = envelope(
        ComplaintNeedsTriage(triage_jurisdiction="ID", reason=reason(code="no_region"), report_type=ReportType.ASPIRASI,
                             title="Usul taman kota", description="Mohon dibangun taman.", location=Location(),
                             anonymous=True, confidential=False),
        producer="routing", complaint_id=uuid4(), tracking_number="LPR-TRIA-GE001",
        jurisdiction_code="ID", occurred_at=at(7),
    )
    await f.deliver(triage, COMPLAINTS.name)
    assert await f.status(triage) == "triage"
    [verification] = await f.events(triage, "complaint.deadline_set")
    assert (verification.payload.stage, verification.payload.working_days) == ("verification", 3)
    assert verification.payload.due_at == datetime(2025, 7, 10, 23, 59, 59, tzinfo=WIB)
    await f.command(triage, AcknowledgeComplaint(agency_id="umum.ID"))
    assert await f.rejections(triage) == ["illegal_transition"]

    await f.tick(at(11, 1))
    [late] = await f.events(triage, "complaint.deadline_breached")
    assert late.payload.stage == "verification"

    held = envelope(ComplaintHeld(reason=reason(code="unclear"), by="admin:triase-1"), producer="routing",
                    caused_by=triage, occurred_at=at(11, 9))
    await f.deliver(held, COMPLAINTS.name)
    assert await f.status(triage) == "held"

    placed = envelope(complaint_routed(agency=office("18.71"), anonymous=True), producer="routing",
                      caused_by=triage, jurisdiction_code="18.71", occurred_at=at(14, 9))
    await f.deliver(placed, COMPLAINTS.name)
    case = await f.case(triage)
    assert (case["status"], case["agency_id"], case["jurisdiction_code"]) == ("routed", "umum.18.71", "18.71")
    follow_up = (await f.events(triage, "complaint.deadline_set"))[-1]
    assert follow_up.payload.stage == "follow_up" and follow_up.jurisdiction_code == "18.71"
    assert follow_up.payload.due_at == datetime(2025, 7, 21, 23, 59, 59, tzinfo=WIB)


async def test_a_response_or_reply_linking_an_attachment_over_plain_http_is_refused_and_changes_nothing(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    f.clock.set(at(8))
    plain = Attachment(url="http://berkas.dinas.example/foto.jpg", media_type="image/jpeg", size_bytes=10)
    secure = Attachment(url="https://berkas.dinas.example/foto.jpg", media_type="image/jpeg", size_bytes=10)

    await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Lihat foto.", attachments=[plain],
                                                  internal_note="catatan"))
    assert await f.status(complaint) == "routed"
    await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Lihat foto.", attachments=[secure]))
    await f.command(complaint, ReplyToResponse(text="Foto saya.", attachments=[plain]))

    assert await f.rejections(complaint) == ["attachment_url_scheme", "attachment_url_scheme"]
    assert await f.status(complaint) == "responded"
    [responded] = await f.events(complaint, "complaint.responded")
    assert [str(a.url) for a in responded.payload.attachments] == ["https://berkas.dinas.example/foto.jpg"]


async def test_a_responses_stored_files_pass_through_to_complaint_responded_on_every_stream_of_the_agency(followup):
    f = followup
    complaint = await f.route("18.71", at=at(7))
    f.clock.set(at(8))
    report = Evidence(object_id="c" * 32 + ".pdf", media_type="application/pdf", size_bytes=812, sha256="d" * 64)
    photo = Evidence(object_id="e" * 32 + ".jpg", media_type="image/jpeg", size_bytes=4096, sha256="f" * 64)

    await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text="Laporan terlampir.",
                                                  evidence=[report, photo]))

    [responded] = await f.events(complaint, "complaint.responded")
    assert responded.payload.evidence == [report, photo]
    rows = await f.conn.fetch("SELECT topic, payload FROM followup.outbox WHERE topic = $1",
                              agency_stream("18.71", "umum.18.71"))
    on_stream = [e for e in (decode(bytes(r["payload"])) for r in rows) if e.event_type == "complaint.responded"]
    assert [e.payload.evidence for e in on_stream] == [[report, photo]]
