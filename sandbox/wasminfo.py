"""Read a WebAssembly module's imports and exports without compiling it; take its start-up code apart.

Used at install time to refuse a module that lacks a declared export, exports one with the wrong
signature, declares more initial memory than its limit, or imports a host function its manifest
was not granted, before any code is compiled.

:func:`defer_startup` rewrites a module so that no guest code runs while it is instantiated: the
``start`` section is dropped (its function exported as ``__reelkit_start``) and the exports Extism
would run on its own before any timer is armed (``_initialize`` at instantiation,
``__wasm_call_ctors`` / ``hs_init`` before the first call) are renamed. The runtime then calls them
as ordinary calls, under the plugin's wall-clock limit (``sandbox.start_timeout``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ModuleInvalid

_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
_BULK = re.compile(rb"\xfc[\x08-\x11]")  # prefix 0xFC, sub-opcodes 8–17: memory.init … table.fill


#: start-up exports Extism runs by itself (outside any call's timer) → the name they get instead
STARTUP_EXPORTS = {"_initialize": "__reelkit_initialize", "__wasm_call_ctors": "__reelkit_ctors",
                   "hs_init": "__reelkit_hs_init"}
START_EXPORT = "__reelkit_start"
_VALTYPES = {0x7F: "i32", 0x7E: "i64", 0x7D: "f32", 0x7C: "f64", 0x7B: "v128", 0x70: "funcref", 0x6F: "externref"}


@dataclass(frozen=True)
class ModuleInfo:
    imports: frozenset[tuple[str, str]]   # (module, name) of imported functions
    exports: frozenset[str]               # exported function names
    bulk_memory: bool = False             # the code may hold memory.copy/fill, table.copy/…
    signatures: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = ()  # (export, params, results)
    start: int | None = None              # index of the start function, if any
    initial_pages: int = 0                # the largest initial size of a memory it defines or imports
    startup: tuple[str, ...] = ()         # start-up exports present (keys of STARTUP_EXPORTS)

    def signature(self, name: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
        for n, params, results in self.signatures:
            if n == name:
                return params, results
        return None

    @property
    def has_startup(self) -> bool:
        return self.start is not None or bool(self.startup)

    # Bulk-memory and table instructions (0xFC 8–17) cost one unit of fuel however many bytes they
    # move, so fuel does not bound their time. Found by a plain byte scan of the code section:
    # an immediate that happens to hold the pair counts too (never the other way round).

    def imports_from(self, module: str) -> set[str]:
        return {name for mod, name in self.imports if mod == module}

    @property
    def uses_wasi(self) -> bool:
        return any(mod.startswith("wasi_") for mod, _ in self.imports)


class _Reader:
    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def byte(self) -> int:
        if self.pos >= self.end:
            raise ValueError("unexpected end of module")
        b = self.data[self.pos]
        self.pos += 1
        return b

    def uleb(self) -> int:
        result = shift = 0
        while True:
            b = self.byte()
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7
            if shift > 35:
                raise ValueError("LEB128 number too long")

    def name(self) -> str:
        n = self.uleb()
        if self.pos + n > self.end:
            raise ValueError("name runs past its section")
        s = self.data[self.pos:self.pos + n].decode("utf-8")
        self.pos += n
        return s

    def limits(self) -> int:
        flags = self.uleb()
        initial = self.uleb()
        if flags & 1:
            self.uleb()
        return initial

    def valtypes(self) -> tuple[str, ...]:
        return tuple(_VALTYPES.get(self.byte(), "?") for _ in range(self.uleb()))


def inspect_module(data: bytes, source: str = "module") -> ModuleInfo:
    """Imports and exports of a binary module; :class:`ModuleInvalid` if it is not one."""
    if data[:4] != b"\0asm":
        raise ModuleInvalid(f"{source}: not a WebAssembly binary (no \\0asm header); "
                            f"build it with `reelkit plugins build` or check the file",
                            details={"file": source})
    if data[4:8] != b"\x01\0\0\0":
        raise ModuleInvalid(f"{source}: unsupported WebAssembly version {data[4:8].hex()}; "
                            f"only core modules (version 1) are supported", details={"file": source})
    imports: set[tuple[str, str]] = set()
    exports: set[str] = set()
    bulk = False
    types: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    func_types: list[int] = []  # type index of every function, imported ones first
    export_funcs: dict[str, int] = {}
    start: int | None = None
    pages = 0
    try:
        r = _Reader(data, 8)
        while r.pos < len(data):
            sid = r.byte()
            size = r.uleb()
            end = r.pos + size
            if end > len(data):
                raise ValueError(f"section {sid} runs past the end of the file")
            s = _Reader(data, r.pos, end)
            if sid == 1:
                for _ in range(s.uleb()):
                    if s.byte() != 0x60:
                        raise ValueError("type section entry is not a function type")
                    types.append((s.valtypes(), s.valtypes()))
            elif sid == 3:
                func_types.extend(s.uleb() for _ in range(s.uleb()))
            elif sid == 5:
                for _ in range(s.uleb()):
                    pages = max(pages, s.limits())
            elif sid == 8:
                start = s.uleb()
            elif sid == 2:
                for _ in range(s.uleb()):
                    mod, name, kind = s.name(), s.name(), s.byte()
                    if kind == 0:
                        func_types.append(s.uleb())
                        imports.add((mod, name))
                    elif kind == 1:
                        s.byte()
                        s.limits()
                    elif kind == 2:
                        pages = max(pages, s.limits())
                    elif kind == 3:
                        s.byte()
                        s.byte()
                    elif kind == 4:
                        s.byte()
                        s.uleb()
                    else:
                        raise ValueError(f"unknown import kind {kind}")
            elif sid == 7:
                for _ in range(s.uleb()):
                    name, kind = s.name(), s.byte()
                    index = s.uleb()
                    if _KINDS.get(kind) == "func":
                        exports.add(name)
                        export_funcs[name] = index
            elif sid == 10:
                bulk = _BULK.search(data, r.pos, end) is not None
            r.pos = end
    except (ValueError, UnicodeDecodeError) as e:
        raise ModuleInvalid(f"{source}: corrupt WebAssembly module ({e}); rebuild it",
                            details={"file": source}) from e
    sigs = []
    for name, index in sorted(export_funcs.items()):
        t = func_types[index] if index < len(func_types) else None
        params, results = types[t] if t is not None and t < len(types) else (("?",), ("?",))
        sigs.append((name, params, results))
    return ModuleInfo(frozenset(imports), frozenset(exports), bulk, tuple(sigs), start, pages,
                      tuple(n for n in STARTUP_EXPORTS if n in exports))


def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _name(s: str) -> bytes:
    raw = s.encode()
    return _uleb(len(raw)) + raw


def defer_startup(data: bytes, info: ModuleInfo) -> bytes:
    """The module without start-up code that runs by itself (see the module docstring).

    Only the export section is rewritten and the start section dropped; code, data and indices are
    untouched, so the module behaves the same once the runtime has called the start-up exports.
    """
    if not info.has_startup:
        return data
    out = bytearray(data[:8])
    r = _Reader(data, 8)
    while r.pos < len(data):
        sid = r.byte()
        size = r.uleb()
        body_start, end = r.pos, r.pos + size
        if sid == 8:  # start: dropped, its function exported below instead
            r.pos = end
            continue
        body = data[body_start:end]
        if sid == 7:
            s = _Reader(data, body_start, end)
            entries = []
            for _ in range(s.uleb()):
                name, kind, index = s.name(), s.byte(), s.uleb()
                if kind == 0:
                    name = STARTUP_EXPORTS.get(name, name)
                entries.append(_name(name) + bytes([kind]) + _uleb(index))
            if info.start is not None:
                entries.append(_name(START_EXPORT) + b"\0" + _uleb(info.start))
            body = _uleb(len(entries)) + b"".join(entries)
        out += bytes([sid]) + _uleb(len(body)) + body
        r.pos = end
    return bytes(out)
