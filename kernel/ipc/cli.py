"""``reelkit serve`` and ``reelkit schema`` (added to the ``reelkit`` group by kernel/cli.py).

Only click is imported here at module level; the kernel and ``websockets`` load inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["serve_command", "studio_command", "schema_command"]


def _ipc_settings(k: Any, **overrides: Any) -> Any:
    from pydantic import ValidationError

    from reelkit.kernel.errors import SettingsInvalid

    from .settings import IpcSettings

    base = k.settings.section(IpcSettings)
    changes = {key: value for key, value in overrides.items() if value is not None}
    if not changes:
        return base
    try:
        return IpcSettings.model_validate({**base.model_dump(), **changes})
    except ValidationError as e:
        problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'ipc'}: {err['msg']}" for err in e.errors())
        raise SettingsInvalid(f"reelkit serve: {problems}", details={"section": "ipc"}) from e


async def _serve_websocket(k: Any, settings: Any, token_file: str | None, print_token: bool,
                           studio: bool = True, login: bool = False, browser: bool = False) -> None:
    import asyncio
    import json
    import signal

    from .auth import TokenTable, new_token, write_token_file
    from .kernel_dispatch import KernelDispatcher
    from .websocket import WebSocketServer

    token = settings.token or new_token()
    tokens = TokenTable({token: settings.grants, **settings.tokens})
    path = Path(token_file or settings.token_file or k.paths.data_dir / "ipc-token")
    dispatcher = KernelDispatcher(k)
    options = dict(host=settings.host, port=settings.port, allowed_origins=settings.allowed_origins,
                   allowed_hosts=settings.allowed_hosts,
                   limits=settings.limits(), max_message_bytes=settings.max_message_bytes)
    if studio:  # the console and the same JSON-RPC WebSocket on one port (kernel/studio/)
        from reelkit.kernel.studio.server import StudioServer, kernel_roots

        server: Any = StudioServer(dispatcher, tokens, kernel_roots(k, dispatcher), **options)
    else:
        server = WebSocketServer(dispatcher, tokens, **options)
    await server.start()
    write_token_file(path, token)  # only once listening: a failed start leaves no token behind
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ready = {"url": server.url, "port": server.port, "token_file": str(path), "grants": list(settings.grants)}
    if print_token:
        ready["token"] = token
    if studio:
        ready["studio"] = server.http_url
        if login:  # one-time: it opens a browser session with the main token's grants
            ready["login_url"] = server.login_url(settings.grants)
    print(json.dumps(ready), flush=True)  # one line a parent process can read
    if login:
        print(f"reelkit studio: open {ready['login_url']} (works once)", file=sys.stderr, flush=True)
        if browser:
            import webbrowser

            try:  # best effort: a machine without a browser still has the printed URL
                webbrowser.open(ready["login_url"])
            except Exception:
                pass
    try:
        await stop.wait()
    finally:
        print("reelkit serve: shutting down", file=sys.stderr, flush=True)
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        await server.close(grace=settings.shutdown_grace)
        if not settings.token:
            path.unlink(missing_ok=True)  # a per-run token dies with the server


@click.command("serve")
@click.option("--port", type=int, default=None, help="TCP port (default from [ipc] port, 8765; 0 = any free one).")
@click.option("--host", default=None, help="Address to bind (loopback unless [ipc] allow_remote = true).")
@click.option("--stdio", is_flag=True, help="Serve one client on stdin/stdout (Content-Length framing) instead.")
@click.option("--token-file", type=click.Path(dir_okay=False), default=None,
              help="Where to write the token (mode 0600; default: <data dir>/ipc-token).")
@click.option("--print-token", is_flag=True, help="Also print the token in the ready line on stdout.")
@click.option("--open", "open_", is_flag=True, help="Print a one-time studio login URL (login_url) and open a browser.")
@click.option("--no-studio", is_flag=True, help="Serve only the JSON-RPC WebSocket, without the studio console.")
def serve_command(port: int | None, host: str | None, stdio: bool, token_file: str | None, print_token: bool,
                  open_: bool = False, no_studio: bool = False, browser: bool = True) -> None:
    """Serve the kernel's commands and events over JSON-RPC 2.0 (WebSocket on loopback, or stdio).

    On start a JSON line {"url", "port", "token_file", …} is printed; clients send the token as
    'Authorization: Bearer <token>' or ?token=. Ctrl-C or SIGTERM shuts down gracefully.
    """
    from reelkit.sdk.cli import run_kernel

    async def go(k: Any) -> None:
        settings = _ipc_settings(k, port=port, host=host)
        if stdio:
            from .kernel_dispatch import KernelDispatcher
            from .stdio import serve_stdio

            reason = await serve_stdio(KernelDispatcher(k), grants=settings.stdio_grants, limits=settings.limits(),
                                       max_message_bytes=settings.max_message_bytes, grace=settings.shutdown_grace)
            if reason != "end of input":
                from reelkit.kernel.errors import KernelError

                raise KernelError(f"reelkit serve --stdio stopped: {reason}", code="ipc.stdio_failed")
        else:
            await _serve_websocket(k, settings, token_file, print_token, studio=not no_studio, login=open_,
                                   browser=open_ and browser)

    # with --stdio, stdout carries the protocol: errors must go to stderr
    run_kernel(go, as_json=not stdio)


@click.command("studio")
@click.option("--port", type=int, default=None, help="TCP port (default from [ipc] port, 8765; 0 = any free one).")
@click.option("--host", default=None, help="Address to bind (loopback unless [ipc] allow_remote = true).")
@click.option("--token-file", type=click.Path(dir_okay=False), default=None, help="Where to write the IPC token.")
@click.option("--no-browser", is_flag=True, help="Only print the login URL; do not open a browser.")
@click.pass_context
def studio_command(ctx: click.Context, port: int | None, host: str | None, token_file: str | None,
                   no_browser: bool) -> None:
    """Serve studio, the web console, and print a one-time login URL (as `reelkit serve --open`)."""
    ctx.invoke(serve_command, port=port, host=host, stdio=False, token_file=token_file, print_token=False,
               open_=True, no_studio=False, browser=not no_browser)


@click.command("schema")
@click.option("--typescript", "ts_out", type=click.Path(dir_okay=False), default=None,
              help="Write TypeScript types and a typed client to this file.")
@click.option("--openrpc", "rpc_out", type=click.Path(dir_okay=False), default=None,
              help="Write the OpenRPC document (every command) to this file.")
@click.option("--project", "project_out", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="Write the project document's JSON Schema to this file (- for stdout); point an editor at it "
                   'or name it in a project\'s "$schema" key.')
def schema_command(ts_out: str | None, rpc_out: str | None, project_out: str | None) -> None:
    """Export schemas: TypeScript bindings, an OpenRPC document, the project document's JSON Schema.

    \b
    Examples:
      reelkit schema --typescript reelkit.ts
      reelkit schema --project project.schema.json
    """
    if not ts_out and not rpc_out and not project_out:
        raise click.UsageError("give --typescript OUT.ts, --openrpc OUT.json and/or --project OUT.json")
    from reelkit.sdk.cli import run_kernel

    async def go(k: Any) -> None:
        import json

        from reelkit.kernel import __version__

        from .discover import openrpc_document
        from .kernel_dispatch import KernelDispatcher
        from .typescript import generate

        dispatcher = KernelDispatcher(k)
        if ts_out:
            _write(ts_out, generate(dispatcher.methods(), dispatcher.events(), version=__version__))
        if rpc_out:
            doc = openrpc_document(dispatcher, ["*"], version=__version__)
            _write(rpc_out, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        if project_out:  # the compiler plugin owns the format; the kernel only asks for it
            text = json.dumps((await k.invoke("compiler.project_schema", {})).schema_, indent=2,
                              ensure_ascii=False) + "\n"
            if project_out == "-":
                click.echo(text, nl=False)
            else:
                _write(project_out, text)

    run_kernel(go)


def _write(path: str, text: str) -> None:
    """Write atomically: a temporary name, fsync, rename."""
    from reelkit.kernel.files import atomic_write

    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(target, text, mode=0o644)
    click.echo(f"wrote {target}", err=True)


def reelkit_cli(cli: click.Group) -> None:
    """Add ``reelkit serve``, ``reelkit studio`` and ``reelkit schema`` (called like a plugin's hook by kernel/cli.py)."""
    cli.add_command(serve_command, "serve")
    cli.add_command(studio_command, "studio")
    cli.add_command(schema_command, "schema")
