"""JSON-RPC parsing, error mapping, auth helpers and settings, as pure functions."""

from __future__ import annotations

import json
import os
import stat

import pytest

from reelkit.kernel.errors import InputInvalid, KernelError, PermissionDenied
from reelkit.kernel.ipc import protocol as p
from reelkit.kernel.ipc.auth import TokenTable, origin_allowed, token_from_request, write_token_file
from reelkit.kernel.ipc.schemas import SchemaSet
from reelkit.kernel.ipc.settings import IpcSettings


def test_requests_notifications_and_ids() -> None:
    (req,) = p.parse('{"jsonrpc":"2.0","method":"a.b","params":[1],"id":"x"}').items
    assert (req.method, req.params, req.id, req.notification) == ("a.b", [1], "x", False)
    (note,) = p.parse('{"jsonrpc":"2.0","method":"a.b"}').items
    assert note.notification and note.params is None
    (null_id,) = p.parse('{"jsonrpc":"2.0","method":"a.b","id":null}').items
    assert isinstance(null_id, p.Request) and not null_id.notification  # answered, with id null
    (frac,) = p.parse(b'{"jsonrpc":"2.0","method":"a.b","id":1.5}').items
    assert frac.id == 1.5


@pytest.mark.parametrize("text", [
    '{"jsonrpc":"1.0","method":"a","id":1}', '{"method":"a","id":1}', '{"jsonrpc":"2.0","id":1}',
    '{"jsonrpc":"2.0","method":"a","params":3,"id":1}', '{"jsonrpc":"2.0","method":"a","id":true}',
    '{"jsonrpc":"2.0","method":"a","id":[1]}',
])
def test_invalid_requests(text: str) -> None:
    (item,) = p.parse(text).items
    assert isinstance(item, p.Invalid) and item.error.code == p.INVALID_REQUEST
    assert item.id in (1, None)


def test_hostile_input_never_raises() -> None:
    for text in ("", "[", "{" * 50_000, "[" * 50_000 + "]" * 50_000, '{"a":Infinity}', b"\xff\xfe", "1e999999"):
        (item,) = p.parse(text).items
        assert isinstance(item, p.Invalid), text[:10]
    deep = json.dumps({"jsonrpc": "2.0", "method": "x", "id": 7, "params": [[[[[[[[1]]]]]]]]})
    (item,) = p.parse(deep, max_depth=5).items
    assert item.error.kind == "ipc.too_deep" and item.id == 7
    big = json.dumps([{"jsonrpc": "2.0", "method": "x", "id": i} for i in range(5)])
    assert p.parse(big, max_batch=4).items[0].error.kind == "ipc.batch_too_large"
    assert len(p.parse(big, max_batch=5).items) == 5


def test_kernel_errors_map_to_stable_codes_with_the_string_in_data() -> None:
    err = p.error_from_exception(PermissionDenied("no", details={"command": "x.y"}))
    assert err.to_object() == {"code": -32001, "message": "no",
                               "data": {"code": "permission.denied", "details": {"command": "x.y"}}}
    assert p.error_from_exception(InputInvalid("bad")).code == p.INVALID_PARAMS
    assert p.error_from_exception(KernelError("x", code="media.unreadable")).code == p.SERVER_ERROR
    internal = p.error_from_exception(RuntimeError("password=hunter2"))
    assert internal.code == p.INTERNAL_ERROR and "hunter2" not in internal.message
    assert len(set(p.RPC_CODES.values()) - {p.SERVER_ERROR}) == len(p.RPC_CODES) - 1  # no code shared
    assert all(-32099 <= c <= -32000 for k, c in p.RPC_CODES.items() if k not in ("command.not_found", "input.invalid"))


def test_tokens_origins_and_the_token_file(tmp_path) -> None:
    table = TokenTable({"a" * 32: ["media"], "b" * 32: ["*"]})
    assert table.grants_for("a" * 32) == ("media",)
    assert table.grants_for("a" * 31) is None and table.grants_for(None) is None and table.grants_for("") is None
    assert token_from_request("/", {"Authorization": "Bearer xyz"}) == "xyz"
    assert token_from_request("/?token=q%2Bw&x=1", {}) == "q+w"
    assert token_from_request("/", {}) is None
    allowed = ["tauri://localhost", "http://localhost:*"]
    assert origin_allowed(None, allowed) and origin_allowed("http://localhost:5173", allowed)
    assert origin_allowed("TAURI://localhost", allowed)
    assert not origin_allowed("https://evil.example", allowed)
    assert not origin_allowed("http://localhost.evil.example", allowed)
    path = write_token_file(tmp_path / "d" / "token", "secret-token")
    assert path.read_text() == "secret-token\n" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [f.name for f in path.parent.iterdir()] == ["token"]  # no temporary file left behind


def test_settings_keep_the_server_on_loopback() -> None:
    assert IpcSettings().host == "127.0.0.1"
    assert IpcSettings(host="::1").host == "::1"
    with pytest.raises(ValueError, match="allow_remote"):
        IpcSettings(host="0.0.0.0")
    assert IpcSettings(host="0.0.0.0", allow_remote=True).host == "0.0.0.0"
    with pytest.raises(ValueError, match="shorter than 16"):
        IpcSettings(tokens={"short": ["*"]})
    with pytest.raises(ValueError):
        IpcSettings(token="short")


def test_schema_set_merges_defs_and_renames_conflicts() -> None:
    s = SchemaSet("#/c/")
    a = s.add({"properties": {"o": {"$ref": "#/$defs/Opt"}}, "$defs": {"Opt": {"type": "string"}}})
    b = s.add({"properties": {"o": {"$ref": "#/$defs/Opt"}}, "$defs": {"Opt": {"type": "string"}}})
    c = s.add({"properties": {"o": {"$ref": "#/$defs/Opt"}}, "$defs": {"Opt": {"type": "number"}}})
    assert a == b == {"properties": {"o": {"$ref": "#/c/Opt"}}}
    assert c == {"properties": {"o": {"$ref": "#/c/Opt2"}}}
    assert s.defs == {"Opt": {"type": "string"}, "Opt2": {"type": "number"}}


def test_importing_the_package_stays_light() -> None:
    """`import kernel.ipc` loads neither websockets nor anything heavy."""
    import subprocess
    import sys

    code = "import sys, kernel.ipc; print(sorted(m for m in ('websockets', 'av', 'numpy', 'onnxruntime') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
