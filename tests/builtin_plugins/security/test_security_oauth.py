"""OAuth 2.0 + PKCE against a local authorisation server playing Google (YouTube), TikTok and Instagram."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sec_fakes import CLIENT_ID, security_settings


def oauth_settings(fake: Any, **extra: Any) -> dict[str, Any]:
    return security_settings(**{fake.provider: fake.settings()}, http_timeout_s=0.5, **extra)


def browse(url: str) -> httpx.Response:
    """The user's browser: open the authorisation URL and follow the redirect to the loopback server."""
    return httpx.get(url, follow_redirects=True, timeout=10)


async def connect(k: Any, provider: str) -> tuple[Any, httpx.Response, Any]:
    started = await k.invoke("security.oauth_start", {"provider": provider})
    page = await asyncio.to_thread(browse, started.authorization_url)
    status = await k.invoke("security.oauth_status", {"provider": provider, "wait_s": 5})
    return started, page, status.providers[0]


async def stored_token(k: Any, provider: str) -> dict[str, Any] | None:
    try:
        out = await k.invoke("security.secret_get", {"name": f"oauth.{provider}"})
    except Exception as e:
        assert e.code == "security.secret_not_found"
        return None
    return json.loads(out.value.get_secret_value())


@pytest.mark.parametrize("provider", ["youtube", "tiktok", "instagram"])
async def test_connect_with_pkce_stores_tokens(make_kernel, events, fake_provider, provider: str) -> None:
    fake = fake_provider(provider)
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        rec = events(k, "security.*")
        started, page, st = await connect(k, provider)
        assert page.status_code == 200 and "connected" in page.text
        q = fake.authorize_queries[0]
        assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
        assert q["redirect_uri"].startswith("http://127.0.0.1:") and q["redirect_uri"].endswith("/callback")
        assert q[fake.client_param] == CLIENT_ID
        if provider == "youtube":
            assert q["access_type"] == "offline" and " " in q["scope"]
        else:
            assert "," in q["scope"]
        form = fake.token_requests[0]
        assert 43 <= len(form["code_verifier"]) <= 128 and form["grant_type"] == "authorization_code"
        assert st.state == "connected" and st.expires_at and st.expires_at > time.time() + 3000
        assert st.has_refresh_token == (provider != "instagram")  # Instagram refreshes the token itself
        token = await stored_token(k, provider)
        assert token["access_token"] == fake.last_issued["access_token"]
        ev = await rec.wait_for("security.oauth.connected")
        assert ev[0].provider == provider
        dumped = json.dumps([e.model_dump(mode="json") for e in rec.events])
        assert fake.last_issued["access_token"] not in dumped and "oauth.%s" % provider in dumped


async def test_state_mismatch_is_refused_and_nothing_stored(make_kernel, fake_provider) -> None:
    fake = fake_provider("youtube")
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        started = await k.invoke("security.oauth_start", {"provider": "youtube"})
        redirect = parse_qs(urlsplit(started.authorization_url).query)["redirect_uri"][0]
        forged = await asyncio.to_thread(httpx.get, f"{redirect}?code=attacker-code&state=not-the-state")
        assert forged.status_code == 400 and "state" in forged.text
        assert fake.token_requests == []  # the code was never exchanged
        st = (await k.invoke("security.oauth_status", {"provider": "youtube"})).providers[0]
        assert st.state == "pending" and st.error_code == "security.oauth_state_mismatch"
        assert await stored_token(k, "youtube") is None
        # the genuine browser can still finish
        page = await asyncio.to_thread(browse, started.authorization_url)
        assert page.status_code == 200


async def test_replayed_callback_is_refused(make_kernel, fake_provider) -> None:
    fake = fake_provider("tiktok")
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        await connect(k, "tiktok")
        first = await stored_token(k, "tiktok")
        replay = await asyncio.to_thread(httpx.get, fake.last_redirect)
        assert replay.status_code == 400 and "already used" in replay.text
        assert len(fake.token_requests) == 1
        assert await stored_token(k, "tiktok") == first


