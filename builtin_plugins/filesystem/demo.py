"""The filesystem step of `reelkit demo`: roots, an atomic write, a listing, a watch, a refusal."""

from __future__ import annotations

import asyncio
from typing import Any

from reelkit.sdk import PermissionDenied


async def run(demo: Any) -> None:
    roots = await demo.invoke("filesystem.roots", {})
    demo.say("roots: " + ", ".join(r.path for r in roots.roots))
    workdir = demo.workdir.resolve()
    try:
        await demo.invoke("filesystem.mkdir", {"path": str(workdir)})
    except PermissionDenied as e:
        # The demo's work dir is not under a root: confinement at work, not a failure.
        demo.say(f"work dir {workdir} refused as designed ({e.code}); add it to \\[filesystem] roots to use it")
        return
    seen: list[str] = []
    sub = demo.kernel.bus.subscribe("filesystem.file.changed", lambda ev: seen.append(f"{ev.change} {ev.path}"))
    watch = await demo.invoke("filesystem.watch", {"path": str(workdir), "recursive": False})
    try:
        note = workdir / "README.txt"
        await demo.invoke(
            "filesystem.write_text",
            {"path": str(note), "text": "Outputs of `reelkit demo`: sample media, renders, subtitles.\n"},
        )
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.02)
        listing = await demo.invoke("filesystem.list", {"path": str(workdir)})
        demo.say(f"wrote {note.name} atomically; {workdir} holds {len(listing.entries)} entries")
        demo.say("watch saw: " + ("; ".join(seen) or "nothing yet"))
    finally:
        await demo.invoke("filesystem.unwatch", {"watch_id": watch.watch_id})
        sub.dispose()
    try:
        await demo.invoke("filesystem.read_text", {"path": "/etc/passwd"})
        demo.say("/etc/passwd is inside a root: it was readable")
    except PermissionDenied as e:
        demo.say(f"/etc/passwd refused: {e.code}")
