"""Subtitles benchmark (issue 8): parse and write a 10,000-cue file in every format, cues per second.

    python bench/bench_subtitles.py

Side by side: reelkit (decode from bytes + detect + parse with source lines; write) against plain pysubs2
on the same text (no detection, no line numbers, lenient). The issue sets no figure; the target used
here is ours: a 10,000-cue file (about six feature films) parsed and written in under a second each,
i.e. >= 10,000 cues/s.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._util import best_of, table, timed, verdict  # noqa: E402

N = 10_000
TARGET = 10_000  # cues per second
WORDS = "the quick brown fox jumps over a lazy dog while subtitles scroll past every viewer".split()


def make_track():
    import pysubs2

    from reelkit.builtin_plugins.subtitles.track import Track

    t = Track(subs=pysubs2.SSAFile(), format="srt")
    for i in range(N):
        start = i * 2500
        words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(6 + i % 5))
        text = f"{{\\i1}}{words}{{\\i0}}" if i % 7 == 0 else words
        if i % 3 == 0:
            text += "\\N" + " ".join(WORDS[(i * 3 + k) % len(WORDS)] for k in range(4))
        t.add(pysubs2.SSAEvent(start=start, end=start + 2000, text=text))
    return t


def main() -> int:
    import pysubs2

    from reelkit.builtin_plugins.subtitles import formats, source

    warnings.simplefilter("ignore")
    track = make_track()
    rows = []
    ok_all = True
    tmp = Path(tempfile.mkdtemp(prefix="bench-subs-"))
    for f in formats.FORMATS.values():
        if not f.writable:
            continue
        fps = 25 if f.needs_fps else None
        text = formats.write(track, f.name, fps=fps)
        path = tmp / f"big{f.extensions[0]}"
        path.write_text(text, encoding="utf-8")
        parsed = source.load(str(path), fps=fps)
        assert len(parsed.cues) == N, (f.name, len(parsed.cues))
        rk_parse = best_of(lambda: timed(lambda: source.load(str(path), fps=fps)), 5)
        rk_write = best_of(lambda: timed(lambda: formats.write(parsed, f.name, fps=fps)), 5)
        base = pysubs2.SSAFile.from_string(text, format_=f.name, fps=fps)
        py_parse = best_of(lambda: timed(lambda: pysubs2.SSAFile.from_string(text, format_=f.name, fps=fps)), 5)
        py_write = best_of(lambda: timed(lambda: base.to_string(f.name, fps=fps)), 5)
        rp, rw = N / rk_parse, N / rk_write
        ok = rp >= TARGET and rw >= TARGET
        ok_all &= ok
        rows.append([f.name, f"{len(text) / 1e6:.2f} MB", f"{rp:,.0f}", f"{N / py_parse:,.0f}",
                     f"{rp / (N / py_parse):.2f}", f"{rw:,.0f}", f"{N / py_write:,.0f}",
                     f"{rw / (N / py_write):.2f}", f"{min(rp, rw) / TARGET:.1f}x", verdict(ok)])
    table(f"Parse and write {N:,} cues (cues/s, median of 5; target >= {TARGET:,} cues/s each)",
          ["format", "size", "parse reelkit", "parse pysubs2", "ratio", "write reelkit", "write pysubs2",
           "ratio", "vs target", ""], rows)

    # Through the kernel: subtitles.parse returns every cue as a model, subtitles.validate checks them.
    from reelkit import Kernel

    srt = tmp / "big.srt"

    async def via_kernel() -> list[list[object]]:
        async with Kernel(builtins=["subtitles"], entry_points=False) as k:
            out = []
            for cid, payload in [("subtitles.parse", {"path": str(srt)}), ("subtitles.validate", {"path": str(srt)}),
                                 ("subtitles.convert", {"path": str(srt), "to": "ass"})]:
                await k.invoke(cid, payload)  # warm
                t0 = asyncio.get_running_loop().time()
                await k.invoke(cid, payload)
                dt = asyncio.get_running_loop().time() - t0
                out.append([cid, f"{dt * 1000:.0f} ms", f"{N / dt:,.0f}", f"{N / dt / TARGET:.1f}x",
                            verdict(N / dt >= TARGET)])
            return out

    krows = asyncio.run(via_kernel())
    table(f"Commands on the {N:,}-cue SRT through the kernel", ["command", "time", "cues/s", "vs target", ""],
          krows)
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
