"""Every command's input schema, fuzzed by a confined caller (issue 14): coded errors only, nothing outside.

The caller has grants other than everything (as an IPC client), so the kernel confines it to
``[paths] roots`` — a temporary root holding FIFOs, sockets, folders and symlinks that lead out of it.
Each command gets a bounded number of generated payloads (valid, hostile and malformed values); a job
is followed to its end. No call may end in ``command.failed`` (or a non-KernelError), no file outside the
root may change, and the kernel must be healthy afterwards.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from reelkit import Kernel
from reelkit.kernel.errors import KernelError
from reelkit.kernel.jobs import JobRef

from .untrusted import Fuzzer, LoopThread, make_root, path_pool, snapshot

EXAMPLES = int(os.environ.get("REELKIT_FUZZ_EXAMPLES", "20"))
GRANTS = ["*", "!security.secret_read"]
#: Commands that would reach the network (model downloads, OAuth, API-key validation) are not fuzzed here.
NETWORK = {"recognition.pull_model", "security.key_validate", "security.oauth_start", "security.oauth_complete",
           "security.oauth_refresh", "security.oauth_revoke", "security.oauth_login"}
GENERIC = {"command.failed", "kernel.error"}


def test_fuzz_every_command_schema_as_a_confined_caller(tmp_path: Path) -> None:
    root, outside, sockets = make_root(tmp_path)
    before_outside = snapshot(outside)
    dirs = {k: str(root / "kernel" / k) for k in ("data_dir", "cache_dir", "config_dir")}
    overrides = {**dirs, "paths": {"roots": [str(root)]}, "filesystem": {"roots": [str(root)]},
                 "security": {"backend": "vault", "vault_key": "passphrase", "passphrase": "fuzz-passphrase-0123",
                              "kdf_iterations": 1, "kdf_lanes": 1}}
    lt = LoopThread()
    kernel = Kernel(settings=overrides, entry_points=False)
    lt.run(kernel.start())
    generic: list[str] = []
    counts: dict[str, int] = {}
    try:
        pool = path_pool(root, outside)
        specs = [s for s in kernel.commands.list() if s.id not in NETWORK]
        assert len(specs) > 40

        async def call(command_id: str, payload: object) -> None:
            try:
                out = await kernel.invoke(command_id, payload, grants=GRANTS)
                if isinstance(out, JobRef):
                    try:
                        await kernel.wait(out.job_id, timeout=20)
                    except (TimeoutError, asyncio.TimeoutError):
                        kernel.jobs.cancel(out.job_id)
                        await kernel.jobs.wait(out.job_id, 20)
            except KernelError as e:
                counts[e.code] = counts.get(e.code, 0) + 1
                if e.code in GENERIC:
                    generic.append(f"{command_id} {payload!r:.300}: {e.code}: {e.message[:300]}")
            except Exception as e:  # anything but a KernelError reaching the caller is a bug
                generic.append(f"{command_id} {payload!r:.300}: {type(e).__name__}: {e}")

        def fuzzer(command_id: str, strategy: object):
            @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                      suppress_health_check=list(HealthCheck))
            @given(payload=strategy)
            def fuzz(payload: object) -> None:
                lt.run(call(command_id, payload), timeout=120)

            return fuzz

        for spec in specs:
            fuzzer(spec.id, Fuzzer(spec.input_schema(), pool).strategy())()
        health = lt.run(kernel.health())
    finally:
        lt.close(kernel.stop)
        for s in sockets:
            s.close()
    print("fuzz:", sum(counts.values()), "coded errors", sorted(counts.items(), key=lambda kv: -kv[1])[:25])
    assert not generic, f"{len(generic)} generic errors:\n" + "\n".join(generic[:40])
    assert snapshot(outside) == before_outside, "a file outside the root was touched"
    assert sorted(os.listdir(tmp_path)) == ["outside", "root"], "something was written beside the root"
    assert health["state"] != "error", health
    assert counts.get("path.outside_roots", 0) > 0 and counts.get("input.invalid", 0) > 0, counts
