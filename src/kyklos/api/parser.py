"""How the API reads a request's body and query: JSON only, and text that can be stored.

A body is read only when sent as ``application/json`` (else 415). A NUL character or an
unpaired surrogate (``"\\ud800"`` is valid JSON) cannot be stored in a text column, so
any text that holds one is refused as a 422 naming its field, in a body or in a query.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import ValidationError
from ninja.parser import Parser

JSON_CONTENT_TYPES = frozenset({"application/json"})


class UnsupportedMediaType(Exception):
    """A body sent with a content type the API does not read (415)."""

    def __init__(self, content_type: str):
        self.content_type = content_type
        super().__init__(content_type)


def storable(text: str) -> bool:
    """Whether ``text`` holds neither a NUL character nor an unpaired surrogate."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _first_unstorable(value: Any) -> bool:
    if isinstance(value, str):
        return not storable(value)
    if isinstance(value, dict):
        return any(_first_unstorable(k) or _first_unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_first_unstorable(item) for item in value)
    return False


def refuse_unstorable(source: str, items: dict[str, Any]) -> None:
    """Refuse (422) the first of ``items`` whose text cannot be stored, naming its key."""
    for key, value in items.items():
        if not storable(key) or _first_unstorable(value):
            field = key if key and storable(key) else None
            raise ValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": (source, "data", field) if source == "body" else (source, field),
                        "msg": "",
                        "ctx": {
                            "error": _("Text cannot contain NUL characters or unpaired surrogates.")
                        },
                    }
                ]
            )


class KyklosParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:
        if request.content_type not in JSON_CONTENT_TYPES:
            raise UnsupportedMediaType(request.content_type)
        data = json.loads(request.body)
        if isinstance(data, dict):
            refuse_unstorable("body", data)
        elif _first_unstorable(data):
            refuse_unstorable("body", {"": data})
        return data

    def parse_querydict(self, data, list_fields, request: HttpRequest):
        refuse_unstorable("query", {key: data.getlist(key) for key in data})
        return super().parse_querydict(data, list_fields, request)
