"""The console's read model as pure functions: the fold depends on the set of events only, a reporter
reference never enters it, and the urgency colours."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lapor_console import projection
from lapor_shared.events.lifecycle import ComplaintForwarded, ComplaintResponded
from lapor_shared.testing import factories
from lapor_shared.topics import agency_stream
from services.console.tests.conftest import Case, agency

pytestmark = pytest.mark.unit

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def lines(case: Case) -> list[projection.Line]:
    return [line for topic, envelope in case.events for line in projection.lines_of(envelope, topic)]


def test_the_fold_gives_the_same_row_whatever_order_the_events_arrived_in():
    case = Case().routed().deadline(hours=48)
    case.add(ComplaintResponded(agency_id=case.agency, text="Sudah ditangani"), minutes=30)
    ordered = lines(case)
    shuffled = ordered[:]
    random.Random(7).shuffle(shuffled)

    row = projection.fold(ordered)
    assert row == projection.fold(shuffled)
    assert row is not None and row.status == "responded" and row.answered_on_time is True
    assert row.first_response_at == case.events[-1][1].occurred_at


def test_a_reporter_reference_never_enters_a_timeline_line():
    case = Case().routed()
    routed = case.events[0][1]
    assert routed.payload.reporter_ref is not None

    (line,) = lines(case)
    assert "reporter_ref" not in line.body and str(routed.payload.reporter_ref) not in repr(line)


def test_a_forwarding_reaches_both_agencies_and_the_complaint_moves_to_the_receiving_one():
    case = Case(agency="umum.18.71").routed()
    forwarded = factories.envelope(
        ComplaintForwarded(from_agency=agency("umum.18.71"), to_agency=agency("dinkes.18.71"),
                           reason=factories.reason(code="bukan_wewenang")),
        caused_by=case.events[0][1], agency_id="dinkes.18.71", jurisdiction_code="18.71",
        occurred_at=case.at + timedelta(minutes=5))
    stream = agency_stream("18.71", "dinkes.18.71")

    found = projection.lines_of(forwarded, stream)
    assert sorted(line.owner_id for line in found) == ["dinkes.18.71", "umum.18.71"]
    row = projection.fold([*lines(case), *found])
    assert row is not None and row.agency_id == "dinkes.18.71"


@pytest.mark.parametrize(("status", "due_in_h", "overdue", "colour"), [
    ("routed", -1, False, "overdue"), ("acknowledged", 30, True, "overdue"), ("routed", 5, False, "warning"),
    ("reporter_replied", 72, False, "on_time"), ("responded", -5, False, "none"), ("routed", None, False, "none"),
])
def test_the_urgency_colour_of_a_row(status, due_in_h, overdue, colour):
    due = None if due_in_h is None else NOW + timedelta(hours=due_in_h)
    assert projection.urgency(status, due, overdue, NOW, 24 * 3600) == colour
