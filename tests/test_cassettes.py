"""The cassette side: committed cassettes are real, secret-free vcrpy cassettes; check_cassette judges
them like the suite would; recording a live run leaves no token behind; bad input is a CassetteError."""

from __future__ import annotations

import json as json_module
import re
import sys
from pathlib import Path

import httpx
import pytest
import vcr
import yaml
from vcr.record_mode import RecordMode
from vcr.serialize import deserialize
from vcr.serializers import yamlserializer

from conformance.cassettes import (
    FORMAT_VERSION,
    METADATA_KEY,
    NOT_OBSERVABLE,
    PLACEHOLDER,
    CassetteError,
    check_cassette,
    load_cassette,
    record,
)
from conformance.simulator.profile import FAULTS
from conformance.spec.rules import RULES, Level
from conformance.spec.world import Credential, World, default_world
from conformance.suite.context import suite_world

REPO = Path(__file__).resolve().parent.parent
CASSETTE_DIR = REPO / "cassettes"
CASSETTES = sorted(CASSETTE_DIR.glob("*.yaml"))
FAULTY = [p for p in CASSETTES if p.name.startswith("faulty-")]
REFERENCE = CASSETTE_DIR / "reference-lifecycle.yaml"
#: "Bearer " followed by anything but the placeholder: an unfiltered token. ACCESS_TOKEN is no token:
#: the vendor gateway's 401 fault text says "Make sure your API invocation call has a header:
#: 'Authorization: Bearer ACCESS_TOKEN'", and the simulator sends that text verbatim.
UNFILTERED_BEARER = re.compile(r"Bearer (?!" + re.escape(PLACEHOLDER) + r"|ACCESS_TOKEN\b)\S+")

sys.path.insert(0, str(CASSETTE_DIR))
import record as recorder  # noqa: E402  (cassettes/record.py: the script that regenerates them)


def world_tokens() -> set[str]:
    return {t for w in (default_world(), suite_world()) for c in w.credentials for t in (c.bearer, c.m2m)}


def test_there_are_committed_cassettes() -> None:
    assert REFERENCE in CASSETTES
    assert len(FAULTY) >= 2


