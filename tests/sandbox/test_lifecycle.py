"""Install, list, info, disable, enable, reload (hot), replace, pack and remove — through commands."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import install

from reelkit.kernel.errors import CommandNotFound, KernelError

pytestmark = pytest.mark.timeout(120)


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


async def test_install_disable_enable_remove_leaves_nothing(make_kernel, built):
    async with make_kernel(builtins=["sandbox"]) as k:
        data, cache = Path(k.paths.data_dir), Path(k.paths.cache_dir)
        before_data, before_cache = _tree(data), _tree(cache)
        before_commands = {c for c in k.commands.ids()} if hasattr(k.commands, "ids") else None
        out = await install(k, built("event_tally"))
        assert (out.id, out.state, out.commands) == ("event_tally", "active", ["event_tally.stats", "event_tally.reset"])
        assert k.plugins.get("event_tally").state == "active"
        assert "event_tally.wasm" in (await k.health())["checks"]

        info = (await k.invoke("sandbox.info", {"id": "event_tally"})).plugin
        assert info["permissions"]["storage"]["reason"].startswith("Keeps the running tally")
        assert info["limits"]["memory_mb"] == 8 and info["state"] == "active"

        out = await k.invoke("sandbox.disable", {"id": "event_tally"})
        assert (out.state, out.enabled) == ("disabled", False)
        with pytest.raises(CommandNotFound):
            await k.invoke("event_tally.stats", {})
        assert "event_tally" not in k.plugins

        out = await k.invoke("sandbox.enable", {"id": "event_tally"})
        assert out.state == "active"
        assert (await k.invoke("event_tally.stats", {}))["total"] == 0

        await k.invoke("sandbox.remove", {"id": "event_tally"})
        with pytest.raises(CommandNotFound):
            await k.invoke("event_tally.stats", {})
        assert "event_tally" not in k.plugins
        assert "event_tally.wasm" not in (await k.health())["checks"]
        assert (await k.invoke("sandbox.list", {})).plugins == []
        assert [p for p in _tree(data) if p not in before_data] == ["wasm-plugins/state.json"]
        assert json.loads((data / "wasm-plugins" / "state.json").read_text()) == {}
        assert [p for p in _tree(cache) if p not in before_cache and not p.endswith("wasm-modules")] == []
        if before_commands is not None:
            assert set(k.commands.ids()) == before_commands
        with pytest.raises(KernelError) as err:
            await k.invoke("sandbox.info", {"id": "event_tally"})
        assert err.value.code == "sandbox.not_installed"


async def test_reload_and_replace_swap_the_running_plugin(make_kernel, plugin_copy, built):
    src = plugin_copy("subtitle_caps")
    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, src)
        assert (await k.invoke("subtitle_caps.transform", {"srt": "ab"}))["srt"] == "AB"
        with pytest.raises(KernelError) as err:
            await install(k, src)
        assert err.value.code == "sandbox.already_installed"

        # a new version changing the configured default: replace swaps it hot
        man = json.loads((src / "plugin.json").read_text())
        man.update(version="1.1.0", config={"mode": "lower"})
        (src / "plugin.json").write_text(json.dumps(man))
        out = await install(k, src, replace=True)
        assert out.version == "1.1.0"
        assert (await k.invoke("subtitle_caps.transform", {"srt": "AB"}))["srt"] == "ab"

        # reload re-reads the installed files; a tampered module is refused and reported
        installed = Path(k.paths.data_dir) / "wasm-plugins" / "subtitle_caps"
        (installed / "plugin.wasm").write_bytes((installed / "plugin.wasm").read_bytes() + b"\0")
        with pytest.raises(KernelError) as err:
            await k.invoke("sandbox.reload", {"id": "subtitle_caps"})
        assert err.value.code == "sandbox.hash_mismatch"
        listed = (await k.invoke("sandbox.list", {})).plugins[0]
        assert listed.state == "failed" and "sha256" in listed.error
        assert "failed" in (await k.health())["checks"]["sandbox.plugins"]["detail"]
        with pytest.raises(CommandNotFound):
            await k.invoke("subtitle_caps.transform", {"srt": "x"})
        shutil.copy(src / "plugin.wasm", installed / "plugin.wasm")
        out = await k.invoke("sandbox.reload", {"id": "subtitle_caps"})
        assert out.state == "active" and out.error is None


async def test_pack_then_install_the_package(make_kernel, plugin_copy, tmp_path):
    src = plugin_copy("timeline_lint")
    async with make_kernel(builtins=["sandbox"]) as k:
        packed = await k.invoke("sandbox.pack", {"path": str(src), "output": str(tmp_path)})
        assert packed.path.endswith("timeline_lint-1.0.0.rkp") and packed.size > 0
        out = await install(k, packed.path)
        assert out.commands == ["timeline_lint.lint"]
        installed = Path(k.paths.data_dir) / "wasm-plugins" / "timeline_lint"
        assert sorted(p.name for p in installed.iterdir()) == ["README.md", "plugin.json", "plugin.wasm"]


async def test_a_broken_installed_plugin_does_not_stop_the_others(make_kernel, built):
    async with make_kernel(builtins=["sandbox"]) as k:
        await install(k, built("subtitle_caps"))
        await install(k, built("event_tally"))
        wasm = Path(k.paths.data_dir) / "wasm-plugins" / "event_tally" / "plugin.wasm"
    wasm.write_bytes(b"\0asm garbage")
    async with make_kernel(builtins=["sandbox"]) as k:
        assert (await k.invoke("subtitle_caps.transform", {"srt": "ok"}))["srt"] == "OK"
        states = {p.id: p.state for p in (await k.invoke("sandbox.list", {})).plugins}
        assert states == {"event_tally": "failed", "subtitle_caps": "active"}
        health = await k.health()
        assert health["checks"]["sandbox.plugins"]["state"] == "warn"


@pytest.mark.parametrize("taken", ["sandbox", "media", "kernel"])
async def test_plugin_id_may_not_take_a_builtin_namespace(make_kernel, plugin_copy, taken):
    d = plugin_copy("subtitle_caps", id=taken)
    async with make_kernel(builtins=["sandbox"]) as k:  # media is not loaded here, and still reserved
        with pytest.raises(KernelError) as err:
            await install(k, d)
        assert err.value.code == "sandbox.already_installed" and "builtin" in err.value.message
        assert k.plugins.get("sandbox").state == "active"
        assert (await k.invoke("sandbox.list", {})).plugins == []


