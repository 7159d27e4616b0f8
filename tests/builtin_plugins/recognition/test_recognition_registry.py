"""The model registry against a real HTTP server on 127.0.0.1: resume, sha256 check, add, list."""
from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from reelkit.builtin_plugins.recognition.errors import DownloadFailed, ModelInvalid, ModelNotFound
from reelkit.builtin_plugins.recognition.registry import CatalogEntry, add_model, list_models, load_catalog, pull


class ModelServer:
    """Serves one file with Range support; ``cut_after`` makes the next full response stop early."""

    def __init__(self, payload: bytes):
        self.payload = payload
        self.cut_after: int | None = None
        self.ranges: list[str | None] = []
        self.closed = False
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                if self.path.endswith("/missing.onnx"):
                    self.send_response(404)
                    self.end_headers()
                    return
                rng = self.headers.get("Range")
                server.ranges.append(rng)
                body, status = server.payload, 200
                if rng:
                    start = int(rng.split("=")[1].split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.end_headers()
                        return
                    body, status = body[start:], 206
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(server.payload) - 1}/{len(server.payload)}")
                self.end_headers()
                if server.cut_after is not None:
                    self.wfile.write(body[: server.cut_after])
                    server.cut_after = None
                    self.wfile.flush()
                    self.connection.shutdown(2)  # the connection drops mid-body
                    return
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/model.onnx"
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        if not self.closed:
            self.closed = True
            self.httpd.shutdown()
            self.httpd.server_close()


@pytest.fixture
def synthetic_bytes(make_model):
    out = np.zeros((1, 7, 84), np.float32)
    return make_model("served", {"output0": out}).read_bytes()


@pytest.fixture
def server(synthetic_bytes):
    s = ModelServer(synthetic_bytes)
    yield s
    s.close()


def entry(server, sha=None):
    return CatalogEntry(name="tiny", url=server.url, sha256=sha or hashlib.sha256(server.payload).hexdigest())


def test_pull_downloads_verifies_and_installs(server, tmp_path):
    path = pull(entry(server), tmp_path / "lib")
    assert path == tmp_path / "lib" / "tiny.onnx"
    assert path.read_bytes() == server.payload
    assert not list((tmp_path / "lib").glob(".*.part"))
    assert pull(entry(server), tmp_path / "lib") == path  # already there and verified: no request
    assert server.ranges == [None]


def test_interrupted_pull_resumes_with_a_range_request(server, tmp_path):
    server.cut_after = 1000
    with pytest.raises(DownloadFailed) as e:
        pull(entry(server), tmp_path / "lib")
    assert "resume" in e.value.message
    part = tmp_path / "lib" / ".tiny.onnx.part"
    assert part.stat().st_size == 1000 and not (tmp_path / "lib" / "tiny.onnx").exists()
    path = pull(entry(server), tmp_path / "lib")
    assert server.ranges == [None, "bytes=1000-"]
    assert path.read_bytes() == server.payload and not part.exists()


def test_a_wrong_sha256_discards_the_download(server, tmp_path):
    with pytest.raises(DownloadFailed) as e:
        pull(entry(server, sha="0" * 64), tmp_path / "lib")
    assert e.value.code == "recognition.download_failed" and "sha256" in e.value.message
    assert list((tmp_path / "lib").iterdir()) in ([], [tmp_path / "lib" / ".tiny.lock"])


def test_http_errors_are_download_failed(server, tmp_path):
    missing = CatalogEntry(name="tiny", url=server.url.replace("model.onnx", "missing.onnx"), sha256="0" * 64)
    with pytest.raises(DownloadFailed, match="HTTP 404"):
        pull(missing, tmp_path / "lib")
    server.close()  # nothing listens there any more
    with pytest.raises(DownloadFailed, match="run the pull again"):
        pull(entry(server), tmp_path / "lib", timeout=2)
    assert not (tmp_path / "lib" / "tiny.onnx").exists()


def test_add_checks_the_model_loads_and_copies_its_card(make_model, tmp_path):
    src = make_model("mine", {"output0": np.zeros((1, 7, 84), np.float32)})
    src.with_suffix(".json").write_text(json.dumps({"class_names": ["a", "b", "c"]}))
    installed = add_model(tmp_path / "lib", src, "renamed")
    assert installed.read_bytes() == src.read_bytes()
    assert (tmp_path / "lib" / "renamed.json").is_file()
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"nope")
    with pytest.raises(ModelInvalid):
        add_model(tmp_path / "lib", junk)
    assert not (tmp_path / "lib" / "junk.onnx").exists()
    for escape in ("../outside", "sub/dir", ".hidden"):  # a name never leaves models_dir
        with pytest.raises(ModelNotFound):
            add_model(tmp_path / "lib", src, escape)
    assert sorted(p.name for p in tmp_path.glob("*.onnx")) == ["junk.onnx"]


def test_list_merges_installed_and_catalog(make_model, tmp_path):
    lib = make_model("mine", {"output0": np.zeros((1, 7, 84), np.float32)}).parent
    catalog = load_catalog(None)
    listed = {m.name: m for m in list_models(lib, catalog)}
    assert listed["mine"].installed and listed["mine"].url is None
    assert not listed["yolox_nano"].installed and listed["yolox_nano"].sha256 == catalog["yolox_nano"].sha256


def test_catalog_file_extends_the_builtin_catalog(tmp_path):
    f = tmp_path / "catalog.json"
    f.write_text(json.dumps({"tiny": {"url": "http://127.0.0.1:9/tiny.onnx", "sha256": "ab" * 32}}))
    cat = load_catalog(f)
    assert cat["tiny"].url.endswith("tiny.onnx") and "yolox_nano" in cat
    f.write_text("[1, 2]")
    with pytest.raises(ModelInvalid):
        load_catalog(f)
