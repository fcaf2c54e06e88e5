"""The dashboard on the in-memory broker with a real PostgreSQL (the shared ``ServiceHarness``), and
complaint stories to feed it.

``Story("18.71").routed().deadline(days=5).responded(days=2)`` builds the lifecycle events of one
complaint as intake, routing and followup publish them (same ids, causation chain, chosen times).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lapor_dashboard import figures
from lapor_dashboard.app import Dashboard, build
from lapor_dashboard.settings import DashboardSettings
from lapor_shared.events import Envelope, Payload, encode
from lapor_shared.events.lifecycle import (
    ComplaintAcknowledged,
    ComplaintArchived,
    ComplaintClosed,
    ComplaintEscalated,
    ComplaintForwarded,
    ComplaintHeld,
    ComplaintNeedsTriage,
    ComplaintRated,
    ComplaintReopened,
    ComplaintResponded,
    DeadlineBreached,
    DeadlineSet,
)
from lapor_shared.events.values import AgencyLevel, AgencyRef, ReportType
from lapor_shared.regions import all_regions
from lapor_shared.testing import factories
from lapor_shared.testing.service import ServiceHarness

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
"""Monday 2 March 2026, 09:00 WIB: the first complaint of every story arrives around then."""
NOW = T0 + timedelta(days=20)
"""The instant the figures are taken at (overdue-now depends on it)."""
SECRET_TITLE = "Pungutan liar oleh oknum petugas kelurahan"


def agency(code: str, suffix: str = "umum") -> AgencyRef:
    level = AgencyLevel.NATIONAL if code == "ID" else AgencyLevel.REGENCY if "." in code else AgencyLevel.PROVINCE
    name = "Kementerian Dalam Negeri" if code == "ID" else f"Unit Pengaduan {all_regions()[code].name}"
    return AgencyRef(agency_id=f"{suffix}.{code}", name=name, level=level, jurisdiction_code=code)


@dataclass
class Story:
    """The events of one complaint, in the order the services publish them."""

    region: str = "18.71"
    confidential: bool = False
    anonymous: bool = False
    title: str = "Jalan berlubang di depan sekolah"
    at: datetime = T0
    events: list[Envelope[Any]] = field(default_factory=list)
    agency: AgencyRef | None = None

    def __post_init__(self) -> None:
        payload = factories.complaint_accepted(
            location=factories.location(region_code=self.region), confidential=self.confidential,
            anonymous=self.anonymous, title=self.title,
        )
        self.events.append(factories.accepted_envelope(payload, occurred_at=self.at))

    @property
    def accepted(self) -> Envelope[Any]:
        return self.events[0]

    @property
    def tracking_number(self) -> str:
        return self.accepted.tracking_number

    @property
    def reporter_ref(self) -> Any:
        return self.accepted.payload.reporter_ref

    def _add(self, payload: Payload, *, hours: float, jurisdiction_code: str | None = None) -> Story:
        self.at = self.at + timedelta(hours=hours)
        extra = {"jurisdiction_code": jurisdiction_code} if jurisdiction_code else {}
        self.events.append(factories.envelope(payload, caused_by=self.events[-1], occurred_at=self.at,
                                              producer="tests", **extra))
        return self

    def routed(self, code: str | None = None, *, hours: float = 1, suffix: str = "umum") -> Story:
        self.agency = agency(code or self.region, suffix)
        payload = factories.complaint_routed(
            agency=self.agency, location=factories.location(region_code=self.region), anonymous=self.anonymous,
            confidential=self.confidential, title=self.title,
            reporter_ref=None if self.anonymous else self.reporter_ref,
        )
        return self._add(payload, hours=hours, jurisdiction_code=self.agency.jurisdiction_code)

    def triage(self, code: str = "ID", *, hours: float = 1) -> Story:
        payload = ComplaintNeedsTriage(
            triage_jurisdiction=code, reason=factories.reason(code="no_rule"), report_type=ReportType.PENGADUAN,
            title=self.title, description="-", location=factories.location(region_code=self.region),
            anonymous=self.anonymous, confidential=self.confidential,
        )
        return self._add(payload, hours=hours, jurisdiction_code=code)

    def forwarded(self, code: str, *, hours: float = 1) -> Story:
        source, self.agency = self.agency or agency(self.region), agency(code)
        self._add(ComplaintForwarded(from_agency=source, to_agency=self.agency, reason=factories.reason(code="bukan")),
                  hours=hours, jurisdiction_code=code)
        return self.routed(code, hours=0)

    def deadline(self, *, days: float = 5, hours: float = 0, stage: str = "follow_up") -> Story:
        owner = None if stage == "auto_close" else (self.agency.agency_id if self.agency else None)
        payload = DeadlineSet(stage=stage, agency_id=owner, due_at=self.at + timedelta(hours=hours, days=days),
                              working_days=5, policy_version="permenpanrb-62-2018")
        return self._add(payload, hours=hours)

    def acknowledged(self, *, hours: float = 2) -> Story:
        return self._add(ComplaintAcknowledged(agency_id=self.agency.agency_id), hours=hours)

    def responded(self, *, hours: float = 24) -> Story:
        self._add(ComplaintResponded(agency_id=self.agency.agency_id, text="Sudah kami perbaiki."), hours=hours)
        return self.deadline(days=14, stage="auto_close")

    def breached(self, *, hours: float = 0) -> Story:
        due = next(e.payload.due_at for e in reversed(self.events) if isinstance(e.payload, DeadlineSet))
        self.at = max(self.at, due)
        payload = DeadlineBreached(stage="follow_up", agency_id=self.agency.agency_id, due_at=due)
        return self._add(payload, hours=hours)

    def escalated(self, level: int = 1, *, hours: float = 0) -> Story:
        target = agency(self.agency.jurisdiction_code.split(".")[0] if level == 1 else "ID")
        payload = ComplaintEscalated(from_agency=self.agency, to_agency=target, stage="follow_up",
                                     escalation_level=level, due_at=self.at + timedelta(days=7))
        return self._add(payload, hours=hours)

    def closed(self, reason: str = "resolved", *, hours: float = 24) -> Story:
        return self._add(ComplaintClosed(reason=reason, by="officer-7"), hours=hours)

    def rated(self, rating: int, *, hours: float = 1) -> Story:
        return self._add(ComplaintRated(rating=rating, comment="Terima kasih"), hours=hours)

    def reopened(self, *, hours: float = 1) -> Story:
        return self._add(ComplaintReopened(by="reporter", reason="Belum beres"), hours=hours)

    def held(self, *, hours: float = 1) -> Story:
        return self._add(ComplaintHeld(reason=factories.reason(code="need_info"), by="admin-1"), hours=hours)

    def archived(self, *, hours: float = 1) -> Story:
        return self._add(ComplaintArchived(reason=factories.reason(code="not_public_service"), by="admin-1"),
                         hours=hours)


def sample_stories() -> list[Story]:
    """A varied month of Lampung (two regencies and the province), Aceh and a ministry."""
    return [
        # Kota Bandar Lampung: answered on time and rated, answered late, overdue and escalated, confidential
        Story("18.71").routed().deadline(days=5).acknowledged().responded(hours=30).closed().rated(5),
        Story("18.71", at=T0 + timedelta(days=1)).routed().deadline(days=2).responded(hours=72).closed().rated(2),
        Story("18.71", at=T0 + timedelta(days=2)).routed().deadline(days=5).breached().escalated(1),
        Story("18.71", at=T0 + timedelta(days=3), confidential=True, title=SECRET_TITLE).routed().deadline(days=5),
        Story("18.71", at=T0 + timedelta(days=4), anonymous=True).routed().deadline(days=5).acknowledged(),
        # Kabupaten Lampung Selatan: overdue without a breach event yet, on hold, reopened after closing
        Story("18.01", at=T0 + timedelta(days=5)).routed().deadline(days=3),
        Story("18.01", at=T0 + timedelta(days=6)).routed().held(),
        Story("18.01", at=T0 + timedelta(days=6)).routed().deadline(days=5).responded().closed().rated(4).reopened(),
        # the province's own agency, a complaint forwarded from a regency to the province, triage, archived
        Story("18.72", at=T0 + timedelta(days=7)).routed("18", suffix="dinkes").deadline(days=5).responded(hours=5),
        Story("18.02", at=T0 + timedelta(days=8)).routed().forwarded("18").deadline(days=5),
        Story("18.03", at=T0 + timedelta(days=9)).triage("18"),
        Story("18.04", at=T0 + timedelta(days=9)).triage("ID").archived(),
        Story("18.05", at=T0 + timedelta(days=10)),  # accepted, not routed yet
        # Aceh and a national ministry
        Story("11.01", at=T0 + timedelta(days=3)).routed().deadline(days=5).breached().escalated(1).escalated(2),
        Story("11.71", at=T0 + timedelta(days=4)).routed().deadline(days=5).responded(hours=10).closed().rated(3),
        Story("31.71", at=T0 + timedelta(days=5)).routed("ID", suffix="kemendagri").deadline(days=5),
    ]


def all_events(stories: Iterable[Story]) -> list[Envelope[Any]]:
    return [e for s in stories for e in s.events]


class DashboardHarness(ServiceHarness):
    def __init__(self, service: Dashboard) -> None:
        super().__init__(service.runtime)
        self.settings = service.runtime.settings
        self.app = service.asgi_app()
        """The service's own HTTP app: the pages behind the guard, as uvicorn serves them."""
        self.told: list[bytes] = []
        """Every event the test told the dashboard, as published (a rebuild can replay them)."""

    async def publish(self, *envelopes: Envelope[Any], topic: str | None = None) -> None:
        self.told.extend(encode(envelope) for envelope in envelopes)
        await super().publish(*envelopes, topic=topic)

    async def tell(self, *stories: Story) -> None:
        await self.publish(*all_events(stories))

    async def figures(self, node: str, *, viewer_scope: str = "ID", now: datetime = NOW) -> figures.NodeFigures:
        async with self.pool.acquire() as conn:
            return await figures.load(conn, node, now=now, viewer_scope=viewer_scope, overdue_limit=None)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://dasbor.test",
                                 follow_redirects=False)

    async def login(self, client: httpx.AsyncClient, username: str, password: str | None = None) -> httpx.Response:
        response = await client.post("/login", data={"username": username,
                                                     "password": password or self.settings.demo_password})
        assert response.status_code == 303, response.text
        return response


@pytest.fixture
def dashboard(database_url: str) -> Callable[..., AbstractAsyncContextManager[DashboardHarness]]:
    """``async with dashboard(live_max_stream_s=1) as h:`` the dashboard with those settings, in memory."""

    def start(**overrides: Any) -> DashboardHarness:
        settings = DashboardSettings(database_url=database_url, **overrides)  # http={…}: HTTP limits
        return DashboardHarness(build(settings))

    return start


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    """The (event, data) pairs of a server-sent event stream's text."""
    found = []
    for block in text.split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith(":")]
        kind = next((line[6:].strip() for line in lines if line.startswith("event:")), "message")
        data = "\n".join(line[5:].lstrip() for line in lines if line.startswith("data:"))
        if data:
            found.append((kind, json.loads(data)))
    return found
