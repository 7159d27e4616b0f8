"""Errors of the marketplace (client and index tools), and the translation of TUF's own.

    KernelError
    ├── InputInvalid
    │   ├── IndexInvalid            market.index_invalid       (not an index dir, bad publisher name …)
    │   ├── KeyInvalid              market.key_invalid         (unreadable key, wrong passphrase, not the role's key)
    │   └── PackageMismatch         market.package_mismatch    (the package is not what its target says)
    ├── NotFound
    │   ├── SourceNotFound          market.source_not_found
    │   ├── PackageNotFound         market.not_found
    │   └── NoPrevious              market.no_previous         (rollback with nothing kept)
    ├── Conflict
    │   ├── SourceExists            market.source_exists
    │   ├── NameTaken               market.name_taken          (another publisher owns the plugin id)
    │   ├── Yanked                  market.yanked
    │   ├── PublisherRevoked        market.publisher_revoked
    │   └── Incompatible            market.incompatible        (needs a newer reelkit)
    ├── Unavailable
    │   ├── Unreachable             market.unreachable         (network gone, HTTP error, never refreshed)
    │   └── Expired                 market.expired             (cached metadata past its expiry: freeze)
    ├── Timeout
    │   └── SlowRetrieval           market.slow_retrieval      (a download ran past its deadline)
    ├── Untrusted                   market.untrusted           (signatures, thresholds, delegations)
    │   ├── Tampered                market.tampered            (length or hash mismatch)
    │   ├── RolledBack              market.rollback            (older metadata than already trusted)
    │   └── TooLarge                market.too_large           (more bytes than declared: endless data)
    └── UpdateRolledBack            market.update_rolled_back  (the new version failed to load; the old one is back)
"""

from __future__ import annotations

from typing import Any

from reelkit.sdk import Conflict, InputInvalid, KernelError, NotFound, Timeout, Unavailable


class IndexInvalid(InputInvalid):
    code = "market.index_invalid"


class KeyInvalid(InputInvalid):
    code = "market.key_invalid"


class PackageMismatch(InputInvalid):
    code = "market.package_mismatch"


class SourceNotFound(NotFound):
    code = "market.source_not_found"


class PackageNotFound(NotFound):
    code = "market.not_found"


class NoPrevious(NotFound):
    code = "market.no_previous"


class SourceExists(Conflict):
    code = "market.source_exists"


class NameTaken(Conflict):
    code = "market.name_taken"


class Yanked(Conflict):
    code = "market.yanked"


class PublisherRevoked(Conflict):
    code = "market.publisher_revoked"


class Incompatible(Conflict):
    code = "market.incompatible"


class Unreachable(Unavailable):
    code = "market.unreachable"


class Expired(Unavailable):
    code = "market.expired"


class SlowRetrieval(Timeout):
    code = "market.slow_retrieval"


class Untrusted(KernelError):
    """The index's metadata or a package failed TUF verification: nothing from it is used."""

    code = "market.untrusted"


class Tampered(Untrusted):
    code = "market.tampered"


class RolledBack(Untrusted):
    code = "market.rollback"


class TooLarge(Untrusted):
    code = "market.too_large"


class UpdateRolledBack(KernelError):
    code = "market.update_rolled_back"


def translate(e: BaseException, source: str, what: str = "metadata") -> KernelError:
    """A TUF exception (or an OSError) as the marketplace's coded error naming ``source``."""
    from tuf.api import exceptions as tx

    details: dict[str, Any] = {"source": source, "reason": f"{type(e).__name__}: {e}"}
    cause = e.__cause__ if isinstance(e, tx.DownloadError) and e.__cause__ else None
    if isinstance(e, tx.SlowRetrievalError) or isinstance(cause, tx.SlowRetrievalError):
        return SlowRetrieval(f"source '{source}': downloading {what} took longer than its deadline "
                             f"([market] download_timeout_s); the mirror is too slow or hostile — try "
                             f"again later or another mirror", details=details)
    if isinstance(e, tx.DownloadLengthMismatchError):
        return TooLarge(f"source '{source}': the mirror sent more bytes of {what} than the signed "
                        f"metadata allows ({e}); nothing was used — the mirror is broken or hostile",
                        details=details)
    if isinstance(e, tx.ExpiredMetadataError):
        return Expired(f"source '{source}': the index's {what} has expired ({e}); the mirror may be "
                       f"frozen — refresh when the index is republished, or use another mirror",
                       details=details)
    if isinstance(e, tx.BadVersionNumberError):
        return RolledBack(f"source '{source}': the mirror offered {what} older than what this client "
                          f"already trusts ({e}); refused as a rollback attack", details=details)
    if isinstance(e, tx.LengthOrHashMismatchError):
        return Tampered(f"source '{source}': {what} does not match its signed length or hashes ({e}); "
                        f"refused as tampered", details=details)
    if isinstance(e, tx.RepositoryError):
        return Untrusted(f"source '{source}': {what} failed verification ({e}); refused — report it to "
                         f"the index operator", details=details)
    if isinstance(e, tx.DownloadError):
        return Unreachable(f"source '{source}': cannot download {what} ({e}{': ' + str(cause) if cause else ''}); "
                           f"check the network or the source URL (reelkit market sources)", details=details)
    if isinstance(e, KernelError):
        return e
    return Unreachable(f"source '{source}': {what}: {type(e).__name__}: {e}", details=details)
