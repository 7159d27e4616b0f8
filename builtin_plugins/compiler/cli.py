"""``reelkit render PROJECT.json -o OUT``: a progress bar (percent, fps, speed, ETA); Ctrl-C cancels."""

from __future__ import annotations

import click


@click.command("render")
@click.argument("project", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Output video file")
@click.option("--preview", is_flag=True, help="Fast low-resolution preview render (360p, ultrafast)")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of a progress bar")
def render(project: str, output: str, preview: bool, as_json: bool) -> None:
    """Render a reelkit PROJECT (JSON) into a video file."""
    import asyncio

    from reelkit.sdk.cli import print_json, run_kernel

    async def go(k):
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        command = "compiler.preview_render" if preview else "compiler.render"
        ref = await k.invoke(command, {"project": project, "output": output})
        columns = [TextColumn("[bold]rendering"), BarColumn(), TextColumn("{task.percentage:>5.1f}%"),
                   TextColumn("{task.fields[fps]:>5.0f} fps"), TextColumn("{task.fields[speed]:>6.2f}x"),
                   TextColumn("ETA"), TimeRemainingColumn()]
        with Progress(*columns, disable=as_json, transient=False) as bar:
            task = bar.add_task("render", total=1.0, fps=0.0, speed=0.0)

            def on_event(ev) -> None:
                if ev.job_id == ref.job_id:
                    bar.update(task, completed=ev.fraction, fps=ev.fps, speed=ev.speed or 0.0)

            sub = k.bus.subscribe("compiler.render.progressed", on_event)
            try:
                result = await k.wait(ref)
            except asyncio.CancelledError:
                k.jobs.cancel(ref.job_id)  # Ctrl-C: stop FFmpeg, remove the partial file
                await k.jobs.wait(ref.job_id, timeout=10)
                raise
            finally:
                sub.dispose()
            bar.update(task, completed=1.0)
        return result

    result = run_kernel(go, as_json=as_json)
    if as_json:
        print_json(result)
    else:
        click.echo(f"wrote {result.output} ({result.duration:.2f} s, {result.bytes / 1e6:.2f} MB, "
                   f"encoder {result.encoder}{', fell back from ' + result.fallback_from if result.fallback_from else ''})")
