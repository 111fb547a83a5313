"""The public surface is what ``conformance.__all__`` names (one small public API)."""

from __future__ import annotations

import inspect
import subprocess
import sys

import conformance


def test_public_surface_is_exactly_this() -> None:
    assert sorted(conformance.__all__) == ["ConfigError", "RunAborted", "Settings", "__version__", "run_suite"]
    for name in conformance.__all__:
        assert getattr(conformance, name) is not None
    assert isinstance(conformance.__version__, str) and conformance.__version__[0].isdigit()
    assert issubclass(conformance.ConfigError, Exception) and issubclass(conformance.RunAborted, Exception)


def test_run_suite_options_are_keyword_only() -> None:
    params = inspect.signature(conformance.run_suite).parameters
    assert next(iter(params)) == "base_url"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(params.values())[1:])
    assert {"world", "settings", "rules", "progress"} <= set(params)


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        conformance.nope  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("conformance.nope did not raise")


def test_importing_the_package_or_the_simulator_does_not_load_the_suite() -> None:
    # The simulator never depends on the suite (ARCHITECTURE.md); the package __init__ must not
    # drag it in either, or every `import conformance.simulator…` pays for httpx and the checks.
    code = ("import sys, conformance, conformance.simulator.profile; "
            "print(sorted(m for m in sys.modules if m.startswith('conformance.suite')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
