"""A builtin plugin (media) reached over the WebSocket: a real probe of a real file, and a domain error."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from reelkit import Kernel
from reelkit.kernel.ipc.auth import TokenTable
from reelkit.kernel.ipc.kernel_dispatch import KernelDispatcher
from reelkit.kernel.ipc.websocket import WebSocketServer

from .helpers import call, connect, run

FRONT = "frontend-token-abcdefghijkl"


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import imageio_ffmpeg

    out = tmp_path_factory.mktemp("ipc-media") / "clip.mp4"
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
                    "testsrc=size=160x120:rate=10:duration=1", "-pix_fmt", "yuv420p", str(out)], check=True)
    return out


def test_media_probe_over_ipc_with_a_media_only_token(tmp_path: Path, clip: Path) -> None:
    async def main() -> None:
        dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
        roots = {"paths": {"roots": [str(tmp_path), str(clip.parent)]}}  # IPC clients are confined to roots
        async with Kernel(settings={**dirs, **roots}, builtins=["media"], entry_points=False) as k:
            server = await WebSocketServer(KernelDispatcher(k), TokenTable({FRONT: ["media"]}), port=0).start()
            try:
                async with connect(server, token=FRONT) as ws:
                    info = (await call(ws, "media.probe", {"path": str(clip)}))["result"]
                    assert abs(info["duration"] - 1.0) < 0.15, info
                    bogus = tmp_path / "not-media.mp4"
                    bogus.write_bytes(b"this is not a video")
                    err = (await call(ws, "media.probe", {"path": str(bogus)}, rid=2))["error"]
                    assert err["code"] == -32000 and err["data"]["code"].startswith("media."), err
                    assert str(bogus) in err["message"]
                    denied = await call(ws, "kernel.plugins", rid=3)
                    assert denied["error"]["data"]["code"] == "permission.denied"
            finally:
                await server.close()

    run(main(), timeout=60)


def test_discover_document_of_every_builtin_is_self_contained(tmp_path: Path) -> None:
    """Every $ref in rpc.discover resolves inside the document, and every command is listed once."""

    async def main() -> None:
        dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
        async with Kernel(settings=dirs, builtins=True, entry_points=False) as k:
            server = await WebSocketServer(KernelDispatcher(k), TokenTable({FRONT: ["*"]}), port=0).start()
            try:
                async with connect(server, token=FRONT) as ws:
                    doc = (await call(ws, "rpc.discover"))["result"]
            finally:
                await server.close()
            names = [m["name"] for m in doc["methods"]]
            assert len(names) == len(set(names))
            assert {s.id for s in k.commands.list()} <= set(names)
            refs: list[str] = []

            def walk(node: object) -> None:
                if isinstance(node, dict):
                    if isinstance(node.get("$ref"), str):
                        refs.append(node["$ref"])
                    for v in node.values():
                        walk(v)
                elif isinstance(node, list):
                    for v in node:
                        walk(v)

            walk(doc)
            assert refs, "expected shared definitions"
            schemas = doc["components"]["schemas"]
            for ref in refs:
                assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref

    run(main(), timeout=60)


def test_secrets_over_ipc_need_their_own_grant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The default grants exclude reading secrets; a token granted security.secret_read gets the value."""
    from reelkit.kernel.ipc.settings import IpcSettings

    monkeypatch.setenv("REELKIT_SECURITY__PASSPHRASE", "correct horse battery staple")
    default = IpcSettings().grants
    reader = "reader-token-abcdefghijklmn"

    async def main() -> None:
        dirs = {k: str(tmp_path / k) for k in ("data_dir", "cache_dir", "config_dir")}
        async with Kernel(settings=dirs, builtins=["security"], entry_points=False) as k:
            tokens = TokenTable({FRONT: default, reader: ["security", "security.secret_read"]})
            server = await WebSocketServer(KernelDispatcher(k), tokens, port=0).start()
            try:
                async with connect(server, token=FRONT) as ws:
                    ok = await call(ws, "security.secret_set", {"name": "openai", "value": "sk-test-123"})
                    assert "result" in ok, ok
                    denied = await call(ws, "security.secret_get", {"name": "openai"}, rid=2)
                    assert denied["error"]["data"]["code"] == "permission.denied"
                async with connect(server, token=reader) as ws:
                    got = (await call(ws, "security.secret_get", {"name": "openai"}))["result"]
                    assert "sk-test-123" in str(got)
            finally:
                await server.close()

    run(main(), timeout=60)
