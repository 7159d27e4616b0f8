"""The subtitles step of ``reelkit demo``: a messy real-world file read, validated, fixed, converted,
and (when the media step made clips) muxed into a clip and extracted back."""

from __future__ import annotations

from pathlib import Path

# A cp1251 file with a BOM-less CRLF body, a missing blank line, a dot before the milliseconds,
# an overlap, a zero-length cue and an over-long line: what translators' tools really produce.
MESSY = ("1\r\n00:00:00,200 --> 00:00:01,600\r\n<i>Привет!</i> Это reelkit.\r\n"
         "2\r\n00:00:01.400 --> 00:00:02,600\r\nСубтитры в cp1251, без пустой строки\r\n\r\n"
         "3\r\n00:00:02,800 --> 00:00:02,800\r\nНулевая длительность\r\n\r\n"
         "4\r\n00:00:03,000 --> 00:00:05,000\r\n"
         "Эта строка слишком длинная для телевизионного экрана\r\n")


async def run(demo) -> None:
    from rich.table import Table

    work = Path(demo.workdir) / "subtitles"
    work.mkdir(parents=True, exist_ok=True)
    src = work / "messy.srt"
    src.write_bytes(MESSY.encode("cp1251"))

    parsed = await demo.invoke("subtitles.parse", {"path": str(src)})
    demo.say(f"{src.name}: {parsed.format}, {parsed.encoding}, {parsed.cue_count} cues")
    report = await demo.invoke("subtitles.validate", {"path": str(src)})
    table = Table("cue", "line", "severity", "issue", title="subtitles.validate")
    for i in report.issues:
        table.add_row(str(i.cue), str(i.line), i.severity, i.message)
    demo.console.print(table)

    fixed = await demo.invoke("subtitles.fix", {"path": str(src), "output": str(work / "fixed.srt")})
    demo.say(f"subtitles.fix: {fixed.resolved_overlaps} overlap(s) resolved, {fixed.fixed_durations} duration(s) "
             f"fixed, {fixed.remaining_errors} error(s) left → {fixed.output}")
    ass = await demo.invoke("subtitles.convert", {"path": fixed.output, "to": "ass", "output": str(work / "fixed.ass")})
    vtt = await demo.invoke("subtitles.convert", {"path": fixed.output, "output": str(work / "fixed.vtt")})
    demo.say(f"converted: {ass.output}, {vtt.output}")
    demo.artifacts["subtitles"] = {"srt": fixed.output, "ass": ass.output, "vtt": vtt.output}
    if fixed.remaining_errors:
        raise RuntimeError(f"subtitles.fix left {fixed.remaining_errors} errors in {fixed.output}")

    clips = demo.artifacts.get("clips") or []
    if clips:
        out = work / (Path(str(clips[0])).stem + ".subs.mkv")
        emb = await demo.invoke("subtitles.embed", {"path": str(clips[0]), "subtitle_path": fixed.output,
                                                     "output": str(out), "language": "rus"})
        back = await demo.invoke("subtitles.extract", {"path": emb.output, "stream": emb.stream})
        demo.say(f"embedded as stream {emb.stream} ({emb.codec}) in {emb.output}; extracted back "
                 f"{back.cue_count} cues")
        if back.cue_count != fixed.cue_count:
            raise RuntimeError(f"extracted {back.cue_count} cues from {emb.output}, embedded {fixed.cue_count}")
