"""The fields of an Open311 ``POST requests`` (form-encoded as the spec says, multipart or JSON) read
into our submission contract: ``lat``/``long`` the point, ``address_string`` the place's text,
``first_name``…``phone`` the reporter, ``media_url`` an attachment, ``attribute[…]`` our extensions."""

from __future__ import annotations

import mimetypes
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from starlette.requests import Request

from lapor_gateway.context import form_fields, read_body
from lapor_gateway.contract import normalise_phone, parse_bool, title_from
from lapor_shared import categories, safejson
from lapor_shared.events.values import Channel
from lapor_shared.http_errors import Refusal, json_refusal


async def params_of(request: Request, limit: int) -> dict[str, str]:
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


def attributes_of(params: dict[str, str]) -> dict[str, str]:
    return {k[10:-1]: v for k, v in params.items() if k.startswith("attribute[") and k.endswith("]")}


def submission_data(params: dict[str, str], client: str, region_code: str | None) -> dict[str, Any]:
    """The submission contract from the spec's fields; ValueError names what is malformed.
    ``region_code`` is the jurisdiction's, used when the request names none of its own."""
    attribute = attributes_of(params)
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
            "region_code": attribute.get("region_code") or attribute.get("kode_wilayah") or region_code,
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
