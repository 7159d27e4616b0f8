"""Grants: the one matcher that decides what a caller may call, discover, receive and cancel.

A grant is a glob (``media``, ``compiler.*``, ``*``) matched against a command's capability or its id,
or an event's capability (its namespace unless it says otherwise) or its topic. A command's capability
defaults to its namespace, so ``media`` allows every ``media.…`` command, but not a command that asks
for a narrower capability (``security`` does not allow ``security.secret_read``). ``!glob`` excludes,
wins over any grant and, erring on the side of refusing, also covers everything below it at dot
boundaries: ``!security`` excludes ``security.secret_read`` and ``security.vault.opened``.

A caller's :class:`Grants` is a chain of such sets, one per caller on the way to the call: the
embedding app (no level: everything), an IPC token, a WASM plugin's manifest, the plugin it called …
A name is allowed only when *every* level allows it, so a nested call can narrow its caller's grants
and never widen them (``plugin.call → plugin.call → security.secret_get`` is checked against all
three callers, not only the last one).

Used by the command chain's permission layer, by IPC discovery, event delivery and cancel, and by
the sandbox: never match grants anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase
from typing import final

__all__ = ["Grants", "level_allows"]


def _excludes(name: str, glob: str) -> bool:
    return fnmatchcase(name, glob) or name.startswith(glob + ".") or fnmatchcase(name, glob + ".*")


def level_allows(level: Iterable[str], names: tuple[str, ...]) -> bool:
    """One set of grants: some grant matches one of ``names`` and no ``!`` exclusion covers any."""
    ok = False
    for g in level:
        if g[:1] == "!":
            if any(_excludes(n, g[1:]) for n in names):
                return False
        elif not ok and (g == "*" or any(fnmatchcase(n, g) for n in names)):
            ok = True
    return ok


@final
class Grants:
    """An immutable chain of grant sets; ``Grants.ALL`` (no level) allows everything."""

    __slots__ = ("levels", "_hash", "_memo")
    ALL: Grants

    def __init__(self, levels: Iterable[Iterable[str]] = ()) -> None:
        lv = tuple(frozenset(level) for level in levels)
        self.levels: tuple[frozenset[str], ...] = tuple(level for level in lv if level != {"*"})
        self._hash = hash(self.levels)
        self._memo: dict[tuple[str, ...], bool] = {}

    @classmethod
    def of(cls, grants: Grants | Iterable[str] | None) -> Grants:
        """``None`` → everything; a plain list of globs → one level; a ``Grants`` → itself."""
        if grants is None:
            return cls.ALL
        if isinstance(grants, Grants):
            return grants
        return cls((grants,))

    @property
    def is_all(self) -> bool:
        return not self.levels

    @property
    def depth(self) -> int:
        return len(self.levels)

    def narrow(self, grants: Grants | Iterable[str] | None) -> Grants:
        """These grants further narrowed by another caller's (appended as a level)."""
        other = Grants.of(grants)
        if other.is_all:
            return self
        if self.is_all:
            return other
        new = self.levels + tuple(level for level in other.levels if level not in self.levels)
        return self if new == self.levels else Grants(new)

    def allows(self, *names: str | None) -> bool:
        """Every level allows one of ``names`` (e.g. a command's capability or its id)."""
        if not self.levels:
            return True
        key = tuple(n for n in names if n)
        ok = self._memo.get(key)
        if ok is None:
            ok = all(level_allows(level, key) for level in self.levels)
            if len(self._memo) < 4096:
                self._memo[key] = ok
        return ok

    def allows_topic(self, topic: str, capability: str | None = None) -> bool:
        """Event delivery: the event's capability (default: its namespace) or its topic."""
        return self.allows(capability or topic.split(".", 1)[0], topic)

    def as_lists(self) -> list[list[str]]:
        """For display and serialization: each level's globs, sorted."""
        return [sorted(level) for level in self.levels] or [["*"]]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Grants) and other.levels == self.levels

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return "Grants.ALL" if self.is_all else f"Grants({self.as_lists()!r})"


Grants.ALL = Grants(())
