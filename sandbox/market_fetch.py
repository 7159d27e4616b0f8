"""The client's transport for TUF: httpx with a deadline on every download, and download progress.

ngclient bounds the *size* of every file (endless data); the *time* is the fetcher's job (slow
retrieval: a mirror dripping bytes). Each fetch gets ``deadline_s`` in all, connect and every read
included: past it the download ends with TUF's :class:`SlowRetrievalError`. It is checked as each
chunk arrives, and no single wait may last more than a quarter of it, so a download ends within
about 1.25 times its deadline however the mirror drips or stalls.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from tuf.api import exceptions
from tuf.ngclient import FetcherInterface



class DeadlineFetcher(FetcherInterface):
    """``FetcherInterface`` on one ``httpx.Client``; ``progress(url, done)`` is called per chunk."""

    def __init__(self, deadline_s: float = 60.0, progress: Callable[[str, int], None] | None = None,
                 client=None):
        self.deadline_s = deadline_s
        self.progress = progress
        self._own = client is None
        self._client = client or new_http_client()

    def _fetch(self, url: str) -> Iterator[bytes]:
        import httpx

        deadline = time.monotonic() + self.deadline_s
        try:
            # a read may wait a quarter of the deadline: the whole download ends within ~1.25x of it
            wait = min(self.deadline_s, max(1.0, self.deadline_s / 4))
            req = self._client.build_request("GET", url, timeout=httpx.Timeout(wait))
            resp = self._client.send(req, stream=True)
        except httpx.TimeoutException as e:
            raise exceptions.SlowRetrievalError(f"{url}: no answer within {self.deadline_s} s") from e
        if resp.status_code != 200:
            resp.close()
            raise exceptions.DownloadHTTPError(f"{url}: HTTP {resp.status_code}", resp.status_code)
        return self._chunks(url, resp, deadline)

    def _chunks(self, url: str, resp, deadline: float) -> Iterator[bytes]:
        import httpx

        done = 0
        try:
            for chunk in resp.iter_raw():  # as received: a chunk size would wait to fill it
                if time.monotonic() > deadline:
                    raise exceptions.SlowRetrievalError(
                        f"{url}: {done} bytes after {self.deadline_s} s; download deadline passed")
                done += len(chunk)
                if self.progress is not None:
                    self.progress(url, done)
                yield chunk
        except httpx.TimeoutException as e:
            raise exceptions.SlowRetrievalError(f"{url}: stalled; download deadline {self.deadline_s} s") from e
        except httpx.HTTPError as e:
            raise exceptions.DownloadError(f"{url}: {e}") from e
        finally:
            resp.close()

    def close(self) -> None:
        if self._own:
            self._client.close()


def new_http_client():
    """The client fetchers share (thread-safe; making one costs milliseconds: its TLS context)."""
    import httpx

    return httpx.Client(follow_redirects=False, trust_env=False, headers={"User-Agent": "reelkit-market"})
