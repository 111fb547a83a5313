"""Helpers the pytest-plugin tests share (test_plugin.py, test_plugin_xdist.py)."""

from __future__ import annotations

from importlib.metadata import entry_points

import pytest

# Once the package is pip-installed, the pytest11 entry point loads the plugin by itself; naming it
# with -p as well would register it twice.
_INSTALLED = any(ep.name == "fota_conformance" for ep in entry_points(group="pytest11"))
PLUGIN = [] if _INSTALLED else ["-p", "conformance.pytest_plugin"]


def outcomes_by_rule(result: pytest.RunResult) -> dict[str, str]:
    """FOTA::RULE-ID → PASSED/FAILED/SKIPPED from the -rA summary lines."""
    out: dict[str, str] = {}
    for line in result.outlines:
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("PASSED", "FAILED", "SKIPPED") and "FOTA::" in line:
            node = next(p for p in parts if "FOTA::" in p)
            out[node.split("FOTA::", 1)[1].rstrip(":")] = parts[0]
    return out
