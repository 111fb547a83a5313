"""The lifecycle checks (LIFE, SIM, PUT-04, PUT-01 concurrency) against the real reference simulator.

No mocks: every test starts the simulator on a loopback port and runs the suite over HTTP. The clean
simulator must pass, observing every reachable edge; a target without the control plane gets skips
with reasons, not failures. (Each planted fault and valid variant: tests/suite/test_faults_catalogue.py.)
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.simulator.profile import FAULTS, Profile
from conformance.simulator.server import start
from conformance.suite.runner import run_suite

pytestmark = pytest.mark.slow

MINE = ("LIFE-01", "LIFE-02", "LIFE-03", "LIFE-04", "LIFE-05", "LIFE-06",
        "SIM-01", "SIM-02", "SIM-03", "SIM-04", "PUT-04")
MY_FAULTS = sorted(name for name, f in FAULTS.items()
                   if f.rule in MINE or name == "put01-lost-concurrent-appends")


def _run(profile: Profile, rules: tuple[str, ...] | list[str] = MINE, **kw: Any) -> dict[str, Any]:
    with start(profile=profile) as sim:
        return run_suite(sim.base_url, rules=list(rules), **kw)


def _outcomes(report: dict[str, Any], rules: tuple[str, ...] = MINE) -> dict[str, str]:
    return {r: report["rules"][r]["outcome"] for r in rules}


def test_clean_simulator_passes_every_lifecycle_rule() -> None:
    report = _run(Profile())
    bad = {r: report["rules"][r]["details"] for r, o in _outcomes(report).items() if o != "passed"}
    assert not bad
    edges = {(e["from"], e["to"]) for e in report["lifecycle"]["observed_edges"]}
    assert {("RequestPending", "Queued"), ("Queued", "InProgress"), ("Queued", "UpgradeFailed"),
            ("InProgress", "Finished"), ("RequestPending", "RequestFailed")} <= edges


def test_concurrent_appends_pass_on_the_clean_simulator() -> None:
    report = _run(Profile(), rules=["PUT-01"])
    checks = report["rules"]["PUT-01"]["checks"]
    assert "put.concurrent_appends_are_all_kept" in checks
    assert not report["rules"]["PUT-01"]["findings"]
