"""A GeoReport v2 client written from the specification (wiki.open311.org/GeoReport_v2), for
conformance tests. Standard library only, and nothing imported from the product: it knows the
spec's resources, parameters, formats and error shape, not our code.

Each call returns the same Python structures whichever format was asked for: XML is parsed
back into the JSON shapes (lists of dicts, "true"/"false" as bools, repeated child elements as
lists), so a test can ask for both and compare. An error answer raises Open311Error with the
HTTP status and the [{code, description}] list.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from xml.etree import ElementTree as ET

# The spec's XML: a list element and the name of each of its items.
LISTS = {"services": "service", "service_requests": "request", "errors": "error", "attributes": "attribute",
         "values": "value", "endpoints": "endpoint", "formats": "format"}
BOOLEAN = {"metadata", "variable", "required"}
NUMBER = {"lat", "long", "order", "code"}
CONTENT_TYPES = {"json": "application/json", "xml": "text/xml"}


class Open311Error(Exception):
    def __init__(self, status: int, errors: list[dict], headers):
        super().__init__(f"{status}: {errors}")
        self.status, self.errors, self.headers = status, errors, headers


def _scalar(tag: str, text: str | None):
    text = text or ""
    if tag in BOOLEAN:
        return text.strip().lower() == "true"
    if tag in NUMBER and text.strip():
        try:
            number = float(text)
        except ValueError:  # an attribute's code is a name, an error's code a number
            return text
        return int(number) if number.is_integer() and tag in {"order", "code"} else number
    return text if text != "" else None


def _element(el: ET.Element):
    if el.tag in LISTS:
        return [_element(child) for child in el if child.tag == LISTS[el.tag]]
    if len(el) == 0:
        return _scalar(el.tag, el.text)
    return {child.tag: _element(child) for child in el}


def parse_xml(body: bytes):
    assert body.startswith(b"<?xml"), "the spec requires the XML declaration"
    return _element(ET.fromstring(body))


def normalise_json(value, key: str = ""):
    """JSON values as the XML parse gives them: empty strings as None, numbers of lat/long as float."""
    if isinstance(value, list):
        return [normalise_json(v, key) for v in value]
    if isinstance(value, dict):
        return {k: normalise_json(v, k) for k, v in value.items()}
    if value == "":
        return None
    if key in {"lat", "long"} and isinstance(value, (int, float)):
        return float(value)
    if key == "service_request_id" and value is not None:
        return str(value)  # an identifier, a string in XML
    return value


class Client:
    def __init__(self, base: str, api_key: str | None = None, jurisdiction_id: str | None = None):
        self.base = base.rstrip("/") + "/"
        self.api_key, self.jurisdiction_id = api_key, jurisdiction_id

    # — transport —
    def _call(self, path: str, fmt: str, params=None, data=None, files=None):
        query = dict(params or {})
        if self.jurisdiction_id:
            query.setdefault("jurisdiction_id", self.jurisdiction_id)
        url = f"{self.base}{path}.{fmt}" + (f"?{urllib.parse.urlencode(query)}" if query and data is None else "")
        body, headers = None, {"Accept": CONTENT_TYPES.get(fmt, "*/*")}
        if data is not None:
            fields = {**query, **data}
            if files:
                body, headers["Content-Type"] = _multipart(fields, files)
            else:
                body = urllib.parse.urlencode(fields).encode()
                headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        request = urllib.request.Request(url, data=body, headers=headers, method="POST" if data is not None else "GET")
        try:
            with urllib.request.urlopen(request, timeout=30) as r:
                status, resp_headers, content = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, resp_headers, content = e.code, e.headers, e.read()
        self.last = (status, resp_headers, content)
        parsed = self._parse(fmt, resp_headers, content)
        if status >= 400:
            raise Open311Error(status, parsed, resp_headers)
        return parsed

    def _parse(self, fmt, headers, content):
        ctype = headers.get("Content-Type", "")
        assert "charset=utf-8" in ctype.lower().replace(" ", ""), f"UTF-8 required, got {ctype!r}"
        if ctype.startswith("text/xml") or ctype.startswith("application/xml"):
            return parse_xml(content)
        assert ctype.startswith("application/json"), ctype
        return normalise_json(json.loads(content.decode("utf-8")))

    # — the spec's methods —
    def discovery(self, fmt="json"):
        # discovery.{fmt} sits next to the versioned endpoint, at the base given to the client.
        return self._call("discovery", fmt)

    def services(self, fmt="json"):
        return self._call("services", fmt)

    def service_definition(self, service_code: str, fmt="json"):
        return self._call(f"services/{urllib.parse.quote(service_code, safe='')}", fmt)

    def post_request(self, service_code: str | None, fmt="json", *, attributes=None, media=(), **fields):
        data = {k: v for k, v in fields.items() if v is not None}
        if service_code is not None:
            data["service_code"] = service_code
        if self.api_key is not None and "api_key" not in data:
            data["api_key"] = self.api_key
        for code, value in (attributes or {}).items():
            data[f"attribute[{code}]"] = value
        files = [("media", f"photo{i}.jpg", "image/jpeg", blob) for i, blob in enumerate(media)]
        return self._call("requests", fmt, data=data, files=files)

    def requests(self, fmt="json", **filters):
        params = {k: (",".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
                  for k, v in filters.items() if v is not None}
        return self._call("requests", fmt, params=params)

    def request(self, service_request_id, fmt="json"):
        return self._call(f"requests/{service_request_id}", fmt)

    def token(self, token: str, fmt="json"):
        return self._call(f"tokens/{token}", fmt)


def _multipart(fields: dict, files: list) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = []
    for name, value in fields.items():
        out += [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n".encode(),
                str(value).encode("utf-8"), b"\r\n"]
    for name, filename, ctype, blob in files:
        out += [f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                f"Content-Type: {ctype}\r\n\r\n".encode(), blob, b"\r\n"]
    out.append(f"--{boundary}--\r\n".encode())
    return b"".join(out), f"multipart/form-data; boundary={boundary}"
