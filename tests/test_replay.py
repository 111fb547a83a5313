"""Replay and diff: the committed recordings replayed against the reference simulator (the same answers)
and against planted faults (a difference under the fault's rule); black-box replay keeps the safety
rails; diff of a recording with itself is empty and with a faulty recording names the fault's rule."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from conformance.cassettes import load_cassette
from conformance.cli import main
from conformance.replay import ReplaySettings, diff, replay
from conformance.simulator.profile import FAULTS, Profile
from conformance.simulator.server import start
from conformance.spec.rules import RULES, Level
from conformance.suite.context import suite_world
from conformance.suite.http import Client

REPO = Path(__file__).resolve().parent.parent
CASSETTE_DIR = REPO / "cassettes"
REFERENCE = CASSETTE_DIR / "reference-lifecycle.yaml"
FAULTY = sorted(CASSETTE_DIR.glob("faulty-*.yaml"))

sys.path.insert(0, str(CASSETTE_DIR))
import record as recorder  # noqa: E402  (cassettes/record.py)

#: The faults the reference recording can show, and the rule each is reported under. The recording
#: has appends, a remove, a failed append, a PUT after the start, a cancel and clock moves up to a
#: day after Finished; faults outside these paths (auth, malformed bodies, early start…) need run.
SHOWN_BY_REFERENCE = {
    "post01-queued-at-once": "POST-01",
    "post01-start-date-shifted": "POST-01",
    "put01-append-not-kept": "PUT-01",
    "put02-remove-not-kept": "PUT-02",
    "put03-false-success": "PUT-03",
    "put04-change-after-start": "PUT-04",
    "put07-lowercase-reason": "PUT-07",
    "life01-scheduled-status": "LIFE-01",
    "life02-terminal-changes": "LIFE-02",
    "life04-get-stale-devices": "LIFE-04",
    "life06-cancel-ignored": "LIFE-06",
    "wire01-text-errors": "WIRE-01",
}


def _replay(paths: list[Path], *faults: str, **kw: Any) -> dict[str, Any]:
    with start(profile=Profile(faults=frozenset(faults))) as sim:
        return replay([load_cassette(p) for p in paths], sim.base_url, **kw)


def _outcome(rule: str) -> str:
    return "warned" if RULES[rule].level is Level.SHOULD else "failed"


# --- the committed recordings against the reference simulator ----------------------------------
def test_reference_recording_replays_identically_on_the_clean_simulator() -> None:
    report = _replay([REFERENCE])
    assert report["conformant"] is True
    assert report["source"] == "replay" and report["control_plane"] is True
    api = [e for e in report["interactions"] if e["request"].split()[1].startswith("/upgrades")]
    assert len(api) >= 15
    assert all(e["outcome"] == "same" for e in report["interactions"]), [
        e for e in report["interactions"] if e["outcome"] != "same"]
    assert not any(r["findings"] for r in report["rules"].values())
    for rule in ("POST-01", "PUT-01", "PUT-02", "PUT-03", "PUT-04", "LIFE-02", "LIFE-04", "LIFE-06", "SIM-02"):
        assert report["rules"][rule]["outcome"] == "passed", rule
    assert report["rules"]["PUT-03"]["branch"] == "failed item in a 200"
    # Every rule is listed; what no interaction shows is skipped with the reason.
    assert set(report["rules"]) == set(RULES)
    assert report["rules"]["AUTH-04"]["outcome"] == "skipped" and report["rules"]["AUTH-04"]["details"]


@pytest.mark.parametrize("path", FAULTY, ids=lambda p: p.name)
def test_faulty_recording_replays_identically_on_its_own_fault_and_differs_on_the_clean_simulator(path: Path) -> None:
    meta = load_cassette(path).metadata["fota-conformance"]
    faults, rules = meta["faults"], meta["rules"]
    same = _replay([path], *faults)
    assert all(e["outcome"] == "same" for e in same["interactions"])
    assert not any(r["findings"] for r in same["rules"].values())
    clean = _replay([path])
    for rule in rules:
        assert clean["rules"][rule]["outcome"] == _outcome(rule), (rule, clean["rules"][rule])
    assert any(e["outcome"] == "different" for e in clean["interactions"])


@pytest.mark.parametrize("fault", sorted(SHOWN_BY_REFERENCE))
def test_reference_recording_fails_on_the_fault_by_its_rule(fault: str) -> None:
    rule = SHOWN_BY_REFERENCE[fault]
    assert FAULTS[fault].rule == rule
    report = _replay([REFERENCE], fault)
    assert report["rules"][rule]["outcome"] == _outcome(rule), report["rules"][rule]
    assert report["conformant"] is (RULES[rule].level is not Level.MUST)
    finding = report["rules"][rule]["findings"][0]
    assert finding["check"] == "replay" and "differs from the recording" in finding["title"]
    assert finding["reproduction"] and "***" in finding["reproduction"][-1]


def test_another_allowed_branch_warns_and_names_both_branches(tmp_path: Path) -> None:
    """A recording of a target that refuses a semantically invalid request at once, replayed against
    one that accepts it and fails it later: conformant (both are POST-04 branches), but reported."""
    path = _record_script(tmp_path, "sync-refusal", _invalid, variants=("sync-refusal",))
    report = _replay([path])
    entry = report["rules"]["POST-04"]
    assert entry["outcome"] == "warned" and report["conformant"] is True
    assert entry["branch"] == "accepted, then RequestFailed"
    assert "another allowed branch" in entry["findings"][0]["title"]
    assert entry["findings"][0]["expected"] == "refused at once"


def test_diff_of_recordings_names_the_branch_a_target_chose(tmp_path: Path) -> None:
    """Accepted then RequestFailed (seen after a clock move) → refused at once: POST-04, another branch."""
    def invalid_then_look(s: recorder.Script) -> None:
        _invalid(s)
        ex = _invalid.last  # type: ignore[attr-defined]
        s.clock(recorder.SUITE_NOW + timedelta(hours=1))
        if ex.status == 200:
            s.get(ex.data["id"])

    old = _record_script(tmp_path, "async", invalid_then_look)
    new = _record_script(tmp_path, "sync", invalid_then_look, variants=("sync-refusal",))
    report = diff(old, new)
    branch = [d for d in report["by_rule"].get("POST-04", []) if d["kind"] == "branch"]
    assert len(branch) == 1, report["by_rule"]
    assert (branch[0]["old"], branch[0]["new"], branch[0]["allowed"]) == (
        "accepted, then RequestFailed", "refused at once", True)
    assert report["touches_rules"] is True
    # Back the other way, the same change read in reverse.
    back = [d for d in diff(new, old)["by_rule"].get("POST-04", []) if d["kind"] == "branch"]
    assert (back[0]["old"], back[0]["new"]) == ("refused at once", "accepted, then RequestFailed")


def _invalid(s: recorder.Script) -> None:
    """A semantically invalid schedule request: a device of another model (POST-04)."""
    acct = s.world.account(s.account)
    assert acct is not None
    other = next(d.imei for d in acct.devices if not d.fits(s.firmware))
    body = {"accountName": s.account, "firmwareName": s.firmware.name, "startDate": "2026-03-04",
            "deviceList": [other]}
    _invalid.last = s.client.send("POST", "/upgrades", json=body, creds=s.cred)  # type: ignore[attr-defined]


def _record_script(tmp_path: Path, name: str, script: Any, *, faults: tuple[str, ...] = (),
                   variants: tuple[str, ...] = ()) -> Path:
    from conformance.cassettes import record

    world = suite_world()
    path = tmp_path / f"{name}.yaml"
    tokens = [t for c in world.credentials for t in (c.bearer, c.m2m)]
    with start(profile=Profile(faults=frozenset(faults), variants=frozenset(variants))) as sim, \
            record(path, secrets=tokens, drop_response_headers=recorder.UNSTABLE_HEADERS), \
            Client(sim.base_url, secrets=tokens) as client:
        s = recorder.Script(client, world)
        s.control.load(world)
        script(s)
    return path


# --- a target without a control plane ---------------------------------------------------------------
@pytest.fixture
def black_box(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    world = suite_world()
    world_file = tmp_path / "world.json"
    world_file.write_text(json.dumps(world.to_json()), encoding="utf-8")
    with start(world=world, control_plane=False) as sim:
        yield sim.base_url, world_file


def test_black_box_replay_keeps_the_safety_rails(black_box: tuple[str, Path], tmp_path: Path) -> None:
    from conformance.spec.world import World

    base_url, world_file = black_box
    world = World.load(world_file)
    sent: list[tuple[str, str, bytes | None, int | None, Any]] = []
    original = Client.send

    def spy(self: Client, method: str, path: str, **kw: Any) -> Any:
        ex = original(self, method, path, **kw)
        sent.append((method, ex.url, ex.request_body, ex.status, ex.data))
        return ex

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Client, "send", spy)
        report = replay([load_cassette(REFERENCE)], base_url, world=world,
                        settings=ReplaySettings(max_campaigns=5))
    assert report["control_plane"] is False
    skipped = [e for e in report["interactions"] if e["outcome"] == "skipped"]
    clock = [e for e in skipped if e["request"] == "PUT /__control/clock"]
    moves = [ix for ix in load_cassette(REFERENCE).interactions if ix.method == "PUT" and "/__control/clock" in ix.url]
    assert len(clock) == len(moves) == 4 and all("clock cannot be moved" in e["reason"] for e in clock)
    assert "moved the clock" in " ".join(report["rules"]["LIFE-02"]["details"])
    # Dates at least 30 days after the target's today (the wall clock: no control plane to ask).
    from datetime import UTC, date, datetime, timedelta

    soon = datetime.now(UTC).date() + timedelta(days=30)
    posts = [json.loads(body) for method, url, body, *_ in sent if method == "POST" and body]
    assert len(posts) == 2
    assert all(date.fromisoformat(p["startDate"]) >= soon for p in posts)
    # Only the world's account and devices; nothing to /__control.
    devices = {d.imei for a in world.accounts for d in a.devices}
    for method, url, body, *_ in sent:
        assert "/__control/" not in url or method == "GET"
        data = json.loads(body) if body else {}
        assert set(data.get("deviceList", [])) <= devices
    # Every campaign it created is cancelled at the end.
    created = [data["id"] for method, url, body, status, data in sent if method == "POST" and status == 200]
    cancelled = {url.rsplit("/", 1)[-1] for method, url, body, status, data in sent
                 if method == "DELETE" and status == 200}
    assert created and set(created) <= cancelled
    assert report["created_campaigns"] == report["cancelled_campaigns"] == 2
    # A faithful target: what could be compared is the same; PUT after the skipped clock move is
    # time-dependent and skipped with the reason, never failed.
    assert report["conformant"] is True
    assert not any(r["outcome"] == "failed" for r in report["rules"].values())


def test_black_box_cap_and_interrupt_still_cancel(black_box: tuple[str, Path]) -> None:
    from conformance.spec.world import World

    base_url, world_file = black_box
    world = World.load(world_file)
    report = replay([load_cassette(REFERENCE)], base_url, world=world, settings=ReplaySettings(max_campaigns=1))
    capped = [e for e in report["interactions"] if e["outcome"] == "skipped" and "cap of 1" in e.get("reason", "")]
    assert len(capped) == 1 and report["created_campaigns"] == 1 == report["cancelled_campaigns"]
    dependent = [e for e in report["interactions"] if "did not create" in e.get("reason", "")]
    assert dependent  # the DELETE and GET of the campaign that was never created

    seen: list[str] = []

    def interrupt(name: str, index: int, total: int, phase: str) -> None:
        seen.append(name)
        if phase == "start" and index == 5:
            raise KeyboardInterrupt

    deletes: list[int | None] = []
    original = Client.send

    def spy(self: Client, method: str, path: str, **kw: Any) -> Any:
        ex = original(self, method, path, **kw)
        if method == "DELETE":
            deletes.append(ex.status)
        return ex

    with pytest.MonkeyPatch.context() as mp, pytest.raises(KeyboardInterrupt):
        mp.setattr(Client, "send", spy)
        replay([load_cassette(REFERENCE)], base_url, world=world, progress=interrupt)
    assert deletes == [200]  # the one campaign created before Ctrl-C


def test_black_box_without_world_is_a_usage_error(black_box: tuple[str, Path],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    base_url, _ = black_box
    assert main(["replay", str(REFERENCE), "--base-url", base_url]) == 2
    assert "--world" in capsys.readouterr().err


# --- the CLI, reports and tokens -------------------------------------------------------------------------
def test_cli_replay_writes_every_report_and_no_token(tmp_path: Path) -> None:
    outputs = {flag: tmp_path / name for flag, name in
               (("--report-json", "r.json"), ("--junit-xml", "r.xml"), ("--markdown", "r.md"))}
    args = ["replay", "-q", str(REFERENCE), "--simulator-fault", "life04-get-stale-devices"]
    for flag, path in outputs.items():
        args += [flag, str(path)]
    assert main(args) == 1
    report = json.loads(outputs["--report-json"].read_text(encoding="utf-8"))
    assert report["rules"]["LIFE-04"]["outcome"] == "failed"
    assert 'name="LIFE-04"' in outputs["--junit-xml"].read_text(encoding="utf-8")
    assert "LIFE-04" in outputs["--markdown"].read_text(encoding="utf-8")
    for path in outputs.values():
        _assert_no_token(path.read_text(encoding="utf-8"))


def _assert_no_token(text: str) -> None:
    for world in (suite_world(),):
        for c in world.credentials:
            assert c.bearer not in text and c.m2m not in text
    assert "replay-bearer-" not in text and "replay-m2m-" not in text


@pytest.mark.parametrize("args", [["replay", "/nonexistent.yaml"], ["replay", str(REFERENCE), "--base-url", "ftp://x"],
                                  ["diff", str(REFERENCE)], ["diff", str(REFERENCE), "/nonexistent.json"]])
def test_bad_input_is_one_line_and_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_unreachable_target_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["replay", "-q", str(REFERENCE), "--base-url", "http://127.0.0.1:9/api", "--timeout", "2"]) == 3


# --- diff ---------------------------------------------------------------------------------------------
def test_diff_of_a_recording_with_itself_is_empty(tmp_path: Path) -> None:
    report = diff(REFERENCE, REFERENCE)
    assert report["differences"] == [] and report["touches_rules"] is False
    md = tmp_path / "d.md"
    assert main(["diff", str(REFERENCE), str(REFERENCE), "--markdown", str(md)]) == 0
    assert "No behavioural difference" in md.read_text(encoding="utf-8")


def test_diff_with_a_faulty_recording_of_the_same_scenario_names_the_fault_by_rule(tmp_path: Path) -> None:
    fresh = recorder.record_one("reference-lifecycle", tmp_path, filename="clean")
    faulty = recorder.record_one("reference-lifecycle", tmp_path, faults=("life04-get-stale-devices",),
                                 filename="faulty")
    # Two recordings of a clean simulator differ in nothing but the port: no difference.
    assert diff(REFERENCE, fresh)["differences"] == []
    report = diff(fresh, faulty)
    assert report["touches_rules"] is True
    assert "LIFE-04" in report["rules_touched"]
    stale = [d for d in report["by_rule"]["LIFE-04"] if d["kind"] == "device item appeared"]
    assert stale and stale[0]["old"] == "not listed" and stale[0]["new"] == "listed"
    out_json, out_md = tmp_path / "diff.json", tmp_path / "diff.md"
    assert main(["diff", "-q", str(fresh), str(faulty), "--report-json", str(out_json), "--markdown", str(out_md)]) == 1
    assert json.loads(out_json.read_text(encoding="utf-8"))["rules_touched"] == report["rules_touched"]
    assert "## LIFE-04" in out_md.read_text(encoding="utf-8")
    for path in (out_json, out_md):
        _assert_no_token(path.read_text(encoding="utf-8"))


def test_diff_of_two_run_reports_names_the_branch_change(tmp_path: Path) -> None:
    reports = []
    for name, variants in (("default", []), ("sync", ["--simulator-variant", "sync-refusal"])):
        out = tmp_path / f"{name}.json"
        assert main(["run", "-q", "--rules", "POST-04", "--report-json", str(out), *variants]) == 0
        reports.append(out)
    report = diff(*reports)
    branch = [d for d in report["by_rule"]["POST-04"] if d["kind"] == "branch"]
    assert branch == [{**branch[0], "old": "accepted, then RequestFailed", "new": "refused at once", "allowed": True}]
    assert main(["diff", "-q", str(reports[0]), str(reports[1])]) == 1
    assert main(["diff", "-q", str(reports[0]), str(reports[0])]) == 0


def test_diff_refuses_a_cassette_against_a_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "r.json"
    report.write_text("{}", encoding="utf-8")
    assert main(["diff", str(REFERENCE), str(report)]) == 2
    assert "cannot compare" in capsys.readouterr().err


def test_recorder_never_masks_the_scheme_word(tmp_path: Path) -> None:
    """A probe that sends "Authorization: Bearer" alone must not turn every later "Bearer" into the
    placeholder: a replay reads the scheme from the recording."""
    from conformance.cassettes import record

    world = suite_world()
    cred = world.credentials[0]
    path = tmp_path / "scheme.yaml"
    with start() as sim, record(path) as _rec, Client(sim.base_url) as client:
        client.send("GET", "/upgrades/x/upgrade/y", headers={"Authorization": "Bearer Bearer"}, content_type=None)
        client.send("GET", "/upgrades/x/upgrade/y", creds=cred, content_type=None)
    headers = [ix.request_headers.get("Authorization") for ix in load_cassette(path).interactions]
    assert headers[-1] == "Bearer <filtered>"
    assert cred.bearer not in path.read_text(encoding="utf-8")


def test_several_recordings_replay_in_order_into_one_report() -> None:
    lowercase = CASSETTE_DIR / "faulty-lowercase-reason.yaml"
    report = _replay([REFERENCE, lowercase])
    assert [c["path"] for c in report["cassettes"]] == [str(REFERENCE), str(lowercase)]
    names = {e["cassette"] for e in report["interactions"]}
    assert names == {REFERENCE.name, lowercase.name}
    # The clean simulator answers with Reason where the faulty recording had reason: PUT-07 warned.
    assert report["rules"]["PUT-07"]["outcome"] == "warned" and report["conformant"] is True


def test_black_box_safety_refuses_what_is_not_the_replays_own() -> None:
    from conformance.replay._compare import classify
    from conformance.replay._roles import Vocabulary
    from conformance.replay._safety import unsafe

    world = suite_world()
    account = world.credentials[0].accounts[0]
    mine = next(d.imei for a in world.accounts for d in a.devices)
    vocab = Vocabulary()
    item = f"http://h/api/upgrades/{account}/upgrade/11111111-2222-3333-4444-555555555555"
    put = classify("PUT", item)
    body = {"type": "append", "deviceList": [mine]}
    assert "did not create" in (unsafe(world, vocab, put, "PUT", body, created=set()) or "")
    assert unsafe(world, vocab, put, "PUT", body, created={"11111111-2222-3333-4444-555555555555"}) is None
    assert unsafe(world, vocab, classify("GET", item), "GET", None, created=set()) is None  # reads are harmless
    post = classify("POST", "http://h/api/upgrades")
    assert "device 359999999999991" in (unsafe(world, vocab, post, "POST", {"accountName": account,
                                               "deviceList": ["359999999999991"]}, set()) or "")
    assert "account 0000999999-00001" in (unsafe(world, vocab, post, "POST", {"accountName": "0000999999-00001",
                                                 "deviceList": [mine]}, set()) or "")
