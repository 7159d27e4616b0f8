"""Logging in to studio from a real Chromium: the one-time URL, refused tokens, the cookie's flags,
the CSP, and a page of another origin that can neither connect nor read."""

from __future__ import annotations

import http.server
import threading
from typing import Any

from .conftest import logged_in, shot, until


def test_one_time_login_opens_the_overview_and_cannot_be_reused(studio: Any, browser: Any) -> None:
    ctx = browser.new_context()
    page = ctx.new_page()
    url = studio.login_url()
    page.goto(url)
    page.wait_for_selector("#health-state", timeout=15000)
    assert page.url == studio.url  # the token left the address bar
    assert page.text_content("#connection") == "connected"
    cookie = next(c for c in ctx.cookies() if c["name"] == f"reelkit_studio_{studio.server.port}")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert page.evaluate("document.cookie") == ""  # HttpOnly: scripts cannot read it
    page.wait_for_selector("#plugins tr.plugin")
    assert page.locator("#plugins tr.plugin").count() >= 5

    other = browser.new_context().new_page()  # the same link a second time, in a fresh browser
    response = other.goto(url)
    assert response.status == 401 and "already used" in other.text_content("body")
    assert not [c for c in other.context.cookies() if c["name"].startswith("reelkit_studio")]
    wrong = other.goto(studio.url + "login?token=not-the-token")
    assert wrong.status == 401
    assert other.goto(studio.url).status == 401  # no session: no console
    ctx.close()
    other.context.close()


def test_every_response_carries_a_strict_csp(studio: Any, browser: Any) -> None:
    page = logged_in(browser, studio)
    response = page.goto(studio.url)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["cross-origin-resource-policy"] == "same-origin"
    assert "unsafe-inline" not in csp and "http" not in csp.replace(f"ws://{studio.url[7:-1]}", "")
    page.context.close()


class _Evil(http.server.BaseHTTPRequestHandler):
    """Another local site (another port of 127.0.0.1: same-site for cookies, another origin)."""

    target = ""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = f"""<!doctype html><html><body><script>
        const out = {{}};
        const ws = new WebSocket("ws://{self.target}/");
        ws.onopen = () => {{ out.ws = "open"; }};
        ws.onerror = () => {{ out.ws = "refused"; }};
        fetch("http://{self.target}/", {{credentials: "include"}}).then(r => r.text()).then(
          t => {{ out.fetch = "read:" + t.length; }}, () => {{ out.fetch = "blocked"; }});
        fetch("http://{self.target}/media?path=/etc/hostname", {{credentials: "include", mode: "no-cors"}}).then(
          r => {{ out.media = r.type; }}, () => {{ out.media = "blocked"; }});
        window.result = out;
        </script></body></html>""".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_page_of_another_origin_cannot_connect_or_read(studio: Any, browser: Any) -> None:
    """From another port of 127.0.0.1 (same site) and from localhost (another site, no cookie sent)."""
    page = logged_in(browser, studio)  # this browser holds a live session cookie
    target = studio.url[len("http://"):-1]
    _Evil.target = target
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Evil)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        for host in ("127.0.0.1", "localhost"):
            sent: list[dict] = []
            attacker = page.context.new_page()
            attacker.on("request", lambda r: sent.append(r.all_headers()) if target in r.url else None)
            attacker.goto(f"http://{host}:{evil.server_address[1]}/")
            until(attacker, "window.result && result.ws && result.fetch && result.media", 10)
            result = attacker.evaluate("window.result")
            assert result["ws"] == "refused", (host, result)  # Origin is not studio's own: refused at the handshake
            assert result["fetch"] == "blocked", (host, result)  # no CORS: nothing can be read
            assert result["media"] in ("opaque", "blocked"), (host, result)
            if host == "localhost":  # another site: SameSite=Strict keeps the cookie at home
                assert sent and not any("reelkit_studio" in h.get("cookie", "") for h in sent), sent
            attacker.close()
    finally:
        evil.shutdown()
        page.context.close()
