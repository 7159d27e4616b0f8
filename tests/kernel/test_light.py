"""Rule 1 of DESIGN.md: the kernel imports no heavy dependency, and boot with every builtin stays light."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("av", "onnxruntime", "extism", "wasmtime", "numpy", "ffmpeg", "cv2", "PIL",
         "opentelemetry.sdk", "opentimelineio", "onnx", "skimage", "structlog", "rich", "httpx", "authlib",
         "distributed", "dask")

SCRIPT = """
import asyncio, json, sys
import reelkit.kernel
after_import = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY_ROOTS or m in HEAVY)
from reelkit import Kernel
async def boot():
    async with Kernel(entry_points=False) as k:
        inactive = [s.name for s in k.plugins.states() if s.state != "active"]
        booted = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY_ROOTS or m in HEAVY)
        await k.invoke("kernel.health")
        return inactive, booted
bad, after_boot = asyncio.run(boot())
after_health = sorted(m for m in sys.modules if m.split('.')[0] in HEAVY_ROOTS or m in HEAVY or m == "keyring")
print(json.dumps({"import": after_import, "boot": after_boot, "inactive": bad, "health": after_health}))
"""


def test_import_and_boot_do_not_load_heavy_modules():
    roots = {h for h in HEAVY if "." not in h}
    code = f"HEAVY={HEAVY!r}\nHEAVY_ROOTS={roots!r}\n" + SCRIPT
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert out["import"] == []
    assert out["boot"] == [], f"boot imported heavy modules: {out['boot']}"
    assert out["inactive"] == [], f"builtins not active at boot: {out['inactive']}"
    assert out["health"] == [], f"kernel.health imported heavy modules just to answer: {out['health']}"
