"""Routing's read-only HTTP endpoints, for admins and adapters (changes go through Kafka commands only).

- ``GET /categories``: the category taxonomy (codes, names in both languages, scope, aliases).
- ``GET /agencies?jurisdiction=18.71&active=true``: the agency registry, optionally at one jurisdiction.
- ``GET /triage?jurisdiction=18``: the complaints waiting (or held) for an admin's decision, oldest first,
  at one level or all. Ids, tracking number, level, state and reason only: no content, no reporter.

A ``jurisdiction`` that is not a Kemendagri code we know (or ``ID``) is a 404 with the reason, never an
empty list that looks like an answer. The triage queue is read through public HTTP's own pool
(``Runtime.http_pool``); a database that cannot answer now is a 503 with ``Retry-After``, never
FastStream's bare 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiResponse, get

from lapor_routing import categories, repository
from lapor_routing.registry import Agency
from lapor_routing.service import RoutingService
from lapor_shared.http_errors import OVERLOAD_ERRORS, Refusal, busy
from lapor_shared.regions import is_known
from lapor_shared.runtime import Runtime


def _json(data: Any, status: int = 200) -> AsgiResponse:
    body = json.dumps(data, ensure_ascii=False, default=str).encode()
    return AsgiResponse(body, status, headers={"content-type": "application/json; charset=utf-8"})


def _refused(refusal: Refusal) -> AsgiResponse:
    headers, body = refusal.render(as_html=False)
    return AsgiResponse(body, refusal.status, headers={k.decode(): v.decode() for k, v in headers})


def _query(scope: dict[str, Any]) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode()).items()}


UNKNOWN_JURISDICTION = Refusal(404, "unknown_jurisdiction", "jurisdiction", "Kode wilayah tidak dikenal.",
                               "Unknown jurisdiction code (use ID, a province such as 18 or a regency such as 18.71).")


def _unknown_jurisdiction(query: dict[str, str]) -> bool:
    return "jurisdiction" in query and not is_known(query["jurisdiction"])


def _agency(agency: Agency) -> dict[str, Any]:
    return {
        "agency_id": agency.agency_id, "name": agency.name, "level": agency.level.value,
        "jurisdiction_code": agency.jurisdiction_code, "categories": list(agency.categories),
        "parent_id": agency.parent_id, "channels": list(agency.channels), "active": agency.active,
    }


def routes(runtime: Runtime, routing: RoutingService) -> list[tuple[str, Callable[..., Any]]]:
    @get(description="The category taxonomy")
    async def list_categories(scope: Any) -> AsgiResponse:
        return _json([
            {"code": c.code, "name_id": c.name_id, "name_en": c.name_en, "scope": categories.scope_of(c),
             "kind": categories.kind_of(c), "aliases": list(c.aliases)}
            for c in categories.CATEGORIES
        ])

    @get(description="The agency registry (filters: jurisdiction, active)")
    async def list_agencies(scope: Any) -> AsgiResponse:
        query = _query(scope)
        if _unknown_jurisdiction(query):
            return _refused(UNKNOWN_JURISDICTION)
        try:
            directory = await routing.refresh()
        except OVERLOAD_ERRORS:
            return _refused(busy(runtime.settings.http.retry_after_s))
        found = [
            a for a in directory
            if query.get("jurisdiction") in (None, a.jurisdiction_code)
            and query.get("active") in (None, str(a.active).lower())
        ]
        return _json({"version": directory.version, "agencies": [_agency(a) for a in found]})

    @get(description="Complaints waiting for a triage decision (filter: jurisdiction)")
    async def list_triage(scope: Any) -> AsgiResponse:
        query = _query(scope)
        if _unknown_jurisdiction(query):
            return _refused(UNKNOWN_JURISDICTION)
        try:
            rows = await repository.open_triage(runtime.http_pool, query.get("jurisdiction"))
        except OVERLOAD_ERRORS:
            return _refused(busy(runtime.settings.http.retry_after_s))
        return _json({"waiting": [dict(r) for r in rows]})

    return [("/categories", list_categories), ("/agencies", list_agencies), ("/triage", list_triage)]
