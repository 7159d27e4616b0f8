"""Commands: typed handlers behind namespaced ids, called through one middleware chain.

A command is a function decorated with :func:`command`. Its first parameter is the input model, the
others are injected by type; it returns the output model. The chain around every call is, from the
outside in: telemetry (only when on) → permission → validation → error mapping → the handler.
"""

from __future__ import annotations

import asyncio
import contextvars
import difflib
import functools
import inspect
import re
import threading
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .grants import Grants
from .errors import CommandFailed, CommandNotFound, InputInvalid, KernelError, PermissionDenied
from .oserrors import map_os_error, translate_foreign
from .paths import PathPolicy
from .pathtypes import check_paths, has_paths, path_field_names, refuse_bad_text

__all__ = [
    "Input", "Output", "Empty", "command", "CommandSpec", "CommandRegistry", "CallContext", "CancelToken",
    "ALL", "current_call", "allowed",
]

ID_RE = re.compile(r"^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_]*)+$")
ALL: Grants = Grants.ALL


class Input(BaseModel):
    """Base of command inputs: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Output(BaseModel):
    """Base of command outputs."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Empty(Input):
    """An input or output with no fields."""


_TOKEN_LOCK = threading.Lock()


class CancelToken:
    """Set when the caller gave up: sync handlers in worker threads poll :meth:`is_set`.

    A flag, with a ``threading.Event`` made only for a thread that waits on it: every call gets a
    token, and an Event (a Condition and two locks) cost ~2 µs per call.
    """

    __slots__ = ("_set", "_event")

    def __init__(self) -> None:
        self._set = False
        self._event: threading.Event | None = None

    def set(self) -> None:
        self._set = True
        with _TOKEN_LOCK:
            event = self._event
        if event is not None:
            event.set()

    def is_set(self) -> bool:
        return self._set

    def wait(self, timeout: float | None = None) -> bool:
        if self._set:
            return True
        with _TOKEN_LOCK:
            if self._event is None:
                self._event = threading.Event()
            event = self._event
        if self._set:  # set() ran before the event existed
            event.set()
        return event.wait(timeout)


@dataclass(slots=True)
class CallContext:
    """What a handler may know of its call: the command, the caller's grants, the cancel token.

    ``grants`` is the chain of every caller's grants on the way here (:class:`kernel.grants.Grants`);
    ``depth`` counts the commands above this one (0 for a call from outside). ``paths`` is the caller's
    path policy (its roots, see :mod:`kernel.paths`); ``opened`` the handles its path inputs were opened
    with (see :mod:`kernel.pathtypes`).
    """

    command: CommandSpec
    grants: Grants
    cancel: CancelToken = field(default_factory=CancelToken)
    job: Any = None  # the JobContext when the command runs as a job
    depth: int = 0
    paths: PathPolicy = field(default_factory=lambda: UNCONFINED)
    opened: Any = None


UNCONFINED = PathPolicy()
current_call: contextvars.ContextVar[CallContext | None] = contextvars.ContextVar("reelkit_call", default=None)


def allowed(spec: CommandSpec, grants: Grants | Iterable[str] | None) -> bool:
    """Whether ``grants`` allow ``spec``: matched against its capability or its id (see kernel.grants).

    ``["*", "!security.secret_read"]`` allows everything but reading secrets.
    """
    return Grants.of(grants).allows(spec.capability, spec.id)


@dataclass(eq=False)
class CommandSpec:
    """A registered command. ``input_model``/``output_model`` are None for JSON-Schema commands."""

    id: str
    handler: Callable[..., Any]
    summary: str = ""
    capability: str = ""
    job: bool = False
    input_model: type[BaseModel] | None = None
    output_model: type[BaseModel] | None = None
    input_json_schema: dict[str, Any] | None = None
    output_json_schema: dict[str, Any] | None = None
    plugin: str | None = None
    is_async: bool = True
    input_param: str | None = None
    injections: dict[str, Any] = field(default_factory=dict)  # param name -> type
    module: str | None = None  # from a manifest: the module imported on the first call (kernel.manifest)
    _validator: Any = None
    _attrs: dict[str, str] = field(default_factory=dict)
    _span_name: str = ""
    _call: Callable[[CallContext, Any], Awaitable[Any]] | None = None

    def __post_init__(self) -> None:
        self._attrs = {"command": self.id}
        self._span_name = f"command {self.id}"

    @property
    def loaded(self) -> bool:
        """False for a manifest command whose module is not imported yet (its schemas come from it)."""
        return self.handler is not None

    def input_schema(self) -> dict[str, Any]:
        if self.input_model is not None:
            return self.input_model.model_json_schema()
        return self.input_json_schema or {"type": "object"}

    def output_schema(self) -> dict[str, Any]:
        if self.job:
            from .jobs import JobRef

            return JobRef.model_json_schema()
        if self.output_model is not None:
            return self.output_model.model_json_schema()
        return self.output_json_schema or {"type": "object"}

    def result_schema(self) -> dict[str, Any]:
        """For a job command: the schema of the job's result."""
        if self.output_model is not None:
            return self.output_model.model_json_schema()
        return self.output_json_schema or {"type": "object"}

    def describe(self) -> dict[str, Any]:
        out = {"id": self.id, "summary": self.summary, "capability": self.capability, "job": self.job,
               "plugin": self.plugin, "input": self.input_schema(), "output": self.output_schema()}
        if self.job:
            out["result"] = self.result_schema()
        return out


