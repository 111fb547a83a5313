"""The client gate proves it can fail, and does not cry wolf: every CLIENT rule has a small faulty
client that trips that rule and no other, in both ways in — live (a strict simulator judging what it
receives) and offline (a real vcrpy cassette of the same client, judged afterwards) — and a
well-behaved client is judged clean in both.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from gate import (
    DEVICES,
    FAULTY,
    GOOD,
    http_client,
    item,
    problems,
    recording,
    schedule,
    schedule_body,
    strict_simulator,
    today,
    well_behaved,
)

from conformance.client import judge_cassette
from conformance.report import render_junit, render_markdown, render_terminal, validate_report
from conformance.spec.client_rules import CLIENT_RULES


def live(client: Any) -> dict[str, Any]:
    with strict_simulator() as strict, http_client(strict.base_url) as http:
        client(http)
        return strict.judge.report()


def recorded(client: Any, path: Path) -> dict[str, Any]:
    with recording(path) as running, http_client(running.base_url) as http:
        client(http)
    return judge_cassette(path)


def test_every_rule_has_a_faulty_client() -> None:
    assert set(FAULTY) == set(CLIENT_RULES)


@pytest.mark.parametrize("rule_id", list(FAULTY))
def test_a_faulty_client_trips_its_rule_and_no_other(rule_id: str, tmp_path: Path) -> None:
    expected = {rule_id: "failed" if CLIENT_RULES[rule_id].level == "MUST" else "warned"}
    live_report = live(FAULTY[rule_id])
    assert problems(live_report) == expected, json.dumps(live_report["rules"], indent=1)
    cassette_report = recorded(FAULTY[rule_id], tmp_path / "client.yaml")
    assert problems(cassette_report) == expected, json.dumps(cassette_report["rules"], indent=1)
    for report in (live_report, cassette_report):
        assert report["conformant"] is (CLIENT_RULES[rule_id].level != "MUST")
        (finding, *_) = report["rules"][rule_id]["findings"]
        assert finding["vendor"]  # what the vendor would have done
        assert finding["reproduction"][-1].startswith("curl ")
        assert "bearer-alpha" not in json.dumps(report) and "m2m-alpha" not in json.dumps(report)


def test_a_well_behaved_client_is_judged_clean_both_ways(tmp_path: Path) -> None:
    for report in (live(well_behaved), recorded(well_behaved, tmp_path / "good.yaml")):
        assert problems(report) == {}
        assert report["conformant"] is True and report["kind"] == "client"
        assert validate_report(report) == []
        passed = {rid for rid, e in report["rules"].items() if e["outcome"] == "passed"}
        # Everything a well-behaved scenario can show was shown (09/10 need a failure to react to).
        assert passed >= {f"CLIENT-0{n}" for n in range(1, 9)}, report["rules"]
        assert report["rules"]["CLIENT-03"]["branch"] == "application/json"


def test_the_vendor_sdk_label_on_put_is_an_allowed_branch() -> None:
    def star_put(http: Any) -> None:
        upgrade_id = schedule(http, today(http) + timedelta(days=7), DEVICES[0:1])
        answer = http.put(item(upgrade_id), content=json.dumps({"type": "append", "deviceList": DEVICES[1:2]}),
                          headers={**GOOD, "Content-Type": "*/*"})
        assert answer.status_code == 200

    report = live(star_put)
    assert problems(report) == {}
    assert report["rules"]["CLIENT-03"]["branch"] == "application/json + */* on PUT (the vendor SDK's label)"


def test_looking_before_a_retry_and_changing_a_refused_request_are_fine() -> None:
    def careful(http: Any) -> None:
        body = schedule_body(today(http) + timedelta(days=7), DEVICES[0:1])
        http.put("/__control/outage", json={"requests": 1}).raise_for_status()
        assert http.post("/upgrades", json=body, headers=GOOD).status_code == 503
        # Did it go through after all? (The vendor lists upgrades by status; any read of the account counts.)
        http.get(f"/reports/{body['accountName']}/status/RequestPending/index/0", headers=GOOD)
        assert http.post("/upgrades", json=body, headers=GOOD).status_code == 200
        # A refusal, then a corrected request: not a repeat.
        bad = body | {"deviceList": ["350000000019999"]}
        first = http.post("/upgrades", json=bad, headers=GOOD).status_code
        http.post("/upgrades", json=body | {"deviceList": DEVICES[1:2]}, headers=GOOD)
        assert first in (200, 400)

    report = live(careful)
    assert problems(report) == {}
    assert report["rules"]["CLIENT-09"]["outcome"] == "passed"


def test_unknown_fields_only_warn(tmp_path: Path) -> None:
    def extra(http: Any) -> None:
        http.post("/upgrades", json=schedule_body(today(http) + timedelta(days=7), DEVICES[0:1], priority="high"),
                  headers=GOOD)

    report = live(extra)
    assert problems(report) == {"CLIENT-06": "warned"} and report["conformant"] is True


def test_the_report_renders_like_a_run_report() -> None:
    report = live(FAULTY["CLIENT-06"])
    assert validate_report(report) == []
    terminal = render_terminal(report)
    assert "FAIL  CLIENT-06" in terminal and "the vendor:" in terminal
    assert terminal.splitlines()[-1].startswith("NOT CONFORMANT: 1 failed, 0 warned")
    markdown = render_markdown(report)
    assert markdown.startswith("# FOTA v1 client conformance") and "mermaid" not in markdown
    assert 'name="CLIENT-06"' in render_junit(report)


def test_a_filtered_cassette_keeps_the_shape_of_the_credentials(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    recorded(well_behaved, path)
    text = path.read_text(encoding="utf-8")
    assert "bearer-alpha" not in text and "m2m-alpha" not in text
    assert "Bearer <filtered>" in text


def test_the_client_rules_are_in_the_rules_document() -> None:
    from conformance.cli.rules import render_markdown

    text = render_markdown()
    for rule_id, r in CLIENT_RULES.items():
        assert f"#### {rule_id}" in text and r.text and r.evidence
        assert f"`client.{rule_id}" not in text  # checks are named by function, e.g. client.credentials
    assert "`client.blind_repeat`" in text
