"""The commands through a kernel: capabilities, events with names only, and no secret anywhere it should not be."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import httpx
import pytest
import structlog
from sec_fakes import CLIENT_SECRET, PASSPHRASE, security_settings

VALUE = "sk-proj-SuperSecretValue-7c1f9a2b44e0"
ECHOED_KEY = "sk-custom-EchoedKey-5d6e7f8a9b0c"


async def test_set_get_list_delete_and_events(make_kernel, events) -> None:
    async with make_kernel(builtins=["security"], settings=security_settings()) as k:
        rec = events(k, "security.*")
        ref = await k.invoke("security.secret_set", {"name": "apikey.openai", "value": VALUE})
        assert ref.backend == "vault"
        got = await k.invoke("security.secret_get", {"name": "apikey.openai"})
        assert got.value.get_secret_value() == VALUE
        assert got.model_dump(mode="json")["value"] == "**********"
        assert got.model_dump(mode="json", context={"reveal_secrets": True})["value"] == VALUE
        listing = await k.invoke("security.secret_list")
        assert [(s.name, s.masked) for s in listing.secrets] == [("apikey.openai", "****44e0")]
        health = await k.health()
        assert health["checks"]["security.secret_store"]["state"] == "ok"
        assert "unlocked" in health["checks"]["security.secret_store"]["detail"]
        assert (await k.invoke("security.secret_delete", {"name": "apikey.openai"})).deleted
        assert not (await k.invoke("security.secret_delete", {"name": "apikey.openai"})).deleted
        await rec.wait_for("security.secret.changed", count=2)
        assert [(e.name, e.action) for e in rec.events] == [("apikey.openai", "set"), ("apikey.openai", "deleted")]


async def test_secret_get_needs_its_own_capability(make_kernel) -> None:
    """A caller granted "security" manages secrets but cannot read one back; "security.secret_read" can."""
    async with make_kernel(builtins=["security"], settings=security_settings()) as k:
        await k.invoke("security.secret_set", {"name": "a", "value": VALUE}, grants=["security"])
        assert (await k.invoke("security.secret_list", grants=["security"])).secrets[0].name == "a"
        with pytest.raises(Exception) as ei:
            await k.invoke("security.secret_get", {"name": "a"}, grants=["security"])
        assert ei.value.code == "permission.denied" and "security.secret_read" in ei.value.message
        got = await k.invoke("security.secret_get", {"name": "a"}, grants=["security.secret_read"])
        assert got.value.get_secret_value() == VALUE
        with pytest.raises(Exception) as ei:
            await k.invoke("security.secret_set", {"name": "b", "value": "x"}, grants=["security.secret_read"])
        assert ei.value.code == "permission.denied"
        specs = {s.id: s.capability for s in k.commands.list()}
        assert specs["security.secret_get"] == "security.secret_read"
        assert {c for i, c in specs.items() if i.startswith("security.") and i != "security.secret_get"} == {"security"}


async def test_command_set_matches_the_issue(make_kernel) -> None:
    async with make_kernel(builtins=["security"], settings=security_settings()) as k:
        ids = {s.id for s in k.commands.list() if s.id.startswith("security.")}
        topics = {t.topic for t in k.events.list() if t.topic.startswith("security.")}
    assert ids == {f"security.{n}" for n in (
        "secret_set", "secret_get", "secret_delete", "secret_list", "key_validate", "oauth_start", "oauth_status",
        "oauth_refresh", "oauth_revoke", "lock", "unlock")}
    assert topics == {"security.secret.changed", "security.oauth.connected"}


async def test_lock_unlock_and_wrong_passphrase(make_kernel) -> None:
    async with make_kernel(builtins=["security"], settings=security_settings()) as k:
        await k.invoke("security.secret_set", {"name": "a", "value": VALUE})
        st = await k.invoke("security.lock")
        assert st.locked
        with pytest.raises(Exception) as ei:
            await k.invoke("security.secret_list")
        assert ei.value.code == "security.locked"
        with pytest.raises(Exception) as ei:
            await k.invoke("security.unlock", {"passphrase": "not it"})
        assert ei.value.code == "security.locked" and "passphrase" in ei.value.message
        st = await k.invoke("security.unlock", {"passphrase": PASSPHRASE, "new_passphrase": "rotated pass"})
        assert not st.locked and st.key_source == "argon2id" and st.unlock_ms > 0
        assert (await k.invoke("security.secret_get", {"name": "a"})).value.get_secret_value() == VALUE
    # a new process (kernel) with the old passphrase is refused; the new one opens it
    async with make_kernel(builtins=["security"], settings=security_settings()) as k:
        with pytest.raises(Exception) as ei:
            await k.invoke("security.secret_get", {"name": "a"})
        assert ei.value.code == "security.locked"
        await k.invoke("security.unlock", {"passphrase": "rotated pass"})
        assert (await k.invoke("security.secret_get", {"name": "a"})).value.get_secret_value() == VALUE


async def test_secrets_never_reach_logs_spans_events_or_errors(make_kernel, capsys, caplog, provider_api,
                                                                fake_provider) -> None:
    """Exercise every path that handles a value, then grep logs, spans, events and errors for it."""
    saved = structlog.get_config()
    try:
        await _exercise_and_grep(make_kernel, capsys, caplog, provider_api, fake_provider)
    finally:
        # the kernel binds structlog to the sys.stderr of its creation, capsys's here: unbind it
        structlog.configure(**saved)


async def _exercise_and_grep(make_kernel, capsys, caplog, provider_api, fake_provider) -> None:
    caplog.set_level(logging.DEBUG)
    fake = fake_provider("youtube")
    settings = security_settings(custom_base_url=f"{provider_api.url}/custom/v1", youtube=fake.settings())
    settings["telemetry"] = {"exporter": "memory", "log_level": "debug", "log_format": "json"}
    errors: list[Any] = []
    outputs: list[Any] = []
    async with make_kernel(builtins=["security"], settings=settings) as k:
        seen: list[Any] = []
        k.bus.subscribe("*", seen.append)

        async def call(cid: str, payload: Any = None) -> None:
            try:
                out = await k.invoke(cid, payload)
                if cid != "security.secret_get":
                    outputs.append(out.model_dump(mode="json"))
            except Exception as e:  # noqa: BLE001 — every error is inspected below
                errors.append(e)

        await call("security.secret_set", {"name": "apikey.openai", "value": VALUE})
        await call("security.secret_set", {"name": "bad name!", "value": VALUE})
        await call("security.secret_set", {"name": "x", "value": VALUE, "extra": 1})
        await call("security.secret_get", {"name": "apikey.openai"})
        await call("security.secret_list")
        await call("security.key_validate", {"provider": "custom", "key": ECHOED_KEY})
        await call("security.unlock", {"passphrase": "wrong " + VALUE})
        started = await k.invoke("security.oauth_start", {"provider": "youtube"})
        await asyncio.to_thread(httpx.get, started.authorization_url, follow_redirects=True)
        await call("security.oauth_status", {"provider": "youtube", "wait_s": 5})
        first = dict(fake.last_issued)
        await call("security.oauth_refresh", {"provider": "youtube", "force": True})
        await call("security.oauth_revoke", {"provider": "youtube"})
        await asyncio.sleep(0.05)
        spans = k.telemetry.span_exporter.get_finished_spans()
    secrets = [VALUE, ECHOED_KEY, PASSPHRASE, CLIENT_SECRET, first["access_token"], first["refresh_token"],
               fake.last_issued["access_token"]]
    captured = capsys.readouterr()
    haystacks = {
        "stderr/stdout logs": captured.err + captured.out,
        "stdlib logs": caplog.text,
        "events": json.dumps([e.model_dump(mode="json") for e in seen]),
        "spans": json.dumps([{"name": s.name, "attrs": dict(s.attributes or {}), "events": [
            (ev.name, dict(ev.attributes or {})) for ev in s.events], "status": s.status.description} for s in spans]),
        "errors": json.dumps([[str(e), repr(e), e.to_dict()] for e in errors], default=str),
        "outputs": json.dumps(outputs),
    }
    assert len(errors) == 3 and {e.code for e in errors} == {"security.name_invalid", "input.invalid",
                                                               "security.locked"}
    assert spans and seen and "secret set" in haystacks["stderr/stdout logs"]
    for where, text in haystacks.items():
        for s in secrets:
            assert s not in text, f"a secret reached the {where}"
