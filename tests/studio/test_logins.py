"""One-time login tokens and sessions, on a clock the test moves (no waiting)."""

from __future__ import annotations

from reelkit.kernel.studio.logins import Logins


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_login_token_works_once_and_carries_its_grants() -> None:
    logins = Logins(clock=Clock())
    token = logins.issue(["media", "kernel.health"])
    session = logins.redeem(token)
    assert session is not None and session != token
    assert logins.grants_for(session) == ("media", "kernel.health")
    assert logins.redeem(token) is None  # reused
    assert logins.redeem("a-guess") is None and logins.redeem(None) is None
    assert logins.grants_for("a-guess") is None
    logins.end(session)
    assert logins.grants_for(session) is None  # logged out


def test_login_tokens_and_sessions_expire() -> None:
    clock = Clock()
    logins = Logins(ttl=60, session_ttl=3600, clock=clock)
    late = logins.issue(["*"])
    clock.now += 61
    assert logins.redeem(late) is None  # the link was not used in time
    session = logins.redeem(logins.issue(["*"]))
    clock.now += 3599
    assert logins.grants_for(session) == ("*",)
    clock.now += 2
    assert logins.grants_for(session) is None
