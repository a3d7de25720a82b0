"""The two GeoReport v2 formats. Every answer is a list of objects (or one object for discovery
and a service definition); XML wraps lists in the spec's element names:
<services><service>, <service_requests><request>, <errors><error>, <service_definition>,
<discovery>. Errors are [{code, description}] with the HTTP status of `code`."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = ("json", "xml")
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# A list held under these keys repeats the singular element in XML.
ITEM_TAGS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format",
             "services": "service", "service_requests": "request", "errors": "error"}


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list):
        tag = ITEM_TAGS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def to_xml(root: str, body) -> bytes:
    element = ET.Element(root)
    _fill(element, body)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, root: str, body, status: int = 200) -> HttpResponse:
    """`body` as JSON, or as XML under `root` (a list's items take ITEM_TAGS[root])."""
    if fmt == "xml":
        content = to_xml(root, body)
    else:
        content = json.dumps(body, ensure_ascii=False).encode()
    return HttpResponse(content, status=status, content_type=CONTENT_TYPES[fmt])


def error(fmt: str, status: int, description: str, headers: dict | None = None) -> HttpResponse:
    response = respond(fmt if fmt in FORMATS else "json", "errors",
                       [{"code": status, "description": description}], status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
