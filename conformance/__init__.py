"""fota-conformance: the reference conformance suite for the Verizon ThingSpace FOTA v1 upgrade API.

The public API is what ``__all__`` names; everything else is private and may change::

    from conformance import run_suite, Settings
    report = run_suite("http://127.0.0.1:8080/api/fota/v1", settings=Settings(seed=1))

The names are loaded lazily (PEP 562): ``import conformance.simulator`` must not drag the suite
(httpx, schemathesis) in with it — the simulator never depends on the suite (ARCHITECTURE.md) —
and the pytest plugin must stay cheap to load in test runs that never use it.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from conformance.suite.context import Settings
    from conformance.suite.runner import ConfigError, RunAborted, run_suite

__all__ = ["ConfigError", "RunAborted", "Settings", "__version__", "run_suite"]

try:
    __version__: str = version("fota-conformance")
except PackageNotFoundError:  # a source checkout that was never pip-installed
    __version__ = "0.1.0"

_LAZY = {
    "run_suite": "conformance.suite.runner",
    "ConfigError": "conformance.suite.runner",
    "RunAborted": "conformance.suite.runner",
    "Settings": "conformance.suite.context",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # cache: the next access is a plain attribute lookup
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
