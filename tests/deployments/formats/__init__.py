"""One loader per deployment format, each reducing its files to the same small
model, so the contract test can hold every format to the application.

A loader is called with `retarget=False` (the public defaults) or `True` (the
format's one registry knob and one tag knob, and nothing else, pointed at
RETARGET_REGISTRY / RETARGET_TAG), and optionally `room`: the appserver settings
of the room (ROOM_SETTINGS) as a speaker sets them, through the format's own knobs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

from ..renders import REPO
from ..renders import TEST_REGISTRY as RETARGET_REGISTRY
from ..renders import TEST_TAG as RETARGET_TAG

PUBLIC_REGISTRY = "ghcr.io/yelb-project"
# The release version, the default tag of every format (never `latest`).
PUBLIC_TAG = tomllib.loads((REPO / "yelb-appserver" / "pyproject.toml").read_text())["project"]["version"]
# Redis is the stock image mirrored under the registry with its upstream tag.
REDIS = "redis:7-alpine"
# What a speaker changes for a room: the options, the question, the URL the QR code shows.
ROOM_SETTINGS = ("YELB_OPTIONS", "YELB_QUESTION", "YELB_PUBLIC_URL")


@dataclass(frozen=True)
class Value:
    """An environment value: a literal, a secret reference, or filled in at run time
    (then `source` says by what, when the format names it: a downward API field path,
    a Nomad interpolation)."""

    literal: str | None = None
    secret: str | None = None
    dynamic: bool = False
    source: str | None = None


@dataclass
class Tier:
    """A container as the deployment runs it, under the name other tiers use."""

    service: str
    image: str
    env: dict[str, Value] = field(default_factory=dict)
    # Ports other tiers reach it on through its service name, and ports the
    # container listens on; empty when the format leaves them implicit.
    ports: set[int] = field(default_factory=set)
    listens: set[int] = field(default_factory=set)
    # Paths of the HTTP probes / health checks the orchestrator sends it.
    http_checks: set[str] = field(default_factory=set)


@dataclass
class Deployment:
    name: str
    tiers: dict[str, Tier]
    # Every name a tier can resolve inside this deployment.
    services: set[str]
    # Service names tiers are pointed at by other means than env (e.g. a catalogue query).
    lookups: set[str] = field(default_factory=set)
    # Whether the orchestrator itself probes the appserver (not left to the image).
    probes_appserver: bool = True
    # (registry, tag) the images must carry.
    registry: str = PUBLIC_REGISTRY
    tag: str = PUBLIC_TAG
    # What the images are named from, as the format spells it (variables,
    # values): the contract wants exactly the format's knob pair.
    image_knobs: set[str] = field(default_factory=set)
