"""The security step of ``reelkit demo``: a throwaway vault in the demo's work dir (never the user's)."""

from __future__ import annotations

import json
import time
from typing import Any

from .errors import SecurityLocked, VaultCorrupt
from .store import SecretStore


async def run(demo: Any) -> None:
    path = demo.workdir / "security-demo.vault"
    for p in (path, path.with_name(path.name + ".lock")):
        p.unlink(missing_ok=True)
    store = SecretStore(backend="vault", vault_path=path, passphrase="demo passphrase")
    t0 = time.perf_counter()
    store.unlock()
    demo.say(f"vault created with Argon2id (t=3, p=4, 64 MiB) in {(time.perf_counter() - t0) * 1e3:.0f} ms: {path}")
    store.set("apikey.openai", "sk-demo-0000000000000000000000000000")
    store.set("apikey.anthropic", "sk-ant-demo-00000000000000000000000")
    demo.say("secrets (masked): " + ", ".join(f"{s.name}={s.masked}" for s in store.list()))
    try:
        SecretStore(backend="vault", vault_path=path, passphrase="not the passphrase").list()
    except SecurityLocked as e:
        demo.say(f"wrong passphrase → {e.code}")
    doc = json.loads(path.read_text())
    doc["entries"]["apikey.openai"]["ct"] = "A" + doc["entries"]["apikey.openai"]["ct"][1:]
    tampered = path.with_name("security-demo-tampered.vault")
    tampered.write_text(json.dumps(doc))
    try:
        SecretStore(backend="vault", vault_path=tampered, passphrase="demo passphrase").list()
    except VaultCorrupt as e:
        demo.say(f"tampered copy → {e.code}")
    status = await demo.invoke("security.oauth_status", {})
    demo.say("OAuth: " + ", ".join(f"{p.provider} {p.state}" for p in status.providers))
