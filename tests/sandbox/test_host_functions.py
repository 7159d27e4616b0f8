"""config_get: the plugin's own config, overrides from settings, and only granted kernel settings."""

from __future__ import annotations

from pathlib import Path

from .conftest import install, wat, write_plugin

ECHO_CONFIG = """(module
  (import "extism:host/env" "input_offset" (func $input (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $out (param i64 i64)))
  (import "reelkit:host/v1" "config_get" (func $config_get (param i64) (result i64)))
  (memory (export "memory") 1)
  (func (export "get") (result i32) (local $v i64)
    (local.set $v (call $config_get (call $input)))
    (if (i64.ne (local.get $v) (i64.const 0))
      (then (call $out (local.get $v) (call $length (local.get $v)))))
    (i32.const 0)))"""


async def test_config_get_sees_own_config_and_granted_settings_only(make_kernel, tmp_path: Path):
    d = write_plugin(tmp_path / "cfg", wat(ECHO_CONFIG), {
        "id": "cfgprobe", "exports": [{"function": "get"}],
        "config": {"greeting": "hi", "colour": "blue"},
        "permissions": {"settings": [{"pattern": "media.*", "reason": "reads media limits"}]}})
    settings = {"media": {"max_parallel": 3}, "security": {"token": "s3cret"},
                "sandbox": {"plugin_config": {"cfgprobe": {"colour": "red"}}}}
    async with make_kernel(builtins=["sandbox"], settings=settings) as k:
        await install(k, d)
        from reelkit.sandbox.service import SandboxService

        runtime = k.services.instances[SandboxService].loaded["cfgprobe"].plugin.runtime
        assert await runtime.call("get", b"greeting") == b"hi"
        assert await runtime.call("get", b"colour") == b"red"          # the install's override
        assert await runtime.call("get", b"media.max_parallel") == b"3"  # granted
        assert await runtime.call("get", b"security.token") == b""       # not granted: absent
        assert await runtime.call("get", b"nothing") == b""
