"""The CLI's cassette side: ``run --record-cassette`` writes a real, token-free vcrpy cassette, and
``check-cassette`` judges one offline with the same exit codes and reports as ``run``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.cli import main
from conformance.suite.context import suite_world

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


def test_recorded_run_is_token_free_and_judged_conformant(tmp_path: Path) -> None:
    cassette = tmp_path / "run.yaml"
    assert main(["run", "-q", "--rules", "AUTH-02,PUT-07", "--record-cassette", str(cassette)]) == 0
    text = cassette.read_text(encoding="utf-8")
    assert text.count("uri:") > 10
    for cred in suite_world().credentials:
        assert cred.bearer not in text and cred.m2m not in text
    report_path = tmp_path / "report.json"
    assert main(["check-cassette", "-q", str(cassette), "--report-json", str(report_path)]) == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["conformant"] is True
    assert report["rules"]["WIRE-02"]["outcome"] == "passed"


def test_faulty_cassette_exits_1_on_its_rule(tmp_path: Path) -> None:
    report_path = tmp_path / "report.json"
    code = main(["check-cassette", "-q", str(CASSETTES / "faulty-terminal-changes.yaml"),
                 "--report-json", str(report_path)])
    assert code == 1
    assert json.loads(report_path.read_text(encoding="utf-8"))["rules"]["LIFE-02"]["outcome"] == "failed"


@pytest.mark.parametrize("content", [None, "not: [valid", "just a string\n", "version: 1\n"])
def test_bad_cassettes_are_one_line_usage_errors(tmp_path: Path, content: str | None,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    assert main(["check-cassette", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
