"""``reelkit plugins new NAME --lang c|assemblyscript``: a plugin that builds and passes its test."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from .errors import BuildFailed
from .manifest import HOST_API_VERSION
from .toolchain import AS_SDK

_MAJOR = HOST_API_VERSION.split(".")[0]

C_SOURCE = """\
/* {id}: a reelkit WASM plugin in C. Build: reelkit plugins build */
#include "reelkit.h"

/* Command {id}.greet: {{"name": "..."}} -> {{"greeting": "Hello, ...!"}} */
RK_EXPORT("greet") int32_t greet(void) {{
    rk_str in = rk_input();
    rk_str name = rk_json_string(rk_json_get(in, "name"));
    if (!name.ptr) return rk_fail("input needs a string field 'name'");
    rk_log(RK_INFO, "greeting someone");
    rk_buf greeting = {{0}};
    rk_buf_cat(&greeting, "Hello, ");
    rk_buf_put(&greeting, name.ptr, name.len);
    rk_buf_cat(&greeting, "!");
    rk_buf out = {{0}};
    rk_buf_cat(&out, "{{\\"greeting\\":");
    rk_buf_json_str(&out, rk_buf_str(&greeting));
    rk_buf_cat(&out, "}}");
    rk_output(rk_buf_str(&out));
    return 0;
}}
"""

AS_SOURCE = """\
// {id}: a reelkit WASM plugin in AssemblyScript. Build: reelkit plugins build
import {{ Host }} from "@extism/as-pdk";
import * as reelkit from "./reelkit";

// Called by the AssemblyScript runtime on a failed assertion: report it as the call's error.
function abort(message: string | null, fileName: string | null, line: u32, column: u32): void {{
  reelkit.fail("abort: " + (message ? message! : "") + " at " + (fileName ? fileName! : "?") + ":" + line.toString());
  unreachable();
}}

// Command {id}.greet: {{"name": "..."}} -> {{"greeting": "Hello, ...!"}}
export function greet(): i32 {{
  const name = reelkit.jsonGetString(Host.inputString(), "name");
  if (name == null) return reelkit.fail("input needs a string field 'name'");
  reelkit.log(reelkit.INFO, "greeting someone");
  Host.outputString('{{"greeting":' + reelkit.jsonString("Hello, " + name! + "!") + "}}");
  return 0;
}}
"""

TEST = '''\
"""{id}'s own test: build it, install it into a kernel, call its command."""

from pathlib import Path

from reelkit.sandbox.consent import permissions_digest
from reelkit.sandbox.manifest import load_manifest
from reelkit.sandbox.toolchain import build

HERE = Path(__file__).resolve().parent


async def test_greet(make_kernel):
    build(HERE)
    async with make_kernel(builtins=["sandbox"]) as k:
        # consent to exactly what the manifest asks for (a person reads it first, see docs/wasm-plugins.md)
        consent = permissions_digest(load_manifest(HERE))
        await k.invoke("sandbox.install", {{"path": str(HERE), "consent": consent}})
        assert await k.invoke("{id}.greet", {{"name": "reelkit"}}) == {{"greeting": "Hello, reelkit!"}}
'''

README = """\
# {name}

A reelkit WASM plugin ({lang}). Command `{id}.greet` answers `{{"greeting": "Hello, <name>!"}}`.

    reelkit plugins build            # compile; updates module.sha256 in plugin.json
    python -m pytest test_plugin.py  # build, install into a test kernel, call it
    reelkit plugins install .        # install into your reelkit
    reelkit plugins pack             # dist/{id}-0.1.0.rkp for the marketplace

Declare every permission the plugin needs in plugin.json, each with a reason: the person installing
it sees them. See docs/wasm-plugins.md.
"""


def plugin_id(name: str) -> str:
    pid = re.sub(r"[^a-z0-9_]", "_", name.strip().lower()).strip("_")
    if not re.match(r"^[a-z][a-z0-9_]{1,39}$", pid):
        raise BuildFailed(f"'{name}' does not make a plugin id: use 2–40 letters, digits and "
                          f"underscores, starting with a letter")
    return pid


def new_plugin(name: str, lang: str, parent: Path) -> Path:
    """Create ``parent/<name>`` with sources, manifest, README and a test; returns the directory."""
    pid = plugin_id(name)
    dest = Path(parent) / name
    if dest.exists():
        raise BuildFailed(f"{dest} already exists; pick another name or directory")
    manifest = {
        "id": pid, "name": name, "version": "0.1.0", "description": f"{name} (reelkit WASM plugin)",
        "authors": [], "license": "Apache-2.0", "publisher": "", "api": f">={_MAJOR}.0,<{int(_MAJOR) + 1}",
        "module": {"file": "plugin.wasm", "sha256": "0" * 64},
        "exports": [{
            "function": "greet", "summary": "Greet someone by name",
            "input_schema": {"type": "object", "properties": {"name": {"type": "string"}},
                             "required": ["name"], "additionalProperties": False},
            "output_schema": {"type": "object", "properties": {"greeting": {"type": "string"}},
                              "required": ["greeting"]},
        }],
        "permissions": {},
        "limits": {"memory_mb": 16, "time_ms": 1000},
    }
    dest.mkdir(parents=True)
    fmt = {"id": pid, "name": name, "lang": "C" if lang == "c" else "AssemblyScript"}
    if lang == "c":
        (dest / "plugin.c").write_text(C_SOURCE.format(**fmt))
    elif lang == "assemblyscript":
        (dest / "assembly").mkdir()
        (dest / "assembly" / "index.ts").write_text(AS_SOURCE.format(**fmt))
        shutil.copy(AS_SDK / "reelkit.ts", dest / "assembly" / "reelkit.ts")
        pkg = json.loads((AS_SDK / "package.json").read_text())
        pkg.update(name=pid.replace("_", "-"), description=f"{name} (reelkit WASM plugin)")
        pkg["scripts"] = {"build": "reelkit plugins build ."}
        (dest / "package.json").write_text(json.dumps(pkg, indent=2) + "\n")
        lock = json.loads((AS_SDK / "package-lock.json").read_text())
        lock["name"] = pkg["name"]
        lock["packages"][""]["name"] = pkg["name"]
        (dest / "package-lock.json").write_text(json.dumps(lock, indent=2) + "\n")
        (dest / ".gitignore").write_text("node_modules/\n*.wasm\ndist/\n")
    else:
        raise BuildFailed(f"unknown language '{lang}'; use c or assemblyscript")
    (dest / "plugin.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (dest / "README.md").write_text(README.format(**fmt))
    (dest / "test_plugin.py").write_text(TEST.format(**fmt))
    return dest
