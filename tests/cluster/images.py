"""Image "pulls" as preloaded images, the way `kind load docker-image` works: the
node already holds the images built from this checkout, under whatever name
the manifest uses. Nothing is pulled, so a manifest that insists on pulling
(imagePullPolicy Always, or a `latest`/missing tag, which defaults to Always)
would fail on such a cluster; that is reported."""

from __future__ import annotations


def _repository_and_tag(reference: str) -> tuple[str, str | None]:
    reference = reference.split("@")[0]
    last = reference.rsplit("/", 1)[-1]
    if ":" in last:
        return reference.rsplit(":", 1)[0], last.split(":", 1)[1]
    return reference, None


def preloaded(reference: str, built: dict[str, str]) -> str:
    """The local image standing in for a manifest's reference, matched by the last
    path element of its repository (yelb-ui, yelb-appserver, yelb-db, redis)."""
    repository, _ = _repository_and_tag(reference)
    name = repository.rsplit("/", 1)[-1]
    if name not in built:
        raise ValueError(f"image {reference}: no preloaded image for {name!r} (have: {', '.join(sorted(built))})")
    return built[name]


def pull_policy(container: dict) -> str:
    """The policy the API server defaults to when the manifest names none."""
    _, tag = _repository_and_tag(container["image"])
    return container.get("imagePullPolicy") or ("Always" if tag in (None, "latest") else "IfNotPresent")
