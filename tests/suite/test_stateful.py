"""The model-based exploration: silent on the clean simulator, and a planted fault shrinks to a few
replayable steps."""

from __future__ import annotations

import time

import pytest

from conformance.simulator.profile import Profile
from conformance.simulator.server import start
from conformance.suite.checks.stateful import explore
from conformance.suite.context import Api, ControlPlane, Ctx, Ledger, Settings, suite_world
from conformance.suite.http import Client
from conformance.suite.results import Results

pytestmark = pytest.mark.slow


def _ctx(client: Client, seed: int = 0) -> Ctx:
    ctx = Ctx(api=Api(client, Ledger()), control=ControlPlane(client), results=Results(seed=seed),
              settings=Settings(seed=seed), world=suite_world(), check="stateful.lifecycle_model")
    ctx.fresh_world()
    return ctx


def test_clean_simulator_shows_no_violation() -> None:
    with start(profile=Profile()) as sim, Client(sim.base_url) as client:
        began = time.monotonic()
        assert explore(_ctx(client)) is None
        assert time.monotonic() - began < 10


@pytest.mark.parametrize(("fault", "rule_id"), [("put04-change-after-start", "PUT-04")])
def test_planted_fault_shrinks_to_a_short_sequence(fault: str, rule_id: str) -> None:
    with start(profile=Profile.of(fault)) as sim, Client(sim.base_url) as client:
        found = explore(_ctx(client))
    assert found is not None
    violation, steps, log = found
    assert violation.rule_id == rule_id
    # Shrinking is capped in wall time (SHRINK_BUDGET_S); on a loaded machine it may stop before the
    # 3-step minimum, so the bound is loose — the offending request is always the last step.
    assert 1 <= len(steps) <= Settings().stateful_steps, steps
    assert steps[-1].startswith(("PUT append", "PUT remove", "DELETE")), steps  # the offending request
    assert log[0].url.endswith("/__control/world")  # the reproduction starts from the world
    assert len(log) == len(steps) + 1


@pytest.mark.skip(reason="shrinking is capped in wall time, so the shrunk sequence depends on machine load")
def test_same_seed_same_sequence() -> None:
    with start(profile=Profile.of("put04-change-after-start")) as sim, Client(sim.base_url) as client:
        first = explore(_ctx(client, seed=7))
        second = explore(_ctx(client, seed=7))
    assert first is not None and second is not None
    assert first[1] == second[1]
