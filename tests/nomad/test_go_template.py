"""The stand-in for Nomad's template runner: Go semantics on the subset it knows."""

import pytest

from tests.nomad.go_template import Renderer, UnsupportedTemplate, parse_env_file

SERVICES = {"api": [{"Address": "10.0.0.1", "Port": 8001}, {"Address": "10.0.0.2", "Port": 8002}]}


@pytest.mark.parametrize("template, expected", [
    ('a\n  {{- range nomadService "api" }} {{ .Port }}{{ end }}', "a 8001 8002"),
    ('{{ range $i, $s := service "api" -}}\n {{ if $i }},{{ end }}{{ $s.Address }}{{ end }}',
     "10.0.0.1,10.0.0.2"),
    ('{{ range nomadService "none" }}x{{ else }}empty{{ end }}', "empty"),
    ('{{ with nomadService "api" }}{{ range . }}{{ .Port }}{{ end }}{{ end }}', "80018002"),
    ('{{ if nomadVarExists "p" }}{{ with nomadVar "p" }}{{ .k }}{{ end }}{{ else }}d{{ end }}', "v"),
    ('{{ if nomadVarExists "q" }}x{{- else }} d {{- end }}', " d"),  # only the marked side trims
])
def test_renders_like_go(template, expected):
    assert Renderer(SERVICES, {"p": {"k": "v"}}).render(template) == expected


@pytest.mark.parametrize("template", [
    '{{ range nomadService "api" }}',                # no end
    '{{ end }}',                                      # end without a block
    '{{ nomadService "api" | len }}',                 # pipelines
    '{{ printf "%s" "x" }}',                          # other functions
    '{{ $undeclared.Address }}',
])
def test_refuses_what_it_does_not_implement(template):
    with pytest.raises(UnsupportedTemplate):
        Renderer(SERVICES).render(template)


def test_env_files_are_key_value_lines():
    assert parse_env_file("\nA=1\n# note\nB=x=y\n") == {"A": "1", "B": "x=y"}
    with pytest.raises(ValueError):
        parse_env_file("not a pair")
