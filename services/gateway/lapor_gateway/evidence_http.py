"""The evidence endpoints: the mobile app's two-step upload and serving a file by its signed link.

- ``POST /api/v1/uploads``: an upload slot: ``upload_id``, where to ``PUT`` the file, the limits;
- ``PUT /api/v1/uploads/{id}``: the file's bytes (any ``Content-Type``: the type comes from the bytes);
  answers the stored file's reference and, when the photo carried one, its position *offered* as the
  complaint's location (never used unless the client sends it back as the location);
- ``GET /bukti/{object_id}?aud=…&exp=…&sig=…``: the file, when the signed link is genuine and not
  expired (``v=thumb``: its thumbnail).

The complaint then names its slots: ``{"uploads": ["<upload_id>", …], …}`` on ``POST /api/v1/complaints``.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from lapor_gateway.context import AdapterContext
from lapor_gateway.contract import reason
from lapor_gateway.http_api import problem
from lapor_shared.events.values import EVIDENCE_ID_PATTERN
from lapor_shared.evidence import ObjectNotFound, Refused
from lapor_shared.evidence import limits as why
from lapor_shared.evidence.uploads import STORED, thumbnail_key
from lapor_shared.logging import get_logger

log = get_logger(component="gateway.evidence")

_OBJECT = re.compile(EVIDENCE_ID_PATTERN)
_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "pdf": "application/pdf"}
NO_STORE = {"cache-control": "no-store"}


def _too_large(limit: int) -> JSONResponse:
    return problem(413, why.too_large(1, limit, "file").model_dump())


async def open_slot(request: Request, ctx: AdapterContext) -> JSONResponse:
    slot = await ctx.evidence.uploads.open_slot()
    settings = ctx.evidence.settings
    return JSONResponse({
        "upload_id": slot, "upload_url": f"/api/v1/uploads/{slot}", "method": "PUT",
        "expires_in_s": int(settings.orphan_age_s), "limits": settings.limits.describe(),
    }, 201, headers={**NO_STORE, "location": f"/api/v1/uploads/{slot}"})


async def fill_slot(request: Request, ctx: AdapterContext) -> JSONResponse:
    limit = ctx.evidence.settings.limits.max_file_bytes
    chunks, size = [], 0
    async for chunk in request.stream():  # the guard refuses past its own limit; this one is the file's
        size += len(chunk)
        if size > limit:
            return _too_large(limit)
        chunks.append(chunk)
    try:
        uploaded = await ctx.evidence.uploads.fill_slot(request.path_params["upload_id"], b"".join(chunks))
    except ObjectNotFound:
        return problem(404, why.unknown_upload("upload_id").model_dump())
    except Refused as exc:
        return problem(422, exc.reason.model_dump())
    doc: dict[str, Any] = {"upload_id": request.path_params["upload_id"],
                           "evidence": uploaded.evidence.model_dump()}
    if uploaded.gps is not None:
        doc["offered_location"] = {
            "latitude": uploaded.gps[0], "longitude": uploaded.gps[1],
            "note_id": "Foto ini menyimpan lokasi pengambilannya. Lokasi itu TIDAK disimpan bersama foto; kirimkan "
                       "sebagai location.latitude/longitude laporan hanya bila pelapor menyetujuinya.",
            "note_en": "This photo carried the place it was taken. That place is NOT stored with the photo; send it "
                       "as the complaint's location.latitude/longitude only if the reporter agrees.",
        }
    return JSONResponse(doc, 200, headers=NO_STORE)


def _refused_link() -> JSONResponse:
    return problem(403, reason("evidence_link_invalid", "sig", "Tautan berkas tidak sah atau sudah kedaluwarsa.",
                               "The file link is not valid or has expired."))


def _gone() -> JSONResponse:
    return problem(404, reason("evidence_gone", None, "Berkas tidak ada (atau masa simpannya sudah berakhir).",
                               "There is no such file (or its retention has ended)."))


async def serve(request: Request, ctx: AdapterContext) -> Response:
    object_id = request.path_params["object_id"]
    q = request.query_params
    audience, expires, signature = q.get("aud", ""), q.get("exp", ""), q.get("sig", "")
    if not _OBJECT.match(object_id):  # no object could have this id
        return _gone()
    if not ctx.evidence.signer.verify(object_id, audience=audience, expires=expires, signature=signature,
                                      now=datetime.now(UTC)):
        return _refused_link()
    thumbnail = q.get("v") == "thumb" and not object_id.endswith(".pdf")
    key = thumbnail_key(STORED, object_id) if thumbnail else f"{STORED}/{object_id}"
    stream = ctx.evidence.uploads.store.stream(key)
    try:
        first = await anext(stream)
    except (ObjectNotFound, StopAsyncIteration):
        return _gone()

    async def body() -> Any:
        yield first
        async for chunk in stream:
            yield chunk

    extension = object_id.rsplit(".", 1)[1]
    media_type = "image/jpeg" if thumbnail else _TYPES[extension]
    disposition = "attachment" if extension == "pdf" else "inline"
    log.info("evidence_served", audience=audience.split(":", 1)[0], thumbnail=thumbnail)
    return StreamingResponse(body(), media_type=media_type, headers={
        "content-disposition": f'{disposition}; filename="bukti-{object_id[:8]}.{"jpg" if thumbnail else extension}"',
        "x-content-type-options": "nosniff", "cache-control": "no-store, private",
        "content-security-policy": "default-src 'none'; sandbox", "referrer-policy": "no-referrer",
    })


def routes(ctx: AdapterContext) -> list[Route]:
    return [
        Route("/api/v1/uploads", partial(open_slot, ctx=ctx), methods=["POST"]),
        Route("/api/v1/uploads/{upload_id}", partial(fill_slot, ctx=ctx), methods=["PUT"]),
        Route("/bukti/{object_id}", partial(serve, ctx=ctx), methods=["GET"]),
    ]
