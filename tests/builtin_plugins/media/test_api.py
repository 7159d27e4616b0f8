"""The public surface: api.py names are pinned, and importing or booting the plugin stays light."""

from __future__ import annotations

import subprocess
import sys

import reelkit.builtin_plugins.media.api as api


def test_public_names_pinned():
    assert sorted(api.__all__) == sorted([
        "ChapterInfo", "FailedFile", "FFmpegInfo", "FFmpegLocator", "FilmstripResult", "FilmstripTile",
        "ImportedFile", "ImportResult", "MediaInfo", "MediaKind", "PictureResult", "ProxyResult", "Rational",
        "StreamInfo", "StreamKind", "ThumbnailResult", "WaveformResult",
    ])
    assert set(api.FFmpegInfo.model_fields) == {"path", "source", "version", "encoders", "decoders", "filters",
                                                "hwaccels"}


def test_every_field_described():
    """Each public model documents every field (the JSON Schema is the command reference)."""
    for name in api.__all__:
        model = getattr(api, name)
        if isinstance(model, type) and hasattr(model, "model_fields"):
            missing = [f for f, info in model.model_fields.items() if not info.description]
            assert not missing, f"{name}: {missing}"


def test_error_codes_registered():
    from reelkit.builtin_plugins.media import errors  # noqa: F401
    from reelkit.kernel.errors import error_codes

    assert {"media.not_found", "media.unreadable", "media.ffmpeg_missing", "media.ffmpeg_failed"} <= set(error_codes())


def test_import_and_boot_stay_light():
    """Neither importing the plugin nor booting a kernel with it loads PyAV, numpy or Pillow."""
    code = (
        "import asyncio, sys, tempfile\n"
        "import builtin_plugins.media\n"
        "from reelkit import Kernel\n"
        "d = tempfile.mkdtemp()\n"
        "async def main():\n"
        "    s = {'cache_dir': d + '/c', 'data_dir': d + '/d', 'config_dir': d + '/f'}\n"
        "    async with Kernel(settings=s, builtins=['media'], entry_points=False) as k:\n"
        "        await k.invoke('media.formats')\n"  # formats imports av: the one exception, after boot
        "        return [m for m in ('numpy', 'PIL') if m in sys.modules]\n"
        "heavy_before = [m for m in ('av', 'numpy', 'PIL') if m in sys.modules]\n"
        "print(heavy_before, asyncio.run(main()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] []"
