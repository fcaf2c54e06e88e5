"""What the pages show, made from the read model's records (pure: no I/O, no HTML)."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from lapor_console.projection import OPEN, Line
from lapor_shared import onboarding, web_pages
from lapor_shared.regions import all_regions


@dataclass(frozen=True, slots=True)
class Filters:
    status: str | None = None
    category: str | None = None
    region: str | None = None
    text: str | None = None

    @classmethod
    def of(cls, params: Mapping[str, str]) -> Filters:
        def given(name: str, limit: int = 100) -> str | None:
            value = (params.get(name) or "").strip()[:limit]
            return value or None

        status = given("status")
        return cls(status if status in OPEN else None, given("category"), given("region", 10), given("q"))

    def sql(self) -> dict[str, str | None]:
        return {"status": self.status, "category": self.category, "region": self.region, "text": self.text}

    def query(self) -> dict[str, str]:
        pairs = {"status": self.status, "category": self.category, "region": self.region, "q": self.text}
        return {k: v for k, v in pairs.items() if v}


@dataclass(frozen=True, slots=True)
class WorkItem:
    tracking_number: str
    title: str
    status: str
    category: str | None
    region: str
    due_at: datetime | None
    urgency: str
    confidential: bool

    @classmethod
    def of(cls, r: asyncpg.Record, urgency: str) -> WorkItem:
        return cls(r["tracking_number"], r["title"] or "", r["status"], r["category"], region_name(r["region_code"]),
                   r["due_at"], urgency, r["confidential"])


def region_name(code: str | None) -> str:
    region = all_regions().get(code or "")
    return f"{region.name} ({code})" if region else (code or "–")


def agency_name(agency_id: str, names: Mapping[str, str] | None = None) -> str:
    """An agency's name as the events gave it, else its id and its jurisdiction's name."""
    if names and agency_id in names:
        return names[agency_id]
    code = onboarding.current().agency_code(agency_id)
    return f"{agency_id} — {region_name(code)}" if code else agency_id


def agency_search(query: str, own: str, names: Mapping[str, str], limit: int = 15) -> list[tuple[str, str]]:
    """Onboarded agencies (besides ``own``) whose id, name or region matches every word of ``query``."""
    words = query.lower().split()
    found = []
    for agency_id, code in onboarding.current().agencies.items():
        if agency_id == own:
            continue
        label = f"{agency_name(agency_id, names)} {agency_id} {region_name(code)}".lower()
        if all(word in label for word in words):
            found.append((agency_id, agency_name(agency_id, names)))
    return found[:limit]


def figures(r: asyncpg.Record, lang: str) -> dict[str, str]:
    """The supervisor's figures in words: on-time share, median first response, rating average and count."""
    judged = r["answered"] + r["unanswered_late"]
    share = None if judged == 0 else r["on_time"] / judged
    mean = r["rating_mean"]
    return {
        "answered_on_time": "–" if share is None else f"{round(share * 100)}% ({r['on_time']}/{judged})",
        "median_response": web_pages.duration(r["median_response_s"], lang),
        "rating": "–" if mean is None else f"{web_pages.decimal(mean, lang)} / 5",
        "rating_count": str(r["rating_count"]),
    }


@dataclass(frozen=True, slots=True)
class Step:
    """One entry of the complaint page's timeline: an event the agency read, or one of its own notes."""

    at: datetime
    kind: str
    text: str | None = None
    attachments: list[str] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    internal: bool = False
    evidence: list[Any] = field(default_factory=list)
    """Stored files' references (a response's, a reply's); the page signs links to them."""


def _step(line: Line) -> Step:
    b = line.body
    facts: dict[str, Any] = {}
    for name in ("stage", "rating", "working_days", "escalation_level"):
        if b.get(name) is not None:
            facts[name] = b[name]
    for name in ("due_at", "reopen_until"):
        if b.get(name):
            facts[name] = datetime.fromisoformat(b[name])
    if "to_agency" in b:
        facts["to_agency"] = b["to_agency"].get("name")
    if line.event_type == "complaint.routed":
        facts["agency"] = (b.get("agency") or {}).get("name")
    reason = b.get("reason")
    text = b.get("text") or b.get("comment") or (reason if isinstance(reason, str) else None)
    if isinstance(reason, dict):
        text = f"{reason.get('message_id', '')} / {reason.get('message_en', '')}"
    evidence = b.get("evidence") or [] if line.event_type != "complaint.routed" else []  # routed: the content's
    return Step(line.occurred_at, line.event_type, text, [a.get("url", "") for a in b.get("attachments") or []], facts,
                evidence=evidence)


def timeline(lines: list[Line], actions: list[asyncpg.Record]) -> list[Step]:
    """The agency's view of the complaint, newest first: its stream's events and its officers' internal notes."""
    steps = [_step(line) for line in lines]
    steps += [Step(a["created_at"], "internal_note", a["internal_note"], internal=True, facts={"by": a["username"]})
              for a in actions if a["internal_note"]]
    return sorted(steps, key=lambda s: s.at, reverse=True)


@dataclass(frozen=True, slots=True)
class ActionView:
    command_id: UUID
    command_type: str
    username: str
    outcome: str
    reason: dict[str, Any] | None
    created_at: datetime

    @classmethod
    def of(cls, a: asyncpg.Record) -> ActionView:
        return cls(a["command_id"], a["command_type"], a["username"], a["outcome"], a["reason"], a["created_at"])


def nonce() -> str:
    """A form's own key: the command it sends is published once however often it is sent."""
    return secrets.token_urlsafe(12)
