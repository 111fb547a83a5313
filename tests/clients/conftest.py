"""Fixtures for the real-client tests: one reference simulator (the built-in world, frozen clock)
serving over loopback HTTP for the whole directory.

Both modules in this directory use this one simulator, so each test takes devices of its own from
the world and never relies on what another test left behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from conformance.simulator import RunningSimulator, start
from conformance.spec.world import default_world


@pytest.fixture(scope="session")
def simulator() -> Iterator[RunningSimulator]:
    with start(world=default_world()) as running:
        yield running


@pytest.fixture(scope="session")
def start_day(simulator: RunningSimulator) -> date:
    """A start date a week after the simulator's (frozen) today: always acceptable."""
    return simulator.simulator.now().date() + timedelta(days=7)
