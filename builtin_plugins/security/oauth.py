"""OAuth 2.0 authorisation code flow with PKCE (authlib's httpx client) for YouTube, TikTok and Instagram.

``start`` builds the authorisation URL (state + S256 challenge) and opens a one-shot loopback redirect
server on 127.0.0.1; the browser lands there, the state is checked, the code exchanged once, and the tokens
kept in the secret store as ``oauth.<provider>``. A replayed callback, a wrong state, a refusal, a token
endpoint error or timeout stores nothing. Tokens are refreshed when they come within ``refresh_margin``
seconds of expiry; ``revoke`` tells the provider and forgets them.
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from reelkit.sdk import get_logger

from .errors import (
    OAuthExpired, OAuthFailed, OAuthNotConfigured, OAuthNotConnected, ProviderUnsupported, SecurityLocked,
)
from .store import SecretStore

if TYPE_CHECKING:
    from http.server import ThreadingHTTPServer


# The HTTP side (http.server, authlib, httpx) loads with the first flow, not at boot.
def callback_handler(*a: Any, **kw: Any) -> Any:
    from .oauth_http import callback_handler as f

    return f(*a, **kw)


def explain(*a: Any, **kw: Any) -> Any:
    from .oauth_http import explain as f

    return f(*a, **kw)


def make_client(*a: Any, **kw: Any) -> Any:
    from .oauth_http import make_client as f

    return f(*a, **kw)


def stop_server(*a: Any, **kw: Any) -> Any:
    from .oauth_http import stop_server as f

    return f(*a, **kw)

__all__ = ["OAUTH_PROVIDERS", "OAuthManager", "FlowStatus", "token_secret_name"]

log = get_logger("reelkit.security")
OAUTH_PROVIDERS = ("youtube", "tiktok", "instagram")
_GRACE_S = 10.0  # keep the loopback server up this long after a flow ends, so a replay gets a clear refusal


def token_secret_name(provider: str) -> str:
    """The secret name a provider's tokens are stored under: ``oauth.<provider>``."""
    return f"oauth.{provider}"


@dataclass
class FlowStatus:
    provider: str
    state: Literal["not_connected", "pending", "connected", "expired", "failed", "locked"]
    scopes: list[str] = field(default_factory=list)
    expires_at: float | None = None
    has_refresh_token: bool = False
    error_code: str | None = None
    error: str | None = None
    authorization_url: str | None = None


@dataclass
class _Flow:
    provider: str
    state: str
    verifier: str
    redirect_uri: str
    authorization_url: str
    server: ThreadingHTTPServer
    deadline: float
    done: threading.Event = field(default_factory=threading.Event)
    consumed: bool = False
    timer: threading.Timer | None = None
    outcome: str = "pending"  # pending | connected | failed
    error_code: str | None = None
    error: str | None = None


