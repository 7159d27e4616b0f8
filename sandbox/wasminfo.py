"""Read a WebAssembly module's imports and exports without compiling it.

Used at install time to refuse a module that lacks a declared export or imports a host
function its manifest was not granted, before any code is compiled.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import ModuleInvalid

_KINDS = {0: "func", 1: "table", 2: "memory", 3: "global", 4: "tag"}
_BULK = re.compile(rb"\xfc[\x08-\x11]")  # prefix 0xFC, sub-opcodes 8–17: memory.init … table.fill


@dataclass(frozen=True)
class ModuleInfo:
    imports: frozenset[tuple[str, str]]   # (module, name) of imported functions
    exports: frozenset[str]               # exported function names
    bulk_memory: bool = False             # the code may hold memory.copy/fill, table.copy/…

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

    def limits(self) -> None:
        flags = self.uleb()
        self.uleb()
        if flags & 1:
            self.uleb()


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
    try:
        r = _Reader(data, 8)
        while r.pos < len(data):
            sid = r.byte()
            size = r.uleb()
            end = r.pos + size
            if end > len(data):
                raise ValueError(f"section {sid} runs past the end of the file")
            s = _Reader(data, r.pos, end)
            if sid == 2:
                for _ in range(s.uleb()):
                    mod, name, kind = s.name(), s.name(), s.byte()
                    if kind == 0:
                        s.uleb()
                        imports.add((mod, name))
                    elif kind == 1:
                        s.byte()
                        s.limits()
                    elif kind == 2:
                        s.limits()
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
                    s.uleb()
                    if _KINDS.get(kind) == "func":
                        exports.add(name)
            elif sid == 10:
                bulk = _BULK.search(data, r.pos, end) is not None
            r.pos = end
    except (ValueError, UnicodeDecodeError) as e:
        raise ModuleInvalid(f"{source}: corrupt WebAssembly module ({e}); rebuild it",
                            details={"file": source}) from e
    return ModuleInfo(frozenset(imports), frozenset(exports), bulk)
