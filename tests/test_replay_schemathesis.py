"""A VCR file written by schemathesis (`st run --report vcr`, the Ruby-VCR layout with
``http_interactions``) against `fota-conformance simulate` is judged by check-cassette and replayed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.cassettes import SCHEMATHESIS, check_cassette, load_cassette
from conformance.cli import main
from conformance.spec.openapi import openapi_path
from conformance.spec.world import default_world

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def st_cassette(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A real schemathesis run against a real simulator process, recorded as a VCR file."""
    home = tmp_path_factory.mktemp("st")
    env = {**os.environ, "HOME": str(home), "NO_COLOR": "1"}
    sim = subprocess.Popen([str(BIN / "fota-conformance"), "simulate", "--port", "0"], cwd=home, env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert sim.stdout is not None
        base_url = sim.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:")
        cred = default_world().credentials[0]
        cassette = home / "st.yaml"
        done = subprocess.run(
            [str(BIN / "st"), "run", str(openapi_path()), "--url", base_url,
             "-H", f"Authorization: Bearer {cred.bearer}", "-H", f"VZ-M2M-Token: {cred.m2m}",
             "--report", "vcr", "--report-vcr-path", str(cassette), "--max-examples", "3",
             "--phases", "examples,fuzzing", "--checks", "not_a_server_error", "--seed", "1"],
            cwd=home, env=env, capture_output=True, text=True, timeout=600)
        assert cassette.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
        yield cassette
    finally:
        sim.terminate()
        sim.wait(timeout=30)


def test_the_file_is_schemathesis_vcr_layout_without_tokens(st_cassette: Path) -> None:
    text = st_cassette.read_text(encoding="utf-8")
    assert "http_interactions:" in text and "recorded_with: 'Schemathesis" in text
    for cred in default_world().credentials:
        assert cred.bearer not in text and cred.m2m not in text
    cassette = load_cassette(st_cassette)
    assert cassette.kind == SCHEMATHESIS
    assert len(cassette.interactions) >= 10
    methods = {ix.method for ix in cassette.interactions}
    assert {"POST", "PUT", "GET"} <= methods
    assert all(isinstance(ix.status, int) for ix in cassette.interactions)


def test_check_cassette_judges_it(st_cassette: Path, tmp_path: Path) -> None:
    report = check_cassette(st_cassette)
    assert report["conformant"] is True
    assert report["recorded_by"] == SCHEMATHESIS
    assert report["rules"]["WIRE-02"]["outcome"] == "passed"
    assert report["rules"]["POST-01"]["outcome"] == "passed"
    out = tmp_path / "check.json"
    assert main(["check-cassette", "-q", str(st_cassette), "--report-json", str(out)]) == 0


def test_replay_against_the_reference_simulator(st_cassette: Path, tmp_path: Path) -> None:
    out = tmp_path / "replay.json"
    assert main(["replay", "-q", str(st_cassette), "--report-json", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    for cred in default_world().credentials:
        assert cred.bearer not in text and cred.m2m not in text
    assert "replay-bearer-" not in text
    report = json.loads(text)
    assert report["cassettes"][0]["kind"] == SCHEMATHESIS
    outcomes = {e["outcome"] for e in report["interactions"]}
    assert outcomes == {"same"}, [e for e in report["interactions"] if e["outcome"] != "same"][:3]
    assert report["rules"]["POST-01"]["outcome"] == "passed"


def test_replay_against_a_fault_names_its_rule(st_cassette: Path) -> None:
    out_code = main(["replay", "-q", str(st_cassette), "--simulator-fault", "post01-queued-at-once"])
    assert out_code == 1
