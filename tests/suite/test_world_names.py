"""Account names are the world's business: the world format allows any non-empty name, and the
suite must not demand the SDKs' ``##########-#####`` of a target that holds other names (found by
an independent implementation whose world named its accounts ``acct-…``)."""

from __future__ import annotations

import json

from conformance.simulator.server import start
from conformance.spec.world import World
from conformance.suite.context import Settings, suite_world
from conformance.suite.runner import run_suite


def _renamed(world: World, names: list[str]) -> World:
    text = json.dumps(world.to_json())
    for account, name in zip(world.accounts, names, strict=False):
        text = text.replace(account.name, name)
    return World.from_json(json.loads(text))


def test_a_world_with_other_account_spellings_is_judged_like_any_other() -> None:
    world = _renamed(suite_world(), ["acct-alpha", "Beta Account 2"])
    assert [a.name for a in world.accounts][:2] == ["acct-alpha", "Beta Account 2"]
    with start() as sim:
        report = run_suite(sim.base_url, world=world, settings=Settings(depth="quick"))
    failed = {rule: entry["details"] for rule, entry in report["rules"].items() if entry["outcome"] == "failed"}
    assert report["conformant"], failed
