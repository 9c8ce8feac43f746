"""Render the job's template blocks against a made-up catalogue.

Nomad renders template blocks with Go's text/template plus consul-template's
functions, on a client, against a live catalogue. None of that runs here, so
this module stands in for it: a renderer for the subset of Go template syntax
the job uses (actions with ``{{-``/``-}}`` trimming, ``range`` with an
optional ``$index, $item :=`` declaration, ``if``, ``with``, ``else``, field
access on ``.`` and on variables, string literals) and the four functions it
calls (``nomadService``, ``service``, ``nomadVarExists``, ``nomadVar``)
answered from plain dicts. Anything else raises :class:`UnsupportedTemplate`.
"""

import re

_ACTION = re.compile(r"{{(-\s)?(.*?)(\s-)?}}", re.S)
_WORD = re.compile(r'"(?:[^"\\]|\\.)*"|[^\s]+')


class UnsupportedTemplate(ValueError):
    """The template uses Go template syntax this renderer does not implement."""


def _tokens(text):
    """Text and action tokens, with Go's whitespace trimming applied."""
    tokens, position, trim_next = [], 0, False
    for match in _ACTION.finditer(text):
        literal = text[position:match.start()]
        if trim_next:
            literal = literal.lstrip()
        if match.group(1):
            literal = literal.rstrip()
        tokens.append(("text", literal))
        tokens.append(("action", match.group(2).strip()))
        trim_next = bool(match.group(3))
        position = match.end()
    literal = text[position:]
    tokens.append(("text", literal.lstrip() if trim_next else literal))
    return tokens


def _parse(tokens, position=0, closers=()):
    """Nodes up to one of ``closers``; returns (nodes, position, closer)."""
    nodes = []
    while position < len(tokens):
        kind, value = tokens[position]
        position += 1
        if kind == "text":
            nodes.append(("text", value))
            continue
        keyword = value.split()[0] if value else ""
        if keyword in closers:
            return nodes, position, keyword
        if keyword in ("range", "if", "with"):
            body, position, closer = _parse(tokens, position, ("else", "end"))
            alternative = []
            if closer == "else":
                alternative, position, _ = _parse(tokens, position, ("end",))
            nodes.append((keyword, value[len(keyword):].strip(), body, alternative))
        elif keyword in ("else", "end"):
            raise UnsupportedTemplate(f"unexpected {{{{ {value} }}}}")
        else:
            nodes.append(("print", value))
    if closers:
        raise UnsupportedTemplate(f"missing {{{{ end }}}} (expected one of {closers})")
    return nodes, position, None


def _truthy(value):
    return bool(value) and value != 0


class Renderer:
    """Renders with ``catalogue`` ({service: [{"Address", "Port"}]}) and
    ``variables`` ({path: {item: value}}), the way a client would."""

    def __init__(self, catalogue=None, variables=None):
        catalogue = catalogue or {}
        variables = variables or {}
        self.functions = {
            "nomadService": lambda name: list(catalogue.get(name, [])),
            "service": lambda name: list(catalogue.get(name, [])),
            "nomadVarExists": lambda path: path in variables,
            "nomadVar": lambda path: dict(variables[path]),
        }

    def render(self, text):
        nodes, _, _ = _parse(_tokens(text))
        return "".join(self._run(nodes, dot=None, names={}))

    def _run(self, nodes, dot, names):
        for node in nodes:
            kind = node[0]
            if kind == "text":
                yield node[1]
            elif kind == "print":
                yield str(self._evaluate(node[1], dot, names))
            elif kind == "range":
                yield from self._range(node, dot, names)
            else:
                _, pipeline, body, alternative = node
                value = self._evaluate(pipeline, dot, names)
                if not _truthy(value):
                    yield from self._run(alternative, dot, names)
                else:
                    yield from self._run(body, value if kind == "with" else dot, names)

    def _range(self, node, dot, names):
        _, clause, body, alternative = node
        declared = []
        if ":=" in clause:
            declaration, clause = clause.split(":=", 1)
            declared = [name.strip() for name in declaration.split(",")]
        items = self._evaluate(clause.strip(), dot, names)
        if not items:
            yield from self._run(alternative, dot, names)
            return
        for index, item in enumerate(items):
            scope = dict(names)
            if len(declared) == 2:
                scope[declared[0]], scope[declared[1]] = index, item
            elif len(declared) == 1:
                scope[declared[0]] = item
            yield from self._run(body, item, scope)

    def _evaluate(self, pipeline, dot, names):
        if "|" in pipeline or "(" in pipeline:
            raise UnsupportedTemplate(f"pipelines and parentheses: {pipeline!r}")
        words = _WORD.findall(pipeline)
        head, arguments = words[0], [self._operand(word, dot, names) for word in words[1:]]
        if head in self.functions:
            return self.functions[head](*arguments)
        if arguments:
            raise UnsupportedTemplate(f"function {head!r} in {pipeline!r}")
        return self._operand(head, dot, names)

    def _operand(self, word, dot, names):
        if word.startswith('"'):
            return word[1:-1].encode().decode("unicode_escape")
        if word == ".":
            return dot
        root, *fields = word.split(".")
        if root.startswith("$"):
            if root not in names:
                raise UnsupportedTemplate(f"undefined variable {root}")
            value = names[root]
        elif root == "":
            value = dot
        else:
            raise UnsupportedTemplate(f"unknown word {word!r}")
        for name in fields:
            value = value[name]
        return value


def parse_env_file(text):
    """KEY=value lines of a rendered env template, as Nomad reads them."""
    env = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, separator, value = line.partition("=")
            if not separator:
                raise ValueError(f"not a KEY=value line: {line!r}")
            env[key] = value
    return env
