"""TypeScript bindings: types for every command's input and output and every event, and a typed client.

``reelkit schema --typescript OUT.ts`` writes one self-contained module (no runtime dependency) with

- an interface or type alias per JSON Schema definition (shared ``$defs`` merged by :class:`SchemaSet`);
- ``Commands``: ``{"media.probe": {input: MediaProbeInput; output: MediaProbeOutput}, …}``;
- ``Events``: ``{"job.progressed": JobProgressedEvent, …}``;
- ``ReelkitClient``: ``connect(url, {token})``, ``invoke(id, params)`` typed by the command id,
  ``subscribe(pattern, handler)``, ``cancel(jobId)``, ``discover()``, ``close()`` — for any
  WHATWG WebSocket (browsers, Tauri/Electron, Node ≥ 22 or Node 20 with ``--experimental-websocket``).

A call with wrong params or a misuse of a result fails at compile time, as tauri-specta gives Tauri apps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from .dispatch import EventInfo, MethodInfo
from .schemas import SchemaSet, type_name

__all__ = ["generate", "ts_type"]

_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_REF = "#/$defs/"


def _key(name: str) -> str:
    return name if _IDENT.match(name) else json.dumps(name)


def _doc(text: str | None, pad: str) -> str:
    if not text:
        return ""
    text = text.replace("*/", "*\\/").strip()
    lines = text.splitlines()
    if len(lines) == 1:
        return f"{pad}/** {lines[0]} */\n"
    return f"{pad}/**\n" + "".join(f"{pad} * {line}\n" for line in lines) + f"{pad} */\n"


def _paren(t: str) -> str:
    return f"({t})" if (" | " in t or " & " in t) and not t.startswith("{") else t


def _union(parts: list[str]) -> str:
    seen: list[str] = []
    for part in parts:
        if part not in seen:
            seen.append(part)
    if "unknown" in seen:
        return "unknown"
    return " | ".join(seen) if seen else "never"


def ts_type(schema: Any, indent: int = 0) -> str:
    """The TypeScript type of a JSON Schema (refs are expected as ``#/$defs/Name``)."""
    if schema is True or schema == {} or schema is None:
        return "unknown"
    if schema is False:
        return "never"
    if "$ref" in schema:
        ref = schema["$ref"]
        return type_name(ref[len(_REF):]) if ref.startswith(_REF) else "unknown"
    if "const" in schema:
        return json.dumps(schema["const"])
    if "enum" in schema:
        return _union([json.dumps(v) for v in schema["enum"]])
    for combo in ("anyOf", "oneOf"):
        if combo in schema:
            return _union([_paren(ts_type(s, indent)) for s in schema[combo]])
    if "allOf" in schema:
        parts = [_paren(ts_type(s, indent)) for s in schema["allOf"]]
        return " & ".join(parts) if parts else "unknown"
    kind = schema.get("type")
    if isinstance(kind, list):
        return _union([ts_type({**schema, "type": k}, indent) for k in kind])
    if kind == "string":
        return "string"
    if kind in ("number", "integer"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        if "prefixItems" in schema:
            items = [ts_type(s, indent) for s in schema["prefixItems"]]
            return f"[{', '.join(items)}]"
        return f"{_paren(ts_type(schema.get('items', {}), indent))}[]"
    if kind == "object" or "properties" in schema:
        return _object(schema, indent)
    return "unknown"


def _object(schema: dict[str, Any], indent: int) -> str:
    pad = "  " * (indent + 1)
    props = schema.get("properties") or {}
    required = set(schema.get("required") or [])
    extra = schema.get("additionalProperties", None if props else True)
    lines = []
    for name, sub in props.items():
        desc = sub.get("description") if isinstance(sub, dict) else None
        opt = "" if name in required else "?"
        lines.append(f"{_doc(desc, pad)}{pad}{_key(name)}{opt}: {ts_type(sub, indent + 1)};\n")
    if extra is True or isinstance(extra, dict):
        value = "unknown" if extra is True or props else ts_type(extra, indent + 1)
        lines.append(f"{pad}[key: string]: {value};\n")
    if not lines:
        return "Record<string, never>"
    return "{\n" + "".join(lines) + "  " * indent + "}"


def _declare(name: str, schema: dict[str, Any]) -> str:
    doc = _doc(schema.get("description"), "")
    body = ts_type(schema)
    if body.startswith("{\n"):
        return f"{doc}export interface {name} {body}\n"
    return f"{doc}export type {name} = {body};\n"


def _all_present(schema: Any) -> Any:
    """Mark every object property required: a dumped pydantic model always carries every field, so a
    result's or event's field with a default is still present (only inputs may leave it out)."""
    if isinstance(schema, dict):
        out = {k: _all_present(v) for k, v in schema.items()}
        if isinstance(out.get("properties"), dict) and out.get("type", "object") == "object":
            out["required"] = list(out["properties"])
        return out
    if isinstance(schema, list):
        return [_all_present(v) for v in schema]
    return schema


def generate(methods: Sequence[MethodInfo], events: Sequence[EventInfo], *, version: str = "") -> str:
    """The whole TypeScript module as text."""
    defs = SchemaSet(_REF)
    commands: list[tuple[MethodInfo, str, str, str | None]] = []
    for m in sorted(methods, key=lambda m: m.name):
        inp = defs.add_named(type_name(m.name) + "Input", m.params_schema or {"type": "object"})
        result = _all_present(m.result_schema) if m.result_complete else m.result_schema
        out = defs.add_named(type_name(m.name) + "Output", result or {})
        final = None
        if m.job and m.job_result_schema is not None:
            final = defs.add_named(type_name(m.name) + "Result", _all_present(m.job_result_schema))
        commands.append((m, inp, out, final))
    topics = [(e, defs.add_named(type_name(e.topic) + "Event", _all_present(e.schema or {"type": "object"})))
              for e in sorted(events, key=lambda e: e.topic)]
    out = [_HEADER.format(version=version or "unversioned")]
    out.append("// ---- types ------------------------------------------------------------------\n\n")
    for name, schema in defs.defs.items():
        out.append(_declare(name, schema) + "\n")
    out.append("// ---- commands ---------------------------------------------------------------\n\n")
    out.append("/** Every command: its input (params) and output (result). */\nexport interface Commands {\n")
    for m, inp, res, _ in commands:
        summary = m.summary + (" (a job: returns a job id at once)" if m.job else "")
        out.append(f"{_doc(summary, '  ')}  {json.dumps(m.name)}: {{ input: {inp}; output: {res} }};\n")
    out.append("}\nexport type CommandId = keyof Commands;\n\n")
    out.append("/** For each job command: the final result (`job.result` of its `job.succeeded` event). */\n"
               "export interface JobResults {\n")
    for m, _, _, final in commands:
        if final is not None:
            out.append(f"  {json.dumps(m.name)}: {final};\n")
    out.append("}\n\n")
    out.append("export const JOB_COMMANDS: readonly CommandId[] = "
               + json.dumps([m.name for m, _, _, _ in commands if m.job]) + ";\n\n")
    out.append("// ---- events -----------------------------------------------------------------\n\n")
    out.append("/** Every event topic and its payload. */\nexport interface Events {\n")
    for e, name in topics:
        out.append(f"  {json.dumps(e.topic)}: {name};\n")
    out.append("}\nexport type Topic = keyof Events;\n\n")
    out.append(_CLIENT)
    return "".join(out)


_HEADER = """\
// Generated by `reelkit schema --typescript` (reelkit {version}). Do not edit: regenerate.
// Wire protocol: JSON-RPC 2.0 over WebSocket; see docs/ipc.md.
/* eslint-disable */

"""

_CLIENT = """\
// ---- client -----------------------------------------------------------------

/** A JSON-RPC error; `kind` is reelkit's stable dotted code (`permission.denied`, `input.invalid` …). */
export class RpcError extends Error {
  readonly code: number;
  readonly kind: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: number, message: string, data?: { code?: string; details?: Record<string, unknown> }) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.kind = data?.code;
    this.details = data?.details;
  }
}

/** The typed final result of a finished job of command `command` (from `job.succeeded`'s `job`). */
export function jobResult<K extends keyof JobResults>(command: K, job: { kind: string; result?: unknown }): JobResults[K] {
  if (job.kind !== command) throw new Error(`job of ${job.kind}, not ${String(command)}`);
  return job.result as JobResults[K];
}

/** One event notification, typed by its topic when the subscription pattern is an exact topic. */
export interface EventMessage<T extends Topic = Topic> {
  subscription: string;
  topic: T;
  event: Events[T];
}

export interface Subscription {
  readonly id: string;
  unsubscribe(): Promise<void>;
}

export interface ConnectOptions {
  /**
   * The token printed or written by `reelkit serve` (sent as ?token=, which browsers allow). Omit it in
   * a page served by studio: its session cookie authenticates the connection.
   */
  token?: string;
  /** A WHATWG WebSocket constructor; defaults to globalThis.WebSocket. */
  WebSocket?: new (url: string) => WebSocket;
  /** Reject a call that gets no answer in this many milliseconds (default: never). */
  timeoutMs?: number;
}

type Params<K extends CommandId> = {} extends Commands[K]["input"]
  ? [params?: Commands[K]["input"]]
  : [params: Commands[K]["input"]];

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer?: ReturnType<typeof setTimeout>;
}

/** A typed JSON-RPC client for `reelkit serve`. */
export class ReelkitClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, (message: EventMessage) => void>();
  private readonly early = new Map<string, EventMessage[]>();
  private subscribing = 0;
  private closedWith: RpcError | undefined;
  /** Called once when the connection closes (code and reason from the server, e.g. 1008 "too far behind"). */
  onclose: ((code: number, reason: string) => void) | undefined;

  private constructor(private readonly ws: WebSocket, private readonly timeoutMs?: number) {
    ws.onmessage = (e: MessageEvent) => this.receive(String(e.data));
    ws.onclose = (e: CloseEvent) => this.closed(e.code, e.reason);
  }

  /** Open a connection; rejects if the server refuses it (wrong token, foreign Origin). */
  static connect(url: string, options: ConnectOptions = {}): Promise<ReelkitClient> {
    const Ctor = options.WebSocket ?? (globalThis as { WebSocket?: new (url: string) => WebSocket }).WebSocket;
    if (!Ctor) return Promise.reject(new Error("no WebSocket implementation: pass options.WebSocket"));
    const sep = url.includes("?") ? "&" : "?";
    const ws = new Ctor(options.token === undefined ? url : `${url}${sep}token=${encodeURIComponent(options.token)}`);
    return new Promise((resolve, reject) => {
      ws.onopen = () => resolve(new ReelkitClient(ws, options.timeoutMs));
      ws.onerror = () => reject(new Error(`cannot connect to ${url} (refused, wrong token or Origin?)`));
    });
  }

  /** Invoke a command; the params and the result are typed by the command id. */
  invoke<K extends CommandId>(method: K, ...params: Params<K>): Promise<Commands[K]["output"]> {
    return this.call(method, params[0] ?? {}) as Promise<Commands[K]["output"]>;
  }

  /** Untyped escape hatch: any method, any params. */
  call(method: string, params?: unknown): Promise<unknown> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = this.nextId++;
    const message: Record<string, unknown> = { jsonrpc: "2.0", method, id };
    if (params !== undefined) message.params = params;
    return new Promise((resolve, reject) => {
      const entry: Pending = { resolve, reject };
      if (this.timeoutMs !== undefined) {
        entry.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new RpcError(-32005, `${method}: no answer in ${this.timeoutMs} ms`, { code: "timeout" }));
        }, this.timeoutMs);
      }
      this.pending.set(id, entry);
      this.ws.send(JSON.stringify(message));
    });
  }

  /** Receive events whose topic matches `pattern` (a glob such as `job.*`). */
  subscribe<T extends Topic>(pattern: T, handler: (message: EventMessage<T>) => void): Promise<Subscription>;
  subscribe(pattern: string, handler: (message: EventMessage) => void): Promise<Subscription>;
  async subscribe(pattern: string, handler: (message: EventMessage<any>) => void): Promise<Subscription> {
    this.subscribing++;
    let subscription: string;
    try {
      ({ subscription } = (await this.call("rpc.subscribe", { pattern })) as { subscription: string });
    } finally {
      this.subscribing--;
    }
    this.handlers.set(subscription, handler);
    for (const message of this.early.get(subscription) ?? []) handler(message);
    this.early.delete(subscription);
    return {
      id: subscription,
      unsubscribe: async () => {
        this.handlers.delete(subscription);
        await this.call("rpc.unsubscribe", { subscription });
      },
    };
  }

  /** Cancel a job this client started. */
  async cancel(jobId: string): Promise<void> {
    await this.call("rpc.cancel", { job_id: jobId });
  }

  /** The OpenRPC document of what this client may call. */
  discover(): Promise<{ methods: { name: string }[] } & Record<string, unknown>> {
    return this.call("rpc.discover") as Promise<{ methods: { name: string }[] } & Record<string, unknown>>;
  }

  close(): void {
    this.ws.close(1000, "client closing");
  }

  private receive(text: string): void {
    const message = JSON.parse(text);
    for (const item of Array.isArray(message) ? message : [message]) {
      if (item.method === "rpc.event") {
        const params = item.params as EventMessage;
        const handler = this.handlers.get(params.subscription);
        if (handler) handler(params);
        else if (this.subscribing > 0) {
          // an event that overtook its subscribe() answer: kept until the handler is registered
          this.early.set(params.subscription, [...(this.early.get(params.subscription) ?? []), params]);
        }
        continue;
      }
      const entry = this.pending.get(item.id);
      if (!entry) continue;
      this.pending.delete(item.id);
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      if (item.error) entry.reject(new RpcError(item.error.code, item.error.message, item.error.data));
      else entry.resolve(item.result);
    }
  }

  private closed(code: number, reason: string): void {
    this.closedWith = new RpcError(-32000, `connection closed (${code}${reason ? ": " + reason : ""})`,
      { code: "ipc.closed" });
    for (const entry of this.pending.values()) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      entry.reject(this.closedWith);
    }
    this.pending.clear();
    this.onclose?.(code, reason);
  }
}
"""
