"""``reelkit market init|add-publisher|publish|yank|revoke-publisher|rotate|renew|serve``: index tools.

They work on an index directory and a key store, without a kernel. Keys are encrypted with a
passphrase: ``REELKIT_MARKET_PASSPHRASE``, or the secret ``REELKIT_MARKET_PASSPHRASE_SECRET`` names in
the security plugin's store (OS keychain or vault), or asked for.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

keys_option = click.option("--keys", "keys_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="The operator's key store (default: <DIR>.keys beside the index)")


def _passphrase(confirm: bool = False) -> str:
    """``REELKIT_MARKET_PASSPHRASE``; else the secret named by ``REELKIT_MARKET_PASSPHRASE_SECRET``, read
    through the security plugin (OS keychain or its vault); else a prompt."""
    value = os.environ.get("REELKIT_MARKET_PASSPHRASE")
    secret = os.environ.get("REELKIT_MARKET_PASSPHRASE_SECRET")
    if value is None and secret:
        from reelkit.sdk.cli import run_kernel

        out = run_kernel(lambda k: k.invoke("security.secret_get", {"name": secret}), as_json=False,
                         builtins=["security"])
        value = out.value.get_secret_value()
    if value is None:
        value = click.prompt("key passphrase", hide_input=True, confirmation_prompt=confirm)
    return value


def _tool(fn):
    """Run an index tool; a KernelError prints its code and exits 1."""
    from reelkit.sdk.cli import fail

    try:
        return fn()
    except Exception as e:
        fail(e, as_json=False, file=sys.stderr)


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@keys_option
@click.option("--root-keys", default=3, show_default=True, help="Number of root keys")
@click.option("--threshold", default=2, show_default=True, help="Root keys needed to sign a new root")
@click.option("--timestamp-expiry", type=float, default=None, help="Seconds (default one day)")
@click.option("--snapshot-expiry", type=float, default=None, help="Seconds (default seven days)")
def init_cmd(directory: Path, keys_dir: Path | None, root_keys: int, threshold: int,
             timestamp_expiry: float | None, snapshot_expiry: float | None) -> None:
    """Create a new index in DIRECTORY: keys (outside it), root, targets, snapshot, timestamp."""
    from .market_index import Index

    expiry = {k: v for k, v in (("timestamp", timestamp_expiry), ("snapshot", snapshot_expiry)) if v}
    idx = _tool(lambda: Index.init(directory, keys_dir, _passphrase(confirm=True), root_keys=root_keys,
                                   threshold=threshold, expiry=expiry))
    click.echo(f"index {idx.dir}\nkeys  {idx.keys_dir} (encrypted; keep them off the web server)\n"
               f"users pin {idx.meta_dir / '1.root.json'}: reelkit market source add URL --root 1.root.json")


@click.command("add-publisher")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("name")
@keys_option
@click.option("--key-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the publisher's new key goes (default: the operator's key store)")
def add_publisher_cmd(directory: Path, name: str, keys_dir: Path | None, key_dir: Path | None) -> None:
    """Delegate NAME/*/* to a new publisher key."""
    from .market_index import Index

    key = _tool(lambda: Index(directory, keys_dir, _passphrase()).add_publisher(name, key_dir))
    click.echo(f"publisher {name}: key {key} (give it to the publisher; publish with --key {key})")


@click.command("publish")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("packages", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", "key", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The publisher's private key (.pem)")
@keys_option
@click.option("--min-reelkit", default=None, help="Lowest reelkit version the packages run on")
def publish_cmd(directory: Path, packages: tuple[Path, ...], key: Path, keys_dir: Path | None,
                min_reelkit: str | None) -> None:
    """Check PACKAGES as install would, sign them into the publisher's role, re-sign snapshot and timestamp."""
    from .market_index import Index

    paths = _tool(lambda: Index(directory, keys_dir, _passphrase()).publish(list(packages), key,
                                                                          min_reelkit=min_reelkit))
    click.echo("\n".join(f"published {p}" for p in paths))


@click.command("yank")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("name")
@click.argument("version")
@click.option("--reason", default="yanked by the operator", help="Shown to users who ask for it")
@keys_option
def yank_cmd(directory: Path, name: str, version: str, reason: str, keys_dir: Path | None) -> None:
    """Stop offering one version (installed copies keep working; outdated flags them)."""
    from .market_index import Index

    path = _tool(lambda: Index(directory, keys_dir, _passphrase()).yank(name, version, reason))
    click.echo(f"yanked {path}")


@click.command("revoke-publisher")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("name")
@click.option("--reason", default="revoked by the operator", help="Shown to users of its plugins")
@keys_option
def revoke_cmd(directory: Path, name: str, reason: str, keys_dir: Path | None) -> None:
    """Remove a publisher's delegation: its key signs nothing clients accept any more."""
    from .market_index import Index

    _tool(lambda: Index(directory, keys_dir, _passphrase()).revoke_publisher(name, reason))
    click.echo(f"revoked publisher {name}")


@click.command("rotate")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("role")
@keys_option
@click.option("--key-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="For a publisher: where its key lives (default: the operator's key store)")
def rotate_cmd(directory: Path, role: str, keys_dir: Path | None, key_dir: Path | None) -> None:
    """New key(s) for ROLE: root, targets, snapshot, timestamp, or a publisher's name."""
    from .market_index import Index

    _tool(lambda: Index(directory, keys_dir, _passphrase()).rotate(role, key_dir))
    click.echo(f"rotated {role}; clients follow the signed root chain")


@click.command("renew")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@keys_option
def renew_cmd(directory: Path, keys_dir: Path | None) -> None:
    """Re-sign snapshot and timestamp (run it more often than the timestamp expires)."""
    from .market_index import Index

    _tool(lambda: Index(directory, keys_dir, _passphrase()).renew())
    click.echo("renewed snapshot and timestamp")


@click.command("serve")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--port", default=8765, show_default=True, help="Port on 127.0.0.1 (0: any free port)")
def serve_cmd(directory: Path, port: int) -> None:
    """Serve the index DIRECTORY on loopback (development; production is any static host)."""
    import time

    from .market_serve import StaticServer

    srv = StaticServer(directory, port).start()
    click.echo(f"serving {directory} at {srv.url} (Ctrl-C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        srv.close()


def add_tools(group: click.Group) -> None:
    """Add the index tools to the ``market`` group."""
    for cmd in (init_cmd, add_publisher_cmd, publish_cmd, yank_cmd, revoke_cmd, rotate_cmd, renew_cmd, serve_cmd):
        group.add_command(cmd)