# --- every committed cassette -------------------------------------------------------------------
@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: p.name)
def test_parses_with_vcrpy_and_has_format_version(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    raw = yamlserializer.deserialize(text)
    assert raw["version"] == 1  # vcrpy's own format
    assert raw["metadata"][METADATA_KEY]["format"] == FORMAT_VERSION  # ours
    requests, responses, metadata = deserialize(text, yamlserializer)
    assert len(requests) == len(responses) >= 5
    assert len(requests) <= 60, "keep committed cassettes small"
    assert metadata[METADATA_KEY]["format"] == FORMAT_VERSION


@pytest.mark.parametrize("path", CASSETTES, ids=lambda p: p.name)
def test_contains_no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for token in world_tokens():
        assert token not in text
    assert not UNFILTERED_BEARER.search(text)
    for request in yamlserializer.deserialize(text)["interactions"]:
        headers = {k.lower(): v for k, v in request["request"]["headers"].items()}
        for name in ("authorization", "vz-m2m-token"):
            for value in headers.get(name, []):
                assert value.endswith(PLACEHOLDER), f"{name}: {value}"


def test_reference_cassette_is_conformant() -> None:
    report = check_cassette(REFERENCE)
    assert set(report["rules"]) == set(RULES)
    assert report["conformant"] is True
    assert report["target"] == str(REFERENCE)
    assert report["control_plane"] is True
    outcomes = {k: v["outcome"] for k, v in report["rules"].items()}
    assert set(outcomes.values()) <= {"passed", "skipped"}, outcomes
    # The reference conversation is built so that every rule a recording can show is exercised.
    for rule_id in ("WIRE-01", "WIRE-02", "POST-01", "POST-02", "PUT-01", "PUT-04", "PUT-07",
                    "LIFE-01", "LIFE-02", "LIFE-04", "LIFE-06"):
        assert outcomes[rule_id] == "passed", rule_id
    assert report["rules"]["AUTH-02"]["details"] == [NOT_OBSERVABLE]


@pytest.mark.parametrize("path", FAULTY, ids=lambda p: p.name)
def test_faulty_cassette_fails_by_the_rule_its_fault_names(path: Path) -> None:
    faults = load_cassette(path).metadata[METADATA_KEY]["faults"]
    assert faults and all(f in FAULTS for f in faults)
    report = check_cassette(path)
    for fault in faults:
        rule_id = FAULTS[fault].rule
        expected = "failed" if RULES[rule_id].level is Level.MUST else "warned"
        assert report["rules"][rule_id]["outcome"] == expected, (fault, report["rules"][rule_id])
        assert report["conformant"] is (expected != "failed")


def test_replay_in_record_mode_none_through_httpx() -> None:
    """The reference cassette is a usable vcrpy cassette: replayed with no network at all."""
    cassette = load_cassette(REFERENCE)
    replayer = vcr.VCR(record_mode=RecordMode.NONE, match_on=("method", "uri"))
    with replayer.use_cassette(str(REFERENCE)) as vcr_cassette, httpx.Client() as client:
        for ix in cassette.interactions:
            response = client.request(ix.method, ix.url, content=ix.request_body,
                                       headers={k: v for k, v in ix.request_headers.items()
                                                if k.lower() != "content-length"})
            assert response.status_code == ix.status
            assert response.content == ix.response_body
        assert vcr_cassette.all_played
    with replayer.use_cassette(str(REFERENCE)), httpx.Client() as client, \
            pytest.raises(vcr.errors.CannotOverwriteExistingCassetteException):
        client.get("http://127.0.0.1:9/never-recorded")


# --- recording a live run -----------------------------------------------------------------------
def distinctive_world() -> World:
    base = suite_world()
    return World(now=base.now, accounts=base.accounts, credentials=(
        Credential("tok-B3ARER-zz81-alpha", "tok-M2M-qq72-alpha", base.credentials[0].accounts),
        Credential("tok-B3ARER-zz81-beta", "tok-M2M-qq72-beta", base.credentials[1].accounts)))


def test_recording_a_run_leaves_no_token(tmp_path: Path) -> None:
    world = distinctive_world()
    path = recorder.record_one("reference-lifecycle", tmp_path, world=world)
    text = path.read_text(encoding="utf-8")
    assert "tok-" not in text and "zz81" not in text and "qq72" not in text
    assert not UNFILTERED_BEARER.search(text)
    assert check_cassette(path)["conformant"] is True


def test_recording_wraps_run_suite_in_process(tmp_path: Path) -> None:
    """What `fota-conformance run --record-cassette FILE` does: run_suite inside record(), against an
    in-process simulator. vcrpy's httpx patch catches the suite's Client; uvicorn is unaffected."""
    from conformance.simulator.server import start
    from conformance.suite.runner import run_suite

    world = distinctive_world()
    path = tmp_path / "run.yaml"
    with start() as sim, record(path, secrets=()):  # no secrets listed: they must be learned
        report = run_suite(sim.base_url, world=world, rules=["AUTH", "LIFE-01"])
    text = path.read_text(encoding="utf-8")
    assert len(load_cassette(path).interactions) == report["requests"]
    assert "tok-" not in text and "zz81" not in text and "qq72" not in text
    assert not UNFILTERED_BEARER.search(text)
    offline = check_cassette(path)
    assert offline["control_plane"] is True
    assert offline["rules"]["WIRE-02"]["outcome"] == "passed"


def test_recording_replaces_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("not a cassette at all", encoding="utf-8")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": request.url.path}))
    with record(path, secrets=["s3cr3t-value"]), httpx.Client(transport=transport) as client:
        client.get("http://example.invalid/x/s3cr3t-value", headers={"Authorization": "Bearer abcdefgh"})
    text = path.read_text(encoding="utf-8")
    assert "s3cr3t-value" not in text and "abcdefgh" not in text
    assert len(load_cassette(path).interactions) == 1
    assert not list(tmp_path.glob(".*.recording"))


# --- bad input ----------------------------------------------------------------------------------
def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def _newer(tmp_path: Path, *, vcr_version: int = 1, ours: int = FORMAT_VERSION) -> Path:
    data = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    data["version"] = vcr_version
    data["metadata"][METADATA_KEY]["format"] = ours
    return _write(tmp_path, "newer.yaml", yaml.safe_dump(data))


@pytest.mark.parametrize(("make", "words"), [
    (lambda t: t / "missing.yaml", "no such cassette"),
    (lambda t: t, "not a file"),
    (lambda t: _write(t, "bin.yaml", b"\xff\xfe\x00binary"), "not a cassette"),
    (lambda t: _write(t, "bad.yaml", "key: [unclosed\n  - x: {"), "not YAML"),
    (lambda t: _write(t, "list.yaml", "- a\n- b\n"), "not a vcrpy cassette"),
    (lambda t: _write(t, "other.yaml", "openapi: 3.0.3\npaths: {}\n"), "not a vcrpy cassette"),
    (lambda t: _write(t, "broken.yaml", "version: 1\ninteractions:\n- request: {}\n"), "not a vcrpy cassette"),
    (lambda t: _newer(t, vcr_version=2), "format version 2"),
    (lambda t: _newer(t, ours=FORMAT_VERSION + 1), f"format {FORMAT_VERSION + 1}"),
], ids=["missing", "directory", "binary", "not-yaml", "yaml-list", "other-yaml", "bad-interaction",
        "newer-vcrpy", "newer-ours"])
def test_bad_input_is_a_one_line_cassette_error(tmp_path: Path, make, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(CassetteError) as info:
        check_cassette(make(tmp_path))
    message = str(info.value)
    assert "\n" not in message and words in message, message


def test_plain_vcrpy_cassette_without_our_marker_is_accepted(tmp_path: Path) -> None:
    data = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    del data["metadata"]
    report = check_cassette(_write(tmp_path, "plain.yaml", yaml.safe_dump(data)))
    assert report["conformant"] is True


def _first_accepted_post(data: dict) -> dict:  # type: ignore[type-arg]
    return next(ix for ix in data["interactions"]
                if ix["request"]["method"] == "POST" and ix["response"]["status"]["code"] == 200)


@pytest.mark.parametrize("duplicate, fails", [(True, False), (False, True)], ids=["duplicate-imei", "dropped-imei"])
def test_post01_judges_only_requests_that_could_be_valid(tmp_path: Path, duplicate: bool, fails: bool) -> None:
    """An accepted request with a duplicate IMEI is POST-04's "accepted, then RequestFailed" branch:
    answering it with the device listed once is no POST-01 failure (a false alarm an independent
    implementation found). The same answer to a valid request of two devices still fails POST-01."""
    data = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    ix = _first_accepted_post(data)
    request = json_module.loads(ix["request"]["body"])
    answer = json_module.loads(ix["response"]["body"]["string"])
    first = request["deviceList"][0]
    request["deviceList"] = [first, first] if duplicate else [first, "990000000000999"]
    answer["deviceList"] = [item for item in answer["deviceList"] if item["deviceId"] == first][:1]
    ix["request"]["body"] = json_module.dumps(request)
    ix["response"]["body"]["string"] = json_module.dumps(answer)
    report = check_cassette(_write(tmp_path, "edited.yaml", yaml.safe_dump(data)))
    assert (report["rules"]["POST-01"]["outcome"] == "failed") is fails, report["rules"]["POST-01"]
