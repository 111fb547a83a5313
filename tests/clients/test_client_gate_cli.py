"""The two ways into the client gate, as a user runs them: ``fota-conformance simulate --strict``
in its own process, stopped by SIGTERM (what CI sends) or Ctrl-C, and ``fota-conformance
check-cassette --client`` on a real cassette. Reports are written on stop, readable while running,
and the exit codes are those of ``run``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from gate import FAULTY, http_client, recording, well_behaved

from conformance.report.jsonio import validate_report

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd)


def strict_session(tmp_path: Path, client: Callable[[httpx.Client], None] | None, *,
                   stop: signal.Signals = signal.SIGTERM) -> tuple[int, str, str, dict[str, Any] | None]:
    """simulate --strict in a subprocess, the client against it, then stopped with ``stop``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "conformance", "simulate", "--strict", "--port", "0",
         "--client-report-json", "client.json", "--client-junit-xml", "client.xml", "--client-markdown", "client.md"],
        cwd=tmp_path, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        live: dict[str, Any] | None = None
        if client is not None:
            with http_client(base_url) as http:
                client(http)
                live = http.get("/__control/client-report").json()  # readable while it runs
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, out, err, live


def test_sigterm_writes_every_report_and_fails_a_faulty_client(tmp_path: Path) -> None:
    code, out, err, live = strict_session(tmp_path, FAULTY["CLIENT-06"])
    assert code == 1, err
    assert "Traceback" not in err
    report = json.loads((tmp_path / "client.json").read_text())
    assert validate_report(report) == []
    assert report["rules"]["CLIENT-06"]["outcome"] == "failed"
    assert live is not None and live["rules"]["CLIENT-06"]["outcome"] == "failed"
    assert "CLIENT-06" in (tmp_path / "client.md").read_text() and "CLIENT-06" in (tmp_path / "client.xml").read_text()
    assert "NOT CONFORMANT" in out.splitlines()[-1]
    for text in (out, err, *(p.read_text() for p in tmp_path.iterdir())):
        assert "bearer-alpha" not in text and "m2m-alpha" not in text


def test_ctrl_c_and_a_well_behaved_client_exit_0(tmp_path: Path) -> None:
    code, _out, err, _ = strict_session(tmp_path, well_behaved, stop=signal.SIGINT)
    assert code == 0, err
    assert json.loads((tmp_path / "client.json").read_text())["conformant"] is True


def test_no_client_at_all_is_not_a_pass(tmp_path: Path) -> None:
    code, _, err, _ = strict_session(tmp_path, None)
    assert code == 3
    assert "no call of the FOTA v1 operations" in err
    assert (tmp_path / "client.json").is_file()  # the report is written all the same


def test_client_reports_need_strict(tmp_path: Path) -> None:
    result = cli("simulate", "--client-report-json", "x.json", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "need --strict" in result.stderr


@pytest.mark.parametrize("rule_id", ["CLIENT-02", "CLIENT-09"])
def test_check_cassette_client(rule_id: str, tmp_path: Path) -> None:
    with recording(tmp_path / "faulty.yaml") as running, http_client(running.base_url) as http:
        FAULTY[rule_id](http)
    result = cli("check-cassette", "--client", "faulty.yaml", "--report-json", "r.json", cwd=tmp_path)
    must = rule_id != "CLIENT-09"
    assert result.returncode == (1 if must else 0), result.stderr
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["rules"][rule_id]["outcome"] == ("failed" if must else "warned")


def test_check_cassette_client_without_fota_calls(tmp_path: Path) -> None:
    with recording(tmp_path / "empty.yaml") as running:
        httpx.get(f"{running.base_url}/__control/clock", timeout=5, trust_env=False)
    result = cli("check-cassette", "--client", "empty.yaml", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "no call of the FOTA v1 operations" in result.stderr


def test_check_cassette_client_judges_a_good_recording(tmp_path: Path) -> None:
    with recording(tmp_path / "good.yaml") as running, http_client(running.base_url) as http:
        well_behaved(http)
    result = cli("check-cassette", "--client", "good.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
