"""The HTTP edges of the OAuth flow: authlib's httpx client, its errors made clear, the loopback redirect server."""

from __future__ import annotations

import html
import warnings
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from reelkit.sdk import get_logger

from .errors import OAuthFailed

__all__ = ["make_client", "explain", "stop_server", "callback_handler"]

log = get_logger("reelkit.security")


def make_client(cfg: Any, redirect_uri: str | None, timeout: float) -> Any:
    """authlib's httpx ``OAuth2Client`` for one provider's settings, with S256 PKCE and no redirects followed."""
    from authlib.deprecate import AuthlibDeprecationWarning  # its import installs an "always" filter

    with warnings.catch_warnings():  # authlib 1.9 warns that plain httpx is deprecated in favour of httpx2
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        from authlib.integrations.httpx_client import OAuth2Client

    secret = cfg.client_secret.get_secret_value() if cfg.client_secret is not None else None
    method = cfg.token_auth_method if secret else "none"
    return OAuth2Client(
        client_id=cfg.client_id, client_secret=secret, token_endpoint_auth_method=method,
        revocation_endpoint_auth_method=method, scope=cfg.scope_separator.join(cfg.scopes) or None,
        redirect_uri=redirect_uri, code_challenge_method="S256", timeout=timeout, follow_redirects=False,
    )


def explain(provider: str, endpoint: str, exc: BaseException) -> OAuthFailed:
    """A clear error for a failed token request; never includes request bodies (they hold codes/secrets)."""
    import httpx

    if isinstance(exc, httpx.TimeoutException):
        why = "did not answer in time"
    elif isinstance(exc, httpx.HTTPStatusError):
        why = f"answered HTTP {exc.response.status_code}"
    elif isinstance(exc, httpx.HTTPError):
        why = f"could not be reached ({type(exc).__name__})"
    elif hasattr(exc, "error"):  # authlib OAuthError: the provider's error code and description
        desc = getattr(exc, "description", None)
        why = f"refused: {exc.error}" + (f" ({desc})" if desc else "")
    else:
        why = f"gave an unusable answer ({type(exc).__name__})"
    return OAuthFailed(f"{provider}: the {endpoint} endpoint {why}; nothing was stored — try again, or check "
                       f"[security.{provider}] in the settings", details={"provider": provider, "endpoint": endpoint})


def stop_server(server: ThreadingHTTPServer) -> None:
    """Stop a loopback server's loop and close its socket."""
    server.shutdown()
    server.server_close()


def callback_handler(provider: str, on_callback: Callable[[str, dict[str, list[str]]], tuple[int, str]]
                     ) -> type[BaseHTTPRequestHandler]:
    """A request handler that passes ``/callback`` queries to ``on_callback`` and answers the browser."""
    class Callback(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            parts = urlsplit(self.path)
            if parts.path != "/callback":
                self._reply(404, "Not found.")
                return
            try:
                status, text = on_callback(provider, parse_qs(parts.query))
            except Exception as e:  # a bug here must still answer the browser, and never echo the query
                log.error("oauth callback crashed", provider=provider, error=type(e).__name__)
                status, text = 500, "reelkit could not complete the connection."
            self._reply(status, text)

        def _reply(self, status: int, text: str) -> None:
            body = f"<!doctype html><title>reelkit</title><p>{html.escape(text)}</p>".encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # the request line holds the code: don't log it
            pass

    return Callback
