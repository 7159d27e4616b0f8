"""Whatever the bytes, the answer is a track or a KernelError — never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from reelkit.builtin_plugins.subtitles.formats import FORMATS, read
from reelkit.builtin_plugins.subtitles.source import load
from reelkit.sdk import KernelError

_PIECES = ["1", "2", "00:00:01,000 --> 00:00:02,000", "00:01.000 --> 00:02.000", "-->", "WEBVTT", "", "",
           "[Script Info]", "[Events]", "Format: Layer, Start, End, Style, Text", "Dialogue: 0,0:00:01.00,0:00:02.00,,x",
           "{1}{1}25", "{10}{20}hi", "[10][20]hi", "00:00:01:hi", "<tt xmlns=\"http://www.w3.org/ns/ttml\">",
           "<p begin=\"1s\" end=\"x\">", "</tt>", "{\"events\": [", "NOTE", "STYLE", "<i>", "{\\i1}", "\x00"]

lines = st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=20)), max_size=25).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines)
def test_detect_and_parse_never_crash(text):
    try:
        load(content=text, fps=25)
    except KernelError:
        pass


@pytest.mark.parametrize("fmt", list(FORMATS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(text=lines)
def test_each_reader_raises_only_kernel_errors(fmt, text):
    try:
        read(text, fmt, fps=25)
    except KernelError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes(tmp_path_factory, data):
    p = tmp_path_factory.mktemp("fuzz") / "x.srt"
    p.write_bytes(data)
    try:
        load(str(p))
    except KernelError:
        pass
