"""Telemetry owned by the kernel: an OpenTelemetry tracer and meter, structlog JSON logs with trace ids.

With the exporter ``none`` nothing of the OpenTelemetry SDK is imported and the command middleware
drops its telemetry layer altogether, so telemetry off costs nothing per call.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from typing import Any


__all__ = ["Telemetry", "configure_logging"]


def _add_trace_ids(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    trace = sys.modules.get("opentelemetry.trace")
    if trace is not None:
        ctx = trace.get_current_span().get_span_context()
        if ctx.is_valid:
            event_dict["trace_id"] = format(ctx.trace_id, "032x")
            event_dict["span_id"] = format(ctx.span_id, "016x")
    return event_dict


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing (tests swap and close streams)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "warning", fmt: str = "json") -> None:
    """One logging story: every line on stderr has the same shape, level handling, logger name and
    trace ids, whether it comes from structlog (the kernel, ``sdk.get_logger``) or from stdlib
    ``logging`` (IPC, the sandbox and a WASM guest's log, third-party plugins and libraries).

    structlog's loggers are stdlib loggers underneath, and both render through one structlog
    ``ProcessorFormatter`` on a root handler whose level is the configured one. structlog (with the
    rich and pygments it imports, ~40 ms) loads only when the first line is written.
    """
    global _format
    _format = fmt
    root = logging.getLogger()
    for h in [h for h in root.handlers if getattr(h, "_reelkit", False)]:
        root.removeHandler(h)
    handler = logging.StreamHandler(_CurrentStderr())  # type: ignore[arg-type]
    handler.setFormatter(_LazyFormatter())
    handler._reelkit = True  # type: ignore[attr-defined]
    lvl = logging.getLevelName(level.upper())
    handler.setLevel(lvl)  # also for libraries that set their own loggers' levels (Dask's are at INFO)
    root.addHandler(handler)
    root.setLevel(lvl)


_format = "json"
_structlog_ready = False


def _shared_processors() -> list[Any]:
    import structlog

    return [structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name, structlog.processors.TimeStamper(fmt="iso"), _add_trace_ids]


def ensure_structlog() -> None:
    """Point structlog at stdlib logging (so its lines meet the one root handler); once."""
    global _structlog_ready
    if _structlog_ready:
        return
    import structlog

    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *_shared_processors(),
                    structlog.stdlib.PositionalArgumentsFormatter(),
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    _structlog_ready = True


class _LazyFormatter(logging.Formatter):
    """structlog's ProcessorFormatter, built on the first record."""

    def __init__(self) -> None:
        super().__init__()
        self._real: logging.Formatter | None = None

    def format(self, record: logging.LogRecord) -> str:
        if self._real is None:
            import structlog

            ensure_structlog()
            renderer = structlog.processors.JSONRenderer() if _format == "json" else structlog.dev.ConsoleRenderer()
            self._real = structlog.stdlib.ProcessorFormatter(
                foreign_pre_chain=_shared_processors(),
                processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                            structlog.processors.format_exc_info, renderer])
        return self._real.format(record)


def otlp_urls(endpoint: str | None) -> tuple[str | None, str | None]:
    """``http://collector:4318`` → its traces and metrics URLs (None: the exporters' own defaults)."""
    if not endpoint:
        return None, None
    base = endpoint.rstrip("/")
    for suffix in ("/v1/traces", "/v1/metrics"):
        base = base.removesuffix(suffix)
    return base + "/v1/traces", base + "/v1/metrics"