async def test_code_replayed_into_a_new_flow_is_refused_by_the_provider(make_kernel, fake_provider) -> None:
    """An old code delivered with a fresh state: the token endpoint refuses it; the stored tokens stay."""
    fake = fake_provider("youtube")
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        await connect(k, "youtube")
        first = await stored_token(k, "youtube")
        old_code = parse_qs(urlsplit(fake.last_redirect).query)["code"][0]
        started = await k.invoke("security.oauth_start", {"provider": "youtube"})
        q = parse_qs(urlsplit(started.authorization_url).query)
        page = await asyncio.to_thread(httpx.get, f"{q['redirect_uri'][0]}?code={old_code}&state={q['state'][0]}")
        assert page.status_code == 502
        st = (await k.invoke("security.oauth_status", {"provider": "youtube", "wait_s": 2})).providers[0]
        assert st.error_code == "security.oauth_failed" and "invalid_grant" in st.error
        assert await stored_token(k, "youtube") == first


async def test_user_refusal(make_kernel, events, fake_provider) -> None:
    fake = fake_provider("instagram")
    fake.mode = "deny"
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        rec = events(k, "security.*")
        _, page, st = await connect(k, "instagram")
        assert page.status_code == 400 and "access_denied" in page.text
        assert st.state == "failed" and "access_denied" in st.error and "nothing was stored" in st.error
        assert await stored_token(k, "instagram") is None
        assert rec.of("security.oauth.connected") == []


@pytest.mark.parametrize("mode,words", [("token_500", "HTTP 500"), ("token_slow", "in time"),
                                        ("token_no_access", "without an access token")])
async def test_token_endpoint_errors_store_nothing(make_kernel, fake_provider, mode: str, words: str) -> None:
    fake = fake_provider("youtube")
    fake.mode = mode
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        _, page, st = await connect(k, "youtube")
        assert page.status_code == 502
        assert st.state == "failed" and words in st.error, st.error
        assert await stored_token(k, "youtube") is None
        listing = await k.invoke("security.secret_list")
        assert listing.secrets == []


async def test_bad_client_secret_is_a_clear_error(make_kernel, fake_provider) -> None:
    fake = fake_provider("tiktok")
    settings = oauth_settings(fake)
    settings["security"]["tiktok"]["client_secret"] = "wrong"
    async with make_kernel(builtins=["security"], settings=settings) as k:
        _, _, st = await connect(k, "tiktok")
        assert st.state == "failed" and "invalid_client" in st.error
        assert await stored_token(k, "tiktok") is None


async def test_refresh_before_expiry(make_kernel, fake_provider) -> None:
    """A token within the refresh margin is refreshed; one far from expiry is left alone."""
    fake = fake_provider("youtube")
    fake.expires_in = 60  # inside the 300 s margin
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        await connect(k, "youtube")
        first = await stored_token(k, "youtube")
        fake.expires_in = 3600
        st = await k.invoke("security.oauth_refresh", {"provider": "youtube"})
        second = await stored_token(k, "youtube")
        assert fake.refresh_calls == 1 and second["access_token"] != first["access_token"]
        assert second["refresh_token"] == first["refresh_token"]  # Google keeps the refresh token
        assert st.state == "connected" and st.expires_at > time.time() + 3000
        await k.invoke("security.oauth_refresh", {"provider": "youtube"})
        assert fake.refresh_calls == 1  # not near expiry: no request
        await k.invoke("security.oauth_refresh", {"provider": "youtube", "force": True})
        assert fake.refresh_calls == 2


async def test_instagram_keeps_a_long_lived_token_and_refreshes_it(make_kernel, fake_provider) -> None:
    """The 1-hour token from the code exchange is traded for a long-lived one; only that one is stored."""
    fake = fake_provider("instagram")
    fake.expires_in = 10
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        await connect(k, "instagram")
        first = await stored_token(k, "instagram")
        assert fake.exchange_calls == 1 and not first["access_token"].startswith("short-")
        assert first["expires_at"] is not None
        await k.invoke("security.oauth_refresh", {"provider": "instagram"})
        assert fake.refresh_calls == 1
        assert (await stored_token(k, "instagram"))["access_token"] != first["access_token"]


