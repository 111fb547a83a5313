"""The catalogue of planted faults and valid variants (conformance.simulator.profile), end to end.

Every fault must be reported on the rule it names (failed; warned for a SHOULD); every variant
must leave the target conformant; the clean simulator passes every rule, and with a control plane
no rule is left unexercised. Faults run the checks of their own rule (the full run takes several
seconds; the rule's checks are what decides); variants and the clean target run the full suite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.simulator.profile import FAULTS, VARIANTS, Profile
from conformance.simulator.server import start
from conformance.spec.rules import RULES
from conformance.suite.runner import run_suite

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_fault_is_reported_on_its_rule(run_with: Callable[..., dict[str, Any]],
                                       expected_outcome: Callable[[str], str], fault: str) -> None:
    rule_id = FAULTS[fault].rule
    # A fault of a rule judged on every answer may hide where only other families' checks look.
    verdict = run_with(fault, rules=[rule_id, *FAULTS[fault].seen_by])["rules"][rule_id]
    assert verdict["outcome"] == expected_outcome(fault), verdict["details"]
    assert verdict["findings"] and all(f["reproduction"] for f in verdict["findings"]), \
        "every finding carries a reproduction"


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_is_conformant(run_with: Callable[..., dict[str, Any]], variant: str) -> None:
    report = run_with(variant)
    failed = {r: v["details"] for r, v in report["rules"].items() if v["outcome"] == "failed"}
    assert not failed
    assert report["conformant"]


def test_clean_simulator_passes_and_exercises_every_rule() -> None:
    with start(profile=Profile()) as sim:
        report = run_suite(sim.base_url)
    outcomes = {r: v["outcome"] for r, v in report["rules"].items()}
    assert set(outcomes) == set(RULES)
    assert {r: o for r, o in outcomes.items() if o != "passed"} == {}, \
        {r: report["rules"][r]["details"] for r, o in outcomes.items() if o != "passed"}
    assert report["conformant"] and report["control_plane"]
