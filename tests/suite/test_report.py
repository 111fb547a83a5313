"""The renderers read a report and nothing else: these tests feed them a hand-made report with every
awkward thing a target can put into one (control characters, pipes, backticks, a status that is not
a status), so they need no target at all."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from conformance.report import (
    ReportError,
    load_report,
    render_junit,
    render_markdown,
    render_terminal,
    validate_report,
    write_report,
)
from conformance.report.jsonio import check_writable
from conformance.report.markdown import mermaid_lifecycle
from conformance.spec.lifecycle import EDGES
from conformance.spec.rules import RULES

CURL = "curl -sS -X POST http://127.0.0.1:9/api/fota/v1/upgrades -H 'Authorization: Bearer ***'"


def make_report() -> dict[str, Any]:
    rules: dict[str, Any] = {}
    for rule_id, r in RULES.items():
        entry: dict[str, Any] = {"outcome": "passed", "details": [], "level": str(r.level), "title": r.title,
                                 "checks": ["x.y"], "findings": []}
        if r.has_branches:
            entry["branch"] = "refused at once" if rule_id == "POST-04" else None
        rules[rule_id] = entry
    rules["POST-01"].update(outcome="failed", details=["status: expected RequestPending; got Queued"], findings=[{
        "rule": "POST-01", "severity": "MUST", "check": "post.valid_request", "title": "status | pipe",
        "expected": "status RequestPending", "actual": "200 application/json {\"status\": \"Queued\"} \x00\x1b",
        "reproduction": [CURL, "curl ```weird``` body"], "seed": 7}])
    rules["PUT-07"].update(outcome="warned", details=["reason key"], findings=[{
        "rule": "PUT-07", "severity": "SHOULD", "check": "put.reason", "title": "lower-case reason",
        "expected": "Reason", "actual": "reason", "reproduction": [CURL], "seed": 7}])
    rules["LIFE-05"].update(outcome="skipped", details=["needs the control plane"], checks=[])
    return {"report_version": 1, "conformant": False, "target": "http://127.0.0.1:9/api/fota/v1",
            "control_plane": True, "seed": 7, "duration_s": 1.25, "requests": 40,
            "generated_at": "2026-03-01T00:00:00Z",
            "lifecycle": {"observed_edges": [{"from": "RequestPending", "to": "Queued", "count": 3},
                                             {"from": "Queued", "to": "Scheduled: later", "count": 1}]},
            "rules": rules}


def test_hand_made_report_meets_the_contract_and_validation_catches_gaps() -> None:
    report = make_report()
    assert validate_report(report) == []
    del report["rules"]["SIM-04"]
    report["rules"]["POST-04"].pop("branch")
    report["rules"]["WIRE-01"]["outcome"] = "ok"
    problems = validate_report(report)
    assert any("SIM-04 is missing" in p for p in problems)
    assert any("POST-04" in p and "branch" in p for p in problems)
    assert any("WIRE-01" in p and "outcome" in p for p in problems)


def test_terminal_groups_by_family_shows_failures_and_ends_with_the_verdict() -> None:
    text = render_terminal(make_report())
    lines = text.splitlines()
    assert lines[-1].startswith("NOT CONFORMANT: 1 failed, 1 warned")
    assert "seed 7" in lines[-1]
    heads = [i for i, line in enumerate(lines) if line.split(" ")[0] in ("WIRE", "AUTH", "POST", "PUT", "LIFE", "SIM")]
    assert [lines[i].split(" ")[0] for i in heads] == ["WIRE", "AUTH", "POST", "PUT", "LIFE", "SIM"]
    for rule_id in RULES:
        assert rule_id in text
    assert "FAIL  POST-01" in text and "WARN  PUT-07" in text and "SKIP  LIFE-05" in text
    assert "expected: status RequestPending" in text and CURL in text and "seed 7" in text
    assert "\x00" not in text and "\x1b" not in text and "\\x1b" in text  # escapes shown, not obeyed
    assert "[branch: refused at once]" in text


def test_terminal_quiet_shows_only_problems_and_the_verdict() -> None:
    lines = render_terminal(make_report(), quiet=True).splitlines()
    assert any("POST-01" in line for line in lines) and any("PUT-07" in line for line in lines)
    assert not any("WIRE-01" in line for line in lines)
    assert lines[-1].startswith("NOT CONFORMANT")


def test_junit_is_valid_xml_with_one_testcase_per_rule() -> None:
    root = ET.fromstring(render_junit(make_report()).encode())
    cases = root.findall(".//testcase")
    assert [c.get("name") for c in cases] == list(RULES)
    by_name = {c.get("name"): c for c in cases}
    failure = by_name["POST-01"].find("failure")
    assert failure is not None and "expected: status RequestPending" in (failure.text or "")
    assert "\x00" not in (failure.text or "")  # control characters replaced, or no CI could parse it
    assert by_name["LIFE-05"].find("skipped").get("message") == "needs the control plane"  # type: ignore[union-attr]
    warned = by_name["PUT-07"]
    assert warned.find("failure") is None and "WARNING" in (warned.findtext("system-out") or "")
    assert {p.get("name"): p.get("value") for p in warned.iter("property")}["outcome"] == "warned"
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("skipped") == "1"
    assert suite.get("tests") == str(len(RULES))


def test_markdown_has_the_table_failures_in_code_blocks_and_the_lifecycle() -> None:
    text = render_markdown(make_report())
    assert text.startswith("# FOTA v1 conformance: ❌ not conformant")
    for rule_id in RULES:
        assert f"| {rule_id} |" in text
    assert "✗ status | pipe  (post.valid_request, MUST)" in text  # findings in code blocks: no escaping
    assert "````text\n" in text  # a fence longer than the ``` inside the reproduction
    assert "\x00" not in text and "\\x1b" in text  # control characters escaped here too
    assert "```mermaid\nstateDiagram-v2" in text
    assert "RequestPending --> Queued: observed ×3" in text


def test_mermaid_marks_every_edge_observed_or_not_and_draws_violations() -> None:
    diagram = mermaid_lifecycle(make_report()["lifecycle"]["observed_edges"])
    for a, b in EDGES:
        assert any(line.strip().startswith(f"{a} --> {b}: ") for line in diagram.splitlines())
    assert "Queued --> InProgress: not observed" in diagram
    # A status that is not one: drawn with an identifier Mermaid accepts, labelled as a violation.
    assert "Queued --> Scheduled__later: ⚠ observed ×1, not an allowed change" in diagram
    assert mermaid_lifecycle([]).count("not observed") == len(EDGES)


def test_report_files_round_trip_and_bad_paths_fail_early(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    write_report(make_report(), path)
    assert load_report(path)["seed"] == 7
    assert not list(tmp_path.glob(".*.tmp"))
    (tmp_path / "bad.json").write_text(json.dumps({"rules": {}}))
    with pytest.raises(ReportError, match="not a conformance report"):
        load_report(tmp_path / "bad.json")
    with pytest.raises(ReportError, match="does not exist"):
        check_writable(tmp_path / "missing" / "r.json")
    with pytest.raises(ReportError, match="is a directory"):
        check_writable(tmp_path)
    check_writable(tmp_path / "new.json")
    assert not (tmp_path / "new.json").exists()  # checking never leaves an empty report behind


def test_mermaid_tells_skipped_states_from_violations() -> None:
    diagram = mermaid_lifecycle([{"from": "RequestPending", "to": "InProgress", "count": 2},
                                 {"from": "Finished", "to": "UpgradeFailed", "count": 1}])
    assert "RequestPending --> InProgress: observed ×2, states skipped between observations" in diagram
    assert "Finished --> UpgradeFailed: ⚠ observed ×1, not an allowed change" in diagram


def test_many_findings_are_capped_in_the_terminal_and_markdown_but_not_in_junit() -> None:
    report = make_report()
    finding = report["rules"]["POST-01"]["findings"][0]
    report["rules"]["POST-01"]["findings"] = [{**finding, "title": f"finding {i}",
                                              "reproduction": [f"curl {j}" for j in range(6)]} for i in range(12)]
    text = render_terminal(report)
    assert "finding 2" in text and "finding 3" not in text and "and 9 more findings" in text
    assert "curl 5" in text and "curl 2" not in text  # the last requests: the failing one is last
    markdown = render_markdown(report)
    assert "7 more findings" in markdown and "finding 11" in markdown
    assert render_junit(report).count("finding ") == 12


def test_every_renderer_shows_a_finding_the_same_way_escaped() -> None:
    """One text form of a finding (report.common.finding_lines) in the terminal, JUnit, Markdown and
    the pytest plugin's failure text; none of them lets a control character through."""
    from conformance.pytest_plugin import _describe

    report = make_report()
    entry = report["rules"]["POST-01"]
    plugin = _describe("POST-01", entry, report)
    junit = ET.fromstring(render_junit(report).encode())
    failure = next(c for c in junit.iter("testcase") if c.get("name") == "POST-01").find("failure")
    assert failure is not None
    for text in (render_terminal(report), render_markdown(report), plugin, failure.text or ""):
        assert "✗ status | pipe  (post.valid_request, MUST)" in text
        assert "expected: status RequestPending" in text
        assert "\x1b" not in text and "\\x1b" in text


def test_notes_on_passed_rules_reach_every_renderer_but_not_a_quiet_clean_line() -> None:
    """What a run noticed on a rule that passed (an allowed behaviour, an unreachable branch) is in
    the terminal listing, the Markdown and the JUnit — never mixed into failures, never in -q."""
    report = make_report()
    report["rules"]["POST-03"]["details"] = ["a startDate before today was accepted (either is allowed)"]
    report["rules"]["PUT-01"]["details"] = ["partly untested: no second writer"]  # a gap, not a note
    text = render_terminal(report)
    assert "note: a startDate before today was accepted (either is allowed)" in text
    assert "note: partly untested" not in text and "note: status" not in text  # failures are not notes
    assert "startDate before today" not in render_terminal(report, quiet=True)
    md = render_markdown(report)
    assert "Notes on passed rules" in md and "- **POST-03**: a startDate before today was accepted" in md
    case = next(c for c in ET.fromstring(render_junit(report)).iter("testcase") if c.get("name") == "POST-03")
    assert case.findtext("system-out") == "note: a startDate before today was accepted (either is allowed)"
    assert case.find("failure") is None
