"""Consent: a WASM plugin gets exactly the permissions a person agreed to, never more.

The contract (the marketplace builds on it; see docs/wasm-plugins.md, "Consent"):

- :func:`permissions` turns a manifest's ``permissions`` into a flat, normalized list of
  :class:`Permission` entries, each with a ``kind`` (``command``, ``event``, ``setting``, ``http``,
  ``filesystem``, ``storage``), a canonical ``value`` and the author's ``reason``. Two manifests
  that grant the same things give the same entries, whatever their field order or defaults.
- :func:`permissions_digest` is ``"sha256:<hex>"`` of the canonical set (kinds and values, sorted;
  reasons are not part of it: rewording a reason grants nothing).
- :func:`permission_diff` ``(old, new)`` compares two versions (``old`` is ``None`` for a first
  install): ``added``, ``widened`` (same key, more access: an http grant with another port or
  scheme or private addresses, a filesystem mapping switched to ``rw`` or pointed elsewhere, a
  bigger storage quota), ``removed``, ``unchanged`` (and ``narrowed``: same key, less access); ``needs_consent`` is true when anything was
  added or widened.
- :func:`check_consent` ``(old, new, consent)`` is what ``sandbox.install`` (first install, replace,
  update) runs before anything touches the disk. ``consent`` is the exact permission list the
  person agreed to (entries with ``kind`` and ``value``; ``reason`` is ignored) or its digest.
  When the new version asks for anything beyond it, the install is refused with
  :class:`ConsentRequired` (``sandbox.consent_required``), whose details carry the diff, the
  digest to consent with, and the full list with reasons to show. An update that only keeps or
  narrows what was already granted needs no new consent; nothing else grants silently.
- The digest consented to is recorded with the installed plugin; a manifest on disk whose
  permissions no longer match it is refused at load (a hand-edited ``plugin.json`` grants nothing).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Iterable, Sequence

from reelkit.sdk import PermissionDenied

from .manifest import Manifest

__all__ = ["ConsentRequired", "Permission", "PermissionDiff", "check_consent", "parse_consent",
           "permission_diff", "permissions", "permissions_digest"]


class ConsentRequired(PermissionDenied):
    """The plugin asks for permissions nobody consented to; details: ``diff``, ``digest``, ``permissions``."""

    code = "sandbox.consent_required"


@dataclass(frozen=True, order=True)
class Permission:
    """One thing a plugin may do. ``key`` names it (what a newer version can widen)."""

    kind: str
    key: str
    value: str
    reason: str = field(default="", compare=False)

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "reason": self.reason}

    def label(self) -> str:
        return f"{self.kind} {self.value}"


def _ports(g: Any) -> list[int]:
    default = {"http": 80, "https": 443}
    return sorted(set(g.ports) if g.ports else {default[s] for s in g.schemes})


def permissions(man: Manifest) -> list[Permission]:
    """The manifest's permissions as a sorted, normalized list (duplicates merged)."""
    p = man.permissions
    out: dict[tuple[str, str], Permission] = {}

    def add(kind: str, key: str, value: str, reason: str) -> None:
        out.setdefault((kind, value), Permission(kind, key, value, reason))

    for g in p.commands:
        add("command", g.pattern, g.pattern, g.reason)
    for g in p.events:
        add("event", g.pattern, g.pattern, g.reason)
    for g in p.settings:
        add("setting", g.pattern, g.pattern, g.reason)
    for g in p.http:
        host = g.host.lower()
        value = (f"{','.join(sorted(set(g.schemes)))}://{host}:{','.join(map(str, _ports(g)))}"
                 + (" private" if g.allow_private else ""))
        add("http", host, value, g.reason)
    for g in p.filesystem:
        add("filesystem", g.guest, f"{g.host} -> {g.guest} ({g.mode})", g.reason)
    if p.storage is not None:
        add("storage", "storage", f"{p.storage.quota_bytes} bytes", p.storage.reason)
    return sorted(out.values())


def _canonical(perms: Iterable[Permission]) -> bytes:
    return json.dumps(sorted([q.kind, q.value] for q in perms), separators=(",", ":")).encode()


def permissions_digest(man_or_perms: Manifest | Sequence[Permission]) -> str:
    """``"sha256:<hex>"`` of the canonical permission set (kinds and values; not the reasons)."""
    perms = permissions(man_or_perms) if isinstance(man_or_perms, Manifest) else man_or_perms
    return "sha256:" + hashlib.sha256(_canonical(perms)).hexdigest()


def _wider(kind: str, old: str, new: str) -> bool:
    """Whether ``new`` grants anything ``old`` did not (same kind and key)."""
    if kind == "http":
        def parts(v: str) -> tuple[set[str], set[str], bool]:
            schemes, _, rest = v.partition("://")
            hostports, _, private = rest.partition(" ")
            return set(schemes.split(",")), set(hostports.rsplit(":", 1)[1].split(",")), bool(private)

        (s0, p0, v0), (s1, p1, v1) = parts(old), parts(new)
        return not (s1 <= s0 and p1 <= p0 and (v0 or not v1))
    if kind == "filesystem":
        host0, mode0 = old.split(" -> ")[0], old.rsplit("(", 1)[1]
        host1, mode1 = new.split(" -> ")[0], new.rsplit("(", 1)[1]
        return host1 != host0 or (mode1 == "rw)" and mode0 != "rw)")
    if kind == "storage":
        return int(new.split()[0]) > int(old.split()[0])
    return old != new


