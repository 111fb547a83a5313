"""Black-box runs: the simulator with no control plane stands in for a real target such as the
vendor's API. The suite must keep to the world it is given, clean up every campaign it created,
find the faults it can see without a clock, and skip (never fail) what needs the clock."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from conformance.simulator.profile import Profile
from conformance.simulator.server import start
from conformance.spec.lifecycle import OPEN
from conformance.spec.rules import RULES
from conformance.spec.world import Account, Device, World, default_world
from conformance.suite.context import Settings
from conformance.suite.runner import run_suite

pytestmark = pytest.mark.slow


def _small_world(fitting: int) -> World:
    """What a vendor test account may hold: a few dozen devices, not the default world's 60+."""
    base = default_world(now=datetime.combine(datetime.now(UTC).date(), time(0), tzinfo=UTC))
    a = base.accounts[0]
    fw = a.firmware[0]
    keep = [d for d in a.devices if d.fits(fw) and d.reachable][:fitting]
    keep += [d for d in a.devices if not d.fits(fw)][:2]
    keep.append(Device("359999999999991", fw.make, fw.model, fw.from_version, reachable=False))
    return World(now=base.now, credentials=base.credentials,
                 accounts=(Account(a.name, a.firmware, tuple(keep)), *base.accounts[1:]))


def _run(world: World, *names: str) -> tuple[dict[str, object], list[str]]:
    with start(world=world, profile=Profile.of(*names), control_plane=False) as sim:
        report = run_suite(sim.base_url, world=world, settings=Settings(poll_total=0.5, poll_interval=0.25))
        still_open = [c.id for c in sim.simulator.campaigns() if c.status in OPEN and not c.cancelled]
    return report, still_open


def test_clean_target_conforms_and_is_left_clean() -> None:
    report, still_open = _run(_small_world(28))
    rules = report["rules"]
    assert isinstance(rules, dict)
    assert report["conformant"] and not report["control_plane"]
    assert {r for r, v in rules.items() if v["outcome"] == "failed"} == set()
    # Clock-bound rules are skipped with a reason; the rest of every family is really tested.
    for rule_id, verdict in rules.items():
        if RULES[rule_id].needs_clock:
            assert verdict["outcome"] == "skipped" and verdict["details"], rule_id
    # With a test account of ~30 devices and the default campaign cap, every rule that needs no
    # clock is really tested (the cross-check with an independent implementation found it was not).
    untested = {r for r, v in rules.items() if not RULES[r].needs_clock and v["outcome"] != "passed"}
    assert untested == set(), {r: rules[r]["details"] for r in untested}
    assert still_open == [], "every campaign the suite created is cancelled"
    assert report["created_campaigns"] <= Settings().max_campaigns


@pytest.mark.parametrize("fault", ["put01-append-not-kept", "put02-remove-not-kept", "auth02-any-bearer"])
def test_faults_visible_without_a_clock_are_caught(fault: str) -> None:
    report, still_open = _run(_small_world(28), fault)
    rules = report["rules"]
    assert isinstance(rules, dict)
    from conformance.simulator.profile import FAULTS

    assert rules[FAULTS[fault].rule]["outcome"] == "failed", rules[FAULTS[fault].rule]["details"]
    assert still_open == []
