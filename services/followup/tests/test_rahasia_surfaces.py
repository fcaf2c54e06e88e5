"""Followup's read surfaces and a rahasia complaint (docs/privacy.md, "Every read surface"; the row ids are
the table's): the work list is the responsible agency's and the offices it escalates to, statistics are
counts for anyone and never content."""

from __future__ import annotations

import json

import pytest

from lapor_shared.bearer import token_hash
from lapor_shared.events.commands import RespondToComplaint
from lapor_shared.events.values import AgencyLevel
from lapor_shared.testing.factories import agency_ref

from .harness import TOKENS
from .test_read_models import at

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]

TITLE = "Pungutan liar di loket RSUD"
ANSWER = "Oknum petugas loket sudah diperiksa Inspektorat."
SIBLING_TOKEN = "token-dinas-pu-bandar-lampung"


async def a_rahasia_complaint_answered(f):
    complaint = await f.route("18.71", at=at(7), confidential=True, anonymous=True, title=TITLE)
    await f.route("18.71", at=at(7), title="Lampu jalan mati")  # a public one beside it
    f.clock.set(at(8))
    await f.command(complaint, RespondToComplaint(agency_id="umum.18.71", text=ANSWER))
    return complaint


async def test_p11_the_work_list_shows_a_rahasia_complaint_to_its_agency_and_nothing_of_it_to_a_sibling(followup):
    f = followup
    complaint = await a_rahasia_complaint_answered(f)
    sibling = await f.route("18.71", at=at(7), title="Jalan berlubang",
                            agency=agency_ref(agency_id="pu.18.71", name="Dinas PU Kota Bandar Lampung",
                                              level=AgencyLevel.REGENCY, jurisdiction_code="18.71"))
    await f.conn.execute("INSERT INTO followup.agency_credentials (token_sha256, agency_id) VALUES ($1, $2)",
                         token_hash(SIBLING_TOKEN), "pu.18.71")

    _, own = await f.http("/v1/worklist", token=TOKENS["umum.18.71"])
    _, theirs = await f.http("/v1/worklist", token=SIBLING_TOKEN)

    [item] = [i for i in own["items"] if i["tracking_number"] == complaint.tracking_number]
    assert item["title"] == TITLE and item["confidential"] is True and item["anonymous"] is True
    assert "reporter" not in json.dumps(item)
    assert [i["tracking_number"] for i in theirs["items"]] == [sibling.tracking_number]
    assert TITLE not in json.dumps(theirs) and complaint.tracking_number not in json.dumps(theirs)


async def test_p12_statistics_at_every_level_count_a_rahasia_complaint_and_show_none_of_it(followup):
    f = followup
    complaint = await a_rahasia_complaint_answered(f)

    for code in ("18.71", "18", "ID"):
        status, body = await f.http("/v1/statistics", f"jurisdiction={code}")
        everything = json.dumps(body, ensure_ascii=False)
        assert status == 200 and body["total"] == 2 and body["answered"] == 1, code
        for secret in (TITLE, ANSWER, complaint.tracking_number, str(complaint.complaint_id), "umum.18.71"):
            assert secret not in everything, (code, secret)
