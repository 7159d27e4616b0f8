"""CLI placeholder (filled below)."""


def register(cli) -> None:
    pass
