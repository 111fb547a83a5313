"""Fixtures: one clean simulator for the whole session (a fresh world per test through the control
plane), and a factory for simulators with planted faults or variants switched on."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from simkit import WORLD, Api

from conformance.simulator import Profile, RunningSimulator, start


@pytest.fixture(scope="session")
def server() -> Iterator[RunningSimulator]:
    with start(world=WORLD) as running:
        yield running


@pytest.fixture(scope="session")
def http() -> Iterator[httpx.Client]:
    # One shared client: creating one per thread costs ~0.1 s each (TLS context), which would
    # serialise the concurrency tests by accident.
    with httpx.Client(timeout=15, limits=httpx.Limits(max_connections=80, max_keepalive_connections=80)) as client:
        yield client


@pytest.fixture
def api(server: RunningSimulator, http: httpx.Client) -> Api:
    """The clean simulator with the test world freshly loaded (no upgrades, clock at WORLD.now)."""
    client = Api(server.base_url, http)
    client.reset()
    return client


@pytest.fixture
def simulator_with(http: httpx.Client) -> Iterator[Callable[..., Api]]:
    """``simulator_with("fault-or-variant", ...)``: a simulator of its own with that profile."""
    running: list[RunningSimulator] = []

    def make(*names: str) -> Api:
        sim = start(world=WORLD, profile=Profile.of(*names))
        running.append(sim)
        return Api(sim.base_url, http)

    yield make
    for sim in running:
        sim.stop()
