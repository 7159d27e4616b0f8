"""security.key_validate against real HTTP servers on loopback that answer as the providers do."""

from __future__ import annotations

from typing import Any

import pytest
from sec_fakes import GOOD_KEY, LIMITED_KEY, security_settings


def api_settings(api: Any, **extra: Any) -> dict[str, Any]:
    return security_settings(
        openai_base_url=f"{api.url}/openai", anthropic_base_url=f"{api.url}/anthropic",
        google_base_url=f"{api.url}/google", youtube_base_url=f"{api.url}/youtube",
        custom_base_url=f"{api.url}/custom/v1", http_timeout_s=1.0, **extra)


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google", "youtube"])
async def test_valid_invalid_rate_limited(make_kernel, provider_api, provider: str) -> None:
    async with make_kernel(builtins=["security"], settings=api_settings(provider_api)) as k:
        ok = await k.invoke("security.key_validate", {"provider": provider, "key": GOOD_KEY})
        assert (ok.status, ok.http_status) == ("valid", 200)
        bad = await k.invoke("security.key_validate", {"provider": provider, "key": "sk-wrong-key-000000000000"})
        assert bad.status == "invalid" and bad.http_status in (400, 401)
        expected = {"openai": "Incorrect API key provided", "anthropic": "invalid x-api-key",
                    "google": "API key not valid", "youtube": "API key not valid"}[provider]
        assert expected in bad.message
        limited = await k.invoke("security.key_validate", {"provider": provider, "key": LIMITED_KEY})
        assert limited.status == "rate_limited" and limited.http_status == 429
        assert limited.message and "sk-" not in limited.message
        if provider in ("openai", "anthropic"):
            assert limited.retry_after in (20.0, 7.0)


async def test_requests_carry_the_providers_auth_headers(make_kernel, provider_api) -> None:
    """OpenAI: bearer; Anthropic: x-api-key + anthropic-version; Google: x-goog-api-key — never the URL."""
    async with make_kernel(builtins=["security"], settings=api_settings(provider_api)) as k:
        for p in ("openai", "anthropic", "google"):
            await k.invoke("security.key_validate", {"provider": p, "key": GOOD_KEY})
    (p1, h1), (p2, h2), (p3, h3) = provider_api.requests
    assert p1 == "/openai/v1/models" and h1["Authorization"] == f"Bearer {GOOD_KEY}"
    assert p2 == "/anthropic/v1/models" and h2["x-api-key"] == GOOD_KEY and h2["anthropic-version"] == "2023-06-01"
    assert p3 == "/google/v1beta/models" and h3["x-goog-api-key"] == GOOD_KEY
    assert all(GOOD_KEY not in path for path, _ in provider_api.requests)


async def test_stored_key_is_used_when_none_given(make_kernel, provider_api) -> None:
    async with make_kernel(builtins=["security"], settings=api_settings(provider_api)) as k:
        with pytest.raises(Exception) as ei:
            await k.invoke("security.key_validate", {"provider": "openai"})
        assert ei.value.code == "security.key_missing" and "apikey.openai" in ei.value.message
        await k.invoke("security.secret_set", {"name": "apikey.openai", "value": GOOD_KEY})
        out = await k.invoke("security.key_validate", {"provider": "openai"})
        assert out.status == "valid"


async def test_unreachable_and_timeout(make_kernel, provider_api, closed_port_url) -> None:
    settings = api_settings(provider_api)
    settings["security"]["anthropic_base_url"] = closed_port_url
    async with make_kernel(builtins=["security"], settings=settings) as k:
        down = await k.invoke("security.key_validate", {"provider": "anthropic", "key": GOOD_KEY})
        assert down.status == "unreachable" and down.http_status is None and "cannot reach" in down.message
        provider_api.delay = 1.5  # longer than http_timeout_s
        slow = await k.invoke("security.key_validate", {"provider": "openai", "key": GOOD_KEY})
        assert slow.status == "unreachable" and "within" in slow.message


async def test_key_echoed_by_provider_is_scrubbed(make_kernel, provider_api) -> None:
    """A server that puts the whole key in its error text: the answer shows [key] instead."""
    key = "sk-echo-me-0123456789abcdef"
    async with make_kernel(builtins=["security"], settings=api_settings(provider_api)) as k:
        out = await k.invoke("security.key_validate", {"provider": "custom", "key": key})
    assert out.status == "invalid" and "[key]" in out.message and key not in out.message


async def test_oauth_only_providers_are_refused_clearly(make_kernel, provider_api) -> None:
    async with make_kernel(builtins=["security"], settings=api_settings(provider_api)) as k:
        with pytest.raises(Exception) as ei:
            await k.invoke("security.key_validate", {"provider": "tiktok", "key": "x"})
        assert ei.value.code == "security.provider_unsupported" and "oauth_start" in ei.value.message
        with pytest.raises(Exception) as ei:
            await k.invoke("security.key_validate", {"provider": "nope", "key": "x"})
        assert ei.value.code == "input.invalid"
