"""Shared fixtures for the rule-check tests: real simulators on loopback ports, no mocks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from conformance.simulator.profile import FAULTS, Profile
from conformance.simulator.server import start
from conformance.suite.runner import run_suite

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
