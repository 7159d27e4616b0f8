"""One logging story: stdlib and structlog lines share one shape, level handling, logger name and trace
ids; the OTLP exporters both honour the configured endpoint (checked against a real HTTP collector)."""

from __future__ import annotations

import http.server
import json
import logging
import threading

from reelkit.sdk import get_logger


def _lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


async def test_stdlib_and_structlog_lines_have_one_shape_and_info_shows_at_debug(make_kernel, capsys):
    async with make_kernel(settings={"telemetry": {"log_level": "debug", "exporter": "memory"}}) as k:
        with k.telemetry.tracer.start_as_current_span("outer"):
            logging.getLogger("reelkit.ipc").info("client %s connected", "c1")
            logging.getLogger("thirdparty.plugin").debug("detail")
            get_logger("reelkit.plugins.hello").info("greeted", name="Ada")
    lines = {line["event"]: line for line in _lines(capsys.readouterr().err)}
    ipc, third, mine = lines["client c1 connected"], lines["detail"], lines["greeted"]
    assert ipc["logger"] == "reelkit.ipc" and ipc["level"] == "info"
    assert third["logger"] == "thirdparty.plugin" and third["level"] == "debug"
    assert mine["logger"] == "reelkit.plugins.hello" and mine["name"] == "Ada"
    assert ipc["trace_id"] == mine["trace_id"] and len(ipc["trace_id"]) == 32
    assert set(ipc) >= {"event", "level", "logger", "timestamp", "trace_id", "span_id"}


async def test_the_level_setting_drops_lower_lines_everywhere(make_kernel, capsys):
    async with make_kernel(settings={"telemetry": {"log_level": "warning"}}):
        chatty = logging.getLogger("distributed.scheduler")
        chatty.setLevel(logging.INFO)  # as Dask configures its own loggers
        chatty.info("library chatter")
        logging.getLogger("reelkit.sandbox.guest").info("guest says hi")
        get_logger("reelkit.x").info("quiet")
        logging.getLogger("reelkit.sandbox.guest").warning("guest warns")
    events = [line["event"] for line in _lines(capsys.readouterr().err)]
    assert "guest warns" in events and "guest says hi" not in events and "quiet" not in events
    assert "library chatter" not in events


class _Collector(http.server.BaseHTTPRequestHandler):
    paths: list[str] = []

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers.get("content-length", 0)))
        type(self).paths.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


async def test_otlp_sends_spans_and_metrics_to_the_configured_endpoint(make_kernel):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        endpoint = f"http://127.0.0.1:{server.server_address[1]}"
        async with make_kernel(settings={"telemetry": {"exporter": "otlp", "otlp_endpoint": endpoint}}) as k:
            await k.invoke("kernel.jobs", {})
        # shutdown flushes both exporters
        assert "/v1/traces" in _Collector.paths and "/v1/metrics" in _Collector.paths, _Collector.paths
    finally:
        server.shutdown()
