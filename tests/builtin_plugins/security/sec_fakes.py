"""Helpers for the security plugin tests: fast KDF settings, and real HTTP servers on 127.0.0.1 that answer as
OpenAI, Anthropic, Google and the OAuth providers do (error shapes copied from their documentation)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

# Argon2id at 1 MiB / 1 pass keeps tests fast; the benchmark measures the real defaults.
FAST_KDF = {"kdf_iterations": 1, "kdf_lanes": 1, "kdf_memory_kib": 1024}
PASSPHRASE = "correct horse battery staple"


def security_settings(**extra: Any) -> dict[str, Any]:
    return {"security": {"passphrase": PASSPHRASE, **FAST_KDF, **extra}}


@pytest.fixture
def sec_settings() -> Any:
    return security_settings


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Quiet(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_form(self) -> dict[str, str]:
        n = int(self.headers.get("Content-Length") or 0)
        return {k: v[0] for k, v in parse_qs(self.rfile.read(n).decode()).items()}


# -- API providers ---------------------------------------------------------------------------------------
GOOD_KEY = "sk-good-0123456789abcdefXYZ"
LIMITED_KEY = "sk-limited-0123456789abcdef"


class ProviderAPI(_Quiet):
    """Keys: GOOD_KEY → 200, LIMITED_KEY → 429, anything else → the provider's 'bad key' answer."""

    def do_GET(self) -> None:  # noqa: N802
        owner = self.server.owner  # type: ignore[attr-defined]
        owner.requests.append((self.path, dict(self.headers)))
        if owner.delay:
            time.sleep(owner.delay)
        path = urlsplit(self.path).path
        if path == "/openai/v1/models":
            auth = self.headers.get("Authorization", "")
            key = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else ""
            self._openai(key)
        elif path == "/anthropic/v1/models":
            if not self.headers.get("anthropic-version"):
                self.send_json(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                                 "message": "anthropic-version: header is required"}})
                return
            self._anthropic(self.headers.get("x-api-key", ""))
        elif path == "/google/v1beta/models" or path == "/youtube/youtube/v3/i18nLanguages":
            self._google(self.headers.get("x-goog-api-key", ""))
        elif path == "/custom/v1/models":  # a sloppy OpenAI-compatible server that echoes the whole key
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if key == GOOD_KEY:
                self.send_json(200, {"object": "list", "data": []})
            else:
                self.send_json(401, {"error": {"message": f"key {key} is not allowed here"}})
        else:
            self.send_json(404, {"error": {"message": "not found"}})

    def _openai(self, key: str) -> None:
        if key == GOOD_KEY:
            self.send_json(200, {"object": "list", "data": [{"id": "gpt-4o", "object": "model"}]})
        elif key == LIMITED_KEY:
            self.send_json(429, {"error": {"message": "Rate limit reached for requests", "type": "requests",
                                           "param": None, "code": "rate_limit_exceeded"}}, {"retry-after": "20"})
        else:
            shown = f"{key[:3]}***{key[-4:]}" if len(key) > 8 else key
            self.send_json(401, {"error": {
                "message": f"Incorrect API key provided: {shown}. You can find your API key at "
                           "https://platform.openai.com/account/api-keys.",
                "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}})

    def _anthropic(self, key: str) -> None:
        if key == GOOD_KEY:
            self.send_json(200, {"data": [{"type": "model", "id": "claude-sonnet-4"}], "has_more": False})
        elif key == LIMITED_KEY:
            self.send_json(429, {"type": "error", "error": {"type": "rate_limit_error",
                                 "message": "Number of requests has exceeded your per-minute rate limit"}},
                           {"retry-after": "7"})
        else:
            self.send_json(401, {"type": "error", "error": {"type": "authentication_error",
                                                             "message": "invalid x-api-key"}})

    def _google(self, key: str) -> None:
        if key == GOOD_KEY:
            self.send_json(200, {"models": [{"name": "models/gemini-2.0-flash"}]})
        elif key == LIMITED_KEY:
            self.send_json(429, {"error": {"code": 429, "message": "Resource has been exhausted (e.g. check quota).",
                                           "status": "RESOURCE_EXHAUSTED"}})
        else:
            self.send_json(400, {"error": {
                "code": 400, "message": "API key not valid. Please pass a valid API key.", "status": "INVALID_ARGUMENT",
                "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
                             "domain": "googleapis.com"}]}})


@pytest.fixture
def provider_api() -> Iterator[Any]:
    srv = _Server(ProviderAPI)
    srv.requests = []  # type: ignore[attr-defined]
    srv.delay = 0.0  # type: ignore[attr-defined]
    yield srv
    srv.close()


@pytest.fixture
def closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return f"http://127.0.0.1:{port}"


# -- OAuth authorisation server ---------------------------------------------------------------------------
CLIENT_ID = "reelkit-test-client"
CLIENT_SECRET = "client-secret-0123456789"


class AuthServer(_Quiet):
    """Plays Google / TikTok / Instagram: authorise (approve or deny), token (code + PKCE, refresh), revoke."""

    def do_GET(self) -> None:  # noqa: N802
        fake: FakeProvider = self.server.owner.fake  # type: ignore[attr-defined]
        parts = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == "/authorize":
            fake.authorize_queries.append(q)
            redirect = q.get("redirect_uri", "")
            if q.get(fake.client_param) != CLIENT_ID or q.get("code_challenge_method") != "S256" \
                    or not q.get("code_challenge") or not redirect.startswith("http://127.0.0.1:"):
                self.send_json(400, {"error": "invalid_request"})
                return
            if fake.mode == "deny":
                params = {"error": "access_denied", "error_description": "The user denied access", "state": q["state"]}
            else:
                code = secrets.token_urlsafe(16)
                fake.codes[code] = {"challenge": q["code_challenge"], "redirect_uri": redirect}
                params = {"code": code, "state": q["state"]}
            fake.last_redirect = f"{redirect}?{urlencode(params)}"
            self.send_response(302)
            self.send_header("Location", fake.last_redirect)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif parts.path == "/access_token":  # Instagram: short-lived → long-lived (ig_exchange_token)
            fake.exchange_calls += 1
            ok = (q.get("grant_type") == "ig_exchange_token" and q.get("client_secret") == CLIENT_SECRET
                  and q.get("access_token") in fake.short_tokens and fake.mode != "exchange_fail")
            if not ok:
                self.send_json(400, {"error": {"message": "Error validating access token", "type": "OAuthException",
                                               "code": 190}})
                return
            self.send_json(200, fake.issue(refresh=False))
        elif parts.path == "/refresh_access_token":  # Instagram's long-lived token refresh
            fake.refresh_calls += 1
            if q.get("grant_type") != "ig_refresh_token" or q.get("access_token") not in fake.access_tokens:
                self.send_json(400, {"error": {"message": "Invalid OAuth access token", "type": "OAuthException",
                                               "code": 190}})
                return
            self.send_json(200, fake.issue(refresh=False))
        else:
            self.send_json(404, {"error": "not_found"})

    def do_POST(self) -> None:  # noqa: N802
        fake: FakeProvider = self.server.owner.fake  # type: ignore[attr-defined]
        path = urlsplit(self.path).path
        form = self.read_form()
        if path == "/token":
            fake.token_requests.append(form)
            if fake.mode == "token_500":
                body = b"<html>Internal Server Error</html>"
                self.send_response(500)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if fake.mode == "token_slow":
                time.sleep(2.0)
            if fake.mode == "token_no_access":
                self.send_json(200, {"token_type": "Bearer"})
                return
            if form.get(fake.client_param) != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                self.send_json(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
                return
            if form.get("grant_type") == "authorization_code":
                rec = fake.codes.pop(form.get("code", ""), None)  # single use: a replay finds nothing
                if rec is None:
                    self.send_json(400, {"error": "invalid_grant", "error_description": "Code already used or unknown"})
                    return
                verifier = form.get("code_verifier", "")
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if digest != rec["challenge"] or form.get("redirect_uri") != rec["redirect_uri"]:
                    self.send_json(400, {"error": "invalid_grant", "error_description": "PKCE verification failed"})
                    return
                if fake.provider == "instagram":  # a short-lived token: no expiry given, no refresh token
                    short = f"short-{secrets.token_hex(8)}"
                    fake.short_tokens.add(short)
                    self.send_json(200, {"access_token": short, "user_id": 17841400000000000,
                                         "permissions": ["instagram_business_basic"]})
                    return
                self.send_json(200, fake.issue(refresh=fake.mode != "no_refresh"))
            elif form.get("grant_type") == "refresh_token":
                fake.refresh_calls += 1
                if form.get("refresh_token") not in fake.refresh_tokens:
                    self.send_json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
                    return
                self.send_json(200, fake.issue(refresh=False))
            else:
                self.send_json(400, {"error": "unsupported_grant_type"})
        elif path == "/revoke":
            token = form.get("token", "")
            fake.revoked.append(token)
            fake.refresh_tokens.discard(token)
            fake.access_tokens.discard(token)
            self.send_json(200, {})
        else:
            self.send_json(404, {"error": "not_found"})


class FakeProvider:
    def __init__(self, provider: str):
        self.provider = provider
        self.client_param = "client_key" if provider == "tiktok" else "client_id"
        self.mode = "approve"
        self.expires_in = 3600
        self.codes: dict[str, dict[str, str]] = {}
        self.access_tokens: set[str] = set()
        self.refresh_tokens: set[str] = set()
        self.revoked: list[str] = []
        self.authorize_queries: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.refresh_calls = 0
        self.exchange_calls = 0
        self.short_tokens: set[str] = set()
        self.last_redirect = ""
        self.last_issued: dict[str, Any] = {}
        self.server = _Server(AuthServer)
        self.server.fake = self  # type: ignore[attr-defined]
        self.url = self.server.url

    def issue(self, refresh: bool) -> dict[str, Any]:
        access = f"at-{self.provider}-{secrets.token_hex(12)}"
        self.access_tokens.add(access)
        out: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": self.expires_in}
        if self.provider == "tiktok":
            out.update(open_id="user-1", refresh_expires_in=86400 * 365, scope="user.info.basic,video.upload")
        elif self.provider == "youtube":
            out["scope"] = "https://www.googleapis.com/auth/youtube.upload"
        if refresh:
            rt = f"rt-{self.provider}-{secrets.token_hex(12)}"
            self.refresh_tokens.add(rt)
            out["refresh_token"] = rt
        self.last_issued = out
        return out

    def settings(self) -> dict[str, Any]:
        s: dict[str, Any] = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                             "authorize_url": f"{self.url}/authorize", "token_url": f"{self.url}/token"}
        if self.provider == "instagram":
            s["refresh_url"] = f"{self.url}/refresh_access_token"
            s["exchange_url"] = f"{self.url}/access_token"
        else:
            s["revoke_url"] = f"{self.url}/revoke"
        return s

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def fake_provider() -> Iterator[Any]:
    made: list[FakeProvider] = []

    def make(provider: str) -> FakeProvider:
        f = FakeProvider(provider)
        made.append(f)
        return f

    yield make
    for f in made:
        f.close()
