"""The generated TypeScript: compiled by tsc (from npm, tests/js) and run under Node against a live server."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from reelkit import Kernel
from reelkit.kernel.ipc.auth import TokenTable
from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
from reelkit.kernel.ipc.typescript import generate, ts_type
from reelkit.kernel.ipc.websocket import WebSocketServer

from .helpers import run
from .ipc_plugin import PLUGIN

REPO = Path(__file__).resolve().parents[2]
TSC = REPO / "tests" / "js" / "node_modules" / ".bin" / "tsc"
HERE = Path(__file__).parent / "ts"
TOKEN, FRONT = "node-token-abcdefghijklmnop", "node-front-abcdefghijklmnop"
TSC_ARGS = ["--strict", "--target", "es2022", "--module", "commonjs", "--lib", "es2022,dom", "--skipLibCheck"]


def _tools() -> tuple[str, Path]:
    node = shutil.which("node")
    if node is None or not TSC.exists():
        pytest.fail("Node and tests/js/node_modules are needed: run `make test` (it runs npm ci in tests/js)")
    return node, TSC


def _node_flags(node: str) -> list[str]:
    """Node 20 has WebSocket behind a flag; 22+ has it by default (and may drop the flag)."""
    probe = subprocess.run([node, "-e", "process.exit(typeof WebSocket === 'undefined' ? 1 : 0)"])
    return [] if probe.returncode == 0 else ["--experimental-websocket"]


def _kernel(tmp_path: Path) -> Kernel:
    dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
    return Kernel(settings=dirs, builtins=False, plugins=[PLUGIN], entry_points=False)


def _bindings(tmp_path: Path, k: Kernel) -> Path:
    d = KernelDispatcher(k)
    work = tmp_path / "ts"
    work.mkdir(exist_ok=True)
    (work / "reelkit.ts").write_text(generate(d.methods(), d.events(), version="test"), encoding="utf-8")
    for name in ("client_run.ts", "misuse.ts"):
        shutil.copy(HERE / name, work / name)
    return work


def test_schema_to_typescript_types() -> None:
    """The mapping of JSON Schema constructs to TypeScript."""
    assert ts_type({"type": "string"}) == "string"
    assert ts_type({"anyOf": [{"type": "integer"}, {"type": "null"}]}) == "number | null"
    assert ts_type({"enum": ["a", "b"]}) == '"a" | "b"'
    assert ts_type({"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}}) == "(string | number)[]"
    assert ts_type({"type": "array", "prefixItems": [{"type": "string"}, {"type": "number"}]}) == "[string, number]"
    assert ts_type({"$ref": "#/$defs/media_Info"}) == "MediaInfo"
    assert ts_type({"type": "object", "additionalProperties": {"type": "number"}}) == "{\n  [key: string]: number;\n}"
    assert ts_type({"type": "object", "properties": {"a-b": {"type": "boolean"}}, "required": ["a-b"],
                    "additionalProperties": False}) == '{\n  "a-b": boolean;\n}'
    assert ts_type({"type": "object", "properties": {}, "additionalProperties": False}) == "Record<string, never>"


def test_generated_client_compiles_and_runs_under_node(tmp_path: Path) -> None:
    node, tsc = _tools()

    async def main() -> None:
        async with _kernel(tmp_path) as k:
            work = _bindings(tmp_path, k)
            proc = await asyncio.create_subprocess_exec(
                str(tsc), *TSC_ARGS, "--outDir", "out", "client_run.ts", "reelkit.ts", cwd=work,
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
            out, _ = await asyncio.wait_for(proc.communicate(), 120)
            assert proc.returncode == 0, out.decode()
            server = await WebSocketServer(KernelDispatcher(k), TokenTable({TOKEN: ["*"], FRONT: ["ipcdemo"]}),
                                           host="127.0.0.1", port=0).start()
            try:
                env = {**os.environ, "NODE_NO_WARNINGS": "1"}
                proc = await asyncio.create_subprocess_exec(
                    node, *_node_flags(node), "out/client_run.js", server.url, TOKEN, FRONT, cwd=work,
                    env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
                out, err = await asyncio.wait_for(proc.communicate(), 60)
                assert proc.returncode == 0, (out.decode(), err.decode())
                result = json.loads(out.decode().strip().splitlines()[-1])
                assert result["ok"] is True and result["total"] == 42 and result["progress"] >= 1
            finally:
                await server.close()

    run(main(), timeout=200)


def test_misuse_of_the_bindings_fails_to_compile(tmp_path: Path) -> None:
    """Wrong params, unknown command ids, wrong result types and unknown event fields are compile errors."""
    _, tsc = _tools()

    async def main() -> Path:
        async with _kernel(tmp_path) as k:
            return _bindings(tmp_path, k)

    work = run(main())
    proc = subprocess.run([str(tsc), *TSC_ARGS, "--noEmit", "misuse.ts", "reelkit.ts"], cwd=work,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0
    source = (work / "misuse.ts").read_text().splitlines()
    expected = {i + 1 for i, line in enumerate(source) if "MISUSE-" in line}
    failed = {int(m.group(1)) for m in re.finditer(r"misuse\.ts\((\d+),\d+\): error", proc.stdout)}
    assert failed == expected, proc.stdout
    assert "reelkit.ts(" not in proc.stdout, proc.stdout  # the generated file itself is clean


def _doc_example() -> str:
    """The TypeScript example of docs/ipc.md as a module (its statements inside an async function)."""
    text = (REPO / "docs" / "ipc.md").read_text(encoding="utf-8")
    code = text.split("```ts\n", 1)[1].split("```", 1)[0]
    imports = [line for line in code.splitlines() if line.startswith("import ")]
    body = [line for line in code.splitlines() if not line.startswith("import ")]
    return "\n".join(imports + [
        "declare const token: string;",
        "declare const project: { [key: string]: unknown };",
        "declare function show(x: unknown): void;",
        "declare function done(x: unknown): void;",
        "export async function example(): Promise<void> {",
        *body,
        "}",
    ]) + "\n"


def test_bindings_for_every_builtin_command_compile(tmp_path: Path) -> None:
    """The real schemas of every builtin plugin's commands and events produce a module tsc accepts, and
    the example in docs/ipc.md type-checks against it."""
    _, tsc = _tools()

    async def main() -> str:
        dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
        async with Kernel(settings=dirs, builtins=True, entry_points=False) as k:
            d = KernelDispatcher(k)
            assert len(d.methods()) > 10
            return generate(d.methods(), d.events(), version="test")

    (tmp_path / "reelkit.ts").write_text(run(main()), encoding="utf-8")
    (tmp_path / "example.ts").write_text(_doc_example(), encoding="utf-8")
    proc = subprocess.run([str(tsc), *TSC_ARGS, "--noEmit", "reelkit.ts", "example.ts"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout
