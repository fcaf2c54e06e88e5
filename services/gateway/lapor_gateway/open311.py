"""Open311 GeoReport v2 under ``/open311/v2`` (JSON, and XML with ``.xml``).

Existing civic apps submit unchanged: ``POST requests.json`` takes the spec's form fields
(``api_key``, ``service_code``, ``lat``/``long``/``address_string``, ``description``, ``email``,
``first_name``, ``last_name``, ``phone``, ``media_url``, ``attribute[…]``) and answers with the
tracking number as ``service_request_id`` or, when intake takes longer, a ``token``. ``GET requests``
lists the public view: never a rahasia complaint, never anything about a reporter.

Our ``attribute[…]`` extensions are declared in each service's definition (``open311_services``)
and a POST is validated against it. ``jurisdiction_id`` is the platform's id or a Kemendagri code: a
code places a request in that region (unless it names its own) and restricts a listing to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lapor_gateway import open311_fields as fields
from lapor_gateway import open311_services as definitions
from lapor_gateway import repository as repo
from lapor_gateway import status
from lapor_gateway.context import AdapterContext, BodyTooLarge
from lapor_gateway.contract import Outcome, SubmissionProblem, build_submission
from lapor_gateway.evidence import form_and_files, is_multipart, with_media
from lapor_gateway.evidence_view import public_media_url
from lapor_gateway.open311_format import FORMATS, errors, respond
from lapor_gateway.projection import label
from lapor_gateway.submissions import IdempotencyConflict, PublishFailed
from lapor_shared import categories, tracking
from lapor_shared.events.values import unsafe_link_reasons
from lapor_shared.evidence import LinkSigner
from lapor_shared.http_errors import Refusal
from lapor_shared.logging import get_logger

log = get_logger(component="gateway.open311")

PREFIX = "/open311/v2"
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)


def _format(request: Request) -> str | None:
    fmt = request.path_params.get("fmt", "json").lower()
    return fmt if fmt in FORMATS else None


def _bad_format() -> Response:
    return errors("json", 404, "Format harus json atau xml. / Format must be json or xml.")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def service_request(row: dict[str, Any], signer: LinkSigner | None = None) -> dict[str, Any]:
    """One request in the spec's shape. A rahasia complaint shows its status and nothing else; a stored
    photo is a ``media_url`` signed for the public (``evidence_view``)."""
    if row["confidential"]:
        return {
            "service_request_id": row["tracking_number"], "status": row["open311_status"] or "open",
            "status_notes": label(row["lifecycle_status"] or "diterima")[0],
            "requested_datetime": _iso(row["requested_at"]), "updated_datetime": _iso(row["updated_at"]),
        }
    category = categories.resolve_or_general(row["service_code"])
    return {
        "service_request_id": row["tracking_number"],
        "status": row["open311_status"] or "open",
        "status_notes": row["status_notes"],
        "service_name": category.name_id,
        "service_code": category.code,
        "description": row["description"],
        "agency_responsible": row["agency_name"],
        "service_notice": None,
        "requested_datetime": _iso(row["requested_at"]),
        "updated_datetime": _iso(row["updated_at"]),
        "expected_datetime": _iso(row["expected_at"]),
        "address": row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": row["latitude"],
        "long": row["longitude"],
        "media_url": public_media_url(row, signer) if signer else row["media_url"],
    }


def _unknown_jurisdiction(fmt: str) -> Response:
    return errors(fmt, 404, "jurisdiction_id tidak ditemukan. / jurisdiction_id not found.")


async def discovery(request: Request, ctx: AdapterContext) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    base = str(request.base_url).rstrip("/") + PREFIX
    return respond(fmt, "discovery", definitions.discovery(base, ctx.settings.open311_jurisdiction_id))


async def list_services(request: Request, ctx: AdapterContext) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    if definitions.jurisdiction(request.query_params.get("jurisdiction_id"),
                                ctx.settings.open311_jurisdiction_id) is None:
        return _unknown_jurisdiction(fmt)
    return respond(fmt, "services", [definitions.service(c) for c in categories.CATEGORIES])


async def service_definition(request: Request, ctx: AdapterContext) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    if definitions.jurisdiction(request.query_params.get("jurisdiction_id"),
                                ctx.settings.open311_jurisdiction_id) is None:
        return _unknown_jurisdiction(fmt)
    category = categories.resolve(request.path_params["code"])
    if category is None:
        return errors(fmt, 404, "service_code tidak ditemukan. / service_code not found.")
    return respond(fmt, "service_definition", definitions.definition(category))


def _with_key(item: dict[str, Any], reporter_key: str | None) -> dict[str, Any]:
    """The reporter's key, the one time it is shown (an extension field: clients ignore what they do not
    know), and in the notice a civic app shows its user."""
    if reporter_key is None:
        return item
    notice = (f"Nomor pelacakan / tracking number: {item['service_request_id']} · Kunci pelapor / reporter's key: "
              f"{reporter_key} (simpan, hanya ditampilkan sekali / keep it, shown only once)")
    return {**item, "reporter_key": reporter_key, "service_notice": notice}


def _private(response: Response) -> Response:
    """An answer for the submitting client alone (it may carry the reporter's key): never cached."""
    response.headers["cache-control"] = "no-store"
    return response


def _created(fmt: str, outcome: Outcome, reporter_key: str | None) -> Response:
    if outcome.status == "rejected":
        return errors(fmt, 400, *(f"{r['message_id']} / {r['message_en']}" for r in outcome.reasons))
    item: dict[str, Any] = {"token": outcome.poll_token}
    if outcome.status == "accepted":
        item = _with_key({"service_request_id": outcome.tracking_number, **item,
                          "service_notice": f"Nomor pelacakan / tracking number: {outcome.tracking_number}"},
                         reporter_key)
    else:
        item["service_notice"] = "Sedang diproses; gunakan token. / Being processed; use the token."
    item["account_id"] = None
    return _private(respond(fmt, "service_requests", [item]))


async def create_request(request: Request, ctx: AdapterContext) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    media: list[bytes] = []
    try:
        if is_multipart(request):  # a ``media`` file beside the fields (GeoReport v2 multipart)
            params, media = await form_and_files(request, ctx.evidence, file_fields=("media",))
        else:
            params = await fields.params_of(request, ctx.settings.max_body_bytes)
    except BodyTooLarge:
        return errors(fmt, 413, "Permintaan terlalu besar. / Request too large.")
    except Refusal as refusal:
        return errors(fmt, refusal.status, f"{refusal.message_id} / {refusal.message_en}")
    client = ctx.settings.open311_clients().get(params.get("api_key") or request.headers.get("x-api-key") or "")
    if client is None:
        return errors(fmt, 403, "api_key tidak valid. / Invalid api_key.")
    jurisdiction = definitions.jurisdiction(params.get("jurisdiction_id"), ctx.settings.open311_jurisdiction_id)
    if jurisdiction is None:
        return _unknown_jurisdiction(fmt)
    if not params.get("service_code"):
        return errors(fmt, 400, "service_code wajib diisi. / service_code is required.")
    if categories.resolve(params["service_code"]) is None:
        return errors(fmt, 400, "service_code tidak ditemukan. / service_code not found.")
    has_point = bool(params.get("lat") and params.get("long"))
    if not (has_point or params.get("address_string") or params.get("address_id")):
        return errors(fmt, 400, "Lokasi wajib: lat & long, address_string atau address_id."
                                " / A location is required: lat & long, address_string or address_id.")
    if problems := definitions.attribute_problems(fields.attributes_of(params)):
        return errors(fmt, 400, *problems)
    if request.headers.get("idempotency-key"):
        params["idempotency_key"] = request.headers["idempotency-key"].strip()
    try:
        submission = build_submission(fields.submission_data(params, client, jurisdiction.region_code))
    except ValueError as exc:  # also SubmissionProblem
        reasons = exc.reasons if isinstance(exc, SubmissionProblem) else None
        texts = [f"{r['message_id']} / {r['message_en']}" for r in reasons] if reasons else [str(exc)]
        return errors(fmt, 400, *texts)
    if unsafe := unsafe_link_reasons(submission.attachments, field="media_url"):
        return errors(fmt, 400, *(f"{r.message_id} / {r.message_en}" for r in unsafe))
    if media:
        try:
            submission = await with_media(ctx.evidence, submission, media)
        except SubmissionProblem as exc:
            return errors(fmt, 400, *(f"{r['message_id']} / {r['message_en']}" for r in exc.reasons))
    try:
        outcome = await ctx.gateway.submit(submission, source="open311")
    except IdempotencyConflict:
        return errors(fmt, 409, "request_id sudah dipakai untuk laporan lain. / request_id already used.")
    except PublishFailed:
        return errors(fmt, 503, "Layanan sibuk, coba lagi. / Service busy, try again.")
    log.info("open311_request_submitted", client=client, outcome=outcome.status)
    return _created(fmt, outcome, await ctx.gateway.take_reporter_key(outcome))


def _list_param(request: Request, name: str) -> list[str] | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    return [v.strip() for v in raw.split(",") if v.strip()] or None


def _datetime_param(request: Request, name: str) -> datetime | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def list_requests(request: Request, ctx: AdapterContext) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    try:
        start, end = _datetime_param(request, "start_date"), _datetime_param(request, "end_date")
    except ValueError:
        return errors(fmt, 400, "start_date/end_date harus W3C datetime. / start_date/end_date must be W3C datetimes.")
    ids = _list_param(request, "service_request_id")
    try:
        numbers = [tracking.normalise(i) for i in ids] if ids else None
    except tracking.InvalidTrackingNumber:
        return errors(fmt, 400, "service_request_id tidak valid. / Invalid service_request_id.")
    statuses = _list_param(request, "status")
    if statuses and any(s not in ("open", "closed") for s in statuses):
        return errors(fmt, 400, "status harus open atau closed. / status must be open or closed.")
    jurisdiction = definitions.jurisdiction(request.query_params.get("jurisdiction_id"),
                                            ctx.settings.open311_jurisdiction_id)
    if jurisdiction is None:
        return _unknown_jurisdiction(fmt)
    if numbers is None and start is None and end is None:
        start = datetime.now(UTC) - DEFAULT_WINDOW
    codes = _list_param(request, "service_code")
    if codes:  # an alias (``jalan``) means its category (``infrastruktur``)
        codes = [(known.code if (known := categories.resolve(c)) else c) for c in codes]
    rows = await repo.public_requests(
        ctx.pool, tracking_numbers=numbers, service_codes=codes,
        statuses=statuses, start=start, end=end, region_code=jurisdiction.region_code, limit=MAX_RESULTS,
    )
    return respond(fmt, "service_requests", [service_request(dict(r), ctx.evidence.signer) for r in rows])


async def get_request(request: Request, ctx: AdapterContext) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    try:
        number = tracking.normalise(request.path_params["id"])
    except tracking.InvalidTrackingNumber:
        return errors(fmt, 404, "service_request_id tidak ditemukan. / service_request_id not found.")
    row = await status.find_public(ctx.pool, number)
    if row is None:  # no such number, or rahasia: one answer
        return errors(fmt, 404, "service_request_id tidak ditemukan. / service_request_id not found.")
    return respond(fmt, "service_requests", [service_request(row, ctx.evidence.signer)])


async def get_token(request: Request, ctx: AdapterContext) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    token = request.path_params["token"]
    outcome = await ctx.gateway.outcome_by_token(token)
    if outcome is None:
        return errors(fmt, 404, "token tidak ditemukan. / token not found.")
    if outcome.status == "rejected":
        return errors(fmt, 400, *(f"{r['message_id']} / {r['message_en']}" for r in outcome.reasons))
    item = {"service_request_id": outcome.tracking_number, "token": token}
    return _private(respond(fmt, "service_requests", [_with_key(item, await ctx.gateway.take_reporter_key(outcome))]))


def routes(ctx: AdapterContext) -> list[Route]:
    return [
        Route(f"{PREFIX}/discovery.{{fmt}}", partial(discovery, ctx=ctx), methods=["GET"]),
        Route(f"{PREFIX}/services.{{fmt}}", partial(list_services, ctx=ctx), methods=["GET"]),
        Route(f"{PREFIX}/services/{{code}}.{{fmt}}", partial(service_definition, ctx=ctx), methods=["GET"]),
        Route(f"{PREFIX}/requests.{{fmt}}", partial(list_requests, ctx=ctx), methods=["GET"]),
        Route(f"{PREFIX}/requests.{{fmt}}", partial(create_request, ctx=ctx), methods=["POST"]),
        Route(f"{PREFIX}/requests/{{id}}.{{fmt}}", partial(get_request, ctx=ctx), methods=["GET"]),
        Route(f"{PREFIX}/tokens/{{token}}.{{fmt}}", partial(get_token, ctx=ctx), methods=["GET"]),
    ]
