"""Routing's read-only HTTP endpoints, for admins and adapters (changes go through Kafka commands only).

- ``GET /categories``: the category taxonomy (codes, names in both languages, scope, aliases).
- ``GET /agencies?jurisdiction=18.71&active=true``: the agency registry, optionally at one jurisdiction.
- ``GET /triage?jurisdiction=18`` + ``Authorization: Bearer <token>``: the complaints waiting (or held) for
  an admin's decision, oldest first, within the admin's scope (at one level of it when ``jurisdiction`` is
  given). Ids, tracking number, level, state and reason only: no content, no reporter.

The taxonomy and the registry are public reference data. The triage queue is the admins': a token is bound
to one scope (table ``admin_credentials``, only SHA-256 stored; ``lapor_shared.bearer``, the mechanism of
followup's work list), and the scope comes from the token, never from the request. No token or an unknown
or revoked one is a 401 with the reason; a ``jurisdiction`` outside the token's scope is a 403
(``outside_scope``): region codes are public, so saying "not yours" reveals nothing, and an empty list would
look like "nothing waiting" to an admin who holds the wrong token.

A ``jurisdiction`` that is not a Kemendagri code we know (or ``ID``) is a 404 with the reason, never an
empty list that looks like an answer (asked only once the token is good: a caller without one learns
nothing). The triage queue is read through public HTTP's own pool (``Runtime.http_pool``); a database that
cannot answer now is a 503 with ``Retry-After`` (the runtime's shared answer, ``lapor_shared.http_errors``).
None is a public route: no rate limit (a token is 256 random bits).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from lapor_routing import categories, repository
from lapor_routing.registry import Agency
from lapor_shared.bearer import TokenTable, bearer, parse_tokens, token_hash, unauthorised
from lapor_shared.binding import within
from lapor_shared.http_errors import Refusal, json_response
from lapor_shared.http_limits import PublicRoute
from lapor_shared.logging import get_logger
from lapor_shared.regions import is_known
from lapor_shared.runtime import Runtime

if TYPE_CHECKING:
    from lapor_routing.app import Routing

log = get_logger(component="routing.http")

PUBLIC_ROUTES: tuple[PublicRoute, ...] = ()
"""For admins and adapters, not the public: no route counts against a rate limit."""

UNKNOWN_JURISDICTION = Refusal(404, "unknown_jurisdiction", "jurisdiction", "Kode wilayah tidak dikenal.",
                               "Unknown jurisdiction code (use ID, a province such as 18 or a regency such as 18.71).")

OUTSIDE_SCOPE = Refusal(403, "outside_scope", "jurisdiction", "Wilayah ini di luar cakupan admin Anda.",
                        "This jurisdiction is outside your admin scope.")

CREDENTIALS = TokenTable("admin_credentials", "scope")
"""Triage-queue tokens, each bound to one admin scope (the shared mechanism, ``lapor_shared.bearer``)."""


def configured_tokens(spec: str) -> list[tuple[str, str]]:
    """``LAPOR_ADMIN_TOKENS`` read: an unknown scope code is a ``ValueError`` at build time."""
    return parse_tokens(spec, subject="scope", valid=is_known)


async def sync_credentials(runtime: Runtime, pairs: list[tuple[str, str]]) -> None:
    await CREDENTIALS.sync(runtime.pool, pairs)


async def _scope(service: Routing, request: Request) -> str:
    """The scope the request's bearer token is bound to; 401 without a good one."""
    token = bearer(request)
    scope = await CREDENTIALS.subject_for(service.runtime.http_pool, token_hash(token)) if token else None
    if scope is None:
        raise unauthorised("lapor-routing", "Kredensial admin diperlukan.",
                           "An admin credential (Authorization: Bearer <token>) is required.")
    return scope


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
        """Complaints waiting for a triage decision within the admin's scope (filter: jurisdiction)."""
        scope = await _scope(service, request)
        jurisdiction = _jurisdiction(request)
        if jurisdiction is not None and not within(scope, jurisdiction):
            log.warning("triage_outside_scope_refused", scope=scope, asked=jurisdiction)
            raise OUTSIDE_SCOPE
        rows = await repository.open_triage(service.runtime.http_pool, jurisdiction, scope=scope)
        return json_response({"scope": scope, "waiting": [dict(r) for r in rows]})

    return [Route("/categories", list_categories, methods=["GET"]), Route("/agencies", list_agencies, methods=["GET"]),
            Route("/triage", list_triage, methods=["GET"])]
