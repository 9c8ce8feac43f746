"""The image builds resolve the appserver's and the load generator's locks together (the e2e
wheelhouse downloads both at once), so a package both pin must be pinned alike."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCKS = (ROOT / "yelb-appserver" / "requirements.txt", ROOT / "loadgen" / "requirements.txt")


def pins(lock: Path) -> dict[str, str]:
    found = {}
    for line in lock.read_text().splitlines():
        requirement = line.split(";")[0].strip()
        if requirement and not requirement.startswith("#"):
            name, version = requirement.split("==")
            found[name.lower()] = version
    return found


def test_packages_both_locks_pin_are_pinned_alike():
    appserver, loadgen = (pins(lock) for lock in LOCKS)
    assert {name: (appserver[name], loadgen[name]) for name in appserver.keys() & loadgen.keys()
            if appserver[name] != loadgen[name]} == {}
