"""The one JSON encoder for everything that leaves the process: responses, errors, events.

File names on POSIX are bytes. Python hands a name that is not UTF-8 (``bad\\xff-name.mp4``) to the
kernel as text with *surrogate escapes* (``'bad\\udcff-name.mp4'``, PEP 383), and such text cannot be
written as UTF-8: pydantic's ``model_dump_json`` and ``str.encode`` both raise. This module makes that
impossible to hit on the wire:

- every lone surrogate is written as a JSON ``\\uXXXX`` escape (valid JSON text; a Python client's
  ``json.loads`` gives back the very string the kernel had, so ``os.fsencode`` restores the bytes);
- an object member ``K`` whose text carries surrogate escapes gets a sibling ``K_bytes_b64``: the exact
  bytes of the name, base64 (for a list of names, a list with ``null`` for the names that are plain
  text). Clients that need the bytes (to show a name correctly or pass it on) read that member::

      {"name": "bad\\udcff-name.mp4", "name_bytes_b64": "YmFk/y1uYW1lLm1wNA=="}

The fast path (no surrogate anywhere, nearly every message) is one ``json.dumps`` and one regex search.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

__all__ = ["dumps", "to_bytes", "has_surrogates", "BYTES_SUFFIX", "name_bytes"]

BYTES_SUFFIX = "_bytes_b64"

_SURROGATE = re.compile("[\ud800-\udfff]")
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def has_surrogates(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (and so cannot be encoded as UTF-8)."""
    return _SURROGATE.search(text) is not None


def name_bytes(text: str) -> str | None:
    """The base64 of the bytes a surrogate-escaped name stands for; None when it is not such a name."""
    try:
        return base64.b64encode(text.encode("utf-8", "surrogateescape")).decode("ascii")
    except UnicodeError:  # a lone surrogate that is no escaped byte (\ud800): the text form alone says it
        return None


def _escape(match: re.Match[str]) -> str:
    return "\\u%04x" % ord(match.group())


def _with_bytes(value: Any) -> Any:
    """A copy of ``value`` where members holding surrogate-escaped text gain their ``_bytes_b64`` sibling."""
    if isinstance(value, dict):
        out: dict[Any, Any] = {}
        extra: dict[str, Any] = {}
        for key, item in value.items():
            out[key] = _with_bytes(item)
            if not isinstance(key, str) or (key + BYTES_SUFFIX) in value:
                continue
            if isinstance(item, str) and has_surrogates(item):
                b = name_bytes(item)
                if b is not None:
                    extra[key + BYTES_SUFFIX] = b
            elif isinstance(item, list) and any(isinstance(s, str) and has_surrogates(s) for s in item):
                extra[key + BYTES_SUFFIX] = [
                    name_bytes(s) if isinstance(s, str) and has_surrogates(s) else None for s in item
                ]
        out.update(extra)
        return out
    if isinstance(value, (list, tuple)):
        return [_with_bytes(item) for item in value]
    return value


def dumps(obj: Any) -> str:
    """Compact JSON text that always encodes as UTF-8 (see the module docstring for the convention)."""
    text = _ENCODE(obj)
    if _SURROGATE.search(text) is None:
        return text
    return _SURROGATE.sub(_escape, _ENCODE(_with_bytes(obj)))


def to_bytes(text: str) -> bytes:
    """UTF-8 bytes of wire text; never raises.

    Text from :func:`dumps` has no lone surrogate. Anything else that slipped through (a transport's own
    message) can hold one only inside a JSON string, where ``backslashreplace`` writes exactly the JSON
    escape ``\\udcff``: the frame stays valid JSON and the writer never dies on it.
    """
    return text.encode("utf-8", "backslashreplace")
