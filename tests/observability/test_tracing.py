"""One vote's trace, from real OTLP/HTTP payloads.

A receiver started here takes what the appserver's OpenTelemetry exporter POSTs to
/v1/traces and decodes it with the official protobuf classes (opentelemetry-proto).
The appserver runs under gunicorn against the real PostgreSQL and Redis, behind the
real nginx front, and is called with a W3C traceparent as a browser would send it.
"""

from __future__ import annotations

import gzip
import json
import os
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest, ExportTraceServiceResponse)
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from stack.nginx import NginxFront
from stack.services import wait_until

MAX_PAYLOAD_BYTES = 4 * 1024 * 1024


class OtlpReceiver(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver on 127.0.0.1 that keeps every span it is sent."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), OtlpHandler)
        self.spans: list[tuple[dict, Span]] = []  # (resource attributes, span)
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def trace(self, trace_id: bytes) -> list[tuple[dict, Span]]:
        with self.lock:
            return [(resource, span) for resource, span in self.spans if span.trace_id == trace_id]


class OtlpHandler(BaseHTTPRequestHandler):
    server: OtlpReceiver

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        if self.path != "/v1/traces" or not 0 < length <= MAX_PAYLOAD_BYTES:
            self.send_error(400)
            return
        body = self.rfile.read(length)
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        assert self.headers.get("Content-Type") == "application/x-protobuf"
        request = ExportTraceServiceRequest.FromString(body)
        with self.server.lock:
            for resource_spans in request.resource_spans:
                resource = attributes(resource_spans.resource.attributes)
                for scope_spans in resource_spans.scope_spans:
                    self.server.spans.extend((resource, span) for span in scope_spans.spans)
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def attributes(key_values) -> dict:
    return {item.key: getattr(item.value, item.value.WhichOneof("value")) for item in key_values}


@pytest.fixture
def receiver():
    server = OtlpReceiver()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def traced_front(appserver_factory, postgres, redis_server, database_name, receiver, tmp_path):
    env = {**postgres.env(database_name), **redis_server.env(),
           "OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url,
           "OTEL_SERVICE_NAME": "yelb-appserver-under-test",
           # The SDK's batch delay, so the test does not wait the default 5 s per batch.
           "OTEL_BSP_SCHEDULE_DELAY": "100"}
    appserver = appserver_factory(env, workers=2)
    front = NginxFront(appserver.url, base_dir=tmp_path / "nginx").start()
    yield front, appserver
    front.destroy()


def spans_of(receiver: OtlpReceiver, trace_id: bytes, wanted: int) -> list[tuple[dict, Span]]:
    """Waits (at most 20 s) until the trace has `wanted` spans, then returns them."""
    deadline = time.monotonic() + 20
    while len(spans := receiver.trace(trace_id)) < wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return spans


def call_with_traceparent(method: str, url: str) -> tuple[bytes, bytes, requests.Response]:
    trace_id, parent_id = secrets.token_bytes(16), secrets.token_bytes(8)
    response = requests.request(method, url, timeout=10,
                                headers={"traceparent": f"00-{trace_id.hex()}-{parent_id.hex()}-01"})
    return trace_id, parent_id, response


def test_a_vote_through_the_front_is_one_trace_with_its_postgresql_spans(traced_front, receiver):
    front, appserver = traced_front
    trace_id, parent_id, response = call_with_traceparent("POST", f"{front.url}/api/votes/ihop")
    assert response.status_code == 200

    spans = spans_of(receiver, trace_id, wanted=2)
    routes = [span for _, span in spans if span.kind == Span.SPAN_KIND_SERVER]
    assert len(routes) == 1, spans
    route = routes[0]
    # The browser's traceparent came through nginx: the route span continues its trace.
    assert route.parent_span_id == parent_id
    route_attributes = attributes(route.attributes)
    assert route_attributes["http.route"] == "/api/votes/<option>"
    database = [span for _, span in spans if attributes(span.attributes).get("db.system") == "postgresql"]
    assert database, [span.name for _, span in spans]
    assert all(span.parent_span_id == route.span_id for span in database)
    assert any("INSERT" in attributes(span.attributes).get("db.statement", "") for span in database)
    assert {resource["service.name"] for resource, _ in spans} == {"yelb-appserver-under-test"}

    # The request log line of that vote names the trace (request lines go out in batches).
    def vote_lines() -> list[dict]:
        logged = [json.loads(line) for line in appserver.log_text().splitlines() if line.startswith("{")]
        return [line for line in logged if line.get("message") == "request" and line["path"] == "/api/votes/ihop"]

    votes = wait_until(vote_lines, 10, "the vote's request line")
    assert [line.get("trace_id") for line in votes] == [trace_id.hex()]


def test_page_views_trace_their_redis_call(traced_front, receiver):
    front, _ = traced_front
    trace_id, parent_id, response = call_with_traceparent("GET", f"{front.url}/api/getstats")
    assert response.status_code == 200 and response.json()["pageviews"] >= 1

    spans = spans_of(receiver, trace_id, wanted=2)
    route = next(span for _, span in spans if span.kind == Span.SPAN_KIND_SERVER)
    assert route.parent_span_id == parent_id
    assert attributes(route.attributes)["http.route"] == "/api/getstats"
    cache = [span for _, span in spans if attributes(span.attributes).get("db.system") == "redis"]
    assert [span.name for span in cache] == ["INCRBY"]  # redis-py sends INCR as INCRBY key 1
    assert cache[0].parent_span_id == route.span_id


def test_without_a_traceparent_the_trace_starts_at_the_appserver(traced_front, receiver):
    front, _ = traced_front
    response = requests.post(f"{front.url}/api/votes/outback", timeout=10)
    assert response.status_code == 200
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with receiver.lock:
            roots = [span for _, span in receiver.spans if span.kind == Span.SPAN_KIND_SERVER
                     and attributes(span.attributes).get("http.route") == "/api/votes/<option>"]
        if roots:
            break
        time.sleep(0.05)
    assert len(roots) == 1 and roots[0].parent_span_id == b""


def test_only_requests_start_traces(traced_front, receiver):
    front, appserver = traced_front
    for path in ("/healthz", "/readyz", "/metrics"):
        _, _, response = call_with_traceparent("GET", f"{appserver.url}{path}")
        assert response.status_code == 200
    # A traced request afterwards: once its spans arrived, earlier ones would have too.
    vote_trace, _, _ = call_with_traceparent("POST", f"{front.url}/api/votes/ihop")
    assert spans_of(receiver, vote_trace, wanted=2)
    # Neither the probes' own PostgreSQL and Redis calls nor the background key pruner's
    # start traces: every span received belongs to the vote.
    with receiver.lock:
        assert {span.trace_id for _, span in receiver.spans} == {vote_trace}


def test_the_master_runs_no_exporter_thread(traced_front, receiver):
    """gunicorn builds the app in each worker: the batch exporter's thread lives there (the
    spans above came from workers), and the master, which forks them, stays single-threaded."""
    _, appserver = traced_front
    assert os.listdir(f"/proc/{appserver.pid}/task") == [str(appserver.pid)]
