"""What the audience votes on.

The default is the original Yelb's four restaurants, in the original's order.
YELB_OPTIONS replaces them, e.g. "kubernetes=Kubernetes,nomad=Nomad|HashiCorp".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Option names become database keys (char(30)) and URL path segments.
OPTION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,29}$")


@dataclass(frozen=True)
class Option:
    name: str
    label: str
    tagline: str = ""

    def as_json(self) -> dict:
        return {"name": self.name, "label": self.label, "tagline": self.tagline}


DEFAULT_OPTIONS: tuple[Option, ...] = (
    Option("outback", "Outback", "Steaks and a Bloomin' Onion"),
    Option("bucadibeppo", "Buca di Beppo", "Family-style Italian"),
    Option("ihop", "IHOP", "Pancakes all day"),
    Option("chipotle", "Chipotle", "Burritos and bowls"),
)


def parse_options(text: str) -> tuple[Option, ...]:
    """Parse "name[=Label[|Tagline]]" entries separated by commas."""
    options: list[Option] = []
    for entry in text.split(","):
        name, _, display = entry.strip().partition("=")
        label, _, tagline = display.partition("|")
        name = name.strip()
        if not OPTION_NAME.match(name):
            raise ValueError(
                f"option name {name!r} must be 1-30 characters of a-z, 0-9, '-' or '_', "
                "starting with a letter or digit"
            )
        if any(option.name == name for option in options):
            raise ValueError(f"option {name!r} is listed twice")
        options.append(Option(name, label.strip() or name, tagline.strip()))
    return tuple(options)
