"""Open311 GeoReport v2 under ``/open311/v2`` (JSON, and XML with ``.xml``).

Existing civic apps submit unchanged: ``POST requests.json`` takes the spec's form fields
(``api_key``, ``service_code``, ``lat``/``long``/``address_string``, ``description``, ``email``,
``first_name``, ``last_name``, ``phone``, ``media_url``, ``attribute[…]``) and answers with the
tracking number as ``service_request_id`` or, when intake takes longer, a ``token``. ``GET requests``
lists the public view: never a rahasia complaint, never anything about a reporter.

Our ``attribute[…]`` extensions: ``region_code`` (Kemendagri code), ``title``, ``report_type``,
``incident_date``, ``anonim``, ``rahasia``, ``request_id`` (the client's idempotency key, like the
``Idempotency-Key`` header).
"""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any
from uuid import uuid4

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lapor_gateway import repository as repo
from lapor_gateway import status
from lapor_gateway.context import AdapterContext, BodyTooLarge, form_fields, read_body
from lapor_gateway.contract import (
    Outcome,
    SubmissionProblem,
    build_submission,
    normalise_phone,
    parse_bool,
    title_from,
)
from lapor_gateway.open311_format import FORMATS, errors, respond
from lapor_gateway.projection import label
from lapor_gateway.submissions import IdempotencyConflict, PublishFailed
from lapor_shared import categories, safejson, tracking
from lapor_shared.events.values import Channel
from lapor_shared.http_errors import Refusal, json_refusal
from lapor_shared.logging import get_logger

log = get_logger(component="gateway.open311")

PREFIX = "/open311/v2"
MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)


def _service(category: categories.Category) -> dict[str, Any]:
    return {
        "service_code": category.code, "service_name": category.name_id, "description": category.description_id,
        "metadata": False, "type": "realtime", "keywords": ", ".join(category.aliases), "group": category.group,
    }


def _format(request: Request) -> str | None:
    fmt = request.path_params.get("fmt", "json").lower()
    return fmt if fmt in FORMATS else None


def _bad_format() -> Response:
    return errors("json", 404, "Format harus json atau xml. / Format must be json or xml.")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def service_request(row: dict[str, Any]) -> dict[str, Any]:
    """One request in the spec's shape. A rahasia complaint shows its status and nothing else."""
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
        "expected_datetime": None,
        "address": row["address"],
        "address_id": None,
        "zipcode": None,
        "lat": row["latitude"],
        "long": row["longitude"],
        "media_url": row["media_url"],
    }


async def list_services(request: Request) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    return respond(fmt, "services", [_service(c) for c in categories.CATEGORIES])


async def service_definition(request: Request) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    category = categories.resolve(request.path_params["code"])
    if category is None:
        return errors(fmt, 404, "service_code tidak ditemukan. / service_code not found.")
    return respond(fmt, "service_definition", {"service_code": category.code, "attributes": []})


async def _params(request: Request, limit: int) -> dict[str, str]:
    """POST parameters, form-encoded (the spec), multipart or JSON; ``Refusal`` says what is wrong."""
    if not request.headers.get("content-type", "").startswith("application/json"):
        return await form_fields(request, limit)
    try:
        data = safejson.loads(await read_body(request, limit), safejson.Limits(max_bytes=limit))
    except safejson.UnsafeJson as exc:
        raise json_refusal(exc) from None
    attributes = data.get("attribute") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(attributes or {}, dict):
        raise Refusal(400, "not_json", "body", "Isi permintaan harus objek JSON (attribute juga objek).",
                      "The body must be a JSON object (and attribute an object).")
    params = {k: str(v) for k, v in data.items() if not isinstance(v, dict | list) and v is not None}
    for key, value in (attributes or {}).items():
        params[f"attribute[{key}]"] = str(value)
    return params


def _attachment(url: str) -> dict[str, Any]:
    # civic apps send photos, often from URLs without an extension: a photo is the likely guess
    media_type = mimetypes.guess_type(url.split("?", 1)[0])[0] or "image/jpeg"
    return {"url": url, "media_type": media_type, "size_bytes": 0}


def _float(params: dict[str, str], name: str) -> float | None:
    value = (params.get(name) or "").strip()
    try:
        return float(value) if value else None
    except ValueError:
        raise ValueError(f"{name} harus berupa angka. / {name} must be a number.") from None


def _submission_data(params: dict[str, str], client: str) -> dict[str, Any]:
    """The submission contract from the spec's fields; ValueError names what is malformed."""
    attribute = {k[10:-1]: v for k, v in params.items() if k.startswith("attribute[") and k.endswith("]")}
    description = (params.get("description") or "").strip()
    category = categories.resolve(params.get("service_code"))
    name = " ".join(p for p in ((params.get("first_name") or "").strip(), (params.get("last_name") or "").strip()) if p)
    contact = {"name": name or None, "email": (params.get("email") or "").strip() or None,
               "phone": normalise_phone(params.get("phone"))}
    flags = {}
    for field, names in (("anonymous", ("anonim", "anonymous")), ("confidential", ("rahasia", "confidential"))):
        raw = next((attribute[n] for n in names if n in attribute), None)
        value = parse_bool(raw)
        if value is None:
            raise ValueError(f"attribute[{names[0]}] harus ya/tidak / must be true or false")
        flags[field] = value
    key = attribute.get("request_id") or params.get("idempotency_key") or str(uuid4())
    return {
        "channel": Channel.OPEN311.value,
        "channel_message_id": f"{client}:{key}",
        "report_type": attribute.get("report_type") or "pengaduan",
        "title": attribute.get("title") or (title_from(description) if description else ""),
        "description": description,
        "incident_date": attribute.get("incident_date") or None,
        "location": {
            "region_code": attribute.get("region_code") or attribute.get("kode_wilayah") or None,
            "latitude": _float(params, "lat"),
            "longitude": _float(params, "long"),
            "text": (params.get("address_string") or params.get("address_id") or "").strip() or None,
        },
        "category_hint": category.code if category else None,
        "attachments": [_attachment(params["media_url"].strip())] if (params.get("media_url") or "").strip() else [],
        "reporter": contact if any(contact.values()) else None,
        **flags,
        "submitted_at": datetime.now(UTC),
    }


