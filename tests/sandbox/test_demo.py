"""The sandbox's demo step runs end to end and leaves nothing installed."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from reelkit.kernel.demo import DemoContext
from reelkit.sandbox.plugin import reelkit_demo


async def test_demo_step(make_kernel, tmp_path: Path):
    out = io.StringIO()
    async with make_kernel(builtins=["sandbox"]) as k:
        await reelkit_demo(demo=DemoContext(k, tmp_path / "demo", Console(file=out, width=200)))
        text = out.getvalue()
        assert '{"sandboxed": true, "written_in": "WebAssembly text"}' in text
        assert "(sandbox.timeout)" in text and "(permission.denied)" in text
        assert (await k.invoke("sandbox.list", {})).plugins == []
        assert "demo_sandbox" not in k.plugins
