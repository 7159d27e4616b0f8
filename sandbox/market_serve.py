"""``reelkit market serve DIR``: a static file server on loopback, for development, tests and the demo.

Production indexes go on any static host (the index is plain files); this one binds 127.0.0.1 only,
serves only files under DIR, and logs nothing.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the stdlib's signature
        pass


class StaticServer:
    """A running loopback server for ``root``; ``url`` is its base; ``close()`` stops it."""

    def __init__(self, root: Path, port: int = 0, handler: type[SimpleHTTPRequestHandler] = _Quiet):
        self.root = Path(root).resolve()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(self.root)))
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def start(self) -> "StaticServer":
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="reelkit-market-serve", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> "StaticServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()
