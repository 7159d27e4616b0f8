"""API key validation: the provider's cheapest authenticated request, answered as valid, invalid,
rate-limited, unreachable or error, with the provider's own message (the key scrubbed from it).

Keys sent in headers only, never in a URL, so they cannot reach access logs or error text through one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import ProviderUnsupported

__all__ = ["PROVIDERS", "KEY_PROVIDERS", "Validation", "validate_key", "key_secret_name"]

PROVIDERS = ("openai", "anthropic", "google", "youtube", "tiktok", "instagram", "custom")
KEY_PROVIDERS = ("openai", "anthropic", "google", "youtube", "custom")  # tiktok, instagram: OAuth only
Status = Literal["valid", "invalid", "rate_limited", "unreachable", "error"]
ANTHROPIC_VERSION = "2023-06-01"


def key_secret_name(provider: str) -> str:
    """The secret name a provider's API key is stored under: ``apikey.<provider>``."""
    return f"apikey.{provider}"


@dataclass(frozen=True)
class Validation:
    provider: str
    status: Status
    http_status: int | None
    message: str
    retry_after: float | None = None


def _request(provider: str, base_url: str, key: str) -> tuple[str, dict[str, str]]:
    base = base_url.rstrip("/")
    if provider == "openai":
        return f"{base}/v1/models", {"Authorization": f"Bearer {key}"}
    if provider == "anthropic":
        return f"{base}/v1/models", {"x-api-key": key, "anthropic-version": ANTHROPIC_VERSION}
    if provider == "google":
        return f"{base}/v1beta/models", {"x-goog-api-key": key}
    if provider == "youtube":
        return f"{base}/youtube/v3/i18nLanguages?part=snippet", {"x-goog-api-key": key}
    if provider == "custom":  # an OpenAI-compatible endpoint (base URL includes any /v1)
        return f"{base}/models", {"Authorization": f"Bearer {key}"}
    raise ProviderUnsupported(
        f"provider {provider!r} has no API key to validate; "
        + ("connect it with security.oauth_start" if provider in PROVIDERS else f"use one of {', '.join(KEY_PROVIDERS)}"),
        details={"provider": provider},
    )


def _provider_message(resp, key: str) -> str:
    """OpenAI, Anthropic and Google all put their text in ``error.message``; fall back to the body or reason."""
    text = ""
    try:
        body = resp.json()
        err = body.get("error") if isinstance(body, dict) else None
        if isinstance(err, dict):
            text = str(err.get("message") or err.get("status") or "")
        elif isinstance(err, str):
            text = err
    except ValueError:
        text = resp.text[:300].strip()
    return scrub(text or resp.reason_phrase or f"HTTP {resp.status_code}", key)


def scrub(text: str, key: str) -> str:
    """``text`` with every occurrence of ``key`` (and of its long prefixes) replaced by a mask."""
    if key and len(key) >= 4:
        text = text.replace(key, "[key]")
        if len(key) >= 12:  # providers echo truncated keys ("sk-abc...xyz"): drop any 8+ char slice of it
            for size in range(len(key) - 1, 7, -1):
                for i in range(0, len(key) - size + 1):
                    part = key[i : i + size]
                    if part in text:
                        text = text.replace(part, "[key]")
    return text


def _classify(provider: str, resp) -> Status:
    code = resp.status_code
    if 200 <= code < 300:
        return "valid"
    if code in (401, 403):
        return "invalid"
    if code == 429:
        return "rate_limited"
    if code == 400 and provider in ("google", "youtube"):
        # Google answers a bad key with 400 INVALID_ARGUMENT, reason API_KEY_INVALID
        if "API_KEY_INVALID" in resp.text or "API key not valid" in resp.text:
            return "invalid"
    if code >= 500:
        return "unreachable"
    return "error"


def validate_key(provider: str, key: str, base_url: str | None, timeout: float = 10.0) -> Validation:
    """Make the provider's cheapest authenticated request with ``key`` and classify the answer."""
    import httpx

    if provider not in KEY_PROVIDERS:
        _request(provider, "", key)  # raises the clear refusal
    if not base_url:
        raise ProviderUnsupported(
            f"provider {provider!r} has no base URL; set [security] {provider}_base_url",
            details={"provider": provider},
        )
    url, headers = _request(provider, base_url, key)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            resp = client.get(url, headers=headers)
    except httpx.TimeoutException:
        return Validation(provider, "unreachable", None, f"{provider}: no answer from {base_url} within {timeout:g} s")
    except httpx.HTTPError as e:
        return Validation(provider, "unreachable", None, f"{provider}: cannot reach {base_url} ({type(e).__name__})")
    status = _classify(provider, resp)
    message = "key accepted" if status == "valid" else _provider_message(resp, key)
    retry = None
    if status == "rate_limited":
        try:
            retry = float(resp.headers.get("retry-after", ""))
        except ValueError:
            retry = None
    return Validation(provider, status, resp.status_code, message, retry)
