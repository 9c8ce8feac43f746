"""The HCL2 expression subset the Nomad loader evaluates, and its refusals."""

import pytest

from tests.nomad.hcl_expressions import UnsupportedExpression, evaluate, interpolate

SCOPE = {
    "var": {"registry": "harbor.example.com/yelb", "count": 3, "provider": "consul",
            "zones": ["a", "b"]},
    "local": {"suffix": "-alpine"},
}


@pytest.mark.parametrize("text, expected", [
    ("${var.count}", 3),                                   # a lone interpolation keeps its type
    ("${var.zones}", ["a", "b"]),
    ("${var.registry}/yelb-ui:${var.count}", "harbor.example.com/yelb/yelb-ui:3"),
    ("redis:7${local.suffix}", "redis:7-alpine"),
    ('${var.provider == "consul" ? "service" : "nomadService"}', "service"),
    ('${var.provider != "consul" ? "service" : "nomadService"}', "nomadService"),
    ("${var.count >= 1 && var.count <= 10}", True),
    ("${!(var.count > 5) || false}", True),
    ('${contains(["nomad", "consul"], var.provider)}', True),
    ('${can(regex("^[^/]+(/[^/]+)*$", var.registry))}', True),
    ('${can(regex("^[^/]+(/[^/]+)*$", "trailing/"))}', False),
    ('${length(var.zones) == 2}', True),
    ("plain {{ .Address }} text", "plain {{ .Address }} text"),   # Go templates pass through
    ("$${NOMAD_TASK_DIR}/x", "${NOMAD_TASK_DIR}/x"),             # escaped for Nomad's runtime
])
def test_interpolation(text, expected):
    assert interpolate(text, SCOPE) == expected


@pytest.mark.parametrize("expression", [
    "upper(var.registry)",          # a function the job does not use
    "node.unique.name",             # runtime-only references are not evaluated here
    "var.count +",                  # incomplete
    "[for z in var.zones : z]",     # for expressions
])
def test_anything_else_is_refused_loudly(expression):
    with pytest.raises(UnsupportedExpression):
        evaluate(expression, SCOPE)
