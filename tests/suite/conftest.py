"""Shared fixtures for the rule-check tests: real simulators on loopback ports, no mocks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpcore  # noqa: F401  (see below)
import pytest

from conformance.simulator.profile import FAULTS, Profile
from conformance.simulator.server import start
from conformance.suite.registry import load_checks
from conformance.suite.runner import run_suite

# pytester's in-process runs (test_plugin.py) drop from sys.modules every module first imported
# inside them; imported again later, such a module is a second copy whose classes the first
# copy's users do not recognise (httpx then let a raw httpcore.ConnectError through). So what the
# suite imports lazily — httpx's transport, the check modules — is imported here, before any
# pytester run, and the test files pass in any order. (httpx imports httpcore on first use.)
load_checks()

Runner = Callable[..., dict[str, Any]]


def _expected_outcome(fault_name: str) -> str:
    """What the report must say about a planted fault's rule: failed, or warned for a SHOULD
    (a SHOULD rule, or the SHOULD part of a MUST rule: ``Fault.should_part``)."""
    return FAULTS[fault_name].expected_outcome


@pytest.fixture(scope="module")
def clean_url() -> Iterator[str]:
    """One clean reference simulator per test module (every check reloads its world)."""
    with start(profile=Profile()) as sim:
        yield sim.base_url


@pytest.fixture
def run_with() -> Runner:
    """``run_with(*profile_names, rules=[...])``: a fresh simulator with that profile, one suite run."""

    def run(*names: str, rules: list[str] | None = None, **kw: Any) -> dict[str, Any]:
        with start(profile=Profile.of(*names)) as sim:
            return run_suite(sim.base_url, rules=rules, **kw)

    return run


@pytest.fixture
def expected_outcome() -> Callable[[str], str]:
    return _expected_outcome
