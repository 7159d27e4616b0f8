"""``reelkit detect`` and ``reelkit models …`` run as a user runs them (the installed console script)."""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

REELKIT = str(Path(sys.executable).with_name("reelkit"))


def reelkit(tmp_path, *args, models_dir=None, **env):
    e = dict(os.environ)
    e.update({
        "REELKIT_DATA_DIR": str(tmp_path / "data"),
        "REELKIT_CACHE_DIR": str(tmp_path / "cache"),
        "REELKIT_CONFIG_DIR": str(tmp_path / "config"),
        "REELKIT_PLUGINS__ENTRY_POINTS": "false",
        "COLUMNS": "200",  # rich wraps tables to the terminal width
    })
    if models_dir:
        e["REELKIT_RECOGNITION__MODELS_DIR"] = str(models_dir)
    e.update(env)
    return subprocess.run([REELKIT, *args], capture_output=True, text=True, env=e, timeout=120, cwd=tmp_path)


def test_detect_video_prints_a_table_and_writes_json_csv_markers(tmp_path, shared_models, photo_video):
    out = tmp_path / "res" / "photos"
    r = reelkit(tmp_path, "detect", str(photo_video), "--fps", "2", "-o", str(out), models_dir=shared_models)
    assert r.returncode == 0, r.stdout + r.stderr
    for name in ("person", "cat", "cup", "12 frames analysed"):
        assert name in r.stdout
    report = json.loads((tmp_path / "res" / "photos.json").read_text())
    spans = {c["class_name"]: [(s["start"], s["end"]) for s in c["segments"]] for c in report["classes"]}
    assert spans["person"] == [(0.0, 2.0)] and spans["cup"] == [(4.0, 6.0)]
    assert (tmp_path / "res" / "photos.csv").read_text().startswith("frame,time,track_id,class_id")
    assert json.loads((tmp_path / "res" / "photos.markers.json").read_text())["markers"]


def test_detect_without_a_model_says_how_to_get_one(tmp_path, photo_video):
    r = reelkit(tmp_path, "detect", str(photo_video))
    assert r.returncode == 1
    assert r.stdout == "" and "error recognition.model_not_found: " in r.stderr  # readable without --json
    assert "models pull yolox_nano" in r.stderr
    r = reelkit(tmp_path, "detect", str(photo_video), "--json")
    assert r.returncode == 1
    err = json.loads(next(ln for ln in r.stderr.splitlines() if ln.startswith('{"code"')))
    assert err["code"] == "recognition.model_not_found" and "models pull yolox_nano" in err["message"]


def test_models_add_list_and_pull_from_a_local_server(tmp_path, make_model):
    src = make_model("tiny", {"output0": np.zeros((1, 7, 84), np.float32)})
    lib = tmp_path / "lib"
    r = reelkit(tmp_path, "models", "add", str(src), "--name", "mine", models_dir=lib)
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["path"] == str(lib / "mine.onnx")
    served = tmp_path / "srv"
    served.mkdir()
    (served / "tiny.onnx").write_bytes(src.read_bytes())
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(SimpleHTTPRequestHandler, directory=str(served)))
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    try:
        catalog = tmp_path / "catalog.json"
        catalog.write_text(json.dumps({"pulled": {
            "url": f"http://127.0.0.1:{httpd.server_address[1]}/tiny.onnx",
            "sha256": hashlib.sha256(src.read_bytes()).hexdigest(), "task": "objects"}}))
        env = {"REELKIT_RECOGNITION__CATALOG_FILE": str(catalog)}
        r = reelkit(tmp_path, "models", "pull", "pulled", models_dir=lib, **env)
        assert r.returncode == 0, r.stdout + r.stderr
        assert (lib / "pulled.onnx").read_bytes() == src.read_bytes()
        r = reelkit(tmp_path, "models", "list", "--json", models_dir=lib, **env)
        listed = {m["name"]: m for m in json.loads(r.stdout)["models"]}
        assert listed["mine"]["installed"] and listed["pulled"]["installed"]
        assert listed["yolox_nano"]["installed"] is False and listed["yolox_nano"]["url"]
        r = reelkit(tmp_path, "models", "pull", "no_such", models_dir=lib, **env)
        assert r.returncode == 1 and "recognition.model_not_found" in r.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()