def command(
    id: str, *, summary: str | None = None, capability: str | None = None, job: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a function as the handler of command ``id`` (``namespace.verb_noun``).

    The capability defaults to the namespace; ``job=True`` makes a call return a job id at once.
    """
    if not ID_RE.match(id):
        raise ValueError(f"command id {id!r} must be 'namespace.verb_noun' in snake_case")

    def mark(fn: Callable[..., Any]) -> Callable[..., Any]:
        doc = inspect.getdoc(fn) or ""
        fn.__reelkit_command__ = CommandSpec(  # type: ignore[attr-defined]
            id=id,
            handler=fn,
            summary=summary or doc.split("\n\n")[0].replace("\n", " "),
            capability=capability or id.split(".", 1)[0],
            job=job,
            is_async=inspect.iscoroutinefunction(fn),
        )
        return fn

    return mark


def resolve_signature(spec: CommandSpec) -> None:
    """Read the input/output models and the injected parameters from the handler's annotations."""
    fn = spec.handler
    try:
        hints = typing.get_type_hints(fn)
    except Exception as e:
        raise TypeError(f"command {spec.id}: cannot resolve the annotations of {fn.__qualname__}: {e}") from e
    params = list(inspect.signature(fn).parameters.values())
    for i, p in enumerate(params):
        ann = hints.get(p.name)
        if ann is None:
            raise TypeError(f"command {spec.id}: parameter {p.name!r} of {fn.__qualname__} needs a type annotation")
        if i == 0 and isinstance(ann, type) and issubclass(ann, BaseModel):
            spec.input_model, spec.input_param = ann, p.name
        else:
            spec.injections[p.name] = ann
    if spec.input_model is None:
        spec.input_model = Empty
    ret = hints.get("return")
    spec.output_model = Empty if ret in (None, type(None)) else ret


class CommandRegistry:
    """Every command, by id. Registering returns a disposer."""

    def __init__(self) -> None:
        self._specs: dict[str, CommandSpec] = {}

    def add(self, spec: CommandSpec) -> Callable[[], None]:
        if spec.id in self._specs:
            other = self._specs[spec.id]
            raise KernelError(
                f"command {spec.id} of plugin {spec.plugin} is already registered by plugin {other.plugin}",
                code="command.duplicate",
            )
        self._specs[spec.id] = spec

        def dispose() -> None:
            if self._specs.get(spec.id) is spec:
                del self._specs[spec.id]

        return dispose

    def get(self, command_id: str) -> CommandSpec:
        spec = self._specs.get(command_id)
        if spec is None:
            near = difflib.get_close_matches(command_id, list(self._specs), n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(near)}?" if near else "; `reelkit commands` lists them"
            raise CommandNotFound(f"no command {command_id!r}{hint}", details={"command": command_id, "near": near})
        return spec

    def __contains__(self, command_id: str) -> bool:
        return command_id in self._specs

    def list(self, grants: Iterable[str] | None = None) -> list[CommandSpec]:
        specs = sorted(self._specs.values(), key=lambda s: s.id)
        if grants is None:
            return specs
        g = Grants.of(grants)
        return [s for s in specs if g.allows(s.capability, s.id)]

    @staticmethod
    def allowed(spec: CommandSpec, grants: Grants | Iterable[str]) -> bool:
        return allowed(spec, grants)


# -- the middleware chain ------------------------------------------------------------------------

Next = Callable[[CallContext, Any], Awaitable[Any]]


def _field_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(input)"


def _no_remote_refs(uri: str) -> Any:
    raise ValueError(f"remote $ref {uri!r} is not allowed; put the definition under $defs")


def json_schema_validator(schema: dict[str, Any], what: str = "schema") -> Any:
    """A compiled JSON Schema validator (jsonschema-rs, ~0.1 µs for a small object).

    The schema is checked against its draft's metaschema first; a remote ``$ref`` is refused,
    since schemas may come from untrusted (WASM) plugins. Raises ``ValueError`` naming ``what``.
    """
    import jsonschema_rs

    try:
        jsonschema_rs.meta.validate(schema)
        return jsonschema_rs.validator_for(schema, retriever=_no_remote_refs)
    except (jsonschema_rs.ValidationError, jsonschema_rs.ReferencingError, ValueError) as e:
        raise ValueError(f"{what} is not a valid JSON Schema: {str(e).splitlines()[0]}") from None


def json_schema_errors(validator: Any, instance: Any) -> list[dict[str, str]]:
    """Every way ``instance`` fails ``validator``, as ``{"path", "message"}`` sorted by path."""
    errs = sorted(validator.iter_errors(instance), key=lambda e: [str(p) for p in e.instance_path])
    return [{"path": _field_path(tuple(e.instance_path)), "message": e.message} for e in errs]


def input_invalid(spec_id: str, e: ValidationError) -> InputInvalid:
    errors = [{"path": _field_path(err["loc"]), "message": err["msg"], "type": err["type"]} for err in e.errors()]
    listing = "; ".join(f"{x['path']}: {x['message']}" for x in errors)
    return InputInvalid(f"invalid input for {spec_id}: {listing}", details={"command": spec_id, "errors": errors})


async def error_mapping(call: CallContext, payload: Any, next: Next) -> Any:
    try:
        return await next(call, payload)
    except (KernelError, asyncio.CancelledError):
        raise
    except (OSError, UnicodeEncodeError, OverflowError) as e:
        mapped = translate_foreign(e, call.command.id)
        if mapped is None:
            raise CommandFailed(f"{call.command.id} failed: {type(e).__name__}: {e}",
                                details={"command": call.command.id}) from e
        raise mapped from e
    except ValidationError as e:  # the handler built an invalid model: a bug in the handler
        raise CommandFailed(f"{call.command.id} produced an invalid result: {e}", details={"command": call.command.id}) from e
    except Exception as e:
        raise CommandFailed(
            f"{call.command.id} failed: {type(e).__name__}: {e}", details={"command": call.command.id}
        ) from e


def telemetry_layer(telemetry: Any) -> Callable[[CallContext, Any, Next], Awaitable[Any]]:
    """A span per call, and per-command call/duration/error totals.

    The totals are plain numbers added here and read by observable instruments when metrics are
    collected: an OpenTelemetry histogram record with attributes costs several µs per call, this costs
    next to nothing.
    """
    import time

    stats = telemetry.command_stats
    start_span = telemetry.tracer.start_as_current_span
    perf = time.perf_counter

    async def layer(call: CallContext, payload: Any, next: Next) -> Any:
        spec = call.command
        row = stats.get(spec.id)
        if row is None:
            row = stats[spec.id] = [0, 0.0, 0]
        start = perf()
        with start_span(spec._span_name, attributes=spec._attrs, record_exception=False,
                        set_status_on_exception=False) as span:
            try:
                return await next(call, payload)
            except BaseException as e:
                row[2] += 1
                span.set_attribute("error.code", getattr(e, "code", type(e).__name__))
                raise
            finally:
                row[0] += 1
                row[1] += perf() - start

    return layer


async def permission(call: CallContext, payload: Any, next: Next) -> Any:
    grants = call.grants
    if grants.levels:
        spec = call.command
        if not grants.allows(spec.capability, spec.id):
            raise PermissionDenied(
                f"{spec.id} needs capability {spec.capability!r}, which this caller was not granted",
                details={"command": spec.id, "capability": spec.capability},
            )
    return await next(call, payload)


async def validation(call: CallContext, payload: Any, next: Next) -> Any:
    spec = call.command
    model = spec.input_model
    if model is not None:
        if type(payload) is not model:
            if isinstance(payload, dict):
                refuse_bad_text(spec.id, payload, path_field_names(model))
            try:
                if payload is None:
                    payload = model()
                elif isinstance(payload, BaseModel):
                    payload = model.model_validate(payload.model_dump())
                else:
                    payload = model.model_validate(payload)
            except ValidationError as e:
                raise input_invalid(spec.id, e) from None
        if has_paths(model):
            return await _with_paths(call, payload, next)
    elif spec._validator is not None:
        payload = {} if payload is None else payload
        refuse_bad_text(spec.id, payload)
        if not spec._validator.is_valid(payload):
            errors = json_schema_errors(spec._validator, payload)
            listing = "; ".join(f"{x['path']}: {x['message']}" for x in errors)
            raise InputInvalid(f"invalid input for {spec.id}: {listing}", details={"command": spec.id, "errors": errors})
    return await next(call, payload)


async def _with_paths(call: CallContext, payload: Any, next: Next) -> Any:
    """Apply the caller's path policy to the path fields; the opened handles live as long as the call."""
    token = current_call.set(call)  # error codes name this command's namespace
    try:
        opened = check_paths(payload, call.paths)
    except OSError as e:
        raise map_os_error(e, call.command.id) from None
    finally:
        current_call.reset(token)
    call.opened = opened
    try:
        return await next(call, payload)
    finally:
        if call.opened is opened:  # a job takes them over (kernel.start_job) and closes them at its end
            call.opened = None
            opened.close()


def build_chain(layers: list[Callable[..., Awaitable[Any]]], innermost: Next) -> Next:
    """Compose ``layers`` (outermost first) around ``innermost``: Starlette's reversed loop."""
    app = innermost
    for layer in reversed(layers):
        app = functools.partial(layer, next=app)
    return app
