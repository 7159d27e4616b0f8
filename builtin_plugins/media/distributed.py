"""``media.import`` over a Dask cluster: each file probed and thumbnailed on a worker.

The command stays where it is (discovery, events, progress, cancel run in the caller); only the work
on one file — ``media.probe`` and the thumbnail — runs on a worker, through that worker's own media
service. Storage: workers read the files at the caller's paths and write thumbnails into their media
cache, so a fleet shares the cache folder (``REELKIT_CACHE_DIR`` on shared storage; a local cluster
uses this kernel's folders).
"""

from __future__ import annotations

import threading
from typing import Any

_lock = threading.Lock()
imported_here = 0  # files this worker process imported (for ``cluster status`` style checks)


def import_one(path: str, thumbnails: bool) -> dict[str, Any]:
    """On a worker: probe ``path`` and make its thumbnail; thumbnail errors are returned, not raised."""
    global imported_here
    from reelkit.kernel.cluster_worker import runtime
    from reelkit.sdk import KernelError

    from .service import MediaService

    media = runtime().service(MediaService)
    info, cached = media.probe(path)
    thumb, error = None, None
    if thumbnails and any(s.kind == "video" for s in info.streams):  # cover art counts
        try:
            thumb = media.thumbnail(path, min(1.0, (info.duration or 0) / 2))
        except KernelError as e:  # probed fine: imported, shown without a picture
            error = (e.code, e.message)
    with _lock:
        imported_here += 1
    return {"info": info, "cached": cached, "thumb": thumb, "error": error}


def count() -> int:
    return imported_here


def on_cluster(cluster: Any, path: str, thumbnails: bool) -> dict[str, Any]:
    """Run :func:`import_one` on the cluster and wait for it (from a worker thread of the caller)."""
    client = cluster.client()
    # no retries: a bad file fails alone at once (a dead worker's tasks are rerun by Dask anyway)
    return client.submit(import_one, path, thumbnails, pure=False).result()
