"""The model-based exploration: silent on the clean simulator, a planted fault shrinks to a few
replayable steps, and the same seed gives the same minimal sequence (shrinking is bounded by work,
not by wall-clock time, so machine load cannot change it)."""

from __future__ import annotations

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


def test_clean_simulator_shows_no_violation_and_exercises_what_it_judged() -> None:
    with start(profile=Profile()) as sim, Client(sim.base_url) as client:
        ctx = _ctx(client)
        assert explore(ctx) is None
    verdicts = ctx.results.verdicts()
    exercised = {r for r, v in verdicts.items() if v.checks}
    # What every sequence judges: statuses read, devices listed, clock moves, the answers' form.
    assert {"SIM-04", "LIFE-01", "LIFE-04", "WIRE-01", "WIRE-02"} <= exercised
    assert not ctx.results.findings


@pytest.mark.parametrize(("fault", "rule_id"), [("put04-change-after-start", "PUT-04")])
def test_planted_fault_shrinks_to_a_short_sequence(fault: str, rule_id: str) -> None:
    with start(profile=Profile.of(fault)) as sim, Client(sim.base_url) as client:
        found = explore(_ctx(client))
    assert found is not None
    violation, steps, log = found
    assert violation.rule_id == rule_id
    # Schedule, move past the start, change: three steps is the minimum a shrink can reach.
    assert 3 <= len(steps) <= 6, steps
    assert steps[-1].startswith(("PUT append", "PUT remove", "DELETE")), steps  # the offending request
    assert log[0].url.endswith("/__control/world")  # the reproduction starts from the world
    assert len(log) == len(steps) + 1


def test_same_seed_same_sequence() -> None:
    with start(profile=Profile.of("put04-change-after-start")) as sim, Client(sim.base_url) as client:
        first = explore(_ctx(client, seed=3))
        second = explore(_ctx(client, seed=3))
    assert first is not None and second is not None
    assert first[0].rule_id == second[0].rule_id
    assert first[1] == second[1]
    assert [(e.method, e.status) for e in first[2]] == [(e.method, e.status) for e in second[2]]
