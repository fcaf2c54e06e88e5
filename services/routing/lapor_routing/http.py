"""Routing's read-only HTTP endpoints, for admins and adapters (changes go through Kafka commands only).

- ``GET /categories``: the category taxonomy (codes, names in both languages, scope, aliases).
- ``GET /agencies?jurisdiction=18.71&active=true``: the agency registry, optionally at one jurisdiction.
- ``GET /triage?jurisdiction=18``: the complaints waiting (or held) for an admin's decision, oldest first,
  at one level or all. Ids, tracking number, level, state and reason only: no content, no reporter.

A ``jurisdiction`` that is not a Kemendagri code we know (or ``ID``) is a 404 with the reason, never an
empty list that looks like an answer. The triage queue is read through public HTTP's own pool
(``Runtime.http_pool``); a database that cannot answer now is a 503 with ``Retry-After`` (the runtime's
shared answer, ``lapor_shared.http_errors``). None is a public route: no rate limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lapor_routing import categories, repository
from lapor_routing.registry import Agency
from lapor_shared.http_errors import Refusal, json_response
from lapor_shared.http_limits import PublicRoute
from lapor_shared.regions import is_known

if TYPE_CHECKING:
    from lapor_routing.app import Routing

PUBLIC_ROUTES: tuple[PublicRoute, ...] = ()
"""For admins and adapters, not the public: no route counts against a rate limit."""

UNKNOWN_JURISDICTION = Refusal(404, "unknown_jurisdiction", "jurisdiction", "Kode wilayah tidak dikenal.",
                               "Unknown jurisdiction code (use ID, a province such as 18 or a regency such as 18.71).")


def _jurisdiction(request: Request) -> str | None:
    """The ``jurisdiction`` asked for, if any; a code we do not know is refused."""
    code = request.query_params.get("jurisdiction") or None
    if code is not None and not is_known(code):
        raise UNKNOWN_JURISDICTION
    return code


def _agency(agency: Agency) -> dict[str, Any]:
    return {
        "agency_id": agency.agency_id, "name": agency.name, "level": agency.level.value,
        "jurisdiction_code": agency.jurisdiction_code, "categories": list(agency.categories),
        "parent_id": agency.parent_id, "channels": list(agency.channels), "active": agency.active,
    }


def routes(service: Routing) -> list[BaseRoute]:
    async def list_categories(request: Request) -> Response:
        """The category taxonomy."""
        return json_response([
            {"code": c.code, "name_id": c.name_id, "name_en": c.name_en, "scope": categories.scope_of(c),
             "kind": categories.kind_of(c), "aliases": list(c.aliases)}
            for c in categories.CATEGORIES
        ])

    async def list_agencies(request: Request) -> Response:
        """The agency registry (filters: jurisdiction, active)."""
        jurisdiction, active = _jurisdiction(request), request.query_params.get("active") or None
        directory = await service.routing.refresh()
        found = [a for a in directory
                 if jurisdiction in (None, a.jurisdiction_code) and active in (None, str(a.active).lower())]
        return json_response({"version": directory.version, "agencies": [_agency(a) for a in found]})

    async def list_triage(request: Request) -> Response:
        """Complaints waiting for a triage decision (filter: jurisdiction)."""
        rows = await repository.open_triage(service.runtime.http_pool, _jurisdiction(request))
        return json_response({"waiting": [dict(r) for r in rows]})

    return [Route("/categories", list_categories, methods=["GET"]), Route("/agencies", list_agencies, methods=["GET"]),
            Route("/triage", list_triage, methods=["GET"])]
