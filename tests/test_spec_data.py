"""The package's data agrees with itself and, where the project's source documents sit beside the
checkout (as in the project's own CI), with the rule list it was written from; users have only the
repository, where docs/rules.md is generated from the same table (tests/test_docs.py)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from conformance.spec.lifecycle import (
    EDGES,
    OPEN,
    STARTED,
    TERMINAL,
    CampaignFacts,
    Status,
    expected_status,
    is_allowed_change,
)
from conformance.spec.rules import RULES, Level

SHARED = Path(__file__).resolve().parents[2] / "shared"
BEHAVIOR = SHARED / "BEHAVIOR.md"


@pytest.mark.skipif(not BEHAVIOR.is_file(), reason="shared/BEHAVIOR.md is not beside this checkout")
def test_rule_catalogue_matches_behavior_md() -> None:
    text = BEHAVIOR.read_text(encoding="utf-8")
    found = dict(re.findall(r"^- \*\*([A-Z]+-\d\d) (MUST|SHOULD|INFO)\*\*", text, flags=re.M))
    assert found, "no rules parsed from BEHAVIOR.md"
    assert set(found) == set(RULES), "rule ids differ between BEHAVIOR.md and conformance/spec/rules.py"
    for rule_id, level in found.items():
        assert RULES[rule_id].level == Level(level), rule_id


def test_rules_with_a_should_part_are_exactly_those_behavior_md_marks() -> None:
    assert {r.id for r in RULES.values() if r.has_should_part} == {"WIRE-04", "PUT-05"}


def test_lifecycle_graph_has_the_six_documented_edges() -> None:
    assert len(EDGES) == 6
    assert all(not any(src == t for src, _ in EDGES) for t in TERMINAL), "a terminal state has an exit"
    assert OPEN | STARTED | {Status.REQUEST_FAILED} == set(Status)


@pytest.mark.parametrize(("before", "after", "ok"), [
    (Status.REQUEST_PENDING, Status.FINISHED, True),   # states may be skipped unseen
    (Status.QUEUED, Status.QUEUED, True),
    (Status.QUEUED, Status.REQUEST_FAILED, False),
    (Status.FINISHED, Status.IN_PROGRESS, False),
    (Status.UPGRADE_FAILED, Status.FINISHED, False),
    (Status.IN_PROGRESS, Status.QUEUED, False),
])
def test_allowed_changes(before: Status, after: Status, ok: bool) -> None:
    assert is_allowed_change(before, after) is ok


def test_contract_timing_oracle() -> None:
    start = date(2026, 3, 4)
    facts = CampaignFacts(start_date=start, valid=True, any_reachable=True, decided=True)
    at = lambda d, s=0: datetime(2026, 3, d, tzinfo=UTC) + timedelta(seconds=s)  # noqa: E731
    assert expected_status(CampaignFacts(start, True, True, decided=False), at(9)) is Status.REQUEST_PENDING
    assert expected_status(facts, at(3, 86399)) is Status.QUEUED
    assert expected_status(facts, at(4)) is Status.IN_PROGRESS
    assert expected_status(facts, at(5)) is Status.FINISHED
    assert expected_status(CampaignFacts(start, True, False, True), at(4)) is Status.UPGRADE_FAILED
    assert expected_status(CampaignFacts(start, False, True, True), at(1)) is Status.REQUEST_FAILED
    assert expected_status(CampaignFacts(start, True, True, True, cancelled=True), at(5)) is None
