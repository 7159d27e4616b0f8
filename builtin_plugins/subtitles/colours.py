"""Colour names as SubRip, WebVTT and TTML files write them (``cyan``, ``#0ff``, ``rgb(0,255,255)``)."""

from __future__ import annotations

import re

__all__ = ["css_colour", "NAMED"]

#: The HTML 4 colours and the CSS names subtitle tools write most (Subtitle Edit's palette)
NAMED = {
    "white": "FFFFFF", "black": "000000", "red": "FF0000", "green": "008000", "lime": "00FF00",
    "blue": "0000FF", "yellow": "FFFF00", "cyan": "00FFFF", "aqua": "00FFFF", "magenta": "FF00FF",
    "fuchsia": "FF00FF", "gray": "808080", "grey": "808080", "silver": "C0C0C0", "maroon": "800000",
    "olive": "808000", "navy": "000080", "purple": "800080", "teal": "008080", "orange": "FFA500",
    "pink": "FFC0CB", "brown": "A52A2A", "gold": "FFD700", "violet": "EE82EE", "indigo": "4B0082",
    "lightblue": "ADD8E6", "lightgreen": "90EE90", "darkred": "8B0000", "darkgreen": "006400",
    "darkblue": "00008B", "lightgray": "D3D3D3", "lightgrey": "D3D3D3", "darkgray": "A9A9A9",
    "darkgrey": "A9A9A9", "orangered": "FF4500", "crimson": "DC143C", "turquoise": "40E0D0",
    "skyblue": "87CEEB", "tomato": "FF6347", "khaki": "F0E68C", "beige": "F5F5DC", "coral": "FF7F50",
    "salmon": "FA8072", "chocolate": "D2691E", "tan": "D2B48C", "plum": "DDA0DD", "orchid": "DA70D6",
    "lavender": "E6E6FA", "ivory": "FFFFF0", "limegreen": "32CD32", "greenyellow": "ADFF2F",
}
_HEX = re.compile(r"^(?:#?([0-9a-f]{6})(?:[0-9a-f]{2})?|#([0-9a-f]{3}))$")
_RGB = re.compile(r"^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)")


def css_colour(value: str | None) -> str | None:
    """``RRGGBB`` (upper case) for a colour name, ``#rgb``/``#rrggbb[aa]`` or ``rgb()``; None if unknown."""
    if not value:
        return None
    v = value.strip().lower()
    if v in NAMED:
        return NAMED[v]
    m = _HEX.match(v)
    if m:
        h = m.group(1) or m.group(2)
        return (h if len(h) == 6 else "".join(c * 2 for c in h)).upper()
    m = _RGB.match(v)
    if m:
        return "".join(f"{min(255, int(c)):02X}" for c in m.groups())
    return None
