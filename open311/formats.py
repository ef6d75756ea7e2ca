"""GeoReport v2's two formats, as the specification's examples show them.

XML: a declaration with encoding="utf-8", a plural root (`<services>`, `<service_requests>`,
`<errors>`) with one element per item (`<service>`, `<request>`, `<error>`); a list inside an
item is an element named for the list holding one element per entry named in the singular
(`<attributes><attribute>…`, `<values><value>…`, `<formats><format>…`); an empty value is an
empty element. JSON: the same content as a list of objects (the discovery document and a
service definition are single objects), empty values as null.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}

# Characters XML 1.0 cannot carry at all; a voter's text may contain them.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# In encoded JSON those characters appear as \u00XX escapes or raw (surrogates, U+FFFE, U+FFFF).
_ILLEGAL_ESCAPE = re.compile(r"\\u00(?:0[0-8bcef]|1[0-9a-fA-F])")


def _json_bytes(data: Any) -> bytes:
    """Compact JSON, so the C encoder does the work (1,000 requests: ~60 ms indented, ~6 ms
    not); the slow cleaning pass runs only when the text may hold what XML cannot carry."""
    body = json.dumps(data, ensure_ascii=False)
    suspect = ("\\u00" in body and _ILLEGAL_ESCAPE.search(body)) or "\ufffe" in body or "\uffff" in body
    if not suspect:
        try:
            return body.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate
            pass
    return json.dumps(_clean_json(data), ensure_ascii=False).encode("utf-8")


Item = Mapping[str, Any]


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") else f"{name}_item"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _XML_ILLEGAL.sub("", str(value))


def _fill(element: ET.Element, item: Item) -> None:
    for key, value in item.items():
        child = ET.SubElement(element, key)
        if isinstance(value, Sequence) and not isinstance(value, str):
            for entry in value:
                sub = ET.SubElement(child, _singular(key))
                if isinstance(entry, Mapping):
                    _fill(sub, entry)
                else:
                    sub.text = _text(entry)
        else:
            child.text = _text(value)


def to_xml(root: str, item_tag: str | None, data: Sequence[Item] | Item) -> str:
    """A list under `root` with one `item_tag` element per item, or a single object as `root`."""
    element = ET.Element(root)
    if item_tag is None:
        assert isinstance(data, Mapping)
        _fill(element, data)
    else:
        for item in data:
            assert isinstance(item, Mapping)
            _fill(ET.SubElement(element, item_tag), item)
    ET.indent(element)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode") + "\n"


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return _XML_ILLEGAL.sub("", value)
    if isinstance(value, Mapping):
        return {k: _clean_json(v) for k, v in value.items()}
    if isinstance(value, Sequence):
        return [_clean_json(v) for v in value]
    return value


def render(
    fmt: str, root: str, item_tag: str | None, data: Sequence[Item] | Item, *, status: int = 200
) -> HttpResponse:
    body = _json_bytes(data) if fmt == "json" else to_xml(root, item_tag, data).encode("utf-8")
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES[fmt])


def render_errors(fmt: str, status: int, descriptions: Sequence[tuple[int, str]]) -> HttpResponse:
    """The specification's error document: a list of (code, description)."""
    items = [{"code": code, "description": description} for code, description in descriptions]
    return render(fmt, "errors", "error", items, status=status)


def format_of_path(path: str) -> str:
    """The format a client asked for by the path's extension; XML (the required one) otherwise."""
    return "json" if path.rstrip("/").endswith(".json") else "xml"
