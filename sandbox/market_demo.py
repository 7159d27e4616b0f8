"""The marketplace's step of ``reelkit demo``: a signed index on loopback, an install, a refused update.

The example WASM plugins are built (Zig, from the ``ziglang`` wheel; without it the demo's own
WebAssembly-text plugin stands in), packed, signed into a fresh TUF index and served on
127.0.0.1. One is installed through ``sandbox.market_install``; then version 1.1.0, asking for one
more permission, is published: the update shows the difference and is refused without consent.
The source and the plugin are removed at the end.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

PASSPHRASE = "reelkit demo"  # demo keys only; real indexes read REELKIT_MARKET_PASSPHRASE
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "wasm"


def _packages(work: Path) -> list[Path]:
    """Packed example plugins (built with Zig), or the demo's WAT plugin when Zig is missing."""
    from .errors import KernelError
    from .package import pack
    from .toolchain import build

    out = []
    (work / "dist").mkdir(parents=True, exist_ok=True)
    for name in ("subtitle_caps", "timeline_lint", "event_tally"):
        if not (EXAMPLES / name).is_dir():
            continue
        dest = work / "src" / name
        shutil.copytree(EXAMPLES / name, dest, ignore=shutil.ignore_patterns("*.wasm", "dist", "node_modules"))
        try:
            build(dest)
        except KernelError:
            break
        out.append(pack(dest, work / "dist"))
    if not out:
        from .demo import plugin_files

        wasm, manifest = plugin_files()
        dest = work / "src" / "demo_sandbox"
        dest.mkdir(parents=True)
        (dest / "plugin.wasm").write_bytes(wasm)
        (dest / "plugin.json").write_text(json.dumps({**manifest, "publisher": "reelkit"}, indent=2))
        (dest / "README.md").write_text("# Sandbox demo\n")
        out.append(pack(dest, work / "dist"))
    return out


def _bump(src: Path, work: Path) -> Path:
    """Version 1.1.0 of the plugin in ``src``, asking for one more permission."""
    from .package import pack

    dest = work / "src" / f"{src.name}-1.1.0"
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("dist"))
    man = json.loads((dest / "plugin.json").read_text())
    man["version"] = "1.1.0"
    grants = man.setdefault("permissions", {}).setdefault("commands", [])
    if any(g["pattern"] == "kernel.health" for g in grants):
        grants.append({"pattern": "kernel.commands", "reason": "Lists the commands it could call"})
    else:
        grants.append({"pattern": "kernel.health", "reason": "Reports the kernel's health beside its results"})
    (dest / "plugin.json").write_text(json.dumps(man, indent=2))
    return pack(dest, work / "dist")


async def run(demo: Any) -> None:
    from reelkit.sdk import KernelError

    from .market_index import Index
    from .market_serve import StaticServer
    from .package import read_package

    work = demo.workdir / "marketplace"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    packages = _packages(work)
    index = Index.init(work / "index", work / "keys", PASSPHRASE, root_keys=3, threshold=2)
    key = index.add_publisher("reelkit")
    index.publish(packages, key)
    first = read_package(packages[0])[0]
    demo.say(f"market: signed a TUF index of {len(packages)} plugin(s) (root 2 of 3 keys, publisher "
             f"'reelkit' delegated reelkit/*/*)")
    with StaticServer(index.dir) as srv:
        await demo.invoke("sandbox.market_source_add", {"url": srv.url, "root": str(index.meta_dir / "1.root.json"),
                                                        "name": "demo"})
        try:
            hits = (await demo.invoke("sandbox.market_search", {"query": ""})).results
            demo.say(f"market: {srv.url} offers " + ", ".join(f"{h['name']} {h['version']}" for h in hits))
            ref = await demo.invoke("sandbox.market_install", {"name": first.id})
            try:
                out = await demo.wait(ref)
            except KernelError as e:
                if e.code != "sandbox.consent_required":
                    raise
                demo.say(f"market: {first.id} asks for " + "; ".join(
                    f"{p['kind']} {p['value']} ({p['reason']})" for p in e.details["permissions"]) + " — granted")
                out = await demo.wait(await demo.invoke("sandbox.market_install",
                                                        {"name": first.id, "consent": e.details["digest"]}))
            demo.say(f"market: installed [bold]{out.name} {out.version}[/] (downloaded and verified through TUF)")
            src_dir = work / "src" / first.id
            index.publish([_bump(src_dir, work)], key)
            demo.say(f"market: the publisher signed {first.id} 1.1.0, which asks for one more permission")
            try:
                await demo.wait(await demo.invoke("sandbox.market_update", {"name": first.id}))
                raise AssertionError("the update was installed without consent")
            except KernelError as e:
                if e.code != "sandbox.consent_required":
                    raise
                diff = e.details["diff"]
                for p in diff["added"]:
                    demo.say(f"market:   + {p['kind']} {p['value']}: {p['reason']}")
                for w in diff["widened"]:
                    demo.say(f"market:   ^ {w['old']['value']} => {w['new']['value']}: {w['new']['reason']}")
                demo.say(f"market: update refused without consent ({e.code}); still active: "
                         f"{(await demo.invoke('sandbox.info', {'id': first.id})).plugin['version']}")
        finally:
            if first.id in [p.id for p in (await demo.invoke("sandbox.list", {})).plugins]:
                await demo.invoke("sandbox.remove", {"id": first.id})
            await demo.invoke("sandbox.market_source_remove", {"name": "demo"})
            demo.say("market: removed the plugin and the demo source")
