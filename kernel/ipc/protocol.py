"""JSON-RPC 2.0 messages: parsing, validation, responses and error objects.

Pure functions over text; no I/O. Follows https://www.jsonrpc.org/specification to the letter:

- a request has ``"jsonrpc": "2.0"``, a string ``method``, optional ``params`` (array or object) and an
  ``id`` (string, number or null); without ``id`` it is a notification and gets no response;
- a batch is a non-empty array of requests; its response is an array with one entry per non-notification
  (none at all when every member is a notification); an empty array is one Invalid Request error;
- parse errors and invalid requests whose id cannot be read are answered with ``"id": null``;
- what JSON allows but no client can mean is an Invalid Request too, never a dropped message: a lone
  surrogate in ``method`` or ``id`` (answered with the id as sent), an ``id`` beyond a double
  (``1e400``); such a number in ``params`` is Invalid params. Every text written goes through
  :func:`kernel.ipc.wire.dumps`, so no answer ever fails to encode.

reelkit's errors (``KernelError.code`` strings such as ``permission.denied``) map onto JSON-RPC codes —
the reserved ones where the meaning matches (``command.not_found`` → -32601, ``input.invalid`` → -32602),
otherwise the implementation-defined server-error range -32000…-32099 — and the stable string is kept in
``error.data.code`` next to ``details``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .wire import dumps, has_surrogates

__all__ = [
    "PARSE_ERROR",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "INVALID_PARAMS",
    "INTERNAL_ERROR",
    "SERVER_ERROR",
    "RPC_CODES",
    "RpcError",
    "RawJSON",
    "Request",
    "Invalid",
    "parse",
    "result_response",
    "encode_result",
    "error_response",
    "error_from_exception",
    "notification",
    "encode",
]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
SERVER_ERROR = -32000  # any kernel code without an entry of its own in RPC_CODES

#: Stable mapping of reelkit error codes to JSON-RPC error codes. Never renumber an entry: clients switch
#: on these. Codes not listed map to SERVER_ERROR; ``error.data.code`` always carries the exact string.
RPC_CODES: dict[str, int] = {
    "command.not_found": METHOD_NOT_FOUND,
    "input.invalid": INVALID_PARAMS,
    "kernel.error": SERVER_ERROR,
    "permission.denied": -32001,
    "job.cancelled": -32002,
    "not_found": -32003,
    "job.not_found": -32004,
    "timeout": -32005,
    "unavailable": -32006,
    "conflict": -32007,
    "command.failed": -32008,
    "plugin.failed": -32009,
    "ipc.unauthorized": -32010,
    "ipc.busy": -32011,
    "ipc.batch_too_large": -32012,
    "ipc.too_deep": -32013,
    "ipc.shutting_down": -32014,
    "ipc.subscription_not_found": -32015,
}

_MESSAGES = {
    PARSE_ERROR: "Parse error",
    INVALID_REQUEST: "Invalid Request",
    METHOD_NOT_FOUND: "Method not found",
    INVALID_PARAMS: "Invalid params",
    INTERNAL_ERROR: "Internal error",
}


class RpcError(Exception):
    """An error answered to one request: a JSON-RPC ``code``, a message and the reelkit ``kind`` string."""

    def __init__(self, code: int, message: str, *, kind: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.kind = kind
        self.details = details or {}

    @classmethod
    def of(cls, kind: str, message: str, details: dict | None = None) -> RpcError:
        """An error for a reelkit code string, numbered through :data:`RPC_CODES`."""
        return cls(RPC_CODES.get(kind, SERVER_ERROR), message, kind=kind, details=details)

    def to_object(self) -> dict[str, Any]:
        """The JSON-RPC error object."""
        obj: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.kind is not None or self.details:
            data: dict[str, Any] = {}
            if self.kind is not None:
                data["code"] = self.kind
            if self.details:
                data["details"] = self.details
            obj["data"] = data
        return obj


class RawJSON(str):
    """A result that is already JSON text (a pydantic ``model_dump_json``): spliced in, not re-encoded."""

    __slots__ = ()


@dataclass(slots=True)
class Request:
    """One well-formed call. ``notification`` is true when the message had no ``id`` member."""

    method: str
    params: list[Any] | dict[str, Any] | None
    id: str | int | float | None = None
    notification: bool = False


@dataclass(slots=True)
class Invalid:
    """A message that could not become a :class:`Request`; answered with ``error`` (never a notification)."""

    error: RpcError
    id: str | int | float | None = None


@dataclass(slots=True)
class Parsed:
    """What one incoming text holds: its items and whether it was a batch (responses mirror the shape)."""

    items: list[Request | Invalid] = field(default_factory=list)
    batch: bool = False


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class _Overflow(ValueError):
    """A number beyond a double (``1e400``): valid JSON, but no value a client could mean."""


class OutOfRange(float):
    """Stands for a number beyond a double in the rare second parse (its text kept for the message)."""

    text: str = ""


def _strict_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):
        raise _Overflow(text)
    return value


def _marked_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):
        value = OutOfRange(value)
        value.text = text
    return value


_INF = float("inf")
_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_strict_float)
_LENIENT = json.JSONDecoder(parse_constant=_reject_constant, parse_float=_marked_float)


def _bad_text(value: Any) -> bool:
    return isinstance(value, str) and has_surrogates(value)


def _out_of_range(value: Any, where: str = "params") -> str | None:
    """The location of the first number beyond a double inside ``value``, if any."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, OutOfRange):
            return f"{at} = {item.text}"
        if isinstance(item, dict):
            stack.extend((v, f"{at}.{k}") for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{at}[{i}]") for i, v in enumerate(item))
    return None


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when arrays/objects nest deeper than ``limit`` (iterative: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _valid_id(value: Any) -> bool:
    return value is None or (isinstance(value, (str, int, float)) and not isinstance(value, bool))


def _item(obj: Any, checked: bool = False) -> Request | Invalid:
    if not checked and type(obj) is dict and obj.get("jsonrpc") == "2.0":  # the common, well-formed case first
        method, params, rid = obj.get("method"), obj.get("params"), obj.get("id")
        if (type(method) is str and (type(params) is dict or type(params) is list or "params" not in obj)
                and (rid is None or type(rid) is int or type(rid) is str)
                and not has_surrogates(method) and not _bad_text(rid)):
            return Request(method, params, rid, "id" not in obj)
    if not isinstance(obj, dict):
        return Invalid(RpcError(INVALID_REQUEST, "Invalid Request: a request must be a JSON object"))
    rid = obj.get("id")
    rid = rid if _valid_id(rid) else None
    if obj.get("jsonrpc") != "2.0":
        return Invalid(RpcError(INVALID_REQUEST, 'Invalid Request: "jsonrpc" must be exactly "2.0"'), rid)
    method = obj.get("method")
    if not isinstance(method, str):
        return Invalid(RpcError(INVALID_REQUEST, 'Invalid Request: "method" must be a string'), rid)
    params = obj.get("params")
    if "params" in obj and not isinstance(params, (list, dict)):
        return Invalid(RpcError(INVALID_REQUEST, 'Invalid Request: "params" must be an array or an object'), rid)
    if "id" in obj and not _valid_id(obj["id"]):
        return Invalid(RpcError(INVALID_REQUEST, 'Invalid Request: "id" must be a string, a number or null'))
    if isinstance(rid, OutOfRange):
        return Invalid(RpcError(INVALID_REQUEST, f'Invalid Request: "id" {rid.text} is beyond a double; '
                                "use a string or a smaller number"))
    if _bad_text(rid):  # answered with the id as sent (escaped), so the client can still match the answer
        return Invalid(RpcError(INVALID_REQUEST, 'Invalid Request: "id" holds a lone surrogate (\\uD800-\\uDFFF); '
                                "ids must be valid Unicode text"), rid)
    if has_surrogates(method):
        return Invalid(RpcError(INVALID_REQUEST, 'Invalid Request: "method" holds a lone surrogate; '
                                "method names are plain text (rpc.discover lists them)"), rid)
    where = _out_of_range(params)
    if where is not None:
        return Invalid(RpcError(INVALID_PARAMS, f"Invalid params: the number {where} is beyond a double; "
                                "send a smaller number", kind="input.invalid"), rid)
    return Request(method, params, rid, notification="id" not in obj)


def parse(text: str | bytes, *, max_batch: int = 100, max_depth: int = 64) -> Parsed:
    """Parse one incoming message into requests and invalid items, never raising on hostile input."""
    try:
        if isinstance(text, (bytes, bytearray)):
            text = text.decode("utf-8")
        try:
            doc, checked = _DECODER.decode(text), False
        except _Overflow:  # rare: parse again, marking the huge numbers, and answer each item precisely
            doc, checked = _LENIENT.decode(text), True
    except (ValueError, RecursionError, UnicodeDecodeError) as exc:
        reason = "nesting too deep" if isinstance(exc, RecursionError) else str(exc)
        return Parsed([Invalid(RpcError(PARSE_ERROR, f"Parse error: {reason}"))])
    # cheap bound first: a text with few brackets cannot nest deeply
    if text.count("[") + text.count("{") > max_depth and _depth_exceeds(doc, max_depth):
        err = RpcError.of("ipc.too_deep", f"Invalid Request: JSON nests deeper than {max_depth} levels; flatten it")
        err.code = INVALID_REQUEST
        rid = doc.get("id") if isinstance(doc, dict) and _valid_id(doc.get("id")) else None
        return Parsed([Invalid(err, rid)])
    if isinstance(doc, list):
        if not doc:
            return Parsed([Invalid(RpcError(INVALID_REQUEST, "Invalid Request: empty batch"))])
        if len(doc) > max_batch:
            err = RpcError.of(
                "ipc.batch_too_large",
                f"Invalid Request: batch of {len(doc)} exceeds the limit of {max_batch}; split it",
                {"size": len(doc), "max_batch": max_batch},
            )
            err.code = INVALID_REQUEST
            return Parsed([Invalid(err)])
        return Parsed([_item(obj, checked) for obj in doc], batch=True)
    return Parsed([_item(doc, checked)])


_ENCODE = dumps


def encode(obj: Any) -> str:
    """Compact JSON text for the wire (:func:`kernel.ipc.wire.dumps`: never unencodable)."""
    return dumps(obj)


def encode_result(rid: Any, result: Any) -> str:
    """The encoded success response; a :class:`RawJSON` result is inserted as it is."""
    if type(result) is RawJSON:
        return f'{{"jsonrpc":"2.0","result":{result},"id":{_ENCODE(rid)}}}'
    return _ENCODE({"jsonrpc": "2.0", "result": result, "id": rid})


def result_response(rid: Any, result: Any) -> dict[str, Any]:
    """A success response object."""
    return {"jsonrpc": "2.0", "result": result, "id": rid}


def error_response(rid: Any, error: RpcError) -> dict[str, Any]:
    """An error response object."""
    return {"jsonrpc": "2.0", "error": error.to_object(), "id": rid}


def notification(method: str, params: Any) -> dict[str, Any]:
    """A server-to-client notification (events)."""
    return {"jsonrpc": "2.0", "method": method, "params": params}


def error_from_exception(exc: BaseException) -> RpcError:
    """Map any exception raised by a call to an :class:`RpcError`.

    A ``KernelError`` (anything with a string ``code``) keeps its code, message and details; anything else
    is an internal error whose message names the exception type (its text may hold private data).
    """
    if isinstance(exc, RpcError):
        return exc
    kind = getattr(exc, "code", None)
    if isinstance(kind, str):
        details = getattr(exc, "details", None)
        message = getattr(exc, "message", None) or str(exc)
        return RpcError.of(kind, message, details if isinstance(details, dict) else None)
    return RpcError(INTERNAL_ERROR, f"Internal error: {type(exc).__name__} in the server; see its log")
