"""The weekly loop of the README on a small scale: record a run with --record-cassette, replay it
against the reference simulator (every answer the same), diff two weeks (no difference, or the one
the vendor made)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from conformance.cli import main
from conformance.simulator.profile import VARIANTS, Profile
from conformance.simulator.server import start
from conformance.suite.context import suite_world

#: Probes whose tokens the replay must infer from the recorded refusal (AUTH), a branch (POST-04),
#: failed items (PUT-03) and the lifecycle: what a faithful replay of a run has to get right.
RULES = "AUTH,POST-04,PUT-03,LIFE-02"
#: The rules whose text allows several behaviours (and POST-03's startDate before today).
BRANCHED = "AUTH-03,AUTH-04,POST-03,POST-04,POST-05,PUT-03,PUT-05,LIFE-06"
REFERENCE = Path(__file__).resolve().parent.parent / "cassettes" / "reference-lifecycle.yaml"


def _replayed_the_same(report_path: Path) -> dict[str, Any]:
    report = json.loads(report_path.read_text(encoding="utf-8"))
    different = [e for e in report["interactions"] if e["outcome"] != "same"]
    assert not different, different[:3]
    assert len(report["interactions"]) > 50
    return report


def test_a_run_recorded_through_the_control_plane_replays_identically(tmp_path: Path) -> None:
    cassette, out = tmp_path / "run.yaml", tmp_path / "replay.json"
    assert main(["run", "-q", "--rules", RULES, "--record-cassette", str(cassette)]) == 0
    assert main(["replay", "-q", str(cassette), "--report-json", str(out)]) == 0
    report = _replayed_the_same(out)
    for rule in ("AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04"):
        assert report["rules"][rule]["outcome"] == "passed", rule
    # The same recording against a target that ignores VZ-M2M-Token: AUTH-03 by name.
    assert main(["replay", "-q", str(cassette), "--report-json", str(out), "--simulator-fault",
                 "auth03-m2m-ignored"]) == 1
    assert json.loads(out.read_text(encoding="utf-8"))["rules"]["AUTH-03"]["outcome"] == "failed"


def test_the_weekly_loop_against_a_target_without_control_plane(tmp_path: Path) -> None:
    world = suite_world()
    world_file = tmp_path / "world.json"
    world_file.write_text(json.dumps(world.to_json()), encoding="utf-8")
    weeks = []
    with start(world=world, control_plane=False) as vendor:
        for week in ("last", "this"):
            cassette = tmp_path / f"{week}.yaml"
            assert main(["run", "-q", "--base-url", vendor.base_url, "--world", str(world_file), "--rules", RULES,
                         "--poll-total", "1", "--poll-interval", "0.5", "--record-cassette", str(cassette),
                         "--report-json", str(tmp_path / f"{week}.json")]) == 0
            weeks.append(cassette)
    text = weeks[1].read_text(encoding="utf-8")
    assert all(c.bearer not in text and c.m2m not in text for c in world.credentials)
    # Is the simulator still faithful to what the vendor did?
    out = tmp_path / "replay.json"
    assert main(["replay", "-q", str(weeks[1]), "--world", str(world_file), "--report-json", str(out)]) == 0
    _replayed_the_same(out)
    # Did the vendor change? Not between these two weeks (new ids, same behaviour) …
    assert main(["diff", "-q", str(weeks[0]), str(weeks[1])]) == 0
    assert main(["diff", "-q", str(tmp_path / "last.json"), str(tmp_path / "this.json")]) == 0
    # … but a vendor that starts refusing invalid requests at once shows, by rule, in the reports.
    with start(world=world, control_plane=False, profile=Profile(variants=frozenset({"sync-refusal"}))) as vendor:
        assert main(["run", "-q", "--base-url", vendor.base_url, "--world", str(world_file), "--rules", RULES,
                     "--poll-total", "1", "--poll-interval", "0.5", "--report-json", str(tmp_path / "next.json")]) == 0
    md = tmp_path / "diff.md"
    assert main(["diff", "-q", str(tmp_path / "this.json"), str(tmp_path / "next.json"), "--markdown", str(md)]) == 1
    assert "## POST-04" in md.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def run_recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    cassette = tmp_path_factory.mktemp("loop") / "run.yaml"
    assert main(["run", "-q", "--rules", BRANCHED, "--record-cassette", str(cassette)]) == 0
    return cassette


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_no_false_alarm_when_the_target_takes_another_allowed_branch(variant: str, run_recording: Path,
                                                                     tmp_path: Path) -> None:
    """A recording of the reference simulator replayed against each valid variant: a branch change is
    a warning at most (and what follows from it on that campaign), never a failure."""
    # The run recording (slow to replay) only where the variant touches one of its rules.
    touches = set(VARIANTS[variant].rules) & set(BRANCHED.split(","))
    for cassette in (REFERENCE, run_recording) if touches else (REFERENCE,):
        out = tmp_path / "replay.json"
        assert main(["replay", "-q", str(cassette), "--simulator-variant", variant, "--report-json", str(out)]) == 0
        report = json.loads(out.read_text(encoding="utf-8"))
        assert not [r for r, e in report["rules"].items() if e["outcome"] == "failed"]
