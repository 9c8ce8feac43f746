"""The monitoring profile's trace backend: Jaeger from a pinned image, reachable from
the appserver, and the appserver's OTEL_* pointing at it once tracing is switched on.
(CI here cannot pull the image; this checks the wiring as docker-compose resolves it.)"""

from __future__ import annotations

from urllib.parse import urlsplit

from yelb_appserver import tracing
from yelb_appserver.config import Config

from .files import ROOT_COMPOSE, compose_config

OTLP_HTTP_PORT = 4318


def appserver_config(services: dict) -> Config:
    return Config.from_env({name: str(value) for name, value in
                            services["yelb-appserver"]["environment"].items()})


def test_tracing_is_off_unless_asked_for():
    assert appserver_config(compose_config(ROOT_COMPOSE)["services"]).otel_traces_exporter == "none"


def test_switched_on_the_appserver_sends_its_spans_to_the_profiles_jaeger():
    services = compose_config(ROOT_COMPOSE, {"OTEL_TRACES_EXPORTER": "otlp"})["services"]
    config = appserver_config(services)
    assert config.otel_traces_exporter == "otlp"
    endpoint = urlsplit(tracing.traces_endpoint(config))
    assert (endpoint.hostname, endpoint.port, endpoint.path) == ("jaeger", OTLP_HTTP_PORT, "/v1/traces")
    jaeger = services["jaeger"]
    assert jaeger["profiles"] == ["monitoring"]
    assert not jaeger["image"].endswith(":latest") and ":" in jaeger["image"]
    assert f"receivers.otlp.protocols.http.endpoint=0.0.0.0:{OTLP_HTTP_PORT}" in jaeger["command"]
    assert set(jaeger["networks"]) & set(services["yelb-appserver"]["networks"])