async def test_expired_token_without_refresh_must_reconnect(make_kernel, fake_provider) -> None:
    fake = fake_provider("tiktok")
    fake.mode = "no_refresh"
    fake.expires_in = 0
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        await connect(k, "tiktok")
        st = (await k.invoke("security.oauth_status", {"provider": "tiktok"})).providers[0]
        assert st.state == "expired"
        with pytest.raises(Exception) as ei:
            await k.invoke("security.oauth_refresh", {"provider": "tiktok"})
        assert ei.value.code == "security.oauth_expired" and "oauth_start" in ei.value.message


async def test_revoked_refresh_token_reports_expired(make_kernel, fake_provider) -> None:
    fake = fake_provider("youtube")
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        await connect(k, "youtube")
        fake.refresh_tokens.clear()  # the user revoked access at Google
        with pytest.raises(Exception) as ei:
            await k.invoke("security.oauth_refresh", {"provider": "youtube", "force": True})
        assert ei.value.code == "security.oauth_expired" and "invalid_grant" in ei.value.message


async def test_revoke_tells_the_provider_and_forgets(make_kernel, events, fake_provider) -> None:
    fake = fake_provider("youtube")
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        rec = events(k, "security.secret.changed")
        await connect(k, "youtube")
        token = await stored_token(k, "youtube")
        out = await k.invoke("security.oauth_revoke", {"provider": "youtube"})
        assert out.revoked_remote and out.forgotten
        assert fake.revoked == [token["refresh_token"]]
        assert await stored_token(k, "youtube") is None
        st = (await k.invoke("security.oauth_status", {"provider": "youtube"})).providers[0]
        assert st.state == "not_connected"
        await rec.wait_for("security.secret.changed", count=2)
        assert [e.action for e in rec.events] == ["set", "deleted"]
        with pytest.raises(Exception) as ei:
            await k.invoke("security.oauth_revoke", {"provider": "youtube"})
        assert ei.value.code == "security.oauth_not_connected"


async def test_flow_times_out(make_kernel, fake_provider) -> None:
    fake = fake_provider("youtube")
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake, oauth_flow_timeout_s=0.3)) as k:
        await k.invoke("security.oauth_start", {"provider": "youtube"})
        st = (await k.invoke("security.oauth_status", {"provider": "youtube", "wait_s": 3})).providers[0]
        assert st.state == "failed" and st.error_code == "security.oauth_timeout"


async def test_unconfigured_provider(make_kernel) -> None:
    async with make_kernel(builtins=["security"], settings=security_settings()) as k:
        with pytest.raises(Exception) as ei:
            await k.invoke("security.oauth_start", {"provider": "youtube"})
    assert ei.value.code == "security.oauth_not_configured"
    assert "REELKIT_SECURITY__YOUTUBE__CLIENT_ID" in ei.value.message


async def test_status_while_the_vault_is_locked(make_kernel) -> None:
    """A vault exists but no passphrase is known: the status says 'locked' instead of failing; with no vault
    at all, reads create nothing and report nothing connected."""
    async with make_kernel(builtins=["security"], settings={"security": {"kdf_memory_kib": 1024}}) as k:
        out = await k.invoke("security.oauth_status", {})
        assert {p.state for p in out.providers} == {"not_connected"}
        assert (await k.invoke("security.secret_list")).secrets == []
        assert not (k.paths.data_dir / "security.vault").exists()
    async with make_kernel(builtins=["security"], settings=security_settings()) as k:
        await k.invoke("security.secret_set", {"name": "a", "value": "1"})
    async with make_kernel(builtins=["security"], settings={"security": {"kdf_memory_kib": 1024}}) as k:
        out = await k.invoke("security.oauth_status", {})
    assert {p.state for p in out.providers} == {"locked"}
    assert out.providers[0].error_code == "security.locked"


async def test_instagram_exchange_failure_stores_nothing(make_kernel, fake_provider) -> None:
    fake = fake_provider("instagram")
    fake.mode = "exchange_fail"
    async with make_kernel(builtins=["security"], settings=oauth_settings(fake)) as k:
        _, page, st = await connect(k, "instagram")
        assert page.status_code == 502 and st.state == "failed"
        assert "long-lived token exchange" in st.error and "HTTP 400" in st.error
        assert await stored_token(k, "instagram") is None