class Telemetry:
    """The kernel's tracer and meter. ``enabled`` is False when the exporter is ``none``."""

    def __init__(self, exporter: str = "none", *, otlp_endpoint: str | None = None) -> None:
        self.exporter = exporter
        self.enabled = exporter != "none"
        self.span_exporter: Any = None  # the in-memory exporter when exporter == "memory"
        self.metric_reader: Any = None
        self._tracer_provider: Any = None
        self._meter_provider: Any = None
        self.tracer: Any = None
        self.meter: Any = None
        self._instruments: dict[str, Any] = {}
        self.command_stats: dict[str, list[float]] = {}  # command id -> [calls, seconds, errors]
        if self.enabled:
            self._setup(otlp_endpoint)

    def _setup(self, otlp_endpoint: str | None) -> None:
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader, PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        resource = Resource.create({"service.name": "reelkit"})
        self._tracer_provider = TracerProvider(resource=resource)
        if self.exporter == "memory":
            from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

            self.span_exporter = InMemorySpanExporter()
            self._tracer_provider.add_span_processor(SimpleSpanProcessor(self.span_exporter))
            self.metric_reader = InMemoryMetricReader()
        elif self.exporter == "console":
            from opentelemetry.sdk.metrics.export import ConsoleMetricExporter
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            self._tracer_provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter(out=sys.stderr)))
            self.metric_reader = PeriodicExportingMetricReader(ConsoleMetricExporter(out=sys.stderr))
        elif self.exporter == "otlp":
            try:
                from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            except ImportError as e:  # pragma: no cover - depends on the extra
                from .errors import SettingsInvalid

                raise SettingsInvalid(
                    "telemetry exporter 'otlp' needs the otlp extra: pip install 'reelkit[otlp]'"
                ) from e
            # One endpoint setting for both signals, as OTEL_EXPORTER_OTLP_ENDPOINT: the collector's base
            # URL, with /v1/traces and /v1/metrics added (an exporter given `endpoint=` adds nothing).
            traces, metrics = otlp_urls(otlp_endpoint)
            self._tracer_provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(**({"endpoint": traces} if traces else {}))))
            self.metric_reader = PeriodicExportingMetricReader(
                OTLPMetricExporter(**({"endpoint": metrics} if metrics else {})))
        self._meter_provider = MeterProvider(resource=resource, metric_readers=[self.metric_reader])
        self.tracer = self._tracer_provider.get_tracer("reelkit")
        self.meter = self._meter_provider.get_meter("reelkit")
        from opentelemetry.metrics import Observation

        def observe(index: int) -> Any:
            def callback(_options: Any) -> list[Any]:
                return [Observation(row[index], {"command": cid}) for cid, row in list(self.command_stats.items())]
            return callback

        self.meter.create_observable_counter("reelkit.command.calls", [observe(0)], description="command calls")
        self.meter.create_observable_counter("reelkit.command.duration", [observe(1)], unit="s",
                                             description="seconds spent in commands")
        self.meter.create_observable_counter("reelkit.command.errors", [observe(2)],
                                             description="command calls that raised")

    # -- instruments ----------------------------------------------------------------------------
    def counter(self, name: str, description: str = "") -> Any:
        if not self.enabled:
            return None
        inst = self._instruments.get(name)
        if inst is None:
            inst = self._instruments[name] = self.meter.create_counter(name, description=description)
        return inst

    def histogram(self, name: str, unit: str = "s", description: str = "") -> Any:
        if not self.enabled:
            return None
        inst = self._instruments.get(name)
        if inst is None:
            inst = self._instruments[name] = self.meter.create_histogram(name, unit=unit, description=description)
        return inst

    def add(self, name: str, value: float = 1, **attributes: Any) -> None:
        """Add to a counter (no-op when telemetry is off)."""
        if self.enabled:
            self.counter(name).add(value, attributes)

    @contextlib.contextmanager
    def span(self, name: str, **attributes: Any) -> Iterator[Any]:
        """A span around a block (a no-op context when telemetry is off)."""
        if not self.enabled:
            yield None
            return
        with self.tracer.start_as_current_span(name, attributes=attributes) as span:
            yield span

    def metrics(self) -> dict[str, float]:
        """Current sums of counters (for tests and `kernel.health`); empty when off."""
        if self.metric_reader is None or not hasattr(self.metric_reader, "get_metrics_data"):
            return {}
        data = self.metric_reader.get_metrics_data()
        out: dict[str, float] = {}
        if data is None:
            return out
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    for point in metric.data.data_points:
                        value = getattr(point, "value", None)
                        if value is None:
                            value = getattr(point, "count", 0)
                        out[metric.name] = out.get(metric.name, 0) + value
        return out

    def shutdown(self) -> None:
        for provider in (self._tracer_provider, self._meter_provider):
            if provider is not None:
                with contextlib.suppress(Exception):
                    provider.shutdown()
