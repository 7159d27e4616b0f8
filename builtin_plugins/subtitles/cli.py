"""``reelkit subtitles …``: the everyday operations from a shell (imports click only)."""

from __future__ import annotations

import click

__all__ = ["subtitles"]


def _invoke(command_id: str, payload: dict) -> None:
    import sys

    from reelkit.sdk.cli import EXIT_ERROR, print_json, run_kernel

    result = run_kernel(lambda k: k.invoke(command_id, payload))
    if getattr(result, "ok", True) is False:  # validate found errors: the report, then a failing status
        print_json(result)
        sys.exit(EXIT_ERROR)
    if getattr(result, "output", None):
        data = result.model_dump(mode="json")
        data.pop("content", None)  # the file holds it; keep the terminal readable
        print_json(data)
    elif hasattr(result, "content"):
        click.echo(result.content, nl=False)
    else:
        print_json(result)


@click.group()
def subtitles() -> None:
    """Subtitle files: convert, validate, fix, shift."""


@subtitles.command()
@click.argument("file")
@click.option("--to", "to", help="Target format (srt, vtt, ass, ttml …); default: from -o's suffix")
@click.option("-o", "--output", help="File to write; default: print to stdout")
@click.option("--encoding", help="Source encoding; default: detected")
@click.option("--fps", type=float, help="Frame rate for MicroDVD")
def convert(file: str, to: str | None, output: str | None, encoding: str | None, fps: float | None) -> None:
    """Convert FILE to another subtitle format."""
    _invoke("subtitles.convert", {"path": file, "to": to, "output": output, "encoding": encoding, "fps": fps})


@subtitles.command()
@click.argument("file")
def validate(file: str) -> None:
    """Report overlaps, bad durations, long lines and fast reading speeds in FILE."""
    _invoke("subtitles.validate", {"path": file})


@subtitles.command()
@click.argument("file")
@click.option("-o", "--output", help="File to write; default: print to stdout")
def fix(file: str, output: str | None) -> None:
    """Resolve overlaps and enforce minimum durations and gaps in FILE."""
    _invoke("subtitles.fix", {"path": file, "output": output})


@subtitles.command()
@click.argument("file")
@click.argument("offset_ms", type=int)
@click.option("-o", "--output", help="File to write; default: print to stdout")
def shift(file: str, offset_ms: int, output: str | None) -> None:
    """Move every cue of FILE by OFFSET_MS milliseconds (negative: earlier)."""
    _invoke("subtitles.shift", {"path": file, "offset_ms": offset_ms, "output": output})