class OAuthManager:
    """Runs OAuth flows and keeps their tokens fresh. Thread-safe."""

    def __init__(
        self,
        providers: dict[str, Any],
        store: SecretStore,
        *,
        http_timeout: float = 10.0,
        flow_timeout: float = 300.0,
        refresh_margin: float = 300.0,
        redirect_port: int = 0,
        on_connected: Callable[[str, list[str], float | None], None] | None = None,
    ):
        self._providers = providers
        self._store = store
        self._timeout = http_timeout
        self._flow_timeout = flow_timeout
        self._margin = refresh_margin
        self._port = redirect_port
        self._on_connected = on_connected or (lambda p, s, e: None)
        self._flows: dict[str, _Flow] = {}
        self._mutex = threading.RLock()

    # -- the flow ------------------------------------------------------------------------------------
    def start(self, provider: str) -> FlowStatus:
        """Open the loopback redirect server and return the authorisation URL for the user's browser."""
        cfg = self._config(provider)
        with self._mutex:
            self._end_flow(provider)
            from http.server import ThreadingHTTPServer

            server = ThreadingHTTPServer(("127.0.0.1", self._port), callback_handler(provider, self._callback))
            server.daemon_threads = True
            redirect_uri = f"http://127.0.0.1:{server.server_address[1]}/callback"
            client = make_client(cfg, redirect_uri, self._timeout)
            verifier = secrets.token_urlsafe(64)[:96]  # RFC 7636: 43-128 characters
            state = secrets.token_urlsafe(32)
            extra = dict(cfg.extra_authorize_params)
            if cfg.client_id_param != "client_id":
                extra[cfg.client_id_param] = cfg.client_id
            url, _ = client.create_authorization_url(cfg.authorize_url, state=state, code_verifier=verifier, **extra)
            client.close()
            flow = _Flow(provider, state, verifier, redirect_uri, url, server, time.time() + self._flow_timeout)
            self._flows[provider] = flow
            threading.Thread(target=server.serve_forever, args=(0.05,), name=f"oauth-{provider}", daemon=True).start()
            flow.timer = threading.Timer(self._flow_timeout, self._expire, args=(flow,))
            flow.timer.daemon = True
            flow.timer.start()
        log.info("oauth flow started", provider=provider, redirect_uri=redirect_uri)
        return FlowStatus(provider, "pending", list(cfg.scopes), authorization_url=url)

    def wait(self, provider: str, timeout: float) -> None:
        """Block until the pending flow of ``provider`` ends or ``timeout`` seconds pass."""
        flow = self._flows.get(provider)
        if flow is not None:
            flow.done.wait(timeout)

    def _callback(self, provider: str, query: dict[str, list[str]]) -> tuple[int, str]:
        """Handle one redirect: (HTTP status, text for the browser)."""
        flow = self._flows.get(provider)
        got = query.get("state", [""])[0]
        with self._mutex:
            if flow is None or flow.consumed:
                return 400, "This sign-in response was already used or has expired. Start the connection again."
            if not hmac.compare_digest(got.encode(), flow.state.encode()):
                flow.error_code, flow.error = "security.oauth_state_mismatch", "a callback with a wrong state was refused"
                log.warning("oauth callback refused: state mismatch", provider=provider)
                return 400, "Refused: the state does not match this sign-in. Start the connection again from reelkit."
            flow.consumed = True
        if "error" in query:
            err = query["error"][0]
            desc = query.get("error_description", [""])[0]
            self._finish(flow, "failed", OAuthFailed(
                f"{provider} refused the authorisation: {err}" + (f" ({desc})" if desc else "")
                + "; nothing was stored", details={"provider": provider, "error": err}))
            return 400, f"{provider} refused the connection: {err}."
        code = query.get("code", [""])[0]
        if not code:
            self._finish(flow, "failed", OAuthFailed(f"{provider}: the redirect carried no code; start again",
                                                     details={"provider": provider}))
            return 400, "The redirect carried no authorisation code."
        try:
            token = self._exchange(provider, flow, code)
        except OAuthFailed as e:
            self._finish(flow, "failed", e)
            return 502, f"Connecting {provider} failed: {e.message}"
        self._finish(flow, "connected", None)
        self._on_connected(provider, token.get("scopes", []), token.get("expires_at"))
        return 200, f"{provider} is connected to reelkit. You can close this tab."

    def _exchange(self, provider: str, flow: _Flow, code: str) -> dict[str, Any]:
        cfg = self._config(provider)
        extra = {cfg.client_id_param: cfg.client_id} if cfg.client_id_param != "client_id" else {}
        client = make_client(cfg, flow.redirect_uri, self._timeout)
        try:
            raw = client.fetch_token(cfg.token_url, grant_type="authorization_code", code=code,
                                     code_verifier=flow.verifier, **extra)
            if cfg.exchange_url and isinstance(raw, dict) and raw.get("access_token"):
                raw = self._long_lived(client, cfg, raw["access_token"])
        except OAuthFailed:
            raise
        except Exception as e:  # every failure becomes one clear error; nothing stored
            raise explain(provider, "token", e) from None
        finally:
            client.close()
        return self._keep(provider, cfg, raw, previous=None)

    def _long_lived(self, client: Any, cfg: Any, short_token: str) -> Any:
        """Instagram: trade the 1-hour token for a 60-day one before keeping anything."""
        import httpx

        secret = cfg.client_secret.get_secret_value() if cfg.client_secret is not None else ""
        try:
            resp = client.get(cfg.exchange_url, auth=None, params={
                "grant_type": "ig_exchange_token", "client_secret": secret, "access_token": short_token})
            if resp.status_code >= 400:
                raise httpx.HTTPStatusError("exchange", request=resp.request, response=resp)
            return resp.json()
        except Exception as e:
            raise explain("instagram", "long-lived token exchange", e) from None

    def _keep(self, provider: str, cfg: Any, raw: Any, previous: dict[str, Any] | None) -> dict[str, Any]:
        if not isinstance(raw, dict) or not isinstance(raw.get("access_token"), str) or not raw["access_token"]:
            raise OAuthFailed(f"{provider}: the token endpoint answered without an access token; nothing was stored",
                              details={"provider": provider})
        now = time.time()
        expires_at = raw.get("expires_at")
        if expires_at is None and raw.get("expires_in") is not None:
            expires_at = now + float(raw["expires_in"])
        scope = raw.get("scope")
        scopes = ([s for s in str(scope).replace(",", " ").split() if s] if scope
                  else (previous or {}).get("scopes") or list(cfg.scopes))
        token = {
            "access_token": raw["access_token"],
            "refresh_token": raw.get("refresh_token") or (previous or {}).get("refresh_token"),
            "token_type": raw.get("token_type", "Bearer"),
            "expires_at": float(expires_at) if expires_at is not None else None,
            "scopes": scopes,
            "obtained_at": now,
        }
        self._store.set(token_secret_name(provider), json.dumps(token))
        return token

    def _finish(self, flow: _Flow, outcome: str, error: OAuthFailed | None) -> None:
        flow.outcome = outcome
        if error is not None:
            flow.error_code, flow.error = error.code, error.message
            log.warning("oauth flow failed", provider=flow.provider, code=error.code)
        else:
            flow.error_code = flow.error = None
            log.info("oauth connected", provider=flow.provider)
        flow.done.set()
        if flow.timer is not None:
            flow.timer.cancel()
        timer = threading.Timer(_GRACE_S, stop_server, args=(flow.server,))
        timer.daemon = True
        timer.start()

    def _expire(self, flow: _Flow) -> None:
        with self._mutex:
            if flow.done.is_set():
                return
            flow.consumed = True
        self._finish(flow, "failed", OAuthFailed(
            f"{flow.provider}: no answer from the browser within {self._flow_timeout:g} s; start again",
            details={"provider": flow.provider}, code="security.oauth_timeout"))

    def _end_flow(self, provider: str) -> None:
        old = self._flows.pop(provider, None)
        if old is not None:
            old.consumed = True
            old.done.set()
            if old.timer is not None:
                old.timer.cancel()
            threading.Thread(target=stop_server, args=(old.server,), daemon=True).start()

    # -- tokens --------------------------------------------------------------------------------------
    def status(self, provider: str) -> FlowStatus:
        """Where ``provider`` stands: pending flow, connected (with expiry), expired, failed or not connected."""
        self._config_known(provider)
        flow = self._flows.get(provider)
        if flow is not None and flow.outcome == "pending" and not flow.done.is_set():
            return FlowStatus(provider, "pending", authorization_url=flow.authorization_url,
                              error_code=flow.error_code, error=flow.error)
        try:
            token = self._token(provider)
        except SecurityLocked as e:  # the tokens are in a vault that is locked: say so, don't fail the listing
            return FlowStatus(provider, "locked", error_code=e.code, error=e.message)
        if token is None:
            if flow is not None and flow.outcome == "failed":
                return FlowStatus(provider, "failed", error_code=flow.error_code, error=flow.error)
            return FlowStatus(provider, "not_connected")
        exp = token.get("expires_at")
        expired = exp is not None and exp <= time.time()
        st = FlowStatus(provider, "expired" if expired else "connected", token.get("scopes") or [], exp,
                        bool(token.get("refresh_token")))
        if flow is not None and flow.outcome == "failed":
            st.error_code, st.error = flow.error_code, flow.error
        return st

    def access_token(self, provider: str) -> str:
        """A usable access token, refreshed first when it is within the margin of its expiry."""
        return self.refresh(provider, force=False)["access_token"]

    def refresh(self, provider: str, force: bool = False) -> dict[str, Any]:
        """Refresh when forced or near expiry; returns the (possibly new) token record."""
        cfg = self._config(provider)
        with self._mutex:
            token = self._token(provider)
            if token is None:
                raise OAuthNotConnected(f"{provider} is not connected; connect it with security.oauth_start",
                                        details={"provider": provider})
            exp = token.get("expires_at")
            if not force and (exp is None or exp - time.time() > self._margin):
                return token
            if not token.get("refresh_token") and cfg.refresh_style == "oauth2":
                if exp is not None and exp <= time.time():
                    raise OAuthExpired(f"{provider}: the access token expired and there is no refresh token; "
                                       "reconnect with security.oauth_start", details={"provider": provider})
                return token
            raw = self._refresh_request(provider, cfg, token)
            new = self._keep(provider, cfg, raw, previous=token)
            log.info("oauth token refreshed", provider=provider)
            return new

    def _refresh_request(self, provider: str, cfg: Any, token: dict[str, Any]) -> Any:
        import httpx

        client = make_client(cfg, None, self._timeout)
        try:
            if cfg.refresh_style == "instagram":  # Instagram refreshes the long-lived token itself
                resp = client.get(cfg.refresh_url or cfg.token_url, auth=None,
                                  params={"grant_type": "ig_refresh_token", "access_token": token["access_token"]})
                if resp.status_code >= 400:
                    raise httpx.HTTPStatusError("refresh", request=resp.request, response=resp)
                return resp.json()
            extra = {cfg.client_id_param: cfg.client_id} if cfg.client_id_param != "client_id" else {}
            return client.refresh_token(cfg.token_url, refresh_token=token["refresh_token"], **extra)
        except Exception as e:
            err = explain(provider, "refresh", e)
            if getattr(e, "error", None) == "invalid_grant":
                raise OAuthExpired(err.message.replace("nothing was stored", "reconnect with security.oauth_start"),
                                   details=err.details) from None
            raise err from None
        finally:
            client.close()

    def revoke(self, provider: str) -> bool:
        """Tell the provider to revoke the tokens (when it has an endpoint) and forget them. True if told."""
        cfg = self._config(provider)
        with self._mutex:
            self._end_flow(provider)
            token = self._token(provider)
            if token is None:
                raise OAuthNotConnected(f"{provider} is not connected; nothing to revoke",
                                        details={"provider": provider})
            told = False
            if cfg.revoke_url:
                client = make_client(cfg, None, self._timeout)
                extra = {cfg.client_id_param: cfg.client_id} if cfg.client_id_param != "client_id" else {}
                try:
                    which = token.get("refresh_token") or token["access_token"]
                    hint = "refresh_token" if token.get("refresh_token") else "access_token"
                    resp = client.revoke_token(cfg.revoke_url, token=which, token_type_hint=hint, **extra)
                    told = resp.status_code < 400
                except Exception as e:
                    log.warning("oauth revoke request failed", provider=provider, error=type(e).__name__)
                finally:
                    client.close()
            self._store.delete(token_secret_name(provider))
            return told

    def close(self) -> None:
        with self._mutex:
            for p in list(self._flows):
                flow = self._flows.pop(p)
                flow.consumed = True
                flow.done.set()
                if flow.timer is not None:
                    flow.timer.cancel()
                stop_server(flow.server)

    def _token(self, provider: str) -> dict[str, Any] | None:
        raw = self._store.get_or_none(token_secret_name(provider))
        if raw is None:
            return None
        try:
            token = json.loads(raw)
        except ValueError:
            return None
        return token if isinstance(token, dict) else None

    def _config_known(self, provider: str) -> Any:
        if provider not in OAUTH_PROVIDERS:
            raise ProviderUnsupported(f"{provider!r} has no OAuth connection; use one of {', '.join(OAUTH_PROVIDERS)}",
                                      details={"provider": provider})
        return self._providers[provider]

    def _config(self, provider: str) -> Any:
        cfg = self._config_known(provider)
        missing = [k for k in ("client_id", "authorize_url", "token_url") if not getattr(cfg, k)]
        if missing:
            raise OAuthNotConfigured(
                f"{provider} OAuth is not configured: set {', '.join(f'[security.{provider}] {k}' for k in missing)} "
                f"(or REELKIT_SECURITY__{provider.upper()}__{missing[0].upper()})",
                details={"provider": provider, "missing": missing})
        return cfg