def _created(fmt: str, outcome: Outcome) -> Response:
    if outcome.status == "rejected":
        return errors(fmt, 400, *(f"{r['message_id']} / {r['message_en']}" for r in outcome.reasons))
    item: dict[str, Any] = {"token": outcome.poll_token}
    if outcome.status == "accepted":
        item = {"service_request_id": outcome.tracking_number, **item,
                "service_notice": f"Nomor pelacakan / tracking number: {outcome.tracking_number}"}
    else:
        item["service_notice"] = "Sedang diproses; gunakan token. / Being processed; use the token."
    item["account_id"] = None
    return respond(fmt, "service_requests", [item])


async def create_request(request: Request, ctx: AdapterContext) -> Response:
    fmt = _format(request)
    if fmt is None:
        return _bad_format()
    try:
        params = await _params(request, ctx.settings.max_body_bytes)
    except BodyTooLarge:
        return errors(fmt, 413, "Permintaan terlalu besar. / Request too large.")
    except Refusal as refusal:
        return errors(fmt, refusal.status, f"{refusal.message_id} / {refusal.message_en}")
    client = ctx.settings.open311_clients().get(params.get("api_key") or request.headers.get("x-api-key") or "")
    if client is None:
        return errors(fmt, 403, "api_key tidak valid. / Invalid api_key.")
    jurisdiction = params.get("jurisdiction_id")
    if jurisdiction and jurisdiction != ctx.settings.open311_jurisdiction_id:
        return errors(fmt, 404, "jurisdiction_id tidak ditemukan. / jurisdiction_id not found.")
    if not params.get("service_code"):
        return errors(fmt, 400, "service_code wajib diisi. / service_code is required.")
    if categories.resolve(params["service_code"]) is None:
        return errors(fmt, 400, "service_code tidak ditemukan. / service_code not found.")
    has_point = bool(params.get("lat") and params.get("long"))
    if not (has_point or params.get("address_string") or params.get("address_id")):
        return errors(fmt, 400, "Lokasi wajib: lat & long, address_string atau address_id."
                                " / A location is required: lat & long, address_string or address_id.")
    if request.headers.get("idempotency-key"):
        params["idempotency_key"] = request.headers["idempotency-key"].strip()
    try:
        submission = build_submission(_submission_data(params, client))
    except ValueError as exc:  # also SubmissionProblem
        reasons = exc.reasons if isinstance(exc, SubmissionProblem) else None
        texts = [f"{r['message_id']} / {r['message_en']}" for r in reasons] if reasons else [str(exc)]
        return errors(fmt, 400, *texts)
    try:
        outcome = await ctx.gateway.submit(submission, source="open311")
    except IdempotencyConflict:
        return errors(fmt, 409, "request_id sudah dipakai untuk laporan lain. / request_id already used.")
    except PublishFailed:
        return errors(fmt, 503, "Layanan sibuk, coba lagi. / Service busy, try again.")
    log.info("open311_request_submitted", client=client, outcome=outcome.status)
    return _created(fmt, outcome)


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
    if numbers is None and start is None and end is None:
        start = datetime.now(UTC) - DEFAULT_WINDOW
    codes = _list_param(request, "service_code")
    if codes:  # an alias (``jalan``) means its category (``infrastruktur``)
        codes = [(categories.resolve(c).code if categories.resolve(c) else c) for c in codes]
    rows = await repo.public_requests(
        ctx.pool, tracking_numbers=numbers, service_codes=codes,
        statuses=statuses, start=start, end=end, limit=MAX_RESULTS,
    )
    return respond(fmt, "service_requests", [service_request(dict(r)) for r in rows])


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
    return respond(fmt, "service_requests", [service_request(row)])


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
    return respond(fmt, "service_requests", [{"service_request_id": outcome.tracking_number, "token": token}])


def routes(ctx: AdapterContext) -> list[Route]:
    return [
        Route(f"{PREFIX}/services.{{fmt}}", list_services, methods=["GET"]),
        Route(f"{PREFIX}/services/{{code}}.{{fmt}}", service_definition, methods=["GET"]),
        Route(f"{PREFIX}/requests.{{fmt}}", partial(list_requests, ctx=ctx), methods=["GET"]),
        Route(f"{PREFIX}/requests.{{fmt}}", partial(create_request, ctx=ctx), methods=["POST"]),
        Route(f"{PREFIX}/requests/{{id}}.{{fmt}}", partial(get_request, ctx=ctx), methods=["GET"]),
        Route(f"{PREFIX}/tokens/{{token}}.{{fmt}}", partial(get_token, ctx=ctx), methods=["GET"]),
    ]
