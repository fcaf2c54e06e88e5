"""The officer's actions: each is this agency's command on its own topic, guarded by the form's CSRF
token; the page shows the outcome when followup's (or routing's) answer arrives on the agency's stream."""

from __future__ import annotations

from datetime import datetime

import pytest

from lapor_shared.events.lifecycle import ActionRejected, ComplaintResponded
from lapor_shared.events.values import reason
from lapor_shared.topics import AGENCY_COMMANDS
from lapor_shared.web_pages import when
from lapor_shared.workcalendar import WIB, WorkingCalendar
from services.console.tests.conftest import Case, csrf_of

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_acknowledging_publishes_this_agencys_command_on_its_own_topic_and_shows_the_outcome(console):
    case = Case().routed().deadline()
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = (await client.get(f"/complaints/{case.tracking_number}")).text
            form = {**csrf_of(page), "agency_id": "dinkes.18.71"}  # a forged agency is ignored
            sent = await client.post(f"/complaints/{case.tracking_number}/acknowledge", data=form)
            await h.settle()
            (command,) = h.commands()
            pending = (await client.get(sent.headers["location"])).text
            await h.answer(case, case_ack(case), command)
            done = (await client.get(sent.headers["location"])).text

    assert sent.status_code == 303
    assert h.published[-1].topic == AGENCY_COMMANDS.topic("umum.18.71")
    assert command.event_type == "agency.acknowledge" and command.payload.agency_id == "umum.18.71"
    assert command.complaint_id == case.complaint_id and command.payload.officer_ref == "petugas.bdl"
    assert 'data-outcome="pending"' in pending
    assert 'data-outcome="accepted"' in done and 'data-status="acknowledged"' in done


def case_ack(case: Case):
    from lapor_shared.events.lifecycle import ComplaintAcknowledged

    return ComplaintAcknowledged(agency_id=case.agency, officer_ref="petugas.bdl")


async def test_a_refused_command_shows_the_reason_followup_gave(console):
    case = Case().routed().deadline()
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = (await client.get(f"/complaints/{case.tracking_number}")).text
            sent = await client.post(f"/complaints/{case.tracking_number}/resolve", data=csrf_of(page))
            await h.settle()
            (command,) = h.commands()
            why = reason("illegal_transition", message_id="Belum ditindaklanjuti.", message_en="Not followed up yet.")
            await h.answer(case, ActionRejected(command_type=command.event_type, command_id=command.event_id,
                                                reason=why), command)
            done = (await client.get(sent.headers["location"])).text

    assert 'data-outcome="rejected"' in done and "Belum ditindaklanjuti." in done


async def test_a_response_carries_its_links_and_keeps_the_internal_note_in_the_console(console):
    case = Case().routed().deadline()
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            page = (await client.get(f"/complaints/{case.tracking_number}")).text
            form = {**csrf_of(page), "text": "Jalan sudah ditambal.", "internal_note": "Tim PU turun Senin",
                    "attachments": "https://dok.example.org/foto.jpg\n"}
            await client.post(f"/complaints/{case.tracking_number}/respond", data=form)
            await h.settle()
            (command,) = h.commands()
            await h.answer(case, ComplaintResponded(agency_id=case.agency, text="Jalan sudah ditambal."), command)
            done = (await client.get(f"/complaints/{case.tracking_number}")).text
            insecure = {**csrf_of(page), "nonce": "other", "text": "x", "attachments": "http://dok.example.org/a.jpg"}
            refused = await client.post(f"/complaints/{case.tracking_number}/respond", data=insecure)

    assert command.payload.text == "Jalan sudah ditambal." and command.payload.internal_note == "Tim PU turun Senin"
    assert [str(a.url) for a in command.payload.attachments] == ["https://dok.example.org/foto.jpg"]
    assert command.payload.attachments[0].media_type == "image/jpeg"
    assert "Tim PU turun Senin" in done and 'data-kind="internal_note"' in done
    assert refused.status_code == 422 and len(h.commands()) == 1


