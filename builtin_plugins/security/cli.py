"""``reelkit security …``: the only place a passphrase is prompted for (hidden input, never echoed)."""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["security"]


async def _call(k: Any, command_id: str, payload: dict[str, Any]) -> Any:
    """Invoke; when the vault is locked and a terminal is attached, prompt for the passphrase once and retry."""
    from reelkit.sdk import KernelError

    try:
        return await k.invoke(command_id, payload)
    except KernelError as e:
        if e.code != "security.locked" or not sys.stdin.isatty():
            raise
        passphrase = click.prompt("Vault passphrase", hide_input=True, err=True)
        await k.invoke("security.unlock", {"passphrase": passphrase})
        return await k.invoke(command_id, payload)


def _run(command_id: str, payload: dict[str, Any], *, reveal: bool = False) -> None:
    from reelkit.sdk.cli import print_json, run_kernel

    async def go(k: Any) -> None:
        out = await _call(k, command_id, payload)
        print_json(out.model_dump(mode="json", context={"reveal_secrets": reveal}))

    run_kernel(go, builtins=["security"])


@click.group("security")
def security() -> None:
    """Secrets, API keys and OAuth connections."""


@security.command("unlock")
@click.option("--rotate", is_flag=True, help="Re-encrypt the vault under a new passphrase")
def unlock(rotate: bool) -> None:
    """Check the vault passphrase (prompted), creating the vault when there is none."""
    payload: dict[str, Any] = {"passphrase": click.prompt("Vault passphrase", hide_input=True, err=True)}
    if rotate:
        payload["new_passphrase"] = click.prompt("New passphrase", hide_input=True, confirmation_prompt=True, err=True)
    _run("security.unlock", payload)


@security.command("set")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="Read the value from standard input")
def set_secret(name: str, from_stdin: bool) -> None:
    """Store a secret; the value is prompted for (hidden) or read from stdin, never taken as an argument."""
    value = sys.stdin.read().rstrip("\n") if from_stdin else click.prompt("Value", hide_input=True, err=True)
    _run("security.secret_set", {"name": name, "value": value})


@security.command("get")
@click.argument("name")
def get_secret(name: str) -> None:
    """Print a secret's value."""
    _run("security.secret_get", {"name": name}, reveal=True)


@security.command("list")
def list_secrets() -> None:
    """Names and masked values."""
    _run("security.secret_list", {})


@security.command("delete")
@click.argument("name")
def delete_secret(name: str) -> None:
    """Delete a secret."""
    _run("security.secret_delete", {"name": name})


@security.command("validate")
@click.argument("provider")
def validate(provider: str) -> None:
    """Check the stored API key of PROVIDER with the provider."""
    import sys

    from reelkit.sdk.cli import EXIT_ERROR, print_json, run_kernel

    result = run_kernel(lambda k: _call(k, "security.key_validate", {"provider": provider}), builtins=["security"])
    print_json(result)
    if result.status != "valid":  # invalid, rate-limited, unreachable: a script must see the failure
        sys.exit(EXIT_ERROR)


@security.command("connect")
@click.argument("provider")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds to wait for the browser")
def connect(provider: str, timeout: float) -> None:
    """Connect a YouTube, TikTok or Instagram account (OAuth with PKCE) through the browser."""
    from reelkit.sdk.cli import print_json, run_kernel

    async def go(k: Any) -> None:
        import webbrowser

        started = await _call(k, "security.oauth_start", {"provider": provider})
        click.echo(f"Open this URL to connect {provider}:\n{started.authorization_url}", err=True)
        webbrowser.open(started.authorization_url)
        out = await k.invoke("security.oauth_status", {"provider": provider, "wait_s": timeout})
        print_json(out.model_dump(mode="json"))

    run_kernel(go, builtins=["security"])
