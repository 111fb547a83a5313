"""Field-ready black-box mode: a handful of test devices, no control plane (fieldkit.small_world).

Every rule that does not need the clock must be exercised; the devices are lent to one check at a
time and come back; no device is ever in two open campaigns; nothing is left open; and the reports
say how much was tested."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fieldkit import FAST_POLL, field_simulator, open_campaigns, small_world, write_world

from conformance.cli import main
from conformance.spec.rules import RULES
from conformance.spec.world import default_world
from conformance.suite.context import Settings
from conformance.suite.runner import run_suite

pytestmark = pytest.mark.slow

NO_CLOCK = {r for r, rule in RULES.items() if not rule.needs_clock}


def test_small_world_exercises_every_rule_that_needs_no_clock() -> None:
    doubled: list[str] = []
    with field_simulator() as sim:

        def watch(name: str, index: int, total: int, phase: str) -> None:
            # Between checks: no device of the world is in two open campaigns on the target.
            live = [c for c in sim.simulator.campaigns() if c.status in ("RequestPending", "Queued")
                    and not c.cancelled]
            twice = [d for d, n in Counter(d for c in live for d in set(c.devices)).items() if n > 1]
            if twice:
                doubled.append(f"{name} {phase}: {twice}")

        report = run_suite(sim.base_url, world=small_world(), settings=Settings(**FAST_POLL), progress=watch)
        left_open = open_campaigns(sim)
        touched = {d for c in sim.simulator.campaigns() for d in c.devices}
    rules = report["rules"]
    untested = {r: rules[r]["details"] for r in NO_CLOCK if rules[r]["outcome"] == "skipped"}
    assert untested == {}
    assert report["conformant"], {r: v["details"] for r, v in rules.items() if v["outcome"] == "failed"}
    cov = report["coverage"]
    clock = len(RULES) - len(NO_CLOCK)
    assert cov["tested"] >= len(NO_CLOCK)
    assert cov["line"].startswith(f"CONFORMANT on {cov['tested']} of {len(RULES)} rules")
    assert set(cov["untested"].values()) <= {"needs the clock"} and len(cov["untested"]) <= clock
    # Nothing went without for want of devices: the only gaps are the clock's scenarios.
    starved = {r: g for r, gaps in cov["partly"].items() for g in gaps
               if "needs the control plane" not in g and "polling saw no status change" not in g}
    assert starved == {}
    # The concurrent-append check scaled down to the pool and says how hard it looked.
    assert "concurrent writers" in cov["extent"]["PUT-01"], cov["extent"]
    assert any("concurrent writers" in d for d in rules["PUT-01"]["details"])
    # Safety (docs/simulator-contract.md#safety): nothing left open, the cap kept, only the world's
    # devices, no device in two open campaigns.
    assert left_open == []
    assert report["created_campaigns"] <= Settings().max_campaigns
    # The account's other devices (as the default world has them) are not in the world: untouched.
    world_devices = {d.imei for a in small_world().accounts for d in a.devices}
    others = {d.imei for a in default_world().accounts for d in a.devices} - world_devices
    assert touched & others == set()
    assert doubled == []
    devices = cov["devices"]
    assert devices["lends"] > devices["devices"], "devices were lent again after they came back"
    assert devices["lost"] == {}


def _run_cli(tmp_path: Path, base_url: str, *extra: str) -> tuple[int, dict[str, Any]]:
    world = write_world(tmp_path / "world.json")
    code = main(["run", "--base-url", base_url, "--world", str(world), "-q",
                 "--poll-interval", "0.1", "--poll-total", "3",
                 "--report-json", str(tmp_path / "r.json"), "--junit-xml", str(tmp_path / "r.xml"),
                 "--markdown", str(tmp_path / "r.md"), *extra])
    return code, json.loads((tmp_path / "r.json").read_text())


def test_require_tested_fails_the_gate_on_what_needs_the_clock(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    with field_simulator() as sim:
        code, report = _run_cli(tmp_path, sim.base_url, "--require-tested")
    out = capsys.readouterr().out
    assert report["conformant"] is True  # the report's meaning (no MUST failed) is kept …
    assert code == 1  # … but the gate fails: some rules could not be tested
    gate = report["gate"]
    assert gate["passed"] is False and set(gate["untested"]) == set(report["coverage"]["untested"])
    assert all(RULES[r].needs_clock for r in gate["untested"])
    last = out.strip().splitlines()[-1]
    assert last.startswith("GATE FAILED (--require-tested): CONFORMANT on"), last
    junit = (tmp_path / "r.xml").read_text()
    assert junit.count('type="NOT TESTED"') == len(gate["untested"])
    md = (tmp_path / "r.md").read_text()
    assert "GATE FAILED" in md and "(in part)" in md


def test_without_the_gate_skipped_rules_are_junit_skips(tmp_path: Path) -> None:
    with field_simulator() as sim:
        code, report = _run_cli(tmp_path, sim.base_url, "--rules", "PUT-01,PUT-04,LIFE-05")
    assert code == 0
    junit = (tmp_path / "r.xml").read_text()
    assert junit.count("<skipped") == report["summary"]["skipped"]
    assert report["coverage"]["untested"]["PUT-04"] == "needs the clock"
    assert report["coverage"]["untested"]["POST-01"] == "not selected"
    assert "tested_in_part" in junit  # PUT-01: the stateful model needs the clock


def test_a_target_that_never_decides_is_reported_undecided_not_passed() -> None:
    # The simulator's clock stands still: an accepted request stays RequestPending for ever.
    with field_simulator(realtime=False) as sim:
        report = run_suite(sim.base_url, world=small_world(), rules=["POST-04", "LIFE"],
                           settings=Settings(poll_interval=0.5, poll_total=2.0))
        left_open = open_campaigns(sim)
    post04 = report["rules"]["POST-04"]
    undecided = [d for d in post04["details"] if "undecided" in d]
    assert undecided and all(d.startswith("partly untested: ") for d in undecided), post04["details"]
    assert "(a slow target: raise --poll-total)" in undecided[0]
    # Once a campaign stayed undecided for the whole --poll-total, later polls wait one interval.
    life02 = " ".join(report["rules"]["LIFE-02"]["details"])
    assert "watched up to 0.5 s" in life02, life02
    assert left_open == []