async def test_a_form_without_its_csrf_token_or_with_another_sessions_is_refused_and_publishes_nothing(console):
    case = Case().routed().deadline()
    async with console() as h:
        await h.tell(case)
        async with h.client() as client, h.client() as other:
            await h.login(client, "petugas.bdl")
            await h.login(other, "petugas.bdl")
            foreign = csrf_of((await other.get(f"/complaints/{case.tracking_number}")).text)
            missing = await client.post(f"/complaints/{case.tracking_number}/acknowledge", data={"nonce": "n1"})
            stolen = await client.post(f"/complaints/{case.tracking_number}/acknowledge", data=foreign)
        await h.settle()
        actions = await h.sql("SELECT * FROM actions")

    assert missing.status_code == stolen.status_code == 403
    assert h.commands() == [] and actions == []


async def test_an_officer_of_another_agency_cannot_act_on_the_complaint(console):
    case = Case(agency="umum.18.71").routed().deadline()
    own = Case(agency="dinkes.18.71").routed().deadline()
    async with console() as h:
        await h.tell(case, own)
        async with h.client() as client:
            await h.login(client, "petugas.dinkes.bdl")
            form = csrf_of((await client.get(f"/complaints/{own.tracking_number}")).text)  # a valid token
            answer = await client.post(f"/complaints/{case.tracking_number}/acknowledge", data=form)
        await h.settle()
        actions = await h.sql("SELECT * FROM actions")

    assert answer.status_code == 404
    assert h.commands() == [] and actions == []


async def test_the_same_form_sent_twice_publishes_one_command(console):
    case = Case().routed().deadline()
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            form = csrf_of((await client.get(f"/complaints/{case.tracking_number}")).text)
            first = await client.post(f"/complaints/{case.tracking_number}/acknowledge", data=form)
            second = await client.post(f"/complaints/{case.tracking_number}/acknowledge", data=form)
        await h.settle()

    assert first.headers["location"] == second.headers["location"]
    assert len(h.commands()) == 1


async def test_an_extension_shows_the_new_deadline_before_it_is_sent(console):
    case = Case().routed().deadline(hours=72)
    due = case.events[-1][1].payload.due_at
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            form = {**csrf_of((await client.get(f"/complaints/{case.tracking_number}")).text),
                    "working_days": "3", "reason": "Menunggu anggaran perbaikan"}
            preview = await client.post(f"/complaints/{case.tracking_number}/extend", data=form)
            await h.settle()
            before = h.commands()
            await client.post(f"/complaints/{case.tracking_number}/extend", data={**form, "confirm": "1"})
            await h.settle()

    expected: datetime = WorkingCalendar().extend(due, 3, WIB)
    assert preview.status_code == 200 and before == []
    assert f'id="new-deadline"><strong>{when(expected, "id")}</strong>' in preview.text
    assert "confirm-extend" in preview.text
    (command,) = h.commands()
    assert command.payload.working_days == 3 and command.payload.reason == "Menunggu anggaran perbaikan"


async def test_forwarding_finds_the_receiving_agency_by_search_and_names_it_in_the_command(console):
    case = Case().routed().deadline()
    async with console() as h:
        await h.tell(case)
        async with h.client() as client:
            await h.login(client, "petugas.bdl")
            found = (await client.get(f"/complaints/{case.tracking_number}", params={"agency_q": "dinkes 18.71"})).text
            form = {**csrf_of(found), "to_agency_id": "dinkes.18.71", "reason": "Urusan kesehatan"}
            await client.post(f"/complaints/{case.tracking_number}/forward", data=form)
            await h.settle()

    assert 'value="dinkes.18.71"' in found and 'value="dinkes.18"' not in found
    (command,) = h.commands()
    assert (command.payload.agency_id, command.payload.to_agency_id) == ("umum.18.71", "dinkes.18.71")
