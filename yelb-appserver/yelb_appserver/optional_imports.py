"""Importing a library without an optional integration it loads whenever that is installed."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def without(module_name: str) -> Iterator[None]:
    """Within the block, importing module_name fails as if it were not installed; afterwards it
    imports as usual. Changes nothing when the module is already loaded."""
    if module_name in sys.modules:
        yield
        return
    sys.modules[module_name] = None  # the import system's own mark for "not importable"
    try:
        yield
    finally:
        del sys.modules[module_name]
