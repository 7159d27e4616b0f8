"""HTTP for guests, done by the host under the plugin's HTTP grants.

Extism's own ``allowed_hosts`` checks the host name only and follows a redirect to any host
(an SSRF hole, see spinframework/spin#1881), so guests never get it. Here every hop — the first
URL and each redirect — has its scheme, host, port and resolved addresses checked; the
connection goes to the address that was checked (no second DNS lookup to rebind); private,
loopback and link-local addresses are refused unless the grant allows them; the body and the
total time are capped.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from fnmatch import fnmatchcase
from typing import Any, Sequence
from urllib.parse import urljoin, urlsplit

from .errors import HttpFailed, HttpTimeout, PermissionDenied
from .manifest import HttpGrant
from .watchdog import watch

_DEFAULT_PORT = {"http": 80, "https": 443}
_REDIRECTS = {301, 302, 303, 307, 308}


def _deny(plugin: str, url: str, why: str, fix: str) -> PermissionDenied:
    return PermissionDenied(f"plugin '{plugin}': HTTP request to {url} refused: {why}; {fix}",
                            details={"plugin": plugin, "url": url, "reason": why})


def _host_matches(pattern: str, host: str) -> bool:
    pattern = pattern.lower().strip("[]")
    return fnmatchcase(host, pattern) if "*" in pattern else host == pattern


def check_url(plugin: str, url: str, grants: Sequence[HttpGrant]) -> tuple[str, str, int, str, str]:
    """Check one hop; returns (scheme, host, port, ip, path). Raises PermissionDenied."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORT:
        raise _deny(plugin, url, f"scheme '{scheme}' is not HTTP(S)", "use an http(s) URL")
    host = (parts.hostname or "").lower()
    if not host:
        raise _deny(plugin, url, "no host in the URL", "use an absolute URL")
    try:
        port = parts.port or _DEFAULT_PORT[scheme]
    except ValueError:
        raise _deny(plugin, url, "invalid port", "fix the URL") from None
    if parts.username or parts.password:
        raise _deny(plugin, url, "credentials in the URL", "send credentials in a header")
    grant = next((g for g in grants if _host_matches(g.host, host)), None)
    if grant is None:
        raise _deny(plugin, url, f"host '{host}' is not granted",
                    f"add {{\"host\": \"{host}\"}} to permissions.http in plugin.json")
    if scheme not in grant.schemes:
        raise _deny(plugin, url, f"scheme '{scheme}' is not granted for {host}",
                    f"add '{scheme}' to that grant's schemes")
    allowed_ports = grant.ports or [_DEFAULT_PORT[scheme]]
    if port not in allowed_ports:
        raise _deny(plugin, url, f"port {port} is not granted for {host} (allowed: {allowed_ports})",
                    "add the port to that grant's ports")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise HttpFailed(f"cannot resolve {host}: {e}") from e
    ips = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        if not ip.is_global and not grant.allow_private:
            raise _deny(plugin, url, f"{host} resolves to the non-public address {ip}",
                        "set allow_private in that grant if the plugin must reach a local service")
        ips.append(str(ip))
    return scheme, host, port, ips[0], (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


class _Pinned(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._ip = ip

    def connect(self) -> None:
        self.sock = socket.create_connection((self._ip, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, ip: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._ip = ip

    def connect(self) -> None:
        sock = socket.create_connection((self._ip, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _shutdown(conn: http.client.HTTPConnection) -> None:
    sock = conn.sock
    if sock is not None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def fetch(plugin: str, request: dict[str, Any], grants: Sequence[HttpGrant], *,
          max_bytes: int, timeout_s: float, call_remaining_s: float | None = None,
          max_redirects: int = 5) -> dict[str, Any]:
    """Perform ``request`` ({method, url, headers, body}) and return {status, headers, body, url}.

    The whole request ends within ``timeout_s`` ([sandbox] http_timeout_s) and within what is left
    of the call (``call_remaining_s``), whichever comes first: :class:`HttpTimeout` otherwise.
    """
    limit = min(timeout_s, call_remaining_s) if call_remaining_s is not None else timeout_s
    which = ("the call's remaining time limit" if call_remaining_s is not None and call_remaining_s < timeout_s
             else "[sandbox] http_timeout_s")
    method = str(request.get("method", "GET")).upper()
    url = str(request.get("url", ""))
    headers = {str(k): str(v) for k, v in (request.get("headers") or {}).items()
               if str(k).lower() not in ("host", "content-length")}
    body = request.get("body")
    data = body.encode() if isinstance(body, str) else None
    deadline = time.monotonic() + limit

    def timed_out(host: str) -> HttpTimeout:
        return HttpTimeout(f"plugin '{plugin}': {method} {url} did not complete within {limit:.2f} s ({which}; "
                           f"connect, headers and body together); {host} is too slow",
                           details={"plugin": plugin, "url": url, "timeout_s": limit})

    for _hop in range(max_redirects + 1):
        scheme, host, port, ip, path = check_url(plugin, url, grants)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise timed_out(host)
        conn_cls = _PinnedTLS if scheme == "https" else _Pinned
        conn = conn_cls(host, port, ip, remaining)
        w = watch(deadline, lambda conn=conn: _shutdown(conn))
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            if w.fired:
                raise timed_out(host)
            if resp.status in _REDIRECTS and resp.getheader("Location"):
                url = urljoin(url, resp.getheader("Location"))
                if resp.status == 303 or (resp.status in (301, 302) and method == "POST"):
                    method, data = "GET", None
                continue
            payload = resp.read(max_bytes + 1)
            if w.fired:  # a body cut short by the deadline's shutdown reads as a clean end
                raise timed_out(host)
            if len(payload) > max_bytes:
                raise HttpFailed(f"response from {host} is larger than the {max_bytes}-byte cap")
            return {"status": resp.status, "url": url,
                    "headers": {k.lower(): v for k, v in resp.getheaders()},
                    "body": payload.decode("utf-8", errors="replace")}
        except (OSError, http.client.HTTPException) as e:
            if w.fired or time.monotonic() >= deadline or isinstance(e, TimeoutError):
                raise timed_out(host) from None
            raise HttpFailed(f"{method} {url} failed: {e}") from e
        finally:
            w.cancel()
            conn.close()
    raise HttpFailed(f"more than {max_redirects} redirects starting at {request.get('url')}")
