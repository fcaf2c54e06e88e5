"""Open311 GeoReport v2 representations: JSON or XML by the path's extension, and the spec's errors."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

from starlette.responses import JSONResponse, Response

FORMATS = ("json", "xml")
_ITEM_OF = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
            "values": "value", "endpoints": "endpoint", "formats": "format"}


def _xml_value(parent: ElementTree.Element, name: str, value: Any) -> None:
    element = ElementTree.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml_value(element, _ITEM_OF.get(name, "item"), item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(element, key, inner)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)


def to_xml(root: str, body: Any) -> bytes:
    """``[{…}, …]`` under ``<root>`` as the spec's XML (``<services><service>…``, ``<errors><error>…``)."""
    element = ElementTree.Element(root)
    items = body if isinstance(body, list) else [body]
    if isinstance(body, list):
        for item in items:
            _xml_value(element, _ITEM_OF.get(root, "item"), item)
    else:
        for key, value in body.items():
            _xml_value(element, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(element, encoding="utf-8")


def respond(fmt: str, root: str, body: Any, status_code: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, body), status_code, media_type="text/xml; charset=utf-8")
    return JSONResponse(body, status_code)


def errors(fmt: str, status_code: int, *descriptions: str) -> Response:
    """The spec's error document: ``[{"code": 400, "description": "…"}]``."""
    body = [{"code": status_code, "description": d} for d in descriptions]
    return respond(fmt if fmt in FORMATS else "json", "errors", body, status_code)
