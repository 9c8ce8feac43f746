"""Evaluate the HCL2 expressions python-hcl2 leaves as text (``${...}``).

python-hcl2 parses a job file's structure but keeps every expression as its
source text. Nomad evaluates them in the CLI before submitting the job; no
Nomad binary runs here, so this module evaluates the subset of HCL2 the Yelb
job uses: literals, lists, ``var.*``/``local.*`` references, comparisons,
``&&``/``||``/``!``, the conditional operator and a few functions. Anything
else raises :class:`UnsupportedExpression`, so a new construct in the job
fails the tests loudly instead of being misread.
"""

import json
import re

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>\d+(?:\.\d+)?)
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<op>==|!=|>=|<=|&&|\|\||[?:!<>()\[\],.+-])
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


class UnsupportedExpression(ValueError):
    """The expression uses HCL2 this evaluator does not implement."""


class EvaluationError(ValueError):
    """The expression is well-formed but fails, as Nomad's CLI would fail."""


def _regex(pattern, text):
    match = re.search(pattern, text)
    if match is None:
        raise EvaluationError(f"regex {pattern!r} does not match {text!r}")
    return match.group(0)


_FUNCTIONS = {
    "contains": lambda items, value: value in items,
    "length": len,
    "regex": _regex,
}


def _tokenize(source):
    tokens, position = [], 0
    while position < len(source):
        if source[position:].strip() == "":
            break
        match = _TOKEN.match(source, position)
        if match is None:
            raise UnsupportedExpression(f"cannot read {source[position:]!r} in {source!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the tokens; evaluates as it parses.

    ``can(...)`` needs its argument evaluated lazily, so the parser evaluates
    each sub-expression when it finishes reading it and turns failures inside
    ``can`` into ``False``.
    """

    def __init__(self, source, scope):
        self.source = source
        self.tokens = _tokenize(source)
        self.position = 0
        self.scope = scope

    def parse(self):
        value = self.conditional()
        if self.position != len(self.tokens):
            raise UnsupportedExpression(f"unexpected {self.peek()[1]!r} in {self.source!r}")
        return value

    def peek(self):
        if self.position < len(self.tokens):
            return self.tokens[self.position]
        return (None, None)

    def take(self, expected=None):
        kind, text = self.peek()
        if kind is None or (expected is not None and text != expected):
            raise UnsupportedExpression(f"expected {expected!r} in {self.source!r}")
        self.position += 1
        return kind, text

    def conditional(self):
        condition = self.disjunction()
        if self.peek()[1] != "?":
            return condition
        self.take("?")
        when_true = self.conditional()
        self.take(":")
        when_false = self.conditional()
        return when_true if condition else when_false

    def disjunction(self):
        return self.logical("||", self.conjunction)

    def conjunction(self):
        return self.logical("&&", self.comparison)

    def logical(self, operator, operand):
        # Both sides are always evaluated: HCL2 does not short-circuit either.
        value = operand()
        while self.peek()[1] == operator:
            self.take()
            right = bool(operand())
            value = (bool(value) or right) if operator == "||" else (bool(value) and right)
        return value

    def comparison(self):
        left = self.unary()
        operator = self.peek()[1]
        compare = {
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            ">=": lambda a, b: a >= b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            "<": lambda a, b: a < b,
        }.get(operator)
        if compare is None:
            return left
        self.take()
        return compare(left, self.unary())

    def unary(self):
        operator = self.peek()[1]
        if operator == "!":
            self.take()
            return not self.unary()
        if operator == "-":
            self.take()
            return -self.unary()
        return self.primary()

    def primary(self):
        kind, text = self.take()
        if kind == "number":
            return float(text) if "." in text else int(text)
        if kind == "string":
            return interpolate(json.loads(text), self.scope)
        if text == "(":
            value = self.conditional()
            self.take(")")
            return value
        if text == "[":
            return self.sequence("]")
        if kind != "name":
            raise UnsupportedExpression(f"unexpected {text!r} in {self.source!r}")
        if text in ("true", "false"):
            return text == "true"
        if text == "null":
            return None
        if self.peek()[1] == "(":
            return self.call(text)
        return self.reference(text)

    def sequence(self, closing):
        """Comma-separated expressions up to and including ``closing``."""
        items = []
        while self.peek()[1] != closing:
            items.append(self.conditional())
            if self.peek()[1] == ",":
                self.take(",")
        self.take(closing)
        return items

    def call(self, name):
        self.take("(")
        if name == "can":
            start = self.position
            try:
                self.conditional()
                result = True
            except EvaluationError:
                result = False
                self.position = start
                self.skip_to_closing_parenthesis()
            self.take(")")
            return result
        if name not in _FUNCTIONS:
            raise UnsupportedExpression(f"function {name}() in {self.source!r}")
        return _FUNCTIONS[name](*self.sequence(")"))

    def skip_to_closing_parenthesis(self):
        depth = 0
        while True:
            text = self.peek()[1]
            if text is None:
                raise UnsupportedExpression(f"unbalanced parentheses in {self.source!r}")
            if text == ")" and depth == 0:
                return
            depth += {"(": 1, ")": -1}.get(text, 0)
            self.take()

    def reference(self, root):
        if root not in self.scope:
            raise UnsupportedExpression(f"reference to {root!r} in {self.source!r}")
        value = self.scope[root]
        while self.peek()[1] == ".":
            self.take(".")
            _, attribute = self.take()
            if attribute not in value:
                raise EvaluationError(f"{root}.{attribute} is not defined ({self.source!r})")
            value = value[attribute]
        return value


def evaluate(expression, scope):
    """Evaluate one expression (the text inside ``${...}``) in ``scope``.

    ``scope`` maps root names to dicts, e.g. ``{"var": {...}, "local": {...}}``;
    a local may itself be an unevaluated expression, resolved on first use.
    """
    return _Parser(expression, scope).parse()


def _closing_brace(text, start):
    """Index of the ``}`` closing the interpolation whose body starts at ``start``."""
    depth, position, in_string = 0, start, False
    while position < len(text):
        character = text[position]
        if in_string:
            if character == "\\":
                position += 1
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string = True
        elif character == "{":
            depth += 1
        elif character == "}":
            if depth == 0:
                return position
            depth -= 1
        position += 1
    raise UnsupportedExpression(f"unterminated ${{ in {text!r}")


def interpolate(text, scope):
    """Replace each ``${...}`` in a string with its value; ``$${`` stays literal.

    A string that is exactly one interpolation keeps the value's type, as
    HCL2 does (``"${var.count}"`` is a number).
    """
    pieces, position = [], 0
    while True:
        start = text.find("${", position)
        if start == -1:
            pieces.append(text[position:])
            break
        if start > 0 and text[start - 1] == "$":
            pieces.append(text[position:start + 2])
            position = start + 2
            continue
        end = _closing_brace(text, start + 2)
        value = evaluate(text[start + 2:end], scope)
        if start == 0 and end == len(text) - 1:
            return value
        pieces.append(text[position:start])
        pieces.append(value if isinstance(value, str) else json.dumps(value))
        position = end + 1
    return "".join(pieces).replace("$${", "${")
