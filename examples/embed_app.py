"""Embedding reelkit in an application: boot the kernel, listen to every event, invoke commands.

    .venv/bin/python examples/embed_app.py [DIRECTORY]

DIRECTORY (default: a fresh temporary one) becomes the only filesystem root, so the app can touch
nothing else. The script lists it, watches it, writes a file into it, translates a few messages,
asks for the kernel's health, and prints every event it receives on the way. It exits 0 when every
command answered, 1 otherwise.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from reelkit import Kernel, KernelError


def show(label: str, model: object) -> None:
    data = model.model_dump(mode="json") if hasattr(model, "model_dump") else model
    print(f"{label:<21} {json.dumps(data, ensure_ascii=False, sort_keys=True)}", flush=True)


async def main(directory: Path) -> int:
    received: list[str] = []

    def on_event(event: object) -> None:
        # Subscribers run on their own task: a slow one never blocks the kernel or the others.
        received.append(event.topic)  # type: ignore[attr-defined]
        show(f"event {event.topic}", event)  # type: ignore[attr-defined]

    async with Kernel(settings={"filesystem": {"roots": [str(directory)]}}) as kernel:
        kernel.bus.subscribe("*", on_event)

        plugins = await kernel.invoke("kernel.plugins", {})
        show("plugins", {p.name: p.state for p in plugins.plugins})

        show("filesystem.list", await kernel.invoke("filesystem.list", {"path": str(directory)}))
        watch = await kernel.invoke("filesystem.watch", {"path": str(directory)})
        show("filesystem.watch", watch)
        await kernel.invoke("filesystem.write_text", {"path": str(directory / "hello.srt"), "text": "1\n"})
        for _ in range(200):  # the watch reports the new file within its debounce window
            if "filesystem.file.changed" in received:
                break
            await asyncio.sleep(0.01)
        await kernel.invoke("filesystem.unwatch", {"watch_id": watch.watch_id})

        for locale, count in (("en", 1), ("de", 3), ("ru", 5), ("ja", 2)):
            text = await kernel.invoke(
                "language.translate", {"key": "filesystem.files", "params": {"count": count}, "locale": locale}
            )
            show(f"translate {locale} {count}", text)

        try:
            await kernel.invoke("filesystem.read_text", {"path": "/etc/hostname"})
        except KernelError as e:  # outside the root: refused, with a stable code
            show("refused", e.to_dict())

        health = await kernel.invoke("kernel.health", {})
        show("kernel.health", health)
        await kernel.bus.drain()

    print(f"events received: {len(received)} ({', '.join(sorted(set(received)))})", flush=True)
    return 0


def run() -> int:
    if len(sys.argv) > 1:
        return asyncio.run(main(Path(sys.argv[1]).resolve()))
    with tempfile.TemporaryDirectory(prefix="reelkit-embed-") as tmp:
        return asyncio.run(main(Path(tmp)))


if __name__ == "__main__":
    try:
        sys.exit(run())
    except KernelError as e:
        print(json.dumps(e.to_dict()), file=sys.stderr)
        sys.exit(1)
