"""``reelkit probe FILE…``: a table for people, ``--json`` for machines.

With ``--json`` stdout is always a JSON list, one entry per file in order: the ``media.probe``
result, or ``{"path", "code", "message"}`` for a file that failed. The exit status is 1 when any
file failed (after the others were still probed), 0 otherwise.
"""

from __future__ import annotations

import click


@click.command("probe")
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list, one entry per file) instead of a table.")
def probe(files: tuple[str, ...], as_json: bool) -> None:
    """Describe media files: container, duration, video and audio streams."""
    import sys

    from reelkit.sdk import KernelError
    from reelkit.sdk.cli import EXIT_ERROR, print_json, run_kernel

    async def go(k):
        out = []
        for f in files:
            try:
                out.append(await k.invoke("media.probe", {"path": f}))
            except KernelError as e:
                out.append({"path": f, "code": e.code, "message": e.message})
        return out

    results = run_kernel(go, as_json=as_json, builtins=["media"], entry_points=False)
    failed = [r for r in results if isinstance(r, dict)]
    if as_json:
        print_json(results)
    else:
        from rich.console import Console

        from .tables import media_table

        good = [r for r in results if not isinstance(r, dict)]
        if good:
            Console().print(media_table(good))
        err = Console(stderr=True)
        for r in failed:
            err.print(f"[bold red]error[/] [red]{r['code']}[/]: {r['message']}", highlight=False)
    if failed:
        sys.exit(EXIT_ERROR)


@click.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--parallel", "max_parallel", type=click.IntRange(1, 64), default=None,
              help="Files at once (default: [media] max_parallel).")
@click.option("--no-thumbnails", is_flag=True, help="Probe only; make no thumbnails.")
@click.option("--json", "as_json", is_flag=True, help="Print the media.import result as JSON (no progress bar).")
def import_(paths: tuple[str, ...], max_parallel: int | None, no_thumbnails: bool, as_json: bool) -> None:
    """Import media files and folders (walked recursively): probe each, cache it, make thumbnails.

    A progress bar runs on stderr; Ctrl-C cancels cleanly. The exit status is 1 when any file failed.

    \b
    Examples:
      reelkit import ~/Footage
      reelkit import a.mp4 b.mov --no-thumbnails --json
    """
    import sys

    from reelkit.sdk.cli import EXIT_ERROR, follow_job, print_json, run_kernel

    async def go(k):
        ref = await k.invoke("media.import", {"paths": list(paths), "max_parallel": max_parallel,
                                              "thumbnails": not no_thumbnails})
        return await follow_job(k, ref, label="importing", quiet=as_json)

    result = run_kernel(go, as_json=as_json, builtins=["media"], entry_points=False)
    if as_json:
        print_json(result)
    else:
        from rich.console import Console

        click.echo(f"imported {len(result.files)} of {result.total} files")
        err = Console(stderr=True)
        for f in result.failed:
            err.print(f"[bold red]error[/] [red]{f.code}[/]: {f.path}: {f.message}", highlight=False)
    if result.failed:
        sys.exit(EXIT_ERROR)
