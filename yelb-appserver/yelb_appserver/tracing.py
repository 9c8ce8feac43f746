"""OpenTelemetry tracing: off unless OTEL_TRACES_EXPORTER=otlp.

When on, each request is one trace, or continues the caller's when it sends a
W3C `traceparent` header (the nginx front passes the browser's on): a span for
the Flask route from the Flask instrumentation, with children for every
PostgreSQL statement (psycopg), Redis command and SQLite statement, sent in
batches over OTLP/HTTP protobuf to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, or to
OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces. The SDK's own variables
(OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*) apply as the
OpenTelemetry specification says.

Only requests start traces: a caller's sampling flag is followed, and database
calls outside a traced request (the key pruner, readiness probes) record nothing,
so a trace backend is not flooded with one-span traces every few seconds.

When off, no OpenTelemetry module is even imported: tracing costs nothing.

gunicorn creates the app in each worker (no preload), so the batch exporter's
thread starts in the worker whose spans it sends, never in the master.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask

    from .config import Config

# Probes and scrapes come every few seconds from every orchestrator: not worth a trace each.
UNTRACED_PATHS = "/healthz,/readyz,/metrics"
# Where a traced request keeps its trace id, in the WSGI environ.
TRACE_ID_KEY = "yelb.trace_id"

_provider = None  # the SDK's TracerProvider once tracing is on in this process


def traces_endpoint(config: "Config") -> str | None:
    """Where spans go; None leaves the exporter's default (http://localhost:4318/v1/traces)."""
    if config.otel_exporter_otlp_traces_endpoint:
        return config.otel_exporter_otlp_traces_endpoint
    if config.otel_exporter_otlp_endpoint:
        return config.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    return None


def instrument_clients(config: "Config") -> None:
    """Starts tracing and instruments the PostgreSQL, Redis and SQLite clients.

    Called before the stores open their first connections, so every connection is traced.
    """
    global _provider
    if config.otel_traces_exporter != "otlp" or _provider is not None:
        return
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor
    from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult

    class RequestsOnly(Sampler):
        """Samples a span without a parent only when it is a request's server span."""

        def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None,
                          links=None, trace_state=None):
            if kind == trace.SpanKind.SERVER:
                return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)
            return SamplingResult(Decision.DROP, None, trace_state)

        def get_description(self) -> str:
            return "RequestsOnly"

    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: config.otel_service_name}),
                              sampler=ParentBased(root=RequestsOnly()))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_endpoint(config))))
    trace.set_tracer_provider(provider)
    # The SDK's own warnings (a receiver out of reach, a full queue dropping spans) as the
    # app's JSON log lines rather than bare text.
    sdk_log = logging.getLogger("opentelemetry")
    sdk_log.handlers[:] = logging.getLogger("yelb").handlers
    sdk_log.propagate = False
    for instrumentor in (PsycopgInstrumentor(), RedisInstrumentor(), SQLite3Instrumentor()):
        instrumentor.instrument(tracer_provider=provider)
    _provider = provider


def instrument_app(app: "Flask") -> None:
    """One server span per request, child of the caller's traceparent when it sent one."""
    if _provider is None:
        return
    from flask import request
    from opentelemetry import trace
    from opentelemetry.instrumentation.flask import FlaskInstrumentor

    FlaskInstrumentor().instrument_app(app, tracer_provider=_provider, excluded_urls=UNTRACED_PATHS)

    @app.before_request  # after the instrumentation's own hook, so the route's span is current
    def note_the_trace_id():
        # The request's log line is written once the span has ended (middleware.py).
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            request.environ[TRACE_ID_KEY] = trace.format_trace_id(context.trace_id)


def log_fields(environ: dict) -> dict[str, str]:
    """The request's trace id for its log line; nothing when tracing is off or skipped it."""
    trace_id = environ.get(TRACE_ID_KEY)
    return {"trace_id": trace_id} if trace_id else {}