@dataclass
class PermissionDiff:
    """What a new version asks for compared with the old one."""

    added: list[Permission] = field(default_factory=list)
    widened: list[tuple[Permission, Permission]] = field(default_factory=list)  # (old, new)
    removed: list[Permission] = field(default_factory=list)
    unchanged: list[Permission] = field(default_factory=list)
    narrowed: list[tuple[Permission, Permission]] = field(default_factory=list)  # (old, new): less access

    @property
    def needs_consent(self) -> bool:
        return bool(self.added or self.widened)

    def as_dict(self) -> dict[str, Any]:
        return {"added": [p.as_dict() for p in self.added],
                "widened": [{"old": o.as_dict(), "new": n.as_dict()} for o, n in self.widened],
                "removed": [p.as_dict() for p in self.removed],
                "unchanged": [p.as_dict() for p in self.unchanged],
                "narrowed": [{"old": o.as_dict(), "new": n.as_dict()} for o, n in self.narrowed],
                "needs_consent": self.needs_consent}

    def lines(self) -> list[str]:
        """For people: one line per change, ``+`` added, ``^`` widened, ``v`` narrowed, ``-`` removed."""
        return ([f"  + {p.label()}: {p.reason}" for p in self.added]
                + [f"  ^ {o.label()}  =>  {n.value}: {n.reason}" for o, n in self.widened]
                + [f"  v {o.label()}  =>  {n.value}" for o, n in self.narrowed]
                + [f"  - {p.label()}" for p in self.removed])


def permission_diff(old: Manifest | Sequence[Permission] | None, new: Manifest | Sequence[Permission]) -> PermissionDiff:
    """Compare two versions' permissions (``old`` ``None``: a first install, everything is added)."""
    old_p = [] if old is None else (permissions(old) if isinstance(old, Manifest) else list(old))
    new_p = permissions(new) if isinstance(new, Manifest) else list(new)
    diff = PermissionDiff()
    old_by_value = {(p.kind, p.value): p for p in old_p}
    new_values = {(p.kind, p.value) for p in new_p}
    old_by_key: dict[tuple[str, str], list[Permission]] = {}
    for p in old_p:
        if (p.kind, p.value) not in new_values:
            old_by_key.setdefault((p.kind, p.key), []).append(p)
    matched_old: set[tuple[str, str]] = set()
    for p in new_p:
        if (p.kind, p.value) in old_by_value:
            diff.unchanged.append(p)
            continue
        same_key = old_by_key.get((p.kind, p.key), [])
        if p.kind in ("http", "filesystem", "storage") and same_key:
            o = same_key[0]
            matched_old.add((o.kind, o.value))
            if _wider(p.kind, o.value, p.value):
                diff.widened.append((o, p))
            else:
                diff.narrowed.append((o, p))  # less access: nothing new to consent to
        else:
            diff.added.append(p)
    for p in old_p:
        if (p.kind, p.value) not in new_values and (p.kind, p.value) not in matched_old:
            diff.removed.append(p)
    return diff


def parse_consent(consent: str | Sequence[Any] | None) -> str | set[tuple[str, str]] | None:
    """A digest string, or the set of (kind, value) pairs of a consented list; ``None`` stays."""
    if consent is None or isinstance(consent, str):
        return consent
    pairs: set[tuple[str, str]] = set()
    for item in consent:
        if isinstance(item, Permission):
            pairs.add((item.kind, item.value))
        elif isinstance(item, dict) and isinstance(item.get("kind"), str) and isinstance(item.get("value"), str):
            pairs.add((item["kind"], item["value"]))
        else:
            raise ConsentRequired(f"consent entry {item!r} is not a permission; pass the entries shown "
                                  f"(each with 'kind' and 'value') or their digest",
                                  details={"entry": repr(item)[:200]})
    return pairs


def covered(new: Manifest, consent: str | Sequence[Any] | None) -> bool:
    """Whether ``consent`` (a digest or a list) covers everything ``new`` asks for."""
    parsed = parse_consent(consent)
    if parsed is None:
        return False
    if isinstance(parsed, str):
        return parsed == permissions_digest(new)
    return all((p.kind, p.value) in parsed for p in permissions(new))


def check_consent(old: Manifest | None, new: Manifest, consent: str | Sequence[Any] | None) -> PermissionDiff:
    """Refuse (:class:`ConsentRequired`) unless ``consent`` covers what ``new`` adds or widens."""
    diff = permission_diff(old, new)
    if not diff.needs_consent or covered(new, consent):
        return diff
    digest = permissions_digest(new)
    asks = [p.label() for p in diff.added] + [f"{n.label()} (was {o.value})" for o, n in diff.widened]
    what = "an update of" if old is not None else "installing"
    got = ("no consent was given" if consent is None else
           "the digest given is not this version's" if isinstance(consent, str) else
           "the permission list given does not cover it")
    raise ConsentRequired(
        f"{what} plugin '{new.id}' {new.version} needs consent for: {'; '.join(asks)}; {got}. Show "
        f"the permissions with their reasons and pass consent={digest!r} (or the exact list) once a "
        f"person agreed (CLI: answer the prompt, or --yes / --consent {digest})",
        details={"plugin": new.id, "version": new.version, "digest": digest, "diff": diff.as_dict(),
                 "permissions": [p.as_dict() for p in permissions(new)]})


def as_list(man: Manifest) -> list[dict[str, str]]:
    """The permission list as plain dicts (for ``sandbox.info`` and JSON output)."""
    return [asdict(p) | {"key": p.key} for p in permissions(man)]
