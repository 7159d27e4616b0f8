"""Sample subtitle texts shared by the subtitles tests."""

from __future__ import annotations

import pytest

SRT_SAMPLE = """1
00:00:01,000 --> 00:00:03,000
<i>Hello</i> <b>world</b>

2
00:00:03,500 --> 00:00:05,000
Second line
with two rows

3
00:00:06,000 --> 00:00:08,250
<font color="#ff0000">Red</font> text
"""

ASS_SAMPLE = r"""[Script Info]
ScriptType: v4.00+
PlayResX: 640
PlayResY: 360

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Arial,24,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,2,2,10,10,10,1
Style: Sign,Arial,18,&H0000FFFF,&H000000FF,&H00000000,&H00000000,1,0,0,0,100,100,0,0,1,2,2,8,10,10,10,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:01.00,0:00:03.00,Default,Ann,0,0,0,,{\pos(320,300)\b1}Hello{\b0} there
Comment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,a translator's note
Dialogue: 0,0:00:03.50,0:00:05.00,Default,Bob,0,0,0,,{\i1}Second{\i0} line\Nwith two rows
Dialogue: 0,0:00:04.00,0:00:06.00,Sign,,0,0,0,,{\fad(200,200)}EXIT
"""


@pytest.fixture
def srt_sample() -> str:
    return SRT_SAMPLE


@pytest.fixture
def ass_sample() -> str:
    return ASS_SAMPLE
